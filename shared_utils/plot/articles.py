"""The articles' own pictures, drawn beside the course's: "this is what the real unit looks like".

Usage::

    fig, ax = plt.subplots(); draw_article_unit(ax, "3b:379")      # any axes, also a bare Figure's
    show_beside_article(render_units(model, "3b:379 3b:406"))       # your renders above, the article's below
    show_article_figure("dog-circuit.png")                          # a Zoom In figure, captioned

Every article picture is captioned "article (real InceptionV1)" and the attribution
(:data:`~shared_utils.data.articles.ATTRIBUTION`). A picture that cannot be had (offline, a layer the
articles have no per-unit pictures of) is replaced by a short text in the axes: a lecture never
fails for it.

The ``draw_*`` functions only touch the axes they are given, never pyplot's global state, so the
neuron explorer's background thread can use them on a ``matplotlib.figure.Figure``. The ``show_*``
functions make a pyplot figure for notebooks, like the other ``show_*`` helpers.
"""
from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes

from ..data.articles import ARTICLE_CAPTION, ATTRIBUTION, ArticlePicture, _as_unit, _pictures, figure_picture, unit_picture
from ..inception.names import Unit

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..featvis import Rendered

__all__ = ["draw_article_picture", "draw_article_unit", "draw_article_figure", "show_beside_article",
           "show_article_figure"]


def draw_article_picture(ax: Axes, picture: ArticlePicture, *, title: "str | None" = None, caption: bool = True,
                         fontsize: float = 7) -> ArticlePicture:
    """Draw ``picture`` on ``ax``, captioned underneath with :data:`~shared_utils.data.articles.ARTICLE_CAPTION`
    and the attribution; without an image, its note (why not) as grey text instead. Returns ``picture``."""
    ax.set_xticks([])
    ax.set_yticks([])
    if picture.image is not None:
        arr = np.asarray(picture.image)
        tiny = max(arr.shape[:2]) < 32  # conv2d0-2's pictures are 7-28 px: keep their pixels sharp
        ax.imshow(arr, interpolation="nearest" if tiny else "antialiased")
    else:
        ax.set_facecolor("#f4f4f4")
        ax.set_box_aspect(1)  # the size of the picture it stands for
        note = picture.note if "\n" in picture.note else textwrap.fill(picture.note, 20)
        ax.text(0.5, 0.5, note, ha="center", va="center", fontsize=fontsize, color="#555",
                transform=ax.transAxes)
    for side in ax.spines.values():
        side.set_edgecolor("#999")
    if title is not None:
        ax.set_title(title, fontsize=fontsize + 1)
    if caption and picture.image is not None:
        width_in = ax.get_position().width * ax.figure.get_figwidth()
        credit = ATTRIBUTION if width_in >= 1.6 else textwrap.fill(ATTRIBUTION, 26)  # narrow: two lines
        ax.set_xlabel(f"{ARTICLE_CAPTION}\n{credit}", fontsize=max(fontsize - 1, 6), color="#444")
    return picture


def draw_article_unit(ax: Axes, unit: "str | Unit", *, title: "str | None" = None, caption: bool = True,
                      root=None, download: bool = True, fontsize: float = 7) -> ArticlePicture:
    """The article's feature visualisation of ``unit`` on ``ax`` (default title: the unit id)."""
    pic = unit_picture(unit, root, download=download)
    return draw_article_picture(ax, pic, title=pic.what if title is None else title, caption=caption,
                                fontsize=fontsize)


def draw_article_figure(ax: Axes, name: str, *, title: "str | None" = None, caption: bool = True,
                        root=None, download: bool = True, fontsize: float = 8) -> ArticlePicture:
    """A figure of Zoom In (``'dog-circuit.png'``) on ``ax``, without a frame, captioned."""
    pic = draw_article_picture(ax, figure_picture(name, root, download=download), title=title, caption=caption,
                               fontsize=fontsize)
    if pic.image is not None:
        for side in ax.spines.values():
            side.set_visible(False)
    return pic


def show_beside_article(rendered: "Rendered", *, ncols: "int | None" = None, size: float = 1.8,
                        title: str = "Your render and the article's", root=None, download: bool = True) -> "Figure":
    """Each unit's render (upper row) above the article's picture of the same unit (lower row), ``ncols``
    units a row pair (default: all in one). A render of several images of one unit uses the first; a
    layer without article pictures, or a render that is not of a single unit, says so in the lower cell.
    The missing pictures are fetched as one batch first (one progress bar)."""
    import matplotlib.pyplot as plt

    from .features import _note

    units = list(dict.fromkeys(rendered.units))
    if not units:
        raise ValueError("nothing to show: the render has no images")
    first = {u: i for i, u in reversed(list(enumerate(rendered.units)))}
    parsed: dict[str, Unit] = {}
    for u in units:
        try:
            parsed[u] = _as_unit(u)
        except (ValueError, KeyError, IndexError, TypeError):
            pass  # a direction or a mix of units: no article picture
    fetched = iter(_pictures([parsed[u] for u in units if u in parsed], root, download=download))
    pics = [next(fetched) if u in parsed else ArticlePicture(u, None, "none", "not a single unit:\nno article picture")
            for u in units]
    n = len(units)
    ncols = max(1, min(ncols or n, n))
    blocks = -(-n // ncols)
    fig, axes = plt.subplots(2 * blocks, ncols, figsize=(max(size * ncols + 0.4, 3.2), blocks * (2 * size + 0.7) + 0.5),
                             squeeze=False)
    for j, (u, pic) in enumerate(zip(units, pics)):
        top, bottom = axes[2 * (j // ncols), j % ncols], axes[2 * (j // ncols) + 1, j % ncols]
        top.imshow(np.clip(rendered.images[first[u]], 0, 1), interpolation="bilinear")
        top.set_xticks([])
        top.set_yticks([])
        top.set_title(pic.what, fontsize=9)
        draw_article_picture(bottom, pic, fontsize=6)
    for j in range(n, blocks * ncols):
        axes[2 * (j // ncols), j % ncols].axis("off")
        axes[2 * (j // ncols) + 1, j % ncols].axis("off")
    for b in range(blocks):
        axes[2 * b, 0].set_ylabel("this model", fontsize=8)
    s = rendered.settings or {}
    steps = f" ({s.get('steps')} steps, {s.get('size')} px)" if s else ""
    fig.suptitle(f"{title}{_note(rendered.weights)}\nupper: this model{steps}; lower: {ARTICLE_CAPTION}",
                 fontsize=9)
    fig.tight_layout()
    return fig


def show_article_figure(name: str, *, width: float = 10.0, title: "str | None" = None, root=None,
                        download: bool = True) -> "Figure":
    """A Zoom In figure, ``width`` inches wide, captioned with :data:`ARTICLE_CAPTION` and the attribution."""
    import matplotlib.pyplot as plt

    pic = figure_picture(name, root, download=download)
    h, w = (np.asarray(pic.image).shape[:2] if pic.image is not None else (1, 4))
    fig, ax = plt.subplots(figsize=(width, min(width * h / w + 0.6, 1.6 * width)))
    draw_article_picture(ax, pic, title=title if title is not None else f"Zoom In: {pic.what}", fontsize=9)
    if pic.image is not None:
        for side in ax.spines.values():
            side.set_visible(False)
    fig.tight_layout()
    return fig
