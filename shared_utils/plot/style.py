"""Conventions every course figure shares: weight colours, unit titles, the untrained warning."""
from __future__ import annotations

from typing import Iterable

import numpy as np
from matplotlib.colors import LinearSegmentedColormap

from ..names import Unit, format_unit

__all__ = ["EXCITE", "INHIBIT", "WEIGHT_CMAP", "model_note", "title_units", "symmetric_limits"]

#: The Circuits articles' excitation / inhibition colours.
EXCITE = "#CA0020"
INHIBIT = "#0571B0"
#: Diverging map for weights: blue (negative) - white (0) - red (positive).
WEIGHT_CMAP = LinearSegmentedColormap.from_list("circuits_weights", [INHIBIT, "#F7F7F7", EXCITE])


def symmetric_limits(values: "np.ndarray | float") -> tuple[float, float]:
    """``(-m, m)`` with ``m = max |values|`` so that 0 is always white."""
    m = float(np.max(np.abs(values))) if np.size(values) else 1.0
    m = m if m > 0 else 1.0
    return -m, m


def model_note(model: object | None) -> str:
    """``''`` for the real model; a loud suffix for the untrained stand-in (or an unknown model)."""
    if model is None:
        return ""
    from ..model import weights_info

    info = weights_info(model)  # type: ignore[arg-type]
    return "" if info.trained else " [UNTRAINED stand-in: not the real model]"


def title_units(units: "Iterable[Unit | str] | Unit | str", prefix: str = "", model: object | None = None) -> str:
    """A title naming units in the articles' short form, plus the untrained warning if relevant."""
    if isinstance(units, (str, Unit)):
        units = [units]
    ids = ", ".join(format_unit(u) for u in units)
    return f"{prefix}{' ' if prefix else ''}{ids}{model_note(model)}"
