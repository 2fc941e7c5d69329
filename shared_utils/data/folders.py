"""Activation passes over any image folder: dataset examples, channel statistics and activation
distributions over your own 50,000-photo ImageNet validation set, not just the 1000-photo sample.

Usage::

    from shared_utils.data.folders import image_folder, folder_stats, merge_folder_stats
    val = image_folder("/data/imagenet/val")       # <wnid>/<file>.JPEG (or a flat folder, or a list of paths)
    len(val), val.ids[0], val.labels[0]            # 50000, 'n01440764/ILSVRC2012_val_00000293.JPEG', 'n01440764'
    stats = folder_stats(model, val, ["mixed3b", "mixed4a"], k=16, cache="~/zoom-in-stats")
    ex = stats.top_examples("3b:379", k=9)        # a TopExamples, as dataset_examples returns
    show_dataset_examples(ex, val)                 # shared_utils.plot.features: crops come from the folder
    stats.summary("mixed3b").mean                  # per channel: mean activation over all photos
    stats.distribution("3b:379")                   # histogram of the unit's per-photo spatial maxima

``dataset_examples(model, "/data/imagenet/val", "3b:379 3b:406")`` takes the same streaming path
when given a folder, a list of paths or an :class:`ImageFolder`.

**How the pass works.** A :class:`torch.utils.data.DataLoader` decodes and resizes the photos in
``workers`` processes (default: the CPU count less one, at most 8; none for a small source, in
fast mode, under nbgrader and in the tests) and pins the batches' memory on CUDA. After each batch
only a fixed-size running state is kept per channel: the top-``k`` (value, global photo index,
row/col of the maximum), the count, sum and sum of squares of the per-photo spatial mean and of the
spatial maximum, the smallest and largest maximum, and a histogram of the maxima. Memory is flat in
the number of photos (``FolderStats.nbytes`` does not depend on it). Each photo's score is its
spatial maximum, as in :func:`shared_utils.dataset_examples.dataset_examples`; **ties are broken by
the lower global photo index**, so the top-k does not depend on the order or the sharding. Every
forward pass has the same batch shape (the last batch is padded with blank images, whose results
are dropped): convolution kernels may round differently for another batch size (by ~1e-6), so
shards are exact when they use the same ``batch_size`` and kind of device.

**Histogram bins** are fixed before the pass, so that every shard bins alike and shard histograms
add up exactly: ``hist_range=(lo, hi)`` gives every channel the same ``bins`` equal bins; by
default each channel's range is calibrated on the source's first ``calibration`` photos (global
indices 0, 1, ..., whatever the shard): their maxima's [min, max] widened by half its width on each
side (clipped at 0 after a ReLU). Maxima outside the range are counted in ``below`` / ``above``.

**Resume.** With ``cache=DIR`` the running state is written every ``checkpoint_every`` batches and
when the pass is interrupted (an exception, or Ctrl-C / the notebook's stop button), as
``folder-<key>.ckpt.pt`` (written to a temporary file, then renamed: a crash never leaves a torn
file). The key hashes every model weight, the source (its ids and file sizes), the layers,
``image_size``, ``pre_relu``, ``k``, the bins and the shard. The same call again continues from the
checkpoint; a finished pass is saved as ``folder-<key>.pt`` and simply loaded.

**Shards.** ``shard=(K, N)`` (or ``"K/N"``) processes the photos whose global index ``i`` has
``i % N == K - 1``; :func:`merge_folder_stats` combines the N results into what one pass gives: the
same top-k, the same histograms and counts, and sums equal to float64 round-off. It refuses shards
of different models, sources, layers, sizes, ``k`` or bins, and missing or repeated shards.

A Slurm job array, 8 shards on 8 machines sharing ``/shared`` (``SLURM_ARRAY_TASK_ID`` runs 1..8;
on Kubernetes, an Indexed Job with ``K = JOB_COMPLETION_INDEX + 1``, as in docs/instructors.md 4.6)::

    #!/bin/bash
    #SBATCH --job-name=val-stats
    #SBATCH --array=1-8
    #SBATCH --cpus-per-task=8
    #SBATCH --gres=gpu:1
    cd /shared/zoom-in && .venv/bin/python - <<EOF
    from shared_utils.inception.model import load_inceptionv1
    from shared_utils.data.folders import folder_stats
    folder_stats(load_inceptionv1(), "/shared/imagenet/val", ["mixed3b", "mixed4a"], k=16,
                 shard=(${SLURM_ARRAY_TASK_ID}, 8), cache="/shared/zoom-in-stats")
    EOF

then, once the array is done (``sbatch --dependency=afterok:<array job id> merge.sh``), anywhere::

    parts = [folder_stats(model, "/shared/imagenet/val", ["mixed3b", "mixed4a"], k=16, shard=(K, 8),
                          cache="/shared/zoom-in-stats") for K in range(1, 9)]   # each loads from the cache
    stats = merge_folder_stats(parts)
    stats.save("/shared/zoom-in-stats/val-mixed3b-mixed4a.pt")   # FolderStats.load(path, source) reads it back

Every machine needs the same checkout and weights, and the folder at any path with the same
contents (the ids are paths relative to the folder).
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset

from .. import _cache
from .._progress import bar
from ..activations import _capture, _spatial_reduce
from ..dataset_examples import TopExamples, receptive_field
from ..device import budget, fast_mode, model_device
from ..inception.model import WeightsInfo, preprocess, weights_digest, weights_info
from ..inception.names import Unit, UnknownLayerError, parse_unit, resolve_layer

__all__ = ["IMAGE_EXTENSIONS", "BrokenImageError", "ImageFolder", "image_folder", "is_folder_source", "FolderStats",
           "ChannelSummary", "Distribution", "folder_stats", "merge_folder_stats"]

#: File endings read as images (case-insensitive). Hidden files (``.name``, e.g. macOS ``._x.JPEG``) are skipped.
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm")

#: Version of the checkpoint/result files; a change makes old files be ignored (a new key).
_FORMAT = 1


class BrokenImageError(ValueError):
    """A file that cannot be read as an image. ``path`` names it."""

    def __init__(self, path: "str | Path", reason: str, hint: str = "") -> None:
        self.path, self.reason = str(path), reason
        super().__init__(f"cannot read {self.path} as an image ({reason}){hint}")


# ----------------------------------------------------------------------------- the source


@lru_cache(maxsize=1)
def _wnid_names() -> dict[str, str]:
    """WordNet id -> class name, from the ImageNet sample's manifest (``n01440764_tench.JPEG``); ships offline."""
    try:
        from . import _imagenet_manifest

        names = _imagenet_manifest()
    except Exception:  # an incomplete install: fall back to the folder names
        return {}
    out = {}
    for name in names:
        stem = name.rsplit(".", 1)[0]
        if "_" in stem:
            wnid, cls = stem.split("_", 1)
            out[wnid] = cls.replace("_", " ")
    return out


def _scan(root: Path, extensions: Sequence[str]) -> tuple[list[str], list[str]]:
    """Relative paths (``/``-separated) of the images under ``root``, recursively, and a few other files seen."""
    exts = {e.lower() if e.startswith(".") else "." + e.lower() for e in extensions}
    found: list[str] = []
    others: list[str] = []
    seen_dirs: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen_dirs:  # a symlink loop
            dirnames[:] = []
            continue
        seen_dirs.add(real)
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        rel = os.path.relpath(dirpath, root)
        for f in filenames:
            if f.startswith("."):
                continue
            relpath = f if rel == "." else os.path.join(rel, f).replace(os.sep, "/")
            (found if os.path.splitext(f)[1].lower() in exts else others).append(relpath)
    found.sort()
    return found, sorted(others)[:5]


class ImageFolder:
    """Images from a folder (flat, or ImageNet layout ``<wnid>/<file>.JPEG``, searched recursively) or a list.

    Works wherever an :class:`~shared_utils.data.ImageSample` does (``len``, ``ids``, ``labels``,
    ``batch(indices, size)``), so :func:`~shared_utils.dataset_examples.example_crops`,
    ``example_images`` and ``show_dataset_examples`` read their photos from it.

    Attributes:
        root: the folder the ids are relative to.
        paths: the image files, sorted by their path relative to ``root`` (a list keeps its order).
        ids: those relative paths, ``/``-separated (``n01440764/ILSVRC2012_val_00000293.JPEG``).
        labels: each image's class folder (its parent folder's name), ``''`` for an image directly in ``root``.
        class_names: the readable class (``'tench'``) where the label is an ImageNet WordNet id, or, for an
            image directly in ``root``, where its name starts with one (``n01440764_tench.JPEG``); else the label.
            :meth:`FolderStats.top_examples` labels its photos with these.
    """

    def __init__(self, path_or_paths: "str | os.PathLike | Iterable[str | os.PathLike]", *,
                 root: "str | os.PathLike | None" = None,
                 extensions: Sequence[str] = IMAGE_EXTENSIONS) -> None:
        if isinstance(path_or_paths, (str, os.PathLike)):
            folder = Path(path_or_paths).expanduser()
            if not folder.exists():
                raise FileNotFoundError(f"no such folder: {folder}")
            if not folder.is_dir():
                raise NotADirectoryError(f"{folder} is a file, not a folder; pass a folder or a list of image paths")
            rel, others = _scan(folder, extensions)
            if not rel:
                seen = f" (it holds other files, e.g. {', '.join(others)})" if others else " (it is empty)"
                raise ValueError(f"no images ({', '.join(extensions)}) in {folder} or its sub-folders{seen}")
            self.root = folder
            self.paths = [folder / r for r in rel]
            self.ids = rel
        else:
            paths = [Path(p).expanduser() for p in path_or_paths]
            if not paths:
                raise ValueError("the list of images is empty")
            missing = [str(p) for p in paths if not p.is_file()]
            if missing:
                raise FileNotFoundError(f"{len(missing)} of the {len(paths)} image(s) do not exist, e.g. "
                                        f"{', '.join(missing[:3])}")
            # absolute, with symlinks kept (a folder of links to the photos is a folder like any other)
            absolute = [Path(os.path.abspath(p)) for p in paths]
            base = Path(os.path.abspath(Path(root).expanduser())) if root is not None else Path(
                os.path.commonpath([str(p.parent) for p in absolute]))
            ids = []
            for p in absolute:
                try:
                    ids.append(p.relative_to(base).as_posix())
                except ValueError:
                    raise ValueError(f"{p} is not inside root={base}") from None
            if len(set(ids)) != len(ids):
                dup = sorted({i for i in ids if ids.count(i) > 1})[:3]
                raise ValueError(f"the list names some images twice, e.g. {', '.join(dup)}")
            self.root = base
            self.paths = paths
            self.ids = ids
        self.labels = [i.rsplit("/", 2)[-2] if "/" in i else "" for i in self.ids]
        names = _wnid_names()
        # a class folder named by its WordNet id, or a flat file named '<wnid>_...' (the sample, ImageNet train)
        self.class_names = [names.get(label, label) if label else names.get(i.split("_", 1)[0], "")
                            for i, label in zip(self.ids, self.labels)]

    def __len__(self) -> int:
        return len(self.paths)

    def __repr__(self) -> str:
        classes = len(set(self.labels) - {""})
        return f"ImageFolder({str(self.root)!r}, {len(self)} images, {classes} class folder(s))"

    @property
    def digest(self) -> str:
        """A hash of the ids and file sizes: results cached for one folder are never read for another."""
        return self._digest_of(progress=True)

    def _digest_of(self, progress: bool) -> str:
        cached = getattr(self, "_digest", None)
        if cached is None:
            h = hashlib.sha256()
            for i, p in bar(list(zip(self.ids, self.paths)), desc=f"file sizes of {len(self)} images",
                            progress=progress):
                h.update(f"{i}\0{p.stat().st_size}\n".encode())
            cached = self._digest = h.hexdigest()[:20]
        return cached

    def load(self, i: int, size: "int | None" = 224) -> torch.Tensor:
        """Image ``i`` as (3, size, size) in [0, 1], exactly as :func:`shared_utils.data.load_image` makes it.

        Raises:
            BrokenImageError: the file is not a readable image (naming it).
        """
        from . import load_image

        try:
            return load_image(self.paths[i], size)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise BrokenImageError(self.paths[i], f"{type(exc).__name__}: {exc}") from exc

    image = load

    def batch(self, indices: Sequence[int], size: int = 224) -> torch.Tensor:
        """(B, 3, size, size) in [0, 1]."""
        return torch.stack([self.load(int(i), size) for i in indices])

    def subset(self, indices: Sequence[int]) -> "ImageFolder":
        """These images, in this order, with ids relative to the same root."""
        return ImageFolder([self.paths[i] for i in indices], root=self.root)


def image_folder(path_or_paths: "str | os.PathLike | Iterable[str | os.PathLike]", *,
                 root: "str | os.PathLike | None" = None,
                 extensions: Sequence[str] = IMAGE_EXTENSIONS) -> ImageFolder:
    """An :class:`ImageFolder` of a folder (flat or ``<class>/<file>``, recursive) or of a list of image paths.

    A list keeps its order; its ids are relative to ``root`` (default: the folder the files have in common).

    Raises:
        FileNotFoundError: the folder, or a listed file, does not exist.
        ValueError: no images in the folder (saying what it holds instead), an empty list, a file listed twice.
    """
    return ImageFolder(path_or_paths, root=root, extensions=extensions)


def is_folder_source(source: object) -> bool:
    """A folder, a list of image paths or an :class:`ImageFolder` (what ``dataset_examples`` streams)."""
    return isinstance(source, ImageFolder) or _is_paths(source)


def _is_paths(source: object) -> bool:
    return isinstance(source, (str, os.PathLike)) or (
        isinstance(source, (list, tuple)) and bool(source) and all(isinstance(p, (str, os.PathLike)) for p in source))


def _as_source(source: object) -> object:
    if _is_paths(source):
        return image_folder(source)  # type: ignore[arg-type]
    if isinstance(source, torch.Tensor):
        raise TypeError("folder_stats reads images from a folder, a list of paths, an ImageFolder or an ImageSample; "
                        "for a tensor already in memory use shared_utils.activations.channel_stats")
    if not (hasattr(source, "batch") and hasattr(source, "__len__") and hasattr(source, "ids")):
        raise TypeError(f"expected a folder, a list of image paths, an ImageFolder or an ImageSample, got "
                        f"{type(source).__name__}")
    if len(source) == 0:  # type: ignore[arg-type]
        raise ValueError("the source holds no images")
    return source


def _source_digest(source: object, progress: bool = True) -> str:
    if isinstance(source, ImageFolder):
        return source._digest_of(progress)
    return hashlib.sha256(json.dumps(list(source.ids)).encode()).hexdigest()[:20]  # type: ignore[attr-defined]


def _load_one(source: object, i: int, size: int) -> torch.Tensor:
    if isinstance(source, ImageFolder):
        return source.load(i, size)
    try:
        return source.batch([i], size)[0]  # type: ignore[attr-defined]
    except (OSError, SyntaxError, Image.DecompressionBombError) as exc:
        ids = getattr(source, "ids", None)
        raise BrokenImageError(ids[i] if ids is not None else f"image {i}", f"{type(exc).__name__}: {exc}") from exc


class _Loading(Dataset):
    """The photos of one pass (global indices), decoded and resized where the DataLoader puts it (its workers)."""

    def __init__(self, source: object, indices: Sequence[int], size: int) -> None:
        self.source, self.indices, self.size = source, indices, size  # a range: no per-photo list

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, j: int) -> tuple[int, "torch.Tensor | None", "tuple[str, str] | None"]:
        i = self.indices[j]
        try:
            return i, _load_one(self.source, i, self.size), None
        except BrokenImageError as exc:  # reported by the main process (skipped, or raised naming the file)
            return i, None, (exc.path, exc.reason)


_SKIP_HINT = "; pass skip_broken=True to leave unreadable files out (they are listed in FolderStats.skipped_ids)"


def _collate(items: list) -> tuple[torch.Tensor, "torch.Tensor | None", list[tuple[int, tuple[str, str]]]]:
    good = [(i, x) for i, x, _ in items if x is not None]
    broken = [(i, err) for i, x, err in items if x is None]
    idx = torch.tensor([i for i, _ in good], dtype=torch.long)
    return idx, (torch.stack([x for _, x in good]) if good else None), broken


def _worker_init(_worker_id: int) -> None:
    torch.set_num_threads(1)  # decoding needs no threads; the model's process keeps the cores


def _default_workers(n: int, batch_size: int) -> int:
    if fast_mode() or n < 4 * batch_size:
        return 0
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(0, min(8, cpus - 1))


# ----------------------------------------------------------------------------- the running state

_SUMS = ("mean_sum", "mean_sumsq", "max_sum", "max_sumsq")


def _empty_state(channels: int, k: int, bins: int, lo: torch.Tensor, hi: torch.Tensor,
                 grid: tuple[int, int], sentinel: int) -> dict[str, torch.Tensor]:
    c = channels
    state = {
        "top_values": torch.full((c, k), -math.inf, dtype=torch.float32),
        "top_index": torch.full((c, k), sentinel, dtype=torch.int64),  # > every real index: loses every tie
        "top_pos": torch.zeros((c, k, 2), dtype=torch.int64),
        "max_min": torch.full((c,), math.inf, dtype=torch.float32),
        "max_max": torch.full((c,), -math.inf, dtype=torch.float32),
        "hist": torch.zeros((c, bins), dtype=torch.int64),
        "below": torch.zeros(c, dtype=torch.int64),
        "above": torch.zeros(c, dtype=torch.int64),
        "edges": _edges(lo.double(), hi.double(), bins),
        "grid": torch.tensor(grid, dtype=torch.int64),
    }
    for name in _SUMS:
        state[name] = torch.zeros(c, dtype=torch.float64)
    return state


def _edges(lo: torch.Tensor, hi: torch.Tensor, bins: int) -> torch.Tensor:
    """(C, bins + 1) equal-width bin edges per channel, exactly ``numpy.linspace(lo, hi, bins + 1)``."""
    return torch.from_numpy(np.stack([np.linspace(a, b, bins + 1) for a, b in zip(lo.tolist(), hi.tolist())]))


def _select(values: torch.Tensor, index: torch.Tensor, pos: torch.Tensor, k: int
            ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per row, the ``k`` largest values; equal values ordered by the lower index (two stable sorts)."""
    by_index = torch.sort(index, dim=1, stable=True).indices
    values, index = values.gather(1, by_index), index.gather(1, by_index)
    pos = pos.gather(1, by_index[..., None].expand(-1, -1, 2))
    top = torch.sort(values, dim=1, descending=True, stable=True).indices[:, :k]
    return values.gather(1, top), index.gather(1, top), pos.gather(1, top[..., None].expand(-1, -1, 2))


def _reduce(a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, tuple[int, int]]:
    """Per image and channel of (B, C, H, W): spatial max, its (row, col), spatial mean (as ``channel_stats``)."""
    mx, rc, mean, grid = _spatial_reduce(a)
    return mx.float().cpu(), rc.cpu(), mean.float().cpu(), grid


def _update(st: dict[str, torch.Tensor], mx: torch.Tensor, rc: torch.Tensor, mean: torch.Tensor,
            gidx: torch.Tensor) -> dict[str, torch.Tensor]:
    """A new state with one batch added (the old one is left as it was, so an interruption never tears it)."""
    c, k = st["top_values"].shape
    bins = st["hist"].shape[1]
    values, index, pos = _select(
        torch.cat([st["top_values"], mx.T], 1),
        torch.cat([st["top_index"], gidx[None, :].expand(c, -1)], 1),
        torch.cat([st["top_pos"], rc.permute(1, 0, 2)], 1), k)
    m64, a64 = mx.double(), mean.double()
    edges = st["edges"]
    below, above = m64 < edges[:, 0], m64 > edges[:, -1]
    inside = ~(below | above)
    # bin i holds edges[i] <= v < edges[i + 1] (numpy.histogram's rule; a maximum equal to the last edge: last bin)
    b = (torch.searchsorted(edges, m64.T.contiguous(), right=True) - 1).clamp(0, bins - 1).T
    flat = (torch.arange(c)[None, :] * bins + b)[inside]
    new = dict(st)
    new.update(
        top_values=values, top_index=index, top_pos=pos,
        mean_sum=st["mean_sum"] + a64.sum(0), mean_sumsq=st["mean_sumsq"] + (a64 * a64).sum(0),
        max_sum=st["max_sum"] + m64.sum(0), max_sumsq=st["max_sumsq"] + (m64 * m64).sum(0),
        max_min=torch.minimum(st["max_min"], mx.amin(0)), max_max=torch.maximum(st["max_max"], mx.amax(0)),
        hist=st["hist"] + torch.bincount(flat, minlength=c * bins).view(c, bins),
        below=st["below"] + below.sum(0), above=st["above"] + above.sum(0),
    )
    return new


# ----------------------------------------------------------------------------- results


@dataclass
class ChannelSummary:
    """Statistics of every channel of a layer over the photos of a pass, each a (C,) tensor (``count`` an int).

    ``mean``/``std``: of the per-photo spatial mean (``mean`` is the channel's mean activation);
    ``max_mean``/``max_std``/``max_min``/``max_max``: of the per-photo spatial maximum.
    """

    layer: str
    count: int
    mean: torch.Tensor
    std: torch.Tensor
    max_mean: torch.Tensor
    max_std: torch.Tensor
    max_min: torch.Tensor
    max_max: torch.Tensor


@dataclass
class Distribution:
    """Histogram of one unit's per-photo spatial maxima: ``counts[i]`` photos in ``[edges[i], edges[i+1])``
    (the last bin includes its right edge); ``below``/``above`` photos fell outside ``edges``."""

    unit: Unit
    edges: np.ndarray  # (bins + 1,) float64
    counts: np.ndarray  # (bins,) int64
    below: int
    above: int

    @property
    def total(self) -> int:
        return int(self.counts.sum()) + self.below + self.above


@dataclass
class FolderStats:
    """The result of :func:`folder_stats` (one pass, one shard, or shards merged by :func:`merge_folder_stats`).

    ``meta`` says what was computed (model weights digest, source digest and size, layers, size, k, bins,
    shard); ``state[layer]`` holds the fixed-size running state; ``position`` counts the shard's photos
    processed so far (skipped ones included), ``count`` those that entered the statistics; ``skipped``
    the global indices of unreadable photos left out (``skip_broken=True``). ``source`` is the image
    source (not saved), for labels and crops.
    """

    meta: dict[str, Any]
    state: dict[str, dict[str, torch.Tensor]]
    position: int
    count: int
    skipped: list[int]
    source: object = None

    # ---- what it is
    @property
    def layers(self) -> list[str]:
        return list(self.meta["layers"])

    @property
    def k(self) -> int:
        return int(self.meta["k"])

    @property
    def image_size(self) -> int:
        return int(self.meta["image_size"])

    @property
    def pre_relu(self) -> bool:
        return bool(self.meta["pre_relu"])

    @property
    def n_images(self) -> int:
        """Photos in the whole source (all shards)."""
        return int(self.meta["n"])

    @property
    def shard(self) -> "tuple[int, int] | None":
        s = self.meta["shard"]
        return None if s is None else (int(s[0]), int(s[1]))

    @property
    def planned(self) -> int:
        """Photos this pass covers: all of the source, or its shard's."""
        return _shard_size(self.n_images, self.shard)

    @property
    def complete(self) -> bool:
        return self.position >= self.planned

    @property
    def skipped_ids(self) -> list[str]:
        ids = list(getattr(self.source, "ids", [])) if self.source is not None else []
        return [ids[i] if i < len(ids) else str(i) for i in self.skipped]

    @property
    def weights(self) -> WeightsInfo:
        return WeightsInfo(**self.meta["weights"])

    @property
    def nbytes(self) -> int:
        """Bytes of running state: a function of the layers, ``k`` and the bins, not of the number of photos."""
        return sum(t.numel() * t.element_size() for st in self.state.values() for t in st.values())

    def grid(self, layer: str) -> tuple[int, int]:
        g = self._layer(layer)["grid"]
        return int(g[0]), int(g[1])

    def _layer(self, layer: str) -> dict[str, torch.Tensor]:
        name = resolve_layer(layer)
        if name not in self.state:
            raise ValueError(f"these statistics cover {', '.join(self.state)}, not {name}; "
                             f"run folder_stats with {name} among its layers")
        return self.state[name]

    def _unit(self, unit: "str | Unit") -> tuple[Unit, dict[str, torch.Tensor]]:
        u = parse_unit(unit)
        return u, self._layer(u.layer)

    # ---- accessors
    def top_examples(self, unit: "str | Unit", k: "int | None" = None) -> TopExamples:
        """The ``k`` (default: all kept) photos on which ``unit`` is strongest, as a
        :class:`~shared_utils.dataset_examples.TopExamples` (indices are global indices into the source)."""
        u, st = self._unit(unit)
        kept = min(self.k, self.count)
        k = kept if k is None else k
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= kept:
            raise ValueError(f"k must be between 1 and {kept} (the pass kept the top {self.k} of {self.count} "
                             f"photo(s)), got {k!r}; run folder_stats with a larger k")
        idx = st["top_index"][u.channel, :k]
        positions = st["top_pos"][u.channel, :k]
        field = receptive_field(u.layer)
        names = getattr(self.source, "class_names", None) or getattr(self.source, "labels", None)
        labels = [names[i] for i in idx.tolist()] if names is not None else [""] * k
        return TopExamples(
            unit=u,
            indices=idx.numpy().astype(np.int64),
            values=st["top_values"][u.channel, :k].numpy(),
            positions=positions.numpy().astype(np.int64),
            boxes=np.asarray([field.box(int(r), int(c), self.image_size) for r, c in positions.tolist()],
                             dtype=np.int64).reshape(-1, 4),
            labels=labels,
            field=field,
            image_size=self.image_size,
            pre_relu=self.pre_relu,
            weights=self.weights,
        )

    def summary(self, layer: str) -> ChannelSummary:
        """Mean and spread of every channel's spatial mean and spatial maximum over the photos."""
        st = self._layer(layer)
        n = self.count
        if n == 0:
            raise ValueError("no photos were processed")

        def std(s: torch.Tensor, ss: torch.Tensor) -> torch.Tensor:
            return (ss / n - (s / n) ** 2).clamp(min=0).sqrt()

        return ChannelSummary(resolve_layer(layer), n, st["mean_sum"] / n, std(st["mean_sum"], st["mean_sumsq"]),
                              st["max_sum"] / n, std(st["max_sum"], st["max_sumsq"]), st["max_min"].clone(),
                              st["max_max"].clone())

    def distribution(self, unit: "str | Unit") -> Distribution:
        """Histogram of ``unit``'s per-photo spatial maxima (bins fixed before the pass; see the module docs)."""
        u, st = self._unit(unit)
        c = u.channel
        return Distribution(u, st["edges"][c].numpy().copy(), st["hist"][c].numpy().copy(), int(st["below"][c]),
                            int(st["above"][c]))

    # ---- files
    def _payload(self) -> dict[str, Any]:
        return {"format": _FORMAT, "meta": self.meta, "state": self.state, "position": self.position,
                "count": self.count, "skipped": list(self.skipped)}

    def save(self, path: "str | Path") -> Path:
        """Write to ``path`` atomically (a temporary file, then a rename)."""
        return _cache.atomic_save(Path(path), self._payload())

    @classmethod
    def load(cls, path: "str | Path", source: object = None) -> "FolderStats":
        """Read a file written by :meth:`save` (or a cache file); ``source`` gives labels and crops."""
        saved = torch.load(Path(path), weights_only=True)
        if not isinstance(saved, dict) or saved.get("format") != _FORMAT:
            raise ValueError(f"{path} is not a folder_stats file of format {_FORMAT}")
        if source is not None:
            source = _as_source(source)
            if _source_digest(source) != saved["meta"]["source"]:
                raise ValueError(f"{path} was computed on another source than the one given")
        return cls(saved["meta"], saved["state"], int(saved["position"]), int(saved["count"]),
                   [int(i) for i in saved["skipped"]], source)


def _shard_size(n: int, shard: "tuple[int, int] | None") -> int:
    if shard is None:
        return n
    k, m = shard
    return len(range(k - 1, n, m))


def _parse_shard(shard: object) -> "tuple[int, int] | None":
    if shard is None:
        return None
    if isinstance(shard, str):
        try:
            a, b = shard.split("/")
            shard = (int(a), int(b))
        except ValueError:
            raise ValueError(f"shard must be 'K/N' or (K, N), got {shard!r}") from None
    if not (isinstance(shard, (tuple, list)) and len(shard) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in shard)):
        raise ValueError(f"shard must be (K, N) with whole numbers, got {shard!r}")
    k, n = shard
    if not 1 <= k <= n:
        raise ValueError(f"shard (K, N) needs 1 <= K <= N, got {shard!r} (K counts from 1)")
    return k, n


def _parse_layers(layers: object) -> list[str]:
    items = [layers] if isinstance(layers, (str, Unit)) else list(layers)  # type: ignore[call-overload]
    out: list[str] = []
    for item in items:
        if isinstance(item, Unit) or isinstance(item, tuple):
            name = parse_unit(item).layer
        else:
            try:
                name = resolve_layer(item)
            except UnknownLayerError:
                try:
                    name = parse_unit(item).layer  # a unit id such as '3b:379' stands for its layer
                except (ValueError, TypeError):
                    raise UnknownLayerError(item) from None
        if name not in out:
            out.append(name)
    if not out:
        raise ValueError("ask for at least one layer (or unit)")
    return out


# ----------------------------------------------------------------------------- the pass


def folder_stats(
    model: nn.Module,
    source: object,
    layers: "str | Unit | Sequence[str | Unit]",
    *,
    k: int = 9,
    image_size: int = 224,
    pre_relu: bool = False,
    batch_size: "int | None" = None,
    workers: "int | None" = None,
    shard: "tuple[int, int] | str | None" = None,
    cache: "str | Path | None" = None,
    bins: int = 64,
    hist_range: "tuple[float, float] | None" = None,
    calibration: int = 64,
    checkpoint_every: int = 20,
    skip_broken: bool = False,
    progress: bool = True,
) -> FolderStats:
    """One streaming activation pass over a folder of photos: top-k examples, channel statistics, histograms.

    Args:
        source: a folder (flat or ``<class>/<file>``), a list of image paths, an :class:`ImageFolder`
            or an :class:`~shared_utils.data.ImageSample`.
        layers: layers (``"mixed3b"``) or units (``"3b:379"``, standing for their layer); all channels are kept.
        k: how many top photos to keep per channel.
        image_size: side the photos are resized (short side) and centre-cropped to, as ``load_image``.
        pre_relu: rank by the values before the ReLU.
        batch_size: photos per forward pass (default: the device's :func:`~shared_utils.device.budget`).
        workers: DataLoader processes that decode (default: the CPU count less one, at most 8;
            0 for fewer than 4 batches' worth of photos and in fast mode).
        shard: ``(K, N)`` or ``"K/N"``: only the photos with global index ``i % N == K - 1``.
        cache: a folder for checkpoints and the finished result (resume; see the module docs).
        bins, hist_range, calibration: the histograms of spatial maxima (see the module docs).
        checkpoint_every: batches between two checkpoints (with ``cache``).
        skip_broken: leave unreadable files out (listed in ``FolderStats.skipped_ids``) instead of stopping.

    Raises:
        BrokenImageError: a file is not a readable image (naming it) and ``skip_broken`` is off.
        ValueError: bad arguments (with what is expected), images too small for the layers asked for.
    """
    source = _as_source(source)
    names = _parse_layers(layers)
    shard_t = _parse_shard(shard)
    for name, v, low in (("k", k, 1), ("image_size", image_size, 1), ("bins", bins, 1),
                         ("calibration", calibration, 1), ("checkpoint_every", checkpoint_every, 1)):
        if not isinstance(v, int) or isinstance(v, bool) or v < low:
            raise ValueError(f"{name} must be a whole number >= {low}, got {v!r}")
    if hist_range is not None:
        lo_hi = tuple(float(v) for v in hist_range)
        if len(lo_hi) != 2 or not lo_hi[0] < lo_hi[1]:
            raise ValueError(f"hist_range must be (low, high) with low < high, got {hist_range!r}")
    device = model_device(model)
    batch_size = budget(device).batch_size if batch_size is None else batch_size
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number >= 1, got {batch_size!r}")

    n = len(source)  # type: ignore[arg-type]
    meta: dict[str, Any] = {
        "format": _FORMAT, "model": weights_digest(model), "weights": vars(weights_info(model)).copy(),
        "source": _source_digest(source, progress), "n": n, "layers": names, "image_size": image_size,
        "pre_relu": pre_relu, "k": k, "bins": bins, "hist_range": None if hist_range is None else list(lo_hi),
        "calibration": None if hist_range is not None else min(calibration, n),
        "shard": None if shard_t is None else list(shard_t),
    }
    final = ckpt = None
    stats: "FolderStats | None" = None
    if cache is not None:
        key = _cache.key(meta)
        final = Path(cache).expanduser() / f"folder-{key}.pt"
        ckpt = final.with_name(f"folder-{key}.ckpt.pt")
        for path in (final, ckpt):
            if path.exists():
                try:
                    candidate = FolderStats.load(path)
                except Exception:  # a damaged or foreign file: start again
                    continue
                if candidate.meta == meta:
                    candidate.source = source
                    if path == final and candidate.complete:
                        return candidate
                    stats = candidate
                    break

    indices = range(n) if shard_t is None else range(shard_t[0] - 1, n, shard_t[1])

    def forward(x: torch.Tensor) -> dict[str, tuple[torch.Tensor, torch.Tensor, torch.Tensor, tuple[int, int]]]:
        b = x.shape[0]
        if b < batch_size:  # every forward has the same shape: kernels may round differently for another batch size
            x = torch.cat([x, x.new_zeros((batch_size - b, *x.shape[1:]))])
        with torch.no_grad():
            acts = _capture(model, preprocess(x.to(device, non_blocking=True)), names, pre_relu, grad=False)
        return {name: _reduce(a[:b]) for name, a in acts.items()}

    if stats is None:
        stats = FolderStats(meta, {}, 0, 0, [], source)
        # the histograms' bins, fixed before the pass, the same for every shard (with hist_range, one photo
        # gives the layers' channels and grids)
        first = range(min(calibration, n))
        xs = []
        for i in bar(first, desc=f"histogram bins (first {len(first)} photos)", progress=progress):
            try:
                xs.append(_load_one(source, i, image_size))
            except BrokenImageError as exc:
                if not skip_broken:
                    raise BrokenImageError(exc.path, exc.reason, _SKIP_HINT) from exc
            if hist_range is not None and xs:
                break
        if not xs:
            raise ValueError(f"none of the first {len(first)} photos could be read, so the histogram bins cannot be "
                             "calibrated; pass hist_range=(low, high) or check the folder")
        calib: dict[str, torch.Tensor] = {}
        grids: dict[str, tuple[int, int]] = {}
        for s in range(0, len(xs), batch_size):
            for name, (mx, _, _, grid) in forward(torch.stack(xs[s:s + batch_size])).items():
                calib[name] = torch.cat([calib[name], mx]) if name in calib else mx
                grids[name] = grid
        for name in names:
            c = calib[name].shape[1]
            if hist_range is not None:
                lo = torch.full((c,), lo_hi[0], dtype=torch.float64)
                hi = torch.full((c,), lo_hi[1], dtype=torch.float64)
            else:
                lo, hi = calib[name].double().amin(0), calib[name].double().amax(0)
                span = hi - lo
                pad = torch.where(span > 0, span / 2, hi.abs().clamp(min=1.0) / 2)
                lo, hi = lo - pad, hi + pad
                if not pre_relu:
                    lo = lo.clamp(min=0.0)
            stats.state[name] = _empty_state(c, k, bins, lo, hi, grids[name], sentinel=n)

    todo = indices[stats.position:]
    if todo:
        workers = _default_workers(len(todo), batch_size) if workers is None else workers
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 0:
            raise ValueError(f"workers must be a whole number >= 0, got {workers!r}")
        loader = DataLoader(_Loading(source, todo, image_size), batch_size=batch_size, shuffle=False,
                            num_workers=workers, collate_fn=_collate, pin_memory=device.type == "cuda",
                            worker_init_fn=_worker_init if workers else None)
        where = f"shard {shard_t[0]}/{shard_t[1]}, " if shard_t else ""
        desc = f"folder pass ({where}{len(todo)} photos, {', '.join(names)})"
        done_batches = 0
        try:
            for gidx, x, broken in bar(loader, total=len(loader), desc=desc, progress=progress):
                if broken and not skip_broken:
                    raise BrokenImageError(*broken[0][1], _SKIP_HINT)
                new_state = dict(stats.state)
                if x is not None:
                    for name, (mx, rc, mean, _) in forward(x).items():
                        new_state[name] = _update(stats.state[name], mx, rc, mean, gidx)
                # one assignment: an interruption leaves the previous, consistent state
                stats = FolderStats(meta, new_state, stats.position + len(gidx) + len(broken),
                                    stats.count + len(gidx), sorted(stats.skipped + [i for i, _ in broken]), source)
                done_batches += 1
                if ckpt is not None and done_batches % checkpoint_every == 0 and stats.position < len(indices):
                    stats.save(ckpt)
        except BaseException:
            if ckpt is not None and stats.position > 0:
                stats.save(ckpt)  # resume from here
            raise
    if final is not None:
        stats.save(final)
        if ckpt is not None and ckpt.exists():
            ckpt.unlink()
    return stats


# ----------------------------------------------------------------------------- shards


_SAME = {"model": "models (weights)", "source": "sources (image folders)", "n": "sources (image counts)",
         "layers": "layers", "image_size": "image sizes", "pre_relu": "pre_relu settings", "k": "k",
         "bins": "histogram bins", "hist_range": "histogram ranges", "calibration": "histogram calibrations",
         "format": "file formats"}


def merge_folder_stats(parts: Sequence[FolderStats]) -> FolderStats:
    """Combine the results of shards 1..N of one pass into what one unsharded pass gives.

    Raises:
        ValueError: no parts; a part that is not a finished shard; parts of different models, sources,
            layers, sizes, ``k`` or bins; a different N; a missing or repeated shard.
    """
    parts = list(parts)
    if not parts:
        raise ValueError("give the shards' FolderStats to merge")
    for p in parts:
        if not isinstance(p, FolderStats):
            raise TypeError(f"expected FolderStats, got {type(p).__name__}")
        if p.shard is None:
            raise ValueError("one of these results is a whole pass, not a shard; only shards (shard=(K, N)) merge")
        if not p.complete:
            raise ValueError(f"shard {p.shard[0]}/{p.shard[1]} is unfinished ({p.position} of {p.planned} photos); "
                             "run it again with the same cache to finish it")
    first = parts[0].meta
    for p in parts[1:]:
        for field_, words in _SAME.items():
            if p.meta[field_] != first[field_]:
                raise ValueError(f"these shards come from different {words}: {first[field_]!r} vs {p.meta[field_]!r}"
                                 if field_ not in ("model", "source") else
                                 f"these shards come from different {words} (digest {first[field_]} vs "
                                 f"{p.meta[field_]}); every shard must use the same model and images")
    ns = {p.shard[1] for p in parts}  # type: ignore[index]
    if len(ns) > 1:
        raise ValueError(f"these shards split the images into different numbers of shards: {sorted(ns)}")
    total = ns.pop()
    ks = [p.shard[0] for p in parts]  # type: ignore[index]
    twice = sorted({x for x in ks if ks.count(x) > 1})
    if twice:
        raise ValueError(f"shard(s) {', '.join(f'{x}/{total}' for x in twice)} given more than once")
    missing = sorted(set(range(1, total + 1)) - set(ks))
    if missing:
        raise ValueError(f"shard(s) {', '.join(f'{x}/{total}' for x in missing)} missing: all {total} are needed")
    parts.sort(key=lambda p: p.shard[0])  # type: ignore[index]
    k = int(first["k"])
    merged: dict[str, dict[str, torch.Tensor]] = {}
    for name in first["layers"]:
        sts = [p.state[name] for p in parts]
        for other in sts[1:]:
            for field_ in ("edges", "grid"):
                if not torch.equal(other[field_], sts[0][field_]):
                    raise ValueError(f"the shards' {name} differ in their histogram bins or grid ({field_})")
        values, index, pos = _select(torch.cat([s["top_values"] for s in sts], 1),
                                     torch.cat([s["top_index"] for s in sts], 1),
                                     torch.cat([s["top_pos"] for s in sts], 1), k)
        out = dict(sts[0])
        out.update(top_values=values, top_index=index, top_pos=pos,
                   max_min=torch.stack([s["max_min"] for s in sts]).amin(0),
                   max_max=torch.stack([s["max_max"] for s in sts]).amax(0))
        for field_ in (*_SUMS, "hist", "below", "above"):
            total_t = sts[0][field_].clone()
            for s in sts[1:]:
                total_t += s[field_]
            out[field_] = total_t
        merged[name] = out
    meta = dict(first, shard=None)
    return FolderStats(meta, merged, sum(p.position for p in parts), sum(p.count for p in parts),
                       sorted(i for p in parts for i in p.skipped), parts[0].source)
