"""The explorer's panels as PNG bytes, drawn by the functions of shared_utils.plot on Figures
(no pyplot state), so the background thread can make them."""
from __future__ import annotations

import io
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..data.articles import ArticlePicture
from ..dataset_examples import TopExamples, example_crops, example_images
from ..featvis import Rendered
from ..inception.names import Unit
from ..plot.articles import draw_article_picture
from ..plot.features import draw_example_row, draw_render
from ..plot.tuning import draw_tuning, tuning_axes
from ..plot.weights import plot_kernel
from ..tuning import TuningCurve
from ..weights import Connection

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
    s = r.settings
    what = "full quality" if full else "preview"
    draw_render(fig.add_subplot(), r.images[0], f"{unit.short} feature visualisation\n{what}: {s.get('steps')} steps, "
                f"{s.get('size')} px{_note_line(note)}", fontsize=8)
    return _png(fig)


def _examples_png(ex: TopExamples, sample: Any, note: str, n_photos: int) -> bytes:
    k = len(ex)
    fig = Figure(figsize=(1.35 * k + 0.3, 3.6), layout="constrained")
    axes = fig.subplots(2, k, squeeze=False)
    draw_example_row(axes[0], ex, example_crops(sample, ex), "crops", fontsize=6, label_chars=16, linewidth=1.0)
    draw_example_row(axes[1], ex, example_images(sample, ex), "images", fontsize=6, label_chars=16, linewidth=1.0)
    axes[0, 0].set_ylabel(f"crops\n{ex.field.size} px", fontsize=7)
    axes[1, 0].set_ylabel("photos", fontsize=7)
    fig.suptitle(f"Dataset examples of {ex.unit.short}: top {k} of {n_photos} photos "
                 f"(value = spatial max){_note_line(note)}", fontsize=8)
    return _png(fig)


def _tuning_png(tc: TuningCurve, article: "TuningCurve | None", unit: Unit, note: str) -> bytes:
    panels = 2 if article is not None else 1
    fig = Figure(figsize=(3.3 * panels, 3.0), layout="constrained")
    axes = fig.subplots(1, panels, squeeze=False)[0]
    draw_tuning(axes[0], tc, colour="#CA0020", style="-o", lw=1.4)
    what = tc.source.replace("model: ", "").replace("preview: ", "").replace(", radii", "\nradii")
    axes[0].set_title(f"this model (preview): {what}", fontsize=6)
    if article is not None:
        draw_tuning(axes[1], article, colour="#404040", lw=1.4)
        axes[1].set_title("article data (trained model;\nits own angle convention)", fontsize=7)
    for ax in axes:
        tuning_axes(ax, fontsize=7)
    axes[0].set_ylabel("response (centre, max over radius)", fontsize=7)
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


