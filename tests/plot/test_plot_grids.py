"""Grids of pictures (feature-visualisation renders, photos): titles stay above their own tile.

A student saw the second row's titles drawn over the first row's images. These tests draw grids of
2-3 rows with long, multi-line and unbreakable titles, render them with Agg and check geometry.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from shared_utils.featvis import Rendered  # noqa: E402
from shared_utils.inception.model import WeightsInfo  # noqa: E402
from shared_utils.plot.features import show_renders  # noqa: E402
from shared_utils.plot.images import show_images  # noqa: E402
from shared_utils.plot.style import wrap_to_width  # noqa: E402

LONG = [
    "4d:417, a dog-head detector (Zoom In, the dog circuit)",
    "short",
    "x" * 48,  # one word longer than any tile
    "two\nlines",
    "MIXED4E:55 IN CAPITALS, A LONG CAPTION",
    "3b:379",
    "a caption of several words that wraps over three or four lines at this size",
    "5b:1",
    "4c:447 car detector",
]


def _rendered(n: int) -> Rendered:
    rng = np.random.default_rng(0)
    return Rendered(rng.random((n, 24, 24, 3)), [f"4d:{i}" for i in range(n)], WeightsInfo(False, "test"),
                    np.zeros((1, n)), {"steps": 1, "size": 24, "seed": 0})


def _overlaps(fig) -> list[tuple[str, str]]:
    """(title, other tile's title) for every title whose drawn box touches an image axes of another row."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    tiles = [ax for ax in fig.axes if ax.get_images()]
    row = {ax: ax.get_subplotspec().rowspan.start for ax in tiles}
    bad = []
    for ax in tiles:
        if not ax.get_title():
            continue
        box = ax.title.get_window_extent(renderer)
        for other in tiles:
            if row[other] != row[ax] and box.overlaps(other.get_window_extent(renderer)):
                bad.append((ax.get_title(), other.get_title()))
    return bad


def _too_wide(fig) -> list[str]:
    """Titles wider than their own tile (plus a small tolerance for the estimate of glyph widths)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return [ax.get_title() for ax in fig.axes if ax.get_images() and ax.get_title()
            and ax.title.get_window_extent(renderer).width > 1.1 * ax.get_window_extent(renderer).width]


@pytest.mark.parametrize("n, ncols, size", [(6, 3, 1.8), (9, 3, 1.8), (8, 4, 1.4), (9, 6, 1.0)])
def test_render_grid_titles_stay_out_of_other_rows(n: int, ncols: int, size: float) -> None:
    for captions in (None, LONG[:n]):
        fig = show_renders(_rendered(n), ncols=ncols, size=size, captions=captions)
        try:
            assert _overlaps(fig) == [], f"titles over another row's images ({n} tiles, {ncols} a row)"
            assert _too_wide(fig) == []
            # the figure's own title stays above the first row
            renderer = fig.canvas.get_renderer()
            top = max(ax.get_window_extent(renderer).y1 for ax in fig.axes if ax.get_images())
            titles_top = max(ax.title.get_window_extent(renderer).y1 for ax in fig.axes if ax.get_title())
            assert fig._suptitle.get_window_extent(renderer).y0 >= max(top, titles_top) - 1
        finally:
            plt.close(fig)


def test_render_grid_keeps_the_words_of_a_wrapped_title() -> None:
    fig = show_renders(_rendered(3), ncols=3, captions=LONG[:3])
    try:
        shown = [ax.get_title() for ax in fig.axes if ax.get_images()]
        assert [" ".join(t.split()) for t in shown[:2]] == [" ".join(c.split()) for c in LONG[:2]]
        assert shown[2].replace("\n", "") == LONG[2]
    finally:
        plt.close(fig)


@pytest.mark.parametrize("n, ncols", [(6, 3), (9, 4)])
def test_image_grid_titles_stay_out_of_other_rows(n: int, ncols: int) -> None:
    images = list(np.random.default_rng(1).random((n, 16, 16, 3)))
    fig = show_images(images, LONG[:n], ncols=ncols, suptitle="photos with long titles")
    try:
        assert _overlaps(fig) == []
        assert _too_wide(fig) == []
    finally:
        plt.close(fig)


def test_wrap_to_width() -> None:
    assert wrap_to_width("3b:379", 1.8, 9) == "3b:379"
    wrapped = wrap_to_width("a b c d e f g h i j k l m n o p", 0.5, 9)
    assert "\n" in wrapped and wrapped.split() == list("abcdefghijklmnop")
    assert wrap_to_width("one\ntwo", 3, 9) == "one\ntwo"
