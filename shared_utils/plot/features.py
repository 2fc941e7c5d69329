"""Pictures of features: feature-visualisation galleries and dataset-example grids.

Usage::

    show_renders(render_units(model, "3b:379 3b:406 3b:385"))         # one panel per unit, titled 3b:379 ...
    show_dataset_examples(dataset_examples(model, sample, "3b:379"), sample)  # crops + photos, labelled

Every figure names its units the articles' way (``3b:379``) and, for the untrained stand-in,
says so in its title (:func:`shared_utils.plot.style.model_note`).
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..dataset_examples import TopExamples, example_crops, example_images
from ..featvis import Rendered
from ..inception.model import WeightsInfo
from ..inception.names import parse_unit
from .style import model_note, tile_grid, title_units

__all__ = ["show_renders", "show_dataset_examples", "draw_render", "draw_example_row"]


def _note(weights: "WeightsInfo | None") -> str:
    """The untrained warning for results that carry their model's provenance."""
    return "" if weights is None else model_note(SimpleNamespace(weights_info=weights))


def _is_unit(name: str) -> bool:
    try:
        parse_unit(name)
    except (ValueError, KeyError, IndexError, TypeError):
        return False
    return True


def draw_render(ax: Axes, image: "np.ndarray", title: "str | None" = None, *, fontsize: float = 9) -> None:
    """One rendered image (HWC in [0, 1]) on ``ax``, without ticks, titled. Touches only ``ax``."""
    ax.imshow(np.clip(image, 0, 1), interpolation="bilinear")
    ax.axis("off")
    if title is not None:
        ax.set_title(title, fontsize=fontsize)


def draw_example_row(row_axes: "Sequence[Axes]", examples: TopExamples, pictures: "Sequence[np.ndarray]", kind: str, *,
                     k: "int | None" = None, fontsize: float = 7, label_chars: int = 18,
                     linewidth: float = 1.2) -> None:
    """One row of dataset examples: ``kind`` ``"crops"`` (receptive-field crops) or ``"images"``
    (whole photos, the field outlined in yellow), each captioned with its class and the unit's
    value; axes past ``k`` examples are switched off. Touches only the axes given."""
    m = min(k or len(examples), len(examples))
    for j, ax in enumerate(row_axes):
        ax.set_xticks([])
        ax.set_yticks([])
        if j >= m:
            ax.axis("off")
            continue
        ax.imshow(np.clip(pictures[j], 0, 1), interpolation="nearest")
        ax.set_xlabel(f"{examples.labels[j][:label_chars]}\n{examples.values[j]:.3g}", fontsize=fontsize)
        if kind == "images":
            top, left, bottom, right = examples.boxes[j]
            ax.add_patch(Rectangle((left - 0.5, top - 0.5), right - left, bottom - top, fill=False,
                                   edgecolor="yellow", linewidth=linewidth))


def show_renders(rendered: Rendered, *, title: str = "Feature visualisation", ncols: "int | None" = None,
                 size: float = 1.8, captions: "Sequence[str] | None" = None) -> Figure:
    """A gallery of rendered images, each titled with its unit id (or ``captions``).

    The figure title lists the units, the render settings and, for the untrained stand-in, a warning.
    """
    n = len(rendered)
    if n == 0:
        raise ValueError("nothing to show: the render has no images")
    if captions is not None and len(captions) != n:
        raise ValueError(f"{n} images but {len(captions)} captions")
    names = list(captions) if captions is not None else list(rendered.units)
    ncols = min(ncols or min(n, 6), n)
    nrows = -(-n // ncols)
    distinct = list(dict.fromkeys(rendered.units))
    if all(_is_unit(u) for u in distinct):
        heading = title_units(distinct, prefix=f"{title}:") + _note(rendered.weights)
    else:
        heading = f"{title}: {', '.join(distinct)}{_note(rendered.weights)}"
    s = rendered.settings
    if s:
        heading += f"\n{s.get('steps')} steps, {s.get('size')} px, seed {s.get('seed')}"
    # Constrained layout with titles wrapped to the tile width: long captions never reach the row above.
    fig, axes, names, heading = tile_grid(nrows, ncols, names, size=size, fontsize=9, suptitle=heading,
                                          suptitle_size=10, min_width=3.0)
    for i, ax in enumerate(axes.flat):
        if i < n:
            draw_render(ax, rendered.images[i], names[i])
        else:
            ax.axis("off")
    fig.suptitle(heading, fontsize=10)
    return fig


def show_dataset_examples(
    examples: "TopExamples | Sequence[TopExamples] | Mapping[str, TopExamples]",
    sample: object,
    *,
    show: str = "both",
    k: "int | None" = None,
    size: float = 1.5,
) -> Figure:
    """For each unit, a row of receptive-field crops and/or a row of whole photos (field outlined).

    Each panel is captioned with the photo's class and the unit's activation (spatial max) on it.

    Args:
        examples: what :func:`~shared_utils.dataset_examples.dataset_examples` returned (or one entry).
        sample: the same image sample (the photos are read from it).
        show: ``"crops"``, ``"images"`` or ``"both"``.
        k: how many examples per unit (default: all).
    """
    if show not in ("crops", "images", "both"):
        raise ValueError(f"show must be 'crops', 'images' or 'both', got {show!r}")
    if isinstance(examples, TopExamples):
        items = [examples]
    elif isinstance(examples, Mapping):
        items = list(examples.values())
    else:
        items = list(examples)
    if not items:
        raise ValueError("no examples to show")
    kinds = ["crops", "images"] if show == "both" else [show]
    ncols = max(min(k or len(e), len(e)) for e in items)
    rows = [(e, kind) for e in items for kind in kinds]
    fig, axes = plt.subplots(len(rows), ncols, figsize=(size * ncols + 0.6, (size + 0.45) * len(rows) + 0.6),
                             squeeze=False)
    for (e, kind), row_axes in zip(rows, axes):
        pictures = example_crops(sample, e) if kind == "crops" else example_images(sample, e)
        draw_example_row(row_axes, e, pictures, kind, k=k)
        what = f"crops ({e.field.size} px)" if kind == "crops" else "photos"
        row_axes[0].set_ylabel(f"{e.unit.short}\n{what}", fontsize=9)
    first = items[0]
    value = "pre-ReLU" if first.pre_relu else "post-ReLU"
    heading = title_units([e.unit for e in items], prefix="Dataset examples:") + _note(first.weights)
    heading += f"\nvalue = the unit's spatial max ({value}); crop = its receptive field at that position"
    fig.suptitle(heading, fontsize=10)
    fig.tight_layout()
    return fig
