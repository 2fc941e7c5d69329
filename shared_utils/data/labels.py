"""InceptionV1's output classes: which of its 1008 logits is which ImageNet class.

Accuracy on the ImageNet sample (Lab 8, ``run.py verify`` row A0) needs to know which output of
the model is which class. Lucid published that list in a Google Cloud bucket that is gone; the
course uses the copy lucent ships, pinned by commit and SHA-256 (``manifests/inceptionv1_labels.json``)::

    from shared_utils.data.labels import inceptionv1_classes, output_index, sample_targets
    classes = inceptionv1_classes()          # 1008 OutputClass entries, one per logit
    classes[1]                               # OutputClass(index=1, synset='n02119789', name='kit fox')
    output_index("n02119789")                # 1
    targets = sample_targets(imagenet_sample())   # (1000,) indices into the 1008 outputs

**The file.** ``old_imagenet_labels.txt`` from greentfrapp/lucent
(``lucent/modelzoo/misc/old_imagenet_labels.txt``, added in commit 461c50e, pinned at 6123386;
Apache-2.0): 1000 lines ``<synset> <1-based index> <name>`` in Lucid's "alternate" class order
(kit fox first, not tench as in the usual ImageNet-1k order).

**The mapping (an inference).** The model has 1008 outputs but the list has 1000 classes. The course
reads it as: output 0 is a background class, outputs 1..1000 are the file's lines in order, and
outputs 1001..1007 are unused padding. Nothing from Lucid states this; it is inferred from the
file's 1-based indices and from captum.optim's and faccent's InceptionV1 class lists (1001 entries,
"dummy" first). It is checked on the real weights by ``run.py verify`` (row A0: the sample's photos
must be classified as their own class far above chance; a mapping shifted by one gives ~chance).

**Where the file comes from**, in this order: ``root=`` (a folder holding the file, or the file),
``$ZOOM_IN_DATA/labels/``, the course cache (``$ZOOM_IN_CACHE/labels/``), else one download from
the pinned URL with a progress bar. Every local copy is checked against the pinned SHA-256; a file
that does not match stops with :class:`LabelsFileError` (which file, expected and found hash, what
to do). Offline with no copy, :class:`LabelsUnavailableError` says what to do.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import torch

from .. import _download
from . import DataUnavailableError

__all__ = [
    "LABELS_FILE",
    "N_OUTPUTS",
    "BACKGROUND",
    "UNUSED",
    "OutputClass",
    "inceptionv1_classes",
    "labels_path",
    "output_index",
    "sample_targets",
    "LabelsUnavailableError",
    "LabelsFileError",
]

#: The class list's file name (in ``root``, ``$ZOOM_IN_DATA/labels/`` and the cache).
LABELS_FILE = "old_imagenet_labels.txt"
#: InceptionV1's number of logits.
N_OUTPUTS = 1008
#: The background output (inferred; see the module docstring).
BACKGROUND = 0
#: Outputs no class maps to (inferred padding).
UNUSED = tuple(range(1001, N_OUTPUTS))

_N_CLASSES = 1000
_LINE = re.compile(r"^(n\d{8}) (\d+) (\S.*)$")


class LabelsUnavailableError(DataUnavailableError):
    """InceptionV1's class list could not be found or fetched (offline, no local copy). The message says what to do."""


class LabelsFileError(RuntimeError):
    """A local copy of the class list is not the pinned file (wrong hash or structure). The message says what to do."""


@dataclass(frozen=True)
class OutputClass:
    """One of InceptionV1's 1008 outputs: ``synset`` and ``name`` are None for the background and unused outputs."""

    index: int
    synset: str | None
    name: str | None

    @property
    def kind(self) -> str:
        """``"class"``, ``"background"`` (output 0) or ``"unused"`` (1001-1007)."""
        if self.synset is not None:
            return "class"
        return "background" if self.index == BACKGROUND else "unused"


@lru_cache(maxsize=1)
def _manifest_entry() -> dict[str, object]:
    from . import _manifest_files  # one reader for every manifest: a clear error if the install lacks it

    return _manifest_files("inceptionv1_labels.json")[LABELS_FILE]


def _advice(entry: dict[str, object]) -> str:
    return (f"lucent's {LABELS_FILE} at commit {str(entry['commit'])[:7]}: {entry['url']} "
            f"(SHA-256 {entry['sha256']}, {entry['size']} bytes)")


def _check_file(path: Path) -> Path:
    """``path`` if it is the pinned file, else :class:`LabelsFileError` naming it, both hashes and the fix."""
    entry = _manifest_entry()
    want, got = str(entry["sha256"]), _download.sha256_of(path)
    if got != want:
        raise LabelsFileError(
            f"{path} is not InceptionV1's pinned class list: its SHA-256 is {got} ({path.stat().st_size} bytes), "
            f"expected {want} ({entry['size']} bytes). Delete it (or replace it with the right file): the course "
            f"then uses the next copy it finds, or downloads {_advice(entry)}."
        )
    return path


def labels_path(root: "str | Path | None" = None, *, progress: bool = True, timeout: float = 10.0) -> Path:
    """The local, hash-checked class-list file: ``root``, else ``$ZOOM_IN_DATA/labels/``, else the cache,
    else downloaded once into the cache. Raises :class:`LabelsFileError` for a copy with the wrong hash and
    :class:`LabelsUnavailableError` when there is none and it cannot be downloaded."""
    entry = _manifest_entry()
    if root is not None:
        r = Path(root).expanduser()
        path = r if r.is_file() else r / LABELS_FILE
        if not path.is_file():
            raise LabelsUnavailableError(
                f"no {LABELS_FILE} in {r}. Put {_advice(entry)} there, or leave root= out to use "
                "$ZOOM_IN_DATA/labels/ or the course's download.")
        return _check_file(path)
    env = os.environ.get("ZOOM_IN_DATA")
    if env and (Path(env).expanduser() / "labels" / LABELS_FILE).is_file():
        return _check_file(Path(env).expanduser() / "labels" / LABELS_FILE)
    path = _download.cache_dir("labels") / LABELS_FILE
    if path.is_file():
        return _check_file(path)
    try:
        return _download.download(str(entry["url"]), path, sha256=str(entry["sha256"]),
                                  desc="InceptionV1 class list", progress=progress, timeout=timeout)
    except _download.DownloadError as exc:
        raise LabelsUnavailableError(
            f"InceptionV1's class list is not available here ({exc}). Accuracy needs it to know which of the "
            f"{N_OUTPUTS} outputs is which ImageNet class. Connect to the internet and run again (it downloads "
            f"once to {path}), or download {_advice(entry)} elsewhere and put it in a folder you pass as root= "
            "(or in $ZOOM_IN_DATA/labels/). Without it, compare models with "
            "shared_utils.labs.handbuilt.topk_agreement(), which needs no labels."
        ) from exc


def _parse(text: str, where: str) -> list[tuple[str, str]]:
    """The file's (synset, name) lines, after checking 1000 lines numbered 1..1000 in order, distinct synsets."""
    lines = text.splitlines()
    problems = []
    if len(lines) != _N_CLASSES:
        problems.append(f"{len(lines)} lines instead of {_N_CLASSES}")
    rows: list[tuple[str, str]] = []
    for i, line in enumerate(lines, start=1):
        m = _LINE.match(line.strip())
        if m is None:
            problems.append(f"line {i} is not '<synset> <index> <name>': {line[:60]!r}")
        elif int(m.group(2)) != i:
            problems.append(f"line {i} has index {m.group(2)}")
        else:
            rows.append((m.group(1), m.group(3)))
        if len(problems) >= 3:
            break
    seen: dict[str, int] = {}
    for i, (synset, _) in enumerate(rows, start=1):
        if synset in seen and len(problems) < 3:
            problems.append(f"{synset} on lines {seen[synset]} and {i}")
        seen.setdefault(synset, i)
    if problems:
        raise LabelsFileError(
            f"{where} is not InceptionV1's class list (expected {_N_CLASSES} lines '<synset> <1-based index> "
            f"<name>', indices 1..{_N_CLASSES} in order, distinct synsets): " + "; ".join(problems)
            + f". Delete it; the right file is {_advice(_manifest_entry())}."
        )
    return rows


def inceptionv1_classes(root: "str | Path | None" = None, *, progress: bool = True,
                        timeout: float = 10.0) -> list[OutputClass]:
    """What each of InceptionV1's 1008 outputs means, in output order (``result[i].index == i``).

    Output 0 is background, outputs 1..1000 are the class list's lines in order, 1001..1007 unused: the
    course's inference (module docstring), checked on the real weights by ``run.py verify`` (A0).
    ``root``: a folder holding ``old_imagenet_labels.txt`` (or the file); see :func:`labels_path`.
    """
    path = labels_path(root, progress=progress, timeout=timeout)
    rows = _parse(path.read_text(encoding="utf-8"), str(path))
    out = [OutputClass(BACKGROUND, None, None)]
    out += [OutputClass(i, synset, name) for i, (synset, name) in enumerate(rows, start=1)]
    out += [OutputClass(i, None, None) for i in UNUSED]
    assert len(out) == N_OUTPUTS
    return out


def _index(classes: Sequence[OutputClass] | None) -> dict[str, int]:
    table = list(classes) if classes is not None else inceptionv1_classes()
    if len(table) != N_OUTPUTS:
        raise ValueError(f"classes must have one entry per output ({N_OUTPUTS}), got {len(table)}")
    return {c.synset: i for i, c in enumerate(table) if c.synset is not None}


def output_index(synset: str, classes: Sequence[OutputClass] | None = None) -> int:
    """The output (0..1007) of an ImageNet class given by its WordNet id, e.g. ``'n02119789'`` (kit fox) -> 1."""
    index = _index(classes)
    if synset not in index:
        raise ValueError(f"{synset!r} is not one of InceptionV1's {_N_CLASSES} classes "
                         "(a WordNet id like 'n02119789'; see inceptionv1_classes())")
    return index[synset]


def sample_targets(sample: object, classes: Sequence[OutputClass] | None = None) -> torch.Tensor:
    """For each photo of an :class:`~shared_utils.data.ImageSample`, its class's output (0..1007), shape (N,).

    ``classes`` defaults to :func:`inceptionv1_classes`. Raises ValueError if a photo's class is not in the list.
    """
    index = _index(classes)
    wnids = list(sample.wnids)  # type: ignore[attr-defined]
    missing = sorted({w for w in wnids if w not in index})
    if missing:
        raise ValueError(f"the class list has no output for {len(missing)} of the sample's classes, e.g. "
                         f"{missing[:3]}; is it InceptionV1's class list?")
    return torch.tensor([index[w] for w in wnids], dtype=torch.long)
