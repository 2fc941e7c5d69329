"""Course data: a 1000-photo ImageNet sample and the Distill Circuits articles' data files.

Nothing is bundled with the course. Each file comes from its public source the first time it
is needed (with a progress bar), is checked against its SHA-256, and is cached under
``$ZOOM_IN_CACHE`` (default ``~/.cache/zoom-in``). A local copy can be used instead:

* pass ``root=...`` to :func:`imagenet_sample` / :func:`circuits_path`, or
* set ``ZOOM_IN_DATA`` to a directory holding ``imagenet-sample/`` and ``circuits/``.

Sources: the ImageNet sample is EliSchwartz/imagenet-sample-images (one photo per ImageNet-1k
class, file name ``<wnid>_<class>.JPEG``, class index = sorted order); the circuits files are the
Distill article repositories (CC-BY 4.0) listed in ``manifests/circuits.json``.

Its modules, each fetched the same way: :mod:`~shared_utils.data.labels` (InceptionV1's class list,
and which output a photo's class is), :mod:`~shared_utils.data.articles` (the articles' pictures of
real units and circuits) and :mod:`~shared_utils.data.folders` (any folder of your own photos,
streamed through a data loader for dataset examples).
"""
from __future__ import annotations

import ast
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from PIL import Image

from .._download import DownloadError, cache_dir, download, sha256_of
from .._progress import bar

__all__ = [
    "IMAGENET_SAMPLE_COMMIT",
    "ImageSample",
    "imagenet_sample",
    "load_image",
    "circuits_path",
    "load_circuits_json",
    "TaxonomyGroup",
    "taxonomy",
    "DataUnavailableError",
    "IncompleteInstallError",
]

IMAGENET_SAMPLE_REPO = "EliSchwartz/imagenet-sample-images"
IMAGENET_SAMPLE_COMMIT = "bc69043e2862758a1906c6a24a792bb28c6bb2ff"


class DataUnavailableError(RuntimeError):
    """Course data could not be found or fetched. The message says what to do."""


#: The course package's name on pip (pyproject.toml), for the reinstall advice.
PACKAGE_NAME = "zoom-in-course"


class IncompleteInstallError(DataUnavailableError):
    """A file that ships inside the course package (a data manifest) is missing or damaged."""


def _reinstall_advice() -> str:
    return (f"Reinstall the course package: pip install --force-reinstall --no-deps {PACKAGE_NAME} "
            "(from a checkout of the course: pip install --force-reinstall --no-deps . in its folder).")


def _manifest_text(name: str) -> str:
    """The text of ``shared_utils/manifests/<name>``, which ships inside the package.

    Every manifest is read through here (and :func:`_manifest_files`), so a package installed
    without them (a wheel built without its package data) stops with :class:`IncompleteInstallError`
    naming the missing file and saying how to reinstall, not a bare FileNotFoundError.
    """
    where = resources.files("shared_utils").joinpath("manifests", name)
    try:
        return where.read_text(encoding="utf-8")
    except (OSError, KeyError) as exc:  # KeyError: a missing member of a zipped package
        raise IncompleteInstallError(
            f"The course package has no data manifest manifests/{name} (looked for {where}): the install is "
            f"incomplete, e.g. a wheel built without its package data. {_reinstall_advice()}"
        ) from exc


def _manifest_files(name: str) -> dict[str, Any]:
    """The ``"files"`` table of the JSON manifest ``name``; a clear error if it is missing or damaged."""
    text = _manifest_text(name)
    try:
        files = json.loads(text)["files"]
        if not isinstance(files, dict):
            raise TypeError(f"'files' is a {type(files).__name__}, not a table")
    except (ValueError, KeyError, TypeError) as exc:
        raise IncompleteInstallError(
            f"The course package's data manifest manifests/{name} is damaged ({type(exc).__name__}: {exc}): "
            f"it needs a JSON object with a 'files' table. {_reinstall_advice()}"
        ) from exc
    return files


@lru_cache(maxsize=1)
def _imagenet_manifest() -> dict[str, str]:
    pairs = (line.split() for line in _manifest_text("imagenet_sample.sha256").splitlines() if line.strip())
    return {name: sha for sha, name in pairs}


@lru_cache(maxsize=1)
def _circuits_manifest() -> dict[str, dict[str, Any]]:
    return _manifest_files("circuits.json")


def _env_root(sub: str) -> Path | None:
    env = os.environ.get("ZOOM_IN_DATA")
    if env:
        path = Path(env).expanduser() / sub
        if not path.is_dir():
            raise DataUnavailableError(f"ZOOM_IN_DATA={env} has no {sub}/ folder; unset it or point it at the data.")
        return path
    return None


# ----------------------------------------------------------------------------- images


def load_image(path: "str | Path", size: int | None = 224) -> torch.Tensor:
    """A photo as a (3, S, S) float tensor in [0, 1]: resized on its short side, centre-cropped."""
    with Image.open(path) as im:
        im = im.convert("RGB")
        if size is not None:
            w, h = im.size
            scale = size / min(w, h)
            im = im.resize((max(size, round(w * scale)), max(size, round(h * scale))), Image.BILINEAR)
            w, h = im.size
            left, top = (w - size) // 2, (h - size) // 2
            im = im.crop((left, top, left + size, top + size))
        arr = np.asarray(im, dtype=np.float32) / 255.0
    return torch.from_numpy(arr).permute(2, 0, 1).contiguous()


@dataclass
class ImageSample:
    """The 1000-photo ImageNet sample (or a subset of it).

    ``paths[i]`` is a photo, ``wnids[i]`` its WordNet id, ``labels[i]`` its class name and
    ``classes[i]`` its ImageNet-1k class index (0-999).
    """

    paths: list[Path]

    def __post_init__(self) -> None:
        self.wnids = [p.stem.split("_", 1)[0] for p in self.paths]
        self.labels = [p.stem.split("_", 1)[1].replace("_", " ") for p in self.paths]
        order = sorted(_imagenet_manifest())
        index = {name: i for i, name in enumerate(order)}
        self.classes = [index.get(p.name, -1) for p in self.paths]

    def __len__(self) -> int:
        return len(self.paths)

    @property
    def ids(self) -> list[str]:
        return [p.name for p in self.paths]

    def subset(self, indices: Sequence[int]) -> "ImageSample":
        return ImageSample([self.paths[i] for i in indices])

    def image(self, i: int, size: int | None = 224) -> torch.Tensor:
        return load_image(self.paths[i], size)

    def batch(self, indices: Sequence[int], size: int = 224) -> torch.Tensor:
        """(B, 3, size, size) in [0, 1]."""
        return torch.stack([load_image(self.paths[i], size) for i in indices])

    def find(self, text: str) -> list[int]:
        """Indices whose class name contains ``text`` (case-insensitive)."""
        t = text.lower()
        return [i for i, label in enumerate(self.labels) if t in label.lower()]


def imagenet_sample(root: "str | Path | None" = None, n: int | None = None, *, progress: bool = True) -> ImageSample:
    """The ImageNet sample: ``root`` if given, else ``$ZOOM_IN_DATA/imagenet-sample``, else the cache
    (downloading what is missing). ``n`` keeps an evenly spaced subset of ``n`` classes."""
    folder = Path(root) if root is not None else _env_root("imagenet-sample")
    manifest = _imagenet_manifest()
    if folder is None:
        folder = cache_dir("imagenet-sample")
        _fetch_imagenet(folder, manifest, progress)
    names = sorted(p.name for p in folder.glob("*.JPEG"))
    if not names:
        raise DataUnavailableError(f"No .JPEG photos in {folder}. Point root= at the imagenet-sample folder.")
    paths = [folder / name for name in names]
    sample = ImageSample(paths)
    if n is not None:
        if not 0 < n <= len(sample):
            raise ValueError(f"n must be in 1..{len(sample)}, got {n}")
        sample = sample.subset(np.linspace(0, len(sample) - 1, n).round().astype(int).tolist())
    return sample


def _fetch_imagenet(folder: Path, manifest: dict[str, str], progress: bool) -> None:
    missing = [name for name in sorted(manifest) if not (folder / name).exists()]
    if not missing:
        return
    base = f"https://raw.githubusercontent.com/{IMAGENET_SAMPLE_REPO}/{IMAGENET_SAMPLE_COMMIT}/"

    def one(name: str) -> None:
        download(base + name, folder / name, sha256=manifest[name], progress=False)

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            for _ in bar(pool.map(one, missing), total=len(missing), desc="ImageNet sample photos",
                         progress=progress):
                pass
    except DownloadError as exc:
        raise DataUnavailableError(
            f"Could not download the ImageNet sample ({exc}). Either connect to the internet, or get the photos "
            f"from https://github.com/{IMAGENET_SAMPLE_REPO} (commit {IMAGENET_SAMPLE_COMMIT[:7]}) and pass "
            "imagenet_sample(root='/path/to/folder') or set ZOOM_IN_DATA. Photos already fetched stay cached."
        ) from exc


# ----------------------------------------------------------------------------- circuits data


def circuits_path(name: str, root: "str | Path | None" = None, *, progress: bool = True) -> Path:
    """Local path of a circuits data file such as ``'curve_detectors/radial_mixed3b.json'``."""
    manifest = _circuits_manifest()
    if name not in manifest:
        import difflib

        close = difflib.get_close_matches(name, list(manifest), n=3, cutoff=0.4)
        raise DataUnavailableError(
            f"No circuits data file called {name!r}." + (f" Did you mean {close}?" if close else "")
            + f" Known files: {', '.join(sorted(manifest))}."
        )
    folder = Path(root) if root is not None else _env_root("circuits")
    if folder is not None:
        path = folder / name
        if not path.exists():
            raise DataUnavailableError(f"{path} is missing from the local circuits folder {folder}.")
        return path
    entry = manifest[name]
    path = cache_dir("circuits") / name
    if path.exists() and sha256_of(path) == entry["sha256"]:
        return path
    try:
        return download(entry["url"], path, sha256=entry["sha256"], desc=name, progress=progress)
    except DownloadError as exc:
        raise DataUnavailableError(
            f"Could not fetch {name} ({exc}). Connect to the internet, or copy the file from {entry['url']} "
            "into a folder and pass root= (or set ZOOM_IN_DATA to the folder above circuits/)."
        ) from exc


def _loose_json(text: str) -> Any:
    """JSON that may have trailing commas (the Early Vision layer_data files are read with eval upstream)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    cleaned = re.sub(r",(\s*[\]}])", r"\1", text)
    try:
        return json.loads(cleaned)
    except json.JSONDecodeError:
        return ast.literal_eval(text)


def load_circuits_json(name: str, root: "str | Path | None" = None) -> Any:
    """Parsed content of a circuits data file (tolerates the taxonomy files' trailing commas)."""
    return _loose_json(circuits_path(name, root).read_text())


@dataclass(frozen=True)
class TaxonomyGroup:
    """One family of the Early Vision taxonomy, e.g. ``TaxonomyGroup('Curves', 'mixed3b', (379, ...))``."""

    name: str
    layer: str
    units: tuple[int, ...]
    comment: str
    priority: float | None


def taxonomy(layer: str, root: "str | Path | None" = None) -> list[TaxonomyGroup]:
    """The Early Vision taxonomy of a layer (conv2d0 ... mixed3b complete; 4a-4d partial notes)."""
    from ..inception.names import resolve_layer

    canonical = resolve_layer(layer)
    groups = load_circuits_json(f"taxonomy/{canonical}.json", root)
    return [
        TaxonomyGroup(g["name"], canonical, tuple(int(u) for u in g["units"]), g.get("comment", ""), g.get("priority"))
        for g in groups
    ]
