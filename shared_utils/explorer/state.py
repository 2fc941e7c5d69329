"""Which unit the explorer shows: reading unit ids, its settings, its history and its panels (no widgets)."""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Sequence

import torch

from ..dataset_examples import receptive_field
from ..device import budget, fast_mode
from ..inception.names import LAYERS, POOLS, Unit, parse_unit

#: Layers whose units get a tuning curve (the Curve Detectors article's radial data, docs/science.md §2).
CURVE_LAYERS: tuple[str, ...] = ("conv2d2", "mixed3a", "mixed3b", "mixed4a")
#: Every panel, cheapest first (the order they are computed in).
PANELS: tuple[str, ...] = ("inputs", "outputs", "featvis", "tuning", "examples")


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


