"""What the explorer computes for a unit, cached in memory and on disk (no widgets, no pyplot)."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import nn

from .. import _cache
from ..activations import ChannelStats, channel_stats
from ..dataset_examples import TopExamples, top_examples
from ..device import model_device
from ..featvis import Rendered, render_unit
from ..inception.model import model_note, weights_digest, weights_info
from ..inception.names import Unit
from ..stimuli import curve_sweep
from ..tuning import TuningCurve, article_curves, tuning_curve
from ..weights import Connection, top_inputs, top_outputs
from .state import CURVE_LAYERS, ExplorerSettings, tuning_stimulus

#: Layers whose taxonomy files are partial notes (read with ``strict=False``, docs/science.md §7.1).
_PARTIAL_TAXONOMY = ("mixed4a", "mixed4b", "mixed4c", "mixed4d")
_CACHE_VERSION = 1


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
                from ..data import imagenet_sample

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
                from ..decompose import taxonomy_labels

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


