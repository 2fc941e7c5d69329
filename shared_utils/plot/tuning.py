"""Tuning-curve pictures: polar and line plots, yours beside the article's, and a curve-stimulus grid.

    plot_tuning(my_curves, reference=article_curves("mixed3b", units=[...]), align=True)
    plot_stimulus_grid(range(0, 360, 45), radii=[0, 20, 60])

Each unit is drawn in the hue of its preferred orientation, as in the Curve Detectors article's
radial plots. Titles name the units (``3b:379``) and carry the untrained-model warning from the
curves' ``note``. The article's angles use its own convention (docs/science.md §14): pass
``align=True`` to rotate each article curve onto yours (best circular shift, shown in the legend).
"""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.colors import hsv_to_rgb
from matplotlib.figure import Figure

from ..tuning import TuningCurve, best_offset, preferred_orientation

__all__ = ["plot_tuning", "plot_tuning_grid", "plot_stimulus_grid", "orientation_colour", "draw_tuning", "tuning_axes"]


def orientation_colour(angle_deg: float) -> tuple[float, float, float]:
    """The hue of an orientation (0° red, 120° green, 240° blue), as in the articles' radial plots."""
    return tuple(hsv_to_rgb([(angle_deg % 360.0) / 360.0, 0.85, 0.8]))  # type: ignore[return-value]


def _as_list(curves: "TuningCurve | Sequence[TuningCurve] | None") -> list[TuningCurve]:
    if curves is None:
        return []
    return [curves] if isinstance(curves, TuningCurve) else list(curves)


def _silent(tc: TuningCurve) -> bool:
    """Never above zero at any angle (common for post-ReLU units of an untrained model)."""
    return float(tc.peak) <= 0


def draw_tuning(ax: Axes, tc: TuningCurve, *, normalise: bool = False, colour: object = None, style: str = "-",
                label: "str | None" = None, lw: float = 1.6) -> None:
    """Draw one tuning curve on ``ax`` (a polar axes draws the radial plot), closed at 360°.

    ``colour`` defaults to the hue of the curve's preferred orientation. With ``normalise``, the
    curve is divided by its peak; a silent one (never above zero) is drawn flat at zero in grey and
    labelled so. Touches nothing but ``ax`` (no pyplot state), so it is safe in a thread.
    """
    label = tc.unit if label is None else label
    if colour is None:
        colour = orientation_colour(float(preferred_orientation(tc)))
    if normalise and _silent(tc):  # nothing to divide by: draw it flat at zero and say so
        resp, colour, label = torch.zeros_like(tc.response), "0.5", f"{label}: silent (peak {float(tc.peak):.2g})"
    else:
        resp = tc.normalised().response if normalise else tc.response
    ang = tc.angles_deg
    a = torch.cat([ang, ang[:1] + 360.0]).numpy()
    r = torch.cat([resp, resp[:1]]).numpy()
    ax.plot(np.deg2rad(a) if ax.name == "polar" else a, r, style, color=colour, label=label, lw=lw)


def tuning_axes(ax: Axes, *, normalise: bool = False, fontsize: "float | None" = None) -> None:
    """Angle axis and labels for tuning curves: counter-clockwise from east on a polar axes
    (like the stimuli), 0-360° in steps of 90° on a line plot."""
    if ax.name == "polar":
        ax.set_theta_zero_location("E")  # type: ignore[attr-defined]
        ax.set_theta_direction(1)  # type: ignore[attr-defined]
        if normalise:
            ax.set_ylim(0, 1.05)
    else:
        ax.set_xlim(0, 360)
        ax.set_xticks(range(0, 361, 90))
        ax.set_xlabel("orientation (degrees)", fontsize=fontsize)
        ax.set_ylabel("response ÷ peak" if normalise else "response", fontsize=fontsize)
        if fontsize is not None:
            ax.tick_params(labelsize=fontsize - 1)


def _title(curves: list[TuningCurve], prefix: str) -> str:
    units = ", ".join(dict.fromkeys(c.unit for c in curves))
    notes = "".join(dict.fromkeys(c.note for c in curves if c.note))
    return f"{prefix}{' ' if prefix else ''}{units}{notes}"


def plot_tuning(
    curves: "TuningCurve | Sequence[TuningCurve]",
    reference: "TuningCurve | Sequence[TuningCurve] | None" = None,
    *,
    kind: str = "polar",
    layout: str = "overlay",
    normalise: bool = True,
    align: bool = False,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Tuning curves, with the article's measured curves (``reference``, matched in order) beside them.

    Args:
        kind: ``"polar"`` (the articles' radial plot) or ``"line"`` (response against angle).
        layout: ``"overlay"`` (article dashed over yours) or ``"side"`` (two panels).
        normalise: divide every curve by its own peak, so shapes compare across models and units
            (a silent curve, never above zero, is drawn flat at zero in grey and labelled so).
        align: shift each reference curve by :func:`~shared_utils.tuning.best_offset` onto yours.
    """
    if kind not in ("polar", "line"):
        raise ValueError(f"kind must be 'polar' or 'line', got {kind!r}")
    if layout not in ("overlay", "side"):
        raise ValueError(f"layout must be 'overlay' or 'side', got {layout!r}")
    mine, refs = _as_list(curves), _as_list(reference)
    if not mine:
        raise ValueError("give at least one TuningCurve")
    if refs and len(refs) != len(mine):
        raise ValueError(f"reference has {len(refs)} curves but curves has {len(mine)}; give one reference per curve")
    polar = kind == "polar"
    panels = 2 if (refs and layout == "side") else 1
    fig = plt.figure(figsize=figsize or ((4.4 + (2.2 if polar else 0)) * panels, 4.4), layout="constrained")
    axes = [fig.add_subplot(1, panels, i + 1, projection="polar" if polar else None) for i in range(panels)]
    prefs = preferred_orientation(mine)
    prefs = [prefs] if isinstance(prefs, float) else prefs.tolist()
    for i, tc in enumerate(mine):
        colour = orientation_colour(prefs[i])
        draw_tuning(axes[0], tc, normalise=normalise, colour=colour, style="-", label=f"{tc.unit} (yours)")
        if refs:
            ref = refs[i]
            label = f"{ref.unit} (article)"
            if align:
                shift = best_offset(tc, ref)
                ref = ref.shifted(shift)  # type: ignore[arg-type]
                label += f", shifted {shift:+.0f}°"
            draw_tuning(axes[-1], ref, normalise=normalise, colour=colour, style="--", label=label)
    for ax in axes:
        tuning_axes(ax, normalise=normalise)
        if polar:
            ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.12, 0.5), frameon=False)
        else:
            ax.legend(fontsize=7, loc="upper right")
    if panels == 2:
        axes[0].set_title(_title(mine, "yours:"), fontsize=9)
        axes[1].set_title(_title(refs, "article:") + ("\n(aligned to yours)" if align else ""), fontsize=9)
    fig.suptitle(title or _title(mine + refs, "Tuning"), fontsize=9, wrap=True)
    return fig


def plot_tuning_grid(curves: Sequence[TuningCurve], *, cols: int = 5, normalise: bool = True,
                     title: str | None = None) -> Figure:
    """One small polar plot per unit (e.g. a whole family), each in its preferred-orientation hue."""
    items = list(curves)
    if not items:
        raise ValueError("give at least one TuningCurve")
    rows = -(-len(items) // cols)
    fig = plt.figure(figsize=(2.3 * min(cols, len(items)), 2.5 * rows))
    prefs = preferred_orientation(items)
    prefs = [prefs] if isinstance(prefs, float) else prefs.tolist()
    for i, tc in enumerate(items):
        ax = fig.add_subplot(rows, min(cols, len(items)), i + 1, projection="polar")
        draw_tuning(ax, tc, normalise=normalise, colour=orientation_colour(prefs[i]), style="-", label=tc.unit)
        tuning_axes(ax, normalise=normalise)
        ax.set_xticklabels([])
        ax.set_yticklabels([])
        ax.set_title(f"{tc.unit}  silent" if _silent(tc) else f"{tc.unit}  {prefs[i]:.0f}°", fontsize=8)
    fig.suptitle(title or _title(items, "Radial tuning:"), fontsize=10, wrap=True)
    fig.tight_layout()
    return fig


def plot_stimulus_grid(orientations: Sequence[float], radii: Sequence[float] = (0, 20, 40, 60),
                       *, size: int = 96, **curve_kwargs: object) -> Figure:
    """The curve stimuli as a grid: rows = radius, columns = orientation (``curve_kwargs`` go to ``curve``)."""
    from ..stimuli import curve_sweep

    o, r = list(orientations), list(radii)
    imgs = curve_sweep(o, r, size=size, **curve_kwargs)  # (R, O, 3, S, S)
    fig, axes = plt.subplots(len(r), len(o), figsize=(1.1 * len(o), 1.1 * len(r)), squeeze=False)
    for i, rad in enumerate(r):
        for j, ori in enumerate(o):
            ax = axes[i][j]
            ax.imshow(imgs[i, j].permute(1, 2, 0).clamp(0, 1).numpy(), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if i == len(r) - 1:
                ax.set_xlabel(f"{ori:g}°", fontsize=7)
            if j == 0:
                ax.set_ylabel(f"r={rad:g}", fontsize=7)
    fig.suptitle(f"Curve stimuli, {size} px (orientation = direction of the convex side)", fontsize=9)
    fig.tight_layout()
    return fig
