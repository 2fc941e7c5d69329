"""Conventions every course figure shares: weight colours, unit titles, the untrained warning."""
from __future__ import annotations

import textwrap
from typing import Iterable, Sequence

import numpy as np
from matplotlib.colors import LinearSegmentedColormap

from ..inception.model import model_note  # the untrained warning belongs to the model; re-exported for figures
from ..inception.names import Unit, format_unit

__all__ = ["EXCITE", "INHIBIT", "WEIGHT_CMAP", "model_note", "title_units", "symmetric_limits", "wrap_to_width",
           "tile_grid"]

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


def title_units(units: "Iterable[Unit | str] | Unit | str", prefix: str = "", model: object | None = None) -> str:
    """A title naming units in the articles' short form, plus the untrained warning if relevant."""
    if isinstance(units, (str, Unit)):
        units = [units]
    ids = ", ".join(format_unit(u) for u in units)
    return f"{prefix}{' ' if prefix else ''}{ids}{model_note(model)}"


#: A generous average glyph width in ems (DejaVu Sans: lowercase ~0.55, digits 0.64, capitals ~0.7).
_EM_PER_CHAR = 0.64
#: Line height of a title, in multiples of its font size.
_LINE = 1.25


def wrap_to_width(text: str, width_in: float, fontsize: float) -> str:
    """``text`` broken into lines no wider than ``width_in`` inches at ``fontsize`` (points), by an
    estimate of the glyph width: each existing line is wrapped on its own, over-long words are split."""
    chars = max(4, int(width_in * 72 / (_EM_PER_CHAR * fontsize)))
    return "\n".join(textwrap.fill(line, chars, break_long_words=True, break_on_hyphens=True) or line
                      for line in str(text).split("\n"))


def _lines(text: str) -> int:
    return text.count("\n") + 1 if text else 0


def tile_grid(nrows: int, ncols: int, titles: Sequence[str], *, size: float, fontsize: float,
              suptitle: str = "", suptitle_size: float = 10, min_width: float = 0.0):
    """A figure of ``nrows x ncols`` square tiles of ``size`` inches whose titles never reach into the row above.

    Titles are wrapped to the tile width; every row gets the height of its tallest title, the figure
    is laid out by matplotlib's constrained layout (which measures the titles), and the suptitle is
    wrapped to the figure width. Returns ``(fig, axes, titles, suptitle)``: ``axes`` is 2-D, the titles
    and the suptitle as wrapped (set them with ``ax.set_title(title, fontsize=fontsize)`` and
    ``fig.suptitle(...)``).
    """
    import matplotlib.pyplot as plt

    titles = [wrap_to_width(t, size - 0.05, fontsize) for t in titles]
    width = max(size * ncols + 0.1 * ncols, min_width)
    suptitle = wrap_to_width(suptitle, width - 0.2, suptitle_size) if suptitle else ""
    title_h = [max((_lines(t) for t in titles[r * ncols:(r + 1) * ncols]), default=0) * _LINE * fontsize / 72 + 0.08
               for r in range(nrows)]
    height = size * nrows + sum(title_h) + 0.06 * nrows + _lines(suptitle) * _LINE * suptitle_size / 72 + 0.15
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=False, layout="constrained")
    fig.get_layout_engine().set(w_pad=0.04, h_pad=0.03, hspace=0.0, wspace=0.0)
    return fig, axes, titles, suptitle
