"""Neuron explorer: browse InceptionV1 one unit at a time in a notebook, and walk its circuits.

Usage::

    from shared_utils.explorer import explore
    explore(model, "3b:379")                 # a widget: make it the last line of a cell
    ex = explore(model, "4c:447", sample=imagenet_sample()); ex
    ex.go("mixed4b 237"); ex.back(); ex.unit  # the same moves from code

What a student does with it: pick a layer and a unit (or type any id: ``4c:447``, ``mixed4c 447``,
``mixed4c_5x5:63``, or just ``447`` for a unit of the layer on screen) and see, for that unit,

* a **header**: its layer, branch, Early Vision taxonomy group (complete up to mixed3b, partial notes
  for 4a-4d) and, for the later units the articles describe (dog heads, the car unit and its parts,
  4e:55 ...), what they call it and where (:mod:`shared_utils.unit_labels`). Retyping the unit on
  screen shows it again and says so;
* its **feature visualisation** (a quick preview first; "Render full quality" for the real thing),
  beside **the article's picture of the unit** (the real InceptionV1, for the layers the Early Vision
  article shows every unit of: conv2d0 ... mixed4a; :mod:`shared_utils.articles`), so a student on
  the untrained stand-in or a CPU preview sees what the real unit looks like;
* its **dataset examples**: the photos of the sample, and their receptive-field crops, that excite it most;
* its **tuning curve** to curves, for the curve layers (conv2d2, 3a, 3b, 4a), beside the article's
  measured radial curve when the unit is in the articles' data (docs/science.md §2);
* its **strongest inputs and outputs** as weight heatmaps (red excites, blue inhibits; docs/science.md
  §5, §9). Each has a button named after the other unit: click it to move there ("walk the
  circuit"); Back returns.

Everything computed on the untrained stand-in says so (``model_note``): its units mean nothing.

How it stays usable on a CPU:

* the cheap parts (header, weights) come first, the slow ones after, each panel showing
  "computing…" until it is ready; work runs in a background thread on a private copy of the
  model, so the notebook stays usable and a click on another unit skips work queued for the old one;
* results are cached: in memory for the session and on disk (``cache``, default the course cache),
  so a unit seen once shows at once. Dataset examples come from ONE cached activation pass
  (:func:`~shared_utils.activations.channel_stats`) per layer over the sample, made the first
  time a unit of that layer is shown;
* sizes follow :func:`~shared_utils.device.budget` (:meth:`ExplorerSettings.from_budget`): previews
  on a CPU, tiny in fast mode (autograding / CI), full quality on a GPU.

The logic (which unit, history, what to compute) lives in :class:`ExplorerState`,
:func:`panels_for` and :class:`ExplorerData`, which need no browser; :class:`NeuronExplorer` is
the widget layout on top of them.
"""
from __future__ import annotations

import copy
import html
import io
import math
import queue
import threading
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Callable, Sequence

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from torch import nn

from . import _cache
from .activations import ChannelStats, channel_stats
from .articles import (ATTRIBUTION, ArticlePicture, ArticleUnavailableError, article_unit_name, article_unit_path,
                       unit_picture)
from .dataset_examples import TopExamples, example_crops, example_images, receptive_field, top_examples
from .device import budget, fast_mode, model_device
from .featvis import Rendered, render_unit
from .model import model_note, weights_digest, weights_info
from .names import LAYERS, POOLS, Unit, branch_of, parse_unit
from .plot.articles import draw_article_picture
from .plot.weights import plot_kernel
from .stimuli import curve_sweep
from .tuning import TuningCurve, article_curves, tuning_curve
from .unit_labels import article_label
from .weights import Connection, next_layer, previous_layer, top_inputs, top_outputs

__all__ = [
    "CURVE_LAYERS",
    "PANELS",
    "UnitIdError",
    "read_unit",
    "ExplorerSettings",
    "ExplorerState",
    "panels_for",
    "tuning_stimulus",
    "ExplorerData",
    "NeuronExplorer",
    "explore",
]

#: Layers whose units get a tuning curve (the Curve Detectors article's radial data, docs/science.md §2).
CURVE_LAYERS: tuple[str, ...] = ("conv2d2", "mixed3a", "mixed3b", "mixed4a")
#: Every panel, cheapest first (the order they are computed in).
PANELS: tuple[str, ...] = ("inputs", "outputs", "featvis", "tuning", "examples")
#: Layers whose taxonomy files are partial notes (read with ``strict=False``, docs/science.md §7.1).
_PARTIAL_TAXONOMY = ("mixed4a", "mixed4b", "mixed4c", "mixed4d")
_CACHE_VERSION = 1


# ============================================================================ reading unit ids


class UnitIdError(ValueError):
    """Text that is not a unit the explorer can show. The message says what to type instead."""


def read_unit(spec: "str | Unit | tuple[str, int]", current_layer: "str | None" = None) -> Unit:
    """The unit a student means, for any id form; raises :class:`UnitIdError` with a clear message.

    Accepts ``4c:447``, ``mixed4c:447``, ``mixed4c 447``, ``mixed4c_447``, a branch-local id
    (``mixed4c_5x5:63`` is 4c:447), a pool's channel (``maxpool1:5`` is conv2d2:5, the neuron it
    pools), a ``(layer, channel)`` pair, or a bare number (a channel of ``current_layer``).
    """
    if isinstance(spec, str):
        text = spec.strip()
        if not text:
            raise UnitIdError("Type a unit id such as '4c:447', 'mixed4c 447' or '3b:379'.")
        if text.isdigit():
            if current_layer is None:
                raise UnitIdError(f"{text!r} is only a number: write the layer too, e.g. '4c:{text}'.")
            spec = (current_layer, int(text))
        else:
            spec = text
    try:
        unit = parse_unit(spec)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise UnitIdError(str(exc)) from None
    if unit.layer in POOLS:
        unit = Unit(POOLS[unit.layer][0], unit.channel)
    if unit.layer not in LAYERS:
        main = ", ".join(LAYERS)
        raise UnitIdError(
            f"{unit} is a bottleneck unit; the explorer shows the units of the main layers ({main}). "
            "Bottleneck units appear inside the weights of their layer's 3x3/5x5 units."
        )
    return unit


# ============================================================================ settings


@dataclass(frozen=True)
class ExplorerSettings:
    """How much work each panel does. ``from_budget()`` picks them for the device; ``tiny()`` for tests.

    Renders: a preview (``preview_steps`` x ``preview_size`` px) first, the full render
    (``full_steps`` x ``full_size``) on request; ``render_input_size`` as in
    :func:`~shared_utils.featvis.render_units` (224: lucent's rule; ``None``: no resize, faster).
    Dataset examples: ``n_images`` photos of the sample (evenly spaced; ``None`` = all) at
    ``image_size`` px, ``k_examples`` shown. Weights: ``k_weights`` strongest inputs and outputs.
    Tuning: ``tuning_angles`` evenly spaced orientations, curve radii as fractions of the layer's
    receptive field (``tuning_radii``), drawn on a canvas just larger than that field
    (``tuning_canvas=None``) or of a given size; the response is the centre position's.
    """

    preview_steps: int = 8
    preview_size: int = 96
    full_steps: int = 64
    full_size: int = 128
    render_input_size: "int | None" = 224
    n_images: "int | None" = 300
    image_size: int = 224
    k_examples: int = 6
    k_weights: int = 6
    tuning_angles: int = 36
    tuning_radii: tuple[float, ...] = (0.15, 0.3, 0.5, 0.7)
    tuning_canvas: "int | None" = None
    batch_size: int = 16

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name in ("render_input_size", "n_images", "tuning_canvas") and v is None:
                continue
            if f.name == "tuning_radii":
                if not v or not all(isinstance(r, (int, float)) and 0 < r <= 2 for r in v):
                    raise ValueError(f"tuning_radii are fractions of the receptive field in (0, 2], got {v!r}")
                continue
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"ExplorerSettings.{f.name} must be a whole number >= 1, got {v!r}")
        if self.tuning_angles < 3:
            raise ValueError(f"tuning_angles must be >= 3 (a curve around the circle), got {self.tuning_angles}")

    @property
    def has_full_render(self) -> bool:
        """False when the preview already is the full render (nothing more to ask for)."""
        return (self.full_steps, self.full_size) != (self.preview_steps, self.preview_size)

    @classmethod
    def from_budget(cls, device: "torch.device | str | None" = None) -> "ExplorerSettings":
        """Settings from :func:`~shared_utils.device.budget`: tiny in fast mode, previews on a CPU."""
        if fast_mode():
            return cls.tiny()
        b = budget(device)
        gpu = b.render_steps >= 512
        return cls(preview_steps=max(8, b.render_steps // 8), preview_size=min(96, b.render_size),
                   full_steps=b.render_steps, full_size=b.render_size, n_images=b.n_images,
                   image_size=b.image_size, tuning_angles=180 if gpu else 36,
                   tuning_radii=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7) if gpu else cls.tuning_radii,
                   render_input_size=b.render_input_size, batch_size=b.batch_size)

    @classmethod
    def tiny(cls) -> "ExplorerSettings":
        """Seconds per unit on a CPU: for tests and fast mode (the pictures are rough)."""
        return cls(preview_steps=4, preview_size=48, full_steps=8, full_size=64, render_input_size=None,
                   n_images=16, image_size=96, tuning_angles=8, tuning_radii=(0.3, 0.6), batch_size=16)


def tuning_stimulus(layer: str, settings: ExplorerSettings) -> tuple[int, tuple[float, ...]]:
    """``(canvas px, radii px)`` of the explorer's curve stimuli for a layer.

    The canvas is just larger than the layer's receptive field (at least 64 px, at most 224): the
    centre unit sees the whole curve, and the pass is cheaper than at 224 px. Radii are fractions
    of the field, so each layer is probed at its own scale (3b: about 14-64 px; docs/science.md §2.2
    puts 3b curves' favourite radius near 60 px).
    """
    field = receptive_field(layer).size
    canvas = settings.tuning_canvas or min(224, max(64, 16 * math.ceil((field + 24) / 16)))
    radii = tuple(float(max(2, round(field * r))) for r in settings.tuning_radii)
    return canvas, radii


# ============================================================================ navigation (pure)


class ExplorerState:
    """Which unit is on screen, where we came from, and the last input error. No widgets.

    >>> s = ExplorerState("3b:379")
    >>> s.go("4c:447")                   # True: the unit changed
    True
    >>> s.unit.short
    '4c:447'
    >>> _ = s.back(); s.unit.short
    '3b:379'
    """

    def __init__(self, unit: "str | Unit" = "3b:379", *, max_history: int = 200):
        self.unit: Unit = read_unit(unit)
        self.history: list[Unit] = []
        self.error: str = ""
        #: True after a :meth:`go` to the unit already on screen (the widget then shows it again and says so).
        self.repeated: bool = False
        self.max_history = max_history

    @property
    def can_go_back(self) -> bool:
        return bool(self.history)

    def go(self, spec: "str | Unit | tuple[str, int]") -> bool:
        """Move to a unit; True if the unit changed. Bad input sets :attr:`error` and keeps the unit;
        the unit already on screen sets :attr:`repeated` (no new history entry)."""
        self.repeated = False
        try:
            unit = read_unit(spec, self.unit.layer)
        except UnitIdError as exc:
            self.error = str(exc)
            return False
        self.error = ""
        if unit == self.unit:
            self.repeated = True
            return False
        self.history.append(self.unit)
        del self.history[:-self.max_history]
        self.unit = unit
        return True

    def back(self) -> bool:
        """Return to the previous unit; False (and nothing changes) if there is none."""
        self.error = ""
        self.repeated = False
        if not self.history:
            return False
        self.unit = self.history.pop()
        return True


def panels_for(unit: "str | Unit", *, enabled: Sequence[str] = PANELS, has_sample: bool = True) -> list[str]:
    """The panels to compute for a unit, cheapest first.

    Tuning only for :data:`CURVE_LAYERS`; dataset examples only with an image sample.
    """
    u = read_unit(unit)
    unknown = [p for p in enabled if p not in PANELS]
    if unknown:
        raise ValueError(f"unknown panel(s) {unknown}; the panels are {', '.join(PANELS)}")
    out = []
    for p in PANELS:
        if p not in enabled:
            continue
        if p == "tuning" and u.layer not in CURVE_LAYERS:
            continue
        if p == "examples" and not has_sample:
            continue
        out.append(p)
    return out


# ============================================================================ computing (pure, cached)


class _ProgressSample:
    """A sample that reports ``callback(done, total)`` each time ``channel_stats`` reads a batch."""

    def __init__(self, sample: Any, callback: "Callable[[int, int], None] | None"):
        self._sample, self._callback, self._done = sample, callback, 0

    def __len__(self) -> int:
        return len(self._sample)

    @property
    def ids(self) -> list[str]:
        return list(self._sample.ids)

    @property
    def labels(self) -> list[str]:
        return list(getattr(self._sample, "labels", [""] * len(self._sample)))

    def batch(self, indices: Sequence[int], size: int = 224) -> torch.Tensor:
        out = self._sample.batch(indices, size)
        self._done += len(indices)
        if self._callback is not None:
            self._callback(self._done, len(self._sample))
        return out




class ExplorerData:
    """Everything the explorer shows about a unit, each computed once (memory + disk cache).

    ``cache`` is a directory (renders, activation statistics, weights and tuning curves are kept
    there, keyed by the model's weights) or ``None`` for memory only. ``sample=None`` loads the
    course's ImageNet sample the first time dataset examples are needed; ``False`` turns them off.
    :attr:`computed` counts real computations per kind (a cache hit does not count).
    """

    def __init__(self, model: nn.Module, sample: Any = None, settings: "ExplorerSettings | None" = None,
                 cache: "str | Path | None" = None):
        self.model = model
        self.settings = settings or ExplorerSettings.from_budget(model_device(model))
        self.cache = Path(cache) if cache is not None else None
        self._sample_arg = sample
        self._sample: Any = None
        self._memo: dict[tuple, Any] = {}
        self._stats: dict[str, ChannelStats] = {}
        self._taxonomy: dict[str, "list[str] | None"] = {}
        self._articles: dict[str, dict[int, TuningCurve]] = {}
        self._digest: "str | None" = None
        self._lock = threading.RLock()
        self.computed: dict[str, int] = {}
        self.note = model_note(model)
        self.trained = weights_info(model).trained

    # ------------------------------------------------------------------ helpers
    @property
    def has_sample(self) -> bool:
        return self._sample_arg is not False

    @property
    def sample(self) -> Any:
        """The photos dataset examples come from (loaded and subsampled on first use)."""
        if self._sample_arg is False:
            raise ValueError("this explorer was made with sample=False: no dataset examples")
        if self._sample is None:
            s = self._sample_arg
            if s is None:
                from .data import imagenet_sample

                s = imagenet_sample(n=self.settings.n_images, progress=False)
            n = self.settings.n_images
            if n is not None and len(s) > n and hasattr(s, "subset"):
                s = s.subset(np.linspace(0, len(s) - 1, n).round().astype(int).tolist())
            self._sample = s
        return self._sample

    def _count(self, kind: str) -> None:
        self.computed[kind] = self.computed.get(kind, 0) + 1

    def _disk(self, kind: str, *key: Any) -> "Path | None":
        if self.cache is None:
            return None
        if self._digest is None:
            self._digest = weights_digest(self.model)
        name = _cache.key(_CACHE_VERSION, kind, self._digest, weights_info(self.model).source, *key)
        return self.cache / "explorer" / f"{kind}-{name}.pt"

    @staticmethod
    def _save(path: "Path | None", payload: dict) -> None:
        if path is not None:
            _cache.atomic_save(path, payload)

    @staticmethod
    def _load(path: "Path | None") -> "dict | None":
        return _cache.load(path)  # None for a damaged or older file: compute again

    def has(self, kind: str, unit: Unit, variant: str = "") -> bool:
        """True if this result is already in memory (showing it costs nothing)."""
        return (kind, unit, variant) in self._memo

    # ------------------------------------------------------------------ taxonomy and article data
    def taxonomy_label(self, unit: Unit) -> "str | None":
        """The unit's Early Vision group (``'Curves'``), or None if the notes do not label it."""
        layer = unit.layer
        if layer not in self._taxonomy:
            try:
                from .decompose import taxonomy_labels

                self._taxonomy[layer] = taxonomy_labels(layer, strict=layer not in _PARTIAL_TAXONOMY)
            except Exception:  # no file for this layer (4e, 5a, 5b), or data unavailable offline
                self._taxonomy[layer] = None
        labels = self._taxonomy[layer]
        if labels is None or labels[unit.channel] == "(unlabelled)":
            return None
        return labels[unit.channel]

    def article_curve(self, unit: Unit) -> "TuningCurve | None":
        """The articles' measured radial curve of this unit, if their data has one (real model)."""
        if unit.layer not in CURVE_LAYERS:
            return None
        if unit.layer not in self._articles:
            table: dict[int, TuningCurve] = {}
            sources = [unit.layer] + (["lines_mixed3a"] if unit.layer == "mixed3a" else [])
            for which in sources:
                try:
                    for c in article_curves(which):
                        table.setdefault(int(c.meta["channel"]), c)
                except Exception:  # data unavailable: no article curve
                    continue
            self._articles[unit.layer] = table
        return self._articles[unit.layer].get(unit.channel)

    # ------------------------------------------------------------------ weights
    def connections(self, unit: Unit, direction: str) -> list[Connection]:
        """The ``k_weights`` strongest inputs (``direction='inputs'``) or outputs, ranked by L2."""
        if direction not in ("inputs", "outputs"):
            raise ValueError(f"direction must be 'inputs' or 'outputs', got {direction!r}")
        key = (direction, unit, "")
        with self._lock:
            if key in self._memo:
                return self._memo[key]
        k = self.settings.k_weights
        path = self._disk(direction, unit.short, k)
        saved = self._load(path)
        if saved is not None:
            conns = [Connection(Unit(sl, sc), Unit(dl, dc), kern, tot, l2, via, direct)
                     for sl, sc, dl, dc, kern, tot, l2, via, direct in zip(
                         saved["src_layer"], saved["src_ch"], saved["dst_layer"], saved["dst_ch"], saved["kernels"],
                         saved["total"], saved["l2"], saved["via"], saved["direct"])]
        else:
            self._count(direction)
            fn = top_inputs if direction == "inputs" else top_outputs
            conns = [Connection(c.src, c.dst, c.kernel.detach().cpu(), c.total, c.l2, c.via, c.direct)
                     for c in fn(self.model, unit, k=k)]
            self._save(path, {
                "src_layer": [c.src.layer for c in conns], "src_ch": [c.src.channel for c in conns],
                "dst_layer": [c.dst.layer for c in conns], "dst_ch": [c.dst.channel for c in conns],
                "kernels": [c.kernel for c in conns], "total": [c.total for c in conns],
                "l2": [c.l2 for c in conns], "via": [c.via for c in conns], "direct": [c.direct for c in conns]})
        with self._lock:
            self._memo[key] = conns
        return conns

    # ------------------------------------------------------------------ feature visualisation
    def render(self, unit: Unit, full: bool = False) -> Rendered:
        """The unit's feature visualisation: the preview, or the full-quality render."""
        key = ("featvis", unit, "full" if full else "preview")
        with self._lock:
            if key in self._memo:
                return self._memo[key]
        s = self.settings
        steps, size = (s.full_steps, s.full_size) if full else (s.preview_steps, s.preview_size)
        self._count("featvis-full" if full else "featvis")
        r = render_unit(self.model, unit, steps=steps, size=size, input_size=s.render_input_size,
                        cache=self.cache / "renders" if self.cache is not None else None, progress=False)
        with self._lock:
            self._memo[key] = r
        return r

    # ------------------------------------------------------------------ dataset examples
    def layer_stats(self, layer: str, progress: "Callable[[int, int], None] | None" = None) -> ChannelStats:
        """ONE activation pass over the sample for a whole layer (cached in memory and on disk)."""
        with self._lock:
            if layer in self._stats:
                return self._stats[layer]
        self._count("stats")
        stats = channel_stats(self.model, _ProgressSample(self.sample, progress), [layer],
                              image_size=self.settings.image_size, batch_size=self.settings.batch_size,
                              cache=self.cache / "stats" if self.cache is not None else None, progress=False)
        with self._lock:
            self._stats[layer] = stats[layer]
        return stats[layer]

    def examples(self, unit: Unit, progress: "Callable[[int, int], None] | None" = None) -> TopExamples:
        """The unit's top ``k_examples`` photos of the sample (from :meth:`layer_stats`)."""
        key = ("examples", unit, "")
        with self._lock:
            if key in self._memo:
                return self._memo[key]
        stats = self.layer_stats(unit.layer, progress)
        k = min(self.settings.k_examples, stats.max.shape[0])
        ex = top_examples(stats, unit, k, labels=list(getattr(self.sample, "labels", [""] * len(self.sample))),
                          model=self.model)
        with self._lock:
            self._memo[key] = ex
        return ex

    # ------------------------------------------------------------------ tuning
    def tuning(self, unit: Unit) -> TuningCurve:
        """A quick radial tuning curve of the unit to curves (:func:`tuning_stimulus` sizes)."""
        if unit.layer not in CURVE_LAYERS:
            raise ValueError(f"tuning curves are shown for the curve layers {', '.join(CURVE_LAYERS)}, "
                             f"not {unit.layer}")
        key = ("tuning", unit, "")
        with self._lock:
            if key in self._memo:
                return self._memo[key]
        canvas, radii = tuning_stimulus(unit.layer, self.settings)
        n = self.settings.tuning_angles
        source = f"preview: curves on a {canvas} px canvas, radii {', '.join(f'{r:g}' for r in radii)} px, {n} angles"
        path = self._disk("tuning", unit.short, canvas, radii, n)
        saved = self._load(path)
        if saved is not None:
            tc = TuningCurve(saved["angles"], saved["response"], unit=unit.short, source=saved["source"],
                             note=self.note)
        else:
            self._count("tuning")
            device = model_device(self.model)
            angles = torch.arange(n, dtype=torch.float64) * (360.0 / n)

            def stimuli(a: torch.Tensor) -> torch.Tensor:
                return curve_sweep(a, radii, size=canvas, device=device)

            tc = tuning_curve(self.model, unit, stimuli, angles, source=source, batch_size=max(4, 32 // len(radii)),
                              progress=False)  # the panel shows its own progress
            self._save(path, {"angles": tc.angles_deg, "response": tc.response, "source": tc.source})
        with self._lock:
            self._memo[key] = tc
        return tc


# ============================================================================ figures (no pyplot: safe in a thread)


def _png(fig: Figure, dpi: int = 80) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _note_line(note: str) -> str:
    return f"\n{note.strip()}" if note else ""


def _featvis_png(r: Rendered, unit: Unit, note: str, full: bool) -> bytes:
    fig = Figure(figsize=(3.3, 3.7), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(np.clip(r.images[0], 0, 1), interpolation="bilinear")
    ax.axis("off")
    s = r.settings
    what = "full quality" if full else "preview"
    ax.set_title(f"{unit.short} feature visualisation\n{what}: {s.get('steps')} steps, {s.get('size')} px"
                 f"{_note_line(note)}", fontsize=8)
    return _png(fig)


def _examples_png(ex: TopExamples, sample: Any, note: str, n_photos: int) -> bytes:
    crops, photos = example_crops(sample, ex), example_images(sample, ex)
    k = len(ex)
    fig = Figure(figsize=(1.35 * k + 0.3, 3.6), layout="constrained")
    axes = fig.subplots(2, k, squeeze=False)
    for j in range(k):
        for row, pics in enumerate((crops, photos)):
            ax = axes[row, j]
            ax.imshow(np.clip(pics[j], 0, 1), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 1:
                top, left, bottom, right = ex.boxes[j]
                ax.add_patch(Rectangle((left - 0.5, top - 0.5), right - left, bottom - top, fill=False,
                                       edgecolor="yellow", linewidth=1.0))
                ax.set_xlabel(f"{ex.labels[j][:16]}\n{ex.values[j]:.3g}", fontsize=6)
    axes[0, 0].set_ylabel(f"crops\n{ex.field.size} px", fontsize=7)
    axes[1, 0].set_ylabel("photos", fontsize=7)
    fig.suptitle(f"Dataset examples of {ex.unit.short}: top {k} of {n_photos} photos "
                 f"(value = spatial max){_note_line(note)}", fontsize=8)
    return _png(fig)


def _tuning_png(tc: TuningCurve, article: "TuningCurve | None", unit: Unit, note: str) -> bytes:
    panels = 2 if article is not None else 1
    fig = Figure(figsize=(3.3 * panels, 3.0), layout="constrained")
    axes = fig.subplots(1, panels, squeeze=False)[0]
    a = torch.cat([tc.angles_deg, tc.angles_deg[:1] + 360]).numpy()
    r = torch.cat([tc.response, tc.response[:1]]).numpy()
    axes[0].plot(a, r, "-o", color="#CA0020", ms=2.5, lw=1.4)
    what = tc.source.replace("model: ", "").replace("preview: ", "").replace(", radii", "\nradii")
    axes[0].set_title(f"this model (preview): {what}", fontsize=6)
    axes[0].set_ylabel("response (centre, max over radius)", fontsize=7)
    if article is not None:
        aa = torch.cat([article.angles_deg, article.angles_deg[:1] + 360]).numpy()
        ar = torch.cat([article.response, article.response[:1]]).numpy()
        axes[1].plot(aa, ar, "-", color="#404040", lw=1.4)
        axes[1].set_title("article data (trained model;\nits own angle convention)", fontsize=7)
    for ax in axes:
        ax.set_xlim(0, 360)
        ax.set_xticks(range(0, 361, 90))
        ax.set_xlabel("orientation (degrees)", fontsize=7)
        ax.tick_params(labelsize=6)
    fig.suptitle(f"Tuning of {unit.short} to curves{_note_line(note)}", fontsize=8)
    return _png(fig)


def _article_png(pic: ArticlePicture) -> bytes:
    """The article's picture of a unit (or why there is none), captioned "article (real InceptionV1)"."""
    fig = Figure(figsize=(2.2, 2.75), layout="constrained")
    draw_article_picture(fig.add_subplot(), pic, title=f"{pic.what} in the article", fontsize=7)
    return _png(fig)


def _connection_png(c: Connection, vmax: float, trained: bool) -> bytes:
    fig = Figure(figsize=(1.45, 1.75), layout="constrained")
    ax = fig.add_subplot()
    title = f"{c.src.short} → {c.dst.short}\nsum {c.total:+.2g}" + ("" if trained else "\nUNTRAINED")
    plot_kernel(c.kernel, ax=ax, vmax=vmax, colorbar=False, title=title)
    ax.title.set_fontsize(7)
    return _png(fig)


# ============================================================================ the widget


@dataclass
class _View:
    """What a panel shows: one picture, or pictures with a target unit each (the circuit buttons)."""

    pngs: list[bytes]
    caption: str = ""
    targets: "list[Unit | None] | None" = None
    labels: "list[str] | None" = None
    variant: str = ""


def _hide(w: widgets.DOMWidget, hidden: bool) -> None:
    w.layout.display = "none" if hidden else None


class _Panel(widgets.VBox):
    """A titled box with a status line, a progress bar and a picture."""

    def __init__(self, name: str, width: str = "auto"):
        self.name = name
        self.title = widgets.HTML()
        self.status = widgets.HTML()
        self.bar = widgets.IntProgress(min=0, max=1, value=0, layout=widgets.Layout(width="260px"))
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", align_self="flex-start"))
        self.extra = widgets.HBox()
        for w in (self.bar, self.image):
            _hide(w, True)
        super().__init__([self.title, self.status, self.bar, self.image, self.extra],
                         layout=widgets.Layout(border="1px solid #ddd", padding="4px", margin="2px", width=width))
        self.add_class(f"zi-explorer-{name}")

    def set_title(self, text: str) -> None:
        self.title.value = f"<b>{html.escape(text)}</b>"

    def busy(self, text: str = "computing…") -> None:
        self.status.value = f"<i style='color:#777'>{html.escape(text)}</i>"
        _hide(self.image, True)
        _hide(self.bar, True)

    def progress(self, done: int, total: int) -> None:
        self.bar.max, self.bar.value = max(1, total), min(done, total)
        self.bar.description = f"{done}/{total}"
        _hide(self.bar, False)

    def fail(self, text: str, error: bool = True) -> None:
        colour = "#b00020" if error else "#555"
        self.status.value = f"<span style='color:{colour}'>{html.escape(text)}</span>"
        _hide(self.image, True)
        _hide(self.bar, True)

    def show(self, view: _View) -> None:
        self.status.value = f"<span style='color:#555;font-size:0.9em'>{html.escape(view.caption)}</span>"
        _hide(self.bar, True)
        self.image.value = view.pngs[0] if view.pngs else b""
        _hide(self.image, not view.pngs)


class _ConnectionsPanel(_Panel):
    """Strongest inputs or outputs: a heatmap per connection with a button that goes to the other unit."""

    def __init__(self, name: str, k: int, on_pick: Callable[[Unit], None]):
        super().__init__(name)
        self._on_pick = on_pick
        self.targets: list["Unit | None"] = [None] * k
        self.thumbs = [widgets.Image(format="png", layout=widgets.Layout(width="116px")) for _ in range(k)]
        self.buttons = [widgets.Button(description="…", layout=widgets.Layout(width="116px")) for _ in range(k)]
        self.slots = [widgets.VBox([t, b]) for t, b in zip(self.thumbs, self.buttons)]
        for i, b in enumerate(self.buttons):
            b.add_class("zi-explorer-goto")
            b.on_click(lambda _b, i=i: self._pick(i))
        self.extra.children = self.slots
        _hide(self.extra, True)

    def _pick(self, i: int) -> None:
        target = self.targets[i]
        if target is not None:
            self._on_pick(target)

    def busy(self, text: str = "computing…") -> None:
        super().busy(text)
        _hide(self.extra, True)

    def fail(self, text: str, error: bool = True) -> None:
        super().fail(text, error)
        _hide(self.extra, True)

    def show(self, view: _View) -> None:
        self.status.value = f"<span style='color:#555;font-size:0.9em'>{html.escape(view.caption)}</span>"
        _hide(self.bar, True)
        _hide(self.image, True)
        targets, labels = view.targets or [], view.labels or []
        for i, slot in enumerate(self.slots):
            if i < len(view.pngs):
                self.thumbs[i].value = view.pngs[i]
                self.targets[i] = targets[i]
                self.buttons[i].description = labels[i]
                self.buttons[i].disabled = targets[i] is None
                self.buttons[i].tooltip = (f"go to {labels[i]}" if targets[i] is not None
                                           else "an input colour channel, not a neuron")
                _hide(slot, False)
            else:
                self.targets[i] = None
                _hide(slot, True)
        _hide(self.extra, False)


class _FeatvisPanel(_Panel):
    def __init__(self, on_full: Callable[[], None]):
        super().__init__("featvis")
        self.full_button = widgets.Button(description="Render full quality", icon="paint-brush",
                                          layout=widgets.Layout(width="190px"))
        self.full_button.on_click(lambda _b: on_full())
        self.extra.children = [self.full_button]
        _hide(self.extra, True)

    def show(self, view: _View, offer_full: bool = False) -> None:  # type: ignore[override]
        super().show(view)
        _hide(self.extra, not offer_full)

    def busy(self, text: str = "computing…") -> None:
        super().busy(text)
        _hide(self.extra, True)


class _Worker:
    """One background thread running jobs in order; it ends after ``idle_s`` without work.

    ``wait()`` blocks until every submitted job is done.
    """

    def __init__(self, idle_s: float = 30.0) -> None:
        self._queue: "queue.Queue[Callable[[], None]]" = queue.Queue()
        self._thread: "threading.Thread | None" = None
        self._pending = 0
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._idle_s = idle_s
        self._stopped = False

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            if self._stopped:
                return
            self._pending += 1
            self._idle.clear()
            self._queue.put(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="neuron-explorer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                job = self._queue.get(timeout=self._idle_s)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            try:
                if not self._stopped:
                    job()
            finally:
                with self._lock:
                    self._pending -= 1
                    if self._pending == 0:
                        self._idle.set()

    def wait(self, timeout: "float | None" = None) -> bool:
        return self._idle.wait(timeout)

    def stop(self) -> None:
        """Skip the jobs not started yet; the thread ends once idle."""
        self._stopped = True


class NeuronExplorer(widgets.VBox):
    """The explorer widget (make it with :func:`explore`). Display it; drive it by clicks or from code.

    Attributes a test or a curious student can read: :attr:`state` (unit and history),
    :attr:`data` (the cached results), :attr:`timings` (seconds from the last navigation until each
    panel showed), :attr:`errors` (messages of panels that failed).
    """

    def __init__(self, model: nn.Module, unit: "str | Unit" = "3b:379", *, sample: Any = None,
                 cache: "str | Path | None" = None, settings: "ExplorerSettings | None" = None,
                 panels: Sequence[str] = PANELS, background: bool = True):
        self.state = ExplorerState(unit)
        self.background = background
        work_model = copy.deepcopy(model) if background else model  # hooks never touch the student's model
        self.data = ExplorerData(work_model, sample, settings, cache)
        self.settings = self.data.settings
        self.enabled = tuple(panels)
        panels_for(self.state.unit, enabled=self.enabled)  # checks the names
        self.timings: dict[str, float] = {}
        self.errors: list[str] = []
        self._views: dict[tuple, _View] = {}
        self._gen = 0
        self._t0 = time.perf_counter()
        self._syncing = False
        self._worker = _Worker() if background else None
        self._render_seconds: dict[Unit, float] = {}
        self._article_views: dict[Unit, _View] = {}
        self._ui = threading.RLock()  # navigation vs. the worker's "is this still the unit on screen?"

        # ------------------------------------------------------------------ controls
        self.layer_box = widgets.Dropdown(
            options=[(f"{name} ({info.channels})", name) for name, info in LAYERS.items()],
            value=self.state.unit.layer, description="layer", style={"description_width": "40px"},
            layout=widgets.Layout(width="190px"))
        self.channel_box = widgets.BoundedIntText(
            value=self.state.unit.channel, min=0, max=LAYERS[self.state.unit.layer].channels - 1,
            description="unit", style={"description_width": "35px"}, layout=widgets.Layout(width="110px"))
        self.id_box = widgets.Text(value="", placeholder="type a unit id, e.g. 4c:447, then Enter",
                                   continuous_update=False, description="go to",
                                   style={"description_width": "45px"}, layout=widgets.Layout(width="320px"))
        self.id_box.add_class("zi-explorer-id")
        self.go_button = widgets.Button(description="Go", layout=widgets.Layout(width="60px"))
        self.back_button = widgets.Button(description="Back", icon="arrow-left", disabled=True,
                                          layout=widgets.Layout(width="90px"))
        self.back_button.add_class("zi-explorer-back")
        self.message = widgets.HTML()
        self.message.add_class("zi-explorer-message")
        self.header = widgets.HTML()
        self.header.add_class("zi-explorer-header")
        self.status = widgets.HTML()
        self.status.add_class("zi-explorer-status")

        self.layer_box.observe(self._on_layer, names="value")
        self.channel_box.observe(self._on_channel, names="value")
        self.id_box.observe(self._on_text, names="value")
        self.go_button.on_click(lambda _b: self._on_go())
        self.back_button.on_click(lambda _b: self.back())

        # ------------------------------------------------------------------ panels
        k = self.settings.k_weights
        self.featvis_panel = _FeatvisPanel(self._render_full)
        # beside the featvis (narrow, so that both fit in one row); not one of PANELS: nothing to compute
        self.article_panel = _Panel("article", width="250px")
        self.tuning_panel = _Panel("tuning")
        self.examples_panel = _Panel("examples")
        self.inputs_panel = _ConnectionsPanel("inputs", k, self.go)
        self.outputs_panel = _ConnectionsPanel("outputs", k, self.go)
        self.panels: dict[str, _Panel] = {"inputs": self.inputs_panel, "outputs": self.outputs_panel,
                                          "featvis": self.featvis_panel, "tuning": self.tuning_panel,
                                          "examples": self.examples_panel}
        controls = widgets.HBox([self.layer_box, self.channel_box, self.id_box, self.go_button, self.back_button],
                                layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([controls, self.message, self.header, self.status,
                          widgets.HBox([self.featvis_panel, self.article_panel, self.tuning_panel],
                                       layout=widgets.Layout(flex_flow="row wrap")),
                          self.inputs_panel, self.outputs_panel, self.examples_panel])
        self.add_class("zi-explorer")
        self._show_unit()

    # ------------------------------------------------------------------ public moves
    @property
    def unit(self) -> Unit:
        """The unit on screen."""
        return self.state.unit

    @property
    def history(self) -> list[Unit]:
        return list(self.state.history)

    def go(self, spec: "str | Unit | tuple[str, int]") -> bool:
        """Show another unit (any id form). Bad input shows a message in the widget and returns False.
        The unit already on screen is shown again (a panel that failed is retried), with a note saying so."""
        moved = self.state.go(spec)
        self._show_message()
        if moved or self.state.repeated:
            self._show_unit()
        return moved

    def back(self) -> bool:
        """Show the previous unit again (cached: instant)."""
        moved = self.state.back()
        self._show_message()
        if moved:
            self._show_unit()
        return moved

    def wait(self, timeout: "float | None" = 600) -> bool:
        """Block until every queued panel is done (True) or ``timeout`` seconds passed (False)."""
        return True if self._worker is None else self._worker.wait(timeout)

    def close(self) -> None:
        if self._worker is not None:
            self._worker.stop()
        super().close()

    # ------------------------------------------------------------------ control callbacks
    def _on_layer(self, change: dict) -> None:
        if self._syncing:
            return
        layer = change["new"]
        channel = min(self.channel_box.value, LAYERS[layer].channels - 1)
        self.go((layer, channel))

    def _on_channel(self, change: dict) -> None:
        if not self._syncing:
            self.go((self.layer_box.value, int(change["new"])))

    def _on_text(self, change: dict) -> None:
        if not self._syncing and change["new"].strip():
            self._go_text(change["new"])

    def _on_go(self) -> None:
        self._go_text(self.id_box.value)

    def _go_text(self, text: str) -> None:
        self.go(text)
        if not self.state.error:
            self._set_quietly(self.id_box, "value", "")

    def _set_quietly(self, widget: widgets.Widget, name: str, value: Any) -> None:
        self._syncing = True
        try:
            setattr(widget, name, value)
        finally:
            self._syncing = False

    def _show_message(self) -> None:
        err = self.state.error
        if err:
            self.message.value = f"<div style='color:#b00020'>⚠ {html.escape(err)}</div>"
        elif self.state.repeated:
            self.message.value = (f"<div style='color:#555'>{self.state.unit.short} is already shown "
                                  "(shown again below).</div>")
        else:
            self.message.value = ""

    # ------------------------------------------------------------------ showing a unit
    def _header_html(self, u: Unit) -> str:
        parts = [f"{u.layer} channel {u.channel}"]
        if LAYERS[u.layer].branches:
            b = branch_of(u)
            parts.append(f"{b.branch.split('_', 1)[1]} branch ({b.branch}:{b.local})")
        label = self.data.taxonomy_label(u)
        named = article_label(u)  # the later layers' units the articles describe (dog heads, cars, 4e:55 ...)
        if label:
            parts.append(f"taxonomy: <i>{html.escape(label)}</i>")
        if named is not None:
            parts.append(f"articles: <i>{html.escape(named.label)}</i> "
                         f"<span style='color:#777'>({html.escape(named.source)})</span>")
        if not label and named is None:
            parts.append("taxonomy: no label in the notes or the articles")
        note = self.data.note.strip()
        warn = f" <span style='color:#b00020;font-weight:bold'>{html.escape(note)}</span>" if note else ""
        return (f"<div><span style='font-size:1.5em;font-weight:bold'>{u.short}</span> &nbsp; "
                f"{' · '.join(parts)}{warn}</div>")

    def _panel_title(self, name: str, u: Unit) -> str:
        note = self.data.note
        if name == "inputs":
            src = previous_layer(u.layer)
            src = POOLS[src][0] + f" via {src}" if src in POOLS else src
            return f"Strongest inputs of {u.short} (from {src}){note} — click a unit to walk the circuit"
        if name == "outputs":
            return f"Strongest outputs of {u.short}{note} — click a unit to walk the circuit"
        if name == "featvis":
            return f"Feature visualisation of {u.short}{note}"
        if name == "tuning":
            return f"Tuning curve of {u.short}{note}"
        return f"Dataset examples of {u.short}{note}"

    def _show_unit(self) -> None:
        with self._ui:
            self._show_unit_locked()

    def _show_unit_locked(self) -> None:
        u = self.state.unit
        self._gen += 1
        gen = self._gen
        self._t0 = time.perf_counter()
        self.timings = {}
        self._syncing = True
        try:
            self.channel_box.max = max(self.channel_box.max, u.channel)  # never clamp the new value
            self.layer_box.value = u.layer
            self.channel_box.value = u.channel
            self.channel_box.max = LAYERS[u.layer].channels - 1
        finally:
            self._syncing = False
        self.header.value = self._header_html(u)
        self.back_button.disabled = not self.state.can_go_back
        plan = panels_for(u, enabled=self.enabled, has_sample=self.data.has_sample)
        for name, panel in self.panels.items():
            _hide(panel, name not in plan)
        for name in plan:
            panel = self.panels[name]
            panel.set_title(self._panel_title(name, u))
            view = self._cached_view(name, u)
            if view is not None:
                self._display(name, u, view)
            else:
                panel.busy(self._busy_text(name, u))
        self._show_article(gen, u, "featvis" in plan)
        for name in plan:
            if self._cached_view(name, u) is None:
                self._submit(gen, lambda name=name: self._compute(gen, name, u))
        self._update_status()

    def _show_article(self, gen: int, u: Unit, beside_featvis: bool) -> None:
        """The article's picture of ``u`` next to its feature visualisation, for the layers the articles show.

        A local copy is read first (a cheap job); a missing one is downloaded after the other panels.
        It never fails the explorer: offline, the box says "article picture unavailable offline".
        """
        panel = self.article_panel
        shown = beside_featvis and article_unit_name(u) is not None
        _hide(panel, not shown)
        if not shown:
            return
        panel.set_title(f"The article's picture of {u.short}")
        view = self._article_views.get(u)
        if view is not None:
            panel.show(view)
        else:
            panel.busy("loading the article's picture…")
            self._submit(gen, lambda: self._load_article(gen, u, download=False))

    def _load_article(self, gen: int, u: Unit, download: bool) -> None:
        if not self._current(gen, u):
            return
        try:
            self._load_article_now(gen, u, download)
        except Exception as exc:  # never a traceback (nor a dead worker thread) for a picture
            self.errors.append(f"article picture of {u.short}: {type(exc).__name__}: {exc}")
            with self._ui:
                if self._current(gen, u):
                    self.article_panel.fail(f"could not show the article's picture: {exc}")

    def _load_article_now(self, gen: int, u: Unit, download: bool) -> None:
        if not download:
            try:
                article_unit_path(u, download=False)
            except ArticleUnavailableError:  # not stored here: fetch it once the other panels are done
                with self._ui:
                    if self._current(gen, u):
                        self.article_panel.busy("downloading the article's picture…")
                self._submit(gen, lambda: self._load_article(gen, u, download=True))
                return
            except Exception:  # a damaged copy: unit_picture below reports it
                pass
        pic = unit_picture(u, download=download, warn=False)
        if pic.status == "damaged":
            self.errors.append(f"article picture of {u.short}: {pic.error}")
        caption = (f"the real InceptionV1, from An Overview of Early Vision ({ATTRIBUTION})" if pic.ok
                   else pic.error.split(". ")[0] if pic.error else pic.note.replace("\n", " "))
        view = _View([_article_png(pic)], caption)
        if pic.status in ("ok", "damaged"):  # offline: try again when the unit is shown next
            self._article_views[u] = view
        with self._ui:
            if self._current(gen, u):
                self.article_panel.show(view)

    def _cached_view(self, name: str, u: Unit) -> "_View | None":
        if name == "featvis":
            return self._views.get((name, u, "full")) or self._views.get((name, u, "preview"))
        return self._views.get((name, u, ""))

    def _busy_text(self, name: str, u: Unit) -> str:
        s = self.settings
        if name == "featvis":
            return f"rendering a preview ({s.preview_steps} steps, {s.preview_size} px)…"
        if name == "examples":
            if u.layer in self.data._stats:
                return "computing…"
            n = s.n_images or "all"
            return f"computing {u.layer} activations over {n} photos (once per layer, then cached)…"
        if name == "tuning":
            return f"measuring responses to {s.tuning_angles} orientations × {len(s.tuning_radii)} radii…"
        return "computing…"

    def _submit(self, gen: int, job: Callable[[], None]) -> None:
        if self._worker is None:
            job()
        else:
            self._worker.submit(job)

    def _current(self, gen: int, u: Unit) -> bool:
        return gen == self._gen and u == self.state.unit

    def _compute(self, gen: int, name: str, u: Unit, variant: str = "") -> None:
        """Compute one panel's view (skipped if the student has moved on) and show it if still current."""
        if not self._current(gen, u):
            return
        try:
            view = self._make_view(name, u, variant, gen)
        except Exception as exc:  # show the problem in the panel, never a traceback
            msg = f"{name} of {u.short}: {type(exc).__name__}: {exc}"
            expected = isinstance(exc, ValueError) and name == "outputs"  # e.g. mixed5b feeds the classifier
            if not expected:
                self.errors.append(msg)
            with self._ui:
                if self._current(gen, u):
                    self.panels[name].fail(str(exc) if expected else f"could not compute this panel: {exc}",
                                           error=not expected)
            return
        self._views[(name, u, view.variant)] = view
        with self._ui:
            if self._current(gen, u):
                self._display(name, u, view)

    def _display(self, name: str, u: Unit, view: _View) -> None:
        panel = self.panels[name]
        if isinstance(panel, _FeatvisPanel):
            panel.show(view, offer_full=self.settings.has_full_render and view.variant != "full")
        else:
            panel.show(view)
        self.timings.setdefault(name, time.perf_counter() - self._t0)
        self._update_status()

    def _update_status(self) -> None:
        plan = panels_for(self.state.unit, enabled=self.enabled, has_sample=self.data.has_sample)
        ready = [p for p in plan if p in self.timings]
        if not plan:
            self.status.value = ""
        elif len(ready) < len(plan):
            self.status.value = (f"<span style='color:#777'>{len(ready)} of {len(plan)} panels ready; "
                                 f"computing {', '.join(p for p in plan if p not in ready)}…</span>")
        else:
            slowest = max(self.timings[p] for p in plan)
            self.status.value = f"<span style='color:#777'>all {len(plan)} panels ready ({slowest:.1f} s)</span>"

    def _make_view(self, name: str, u: Unit, variant: str, gen: int) -> _View:
        d = self.data
        if name in ("inputs", "outputs"):
            conns = d.connections(u, name)
            if not conns:
                raise ValueError("no connections")
            vmax = max(float(c.kernel.abs().max()) for c in conns) or 1.0
            others = [c.src if name == "inputs" else c.dst for c in conns]
            targets = [o if o.layer in LAYERS else None for o in others]
            where = conns[0].via if name == "inputs" else next_layer(u.layer)[1]
            h, w = conns[0].kernel.shape[-2:]
            kind = f"direct weights (the conv's kernel, zero-padded to {h}×{w})" if conns[0].direct else \
                f"{h}×{w} expanded weights"
            caption = (f"{len(conns)} strongest by L2 of the {kind}, {'from' if name == 'inputs' else 'into'} "
                       f"{where}; red excites, blue inhibits, one colour scale (±{vmax:.3g})")
            return _View([_connection_png(c, vmax, d.trained) for c in conns], caption, targets,
                         [o.short for o in others])
        if name == "featvis":
            full = variant == "full"
            t = time.perf_counter()
            r = d.render(u, full=full)
            if not full:
                self._render_seconds[u] = time.perf_counter() - t
            return _View([_featvis_png(r, u, d.note, full)], r.weights.label, variant="full" if full else "preview")
        if name == "tuning":
            tc = d.tuning(u)
            article = d.article_curve(u)
            caption = tc.source + ("; article: " + article.source.replace("article: ", "") if article else
                                   "; not in the articles' radial data")
            return _View([_tuning_png(tc, article, u, d.note)], caption)
        if name == "examples":
            panel = self.panels["examples"]

            def report(done: int, total: int) -> None:
                with self._ui:
                    if self._current(gen, u):
                        panel.progress(done, total)

            ex = d.examples(u, progress=report)
            n = len(d.sample)
            caption = (f"top row: the receptive field ({ex.field.size} px) at the strongest position; "
                       f"bottom: the photo ({ex.image_size} px), label and the unit's max")
            return _View([_examples_png(ex, d.sample, d.note, n)], caption)
        raise ValueError(f"unknown panel {name!r}")

    def _render_full(self) -> None:
        with self._ui:
            u, gen = self.state.unit, self._gen
        if ("featvis", u, "full") in self._views:
            self._display("featvis", u, self._views[("featvis", u, "full")])
            return
        s = self.settings
        guess = self._render_seconds.get(u)
        eta = ""
        if guess and guess > 0.2:  # measured (not a read from the disk cache)
            factor = s.full_steps / s.preview_steps
            if s.render_input_size is None:
                factor *= (s.full_size / s.preview_size) ** 2
            eta = f", about {guess * factor:.0f} s"
        self.featvis_panel.busy(f"rendering full quality ({s.full_steps} steps, {s.full_size} px{eta})…")
        self._submit(gen, lambda: self._compute(gen, "featvis", u, "full"))


def explore(
    model: "nn.Module | None" = None,
    unit: "str | Unit" = "3b:379",
    *,
    sample: Any = None,
    cache: "str | Path | bool | None" = None,
    settings: "ExplorerSettings | None" = None,
    panels: Sequence[str] = PANELS,
    background: bool = True,
) -> NeuronExplorer:
    """A neuron explorer widget showing ``unit``; display it (make it the last line of a cell).

    Args:
        model: an InceptionV1 from :func:`~shared_utils.model.load_inceptionv1` (default: load it,
            ``$ZOOM_IN_WEIGHTS`` decides which weights). Edited copies work too.
        unit: the first unit, any id form (``"4c:447"``, ``"mixed4c 447"``).
        sample: photos for dataset examples (an ImageSample; default the course sample, loaded on
            first use; ``False``: no examples). Only ``settings.n_images`` evenly spaced photos are used.
        cache: directory for cached results (default the course cache, ``$ZOOM_IN_CACHE``);
            ``False`` keeps them in memory only.
        settings: how much work each panel does (default :meth:`ExplorerSettings.from_budget`).
        panels: which of :data:`PANELS` to show.
        background: compute in a background thread (the notebook stays usable). ``False`` computes
            each panel before returning (scripts and tests).
    """
    if model is None:
        from .model import load_inceptionv1

        model = load_inceptionv1()
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an InceptionV1 from load_inceptionv1(), got {type(model).__name__}")
    if cache is None or cache is True:
        from ._download import cache_dir

        cache_path: "Path | None" = cache_dir()
    elif cache is False:
        cache_path = None
    else:
        cache_path = Path(cache)
    return NeuronExplorer(model, unit, sample=sample, cache=cache_path, settings=settings, panels=panels,
                          background=background)
