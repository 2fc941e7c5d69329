"""Pictures of weights in the Circuits articles' language: red excites, blue inhibits, white is 0.

What a student does with it:

Usage::

    plot_kernel(expanded_weights(model, "3a:147", "3b:379"), src="3a:147", dst="3b:379", model=model)
    plot_kernel_grid(expanded_weights(model, ins, outs), ins, outs, model=model)   # inputs x outputs
    plot_connections(top_inputs(model, "3b:379"), model=model)                    # one kernel per edge
    plot_circuit([("3a:147", "3b:379", 0.6), ("3a:145", "3b:379", -0.4)], images={...}, model=model)

Colour limits are always symmetric (``-m .. m``), so 0 is white. Titles name the units in the
articles' short form (``3a:147 -> 3b:379``) and, for the untrained stand-in, say so loudly.
Matplotlib only.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..inception.names import Unit, format_unit, parse_unit
from .style import EXCITE, INHIBIT, WEIGHT_CMAP, model_note, symmetric_limits, title_units

__all__ = ["plot_kernel", "plot_kernel_grid", "plot_connections", "plot_circuit"]


def _np(x: "torch.Tensor | np.ndarray") -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().to("cpu", torch.float32).numpy()
    return np.asarray(x, dtype=np.float32)


def _uid(u: "Unit | str") -> str:
    if isinstance(u, Unit):
        return u.short
    try:
        return format_unit(u)
    except (ValueError, KeyError, IndexError, TypeError):
        return str(u)


def _pair_title(src: "Unit | str | None", dst: "Unit | str | None", model: object | None, prefix: str) -> str:
    ids = " -> ".join(_uid(u) for u in (src, dst) if u is not None)
    head = f"{prefix} {ids}".strip()
    return f"{head}{model_note(model)}"


def plot_kernel(
    kernel: "torch.Tensor | np.ndarray",
    *,
    src: "Unit | str | None" = None,
    dst: "Unit | str | None" = None,
    model: object | None = None,
    ax: Axes | None = None,
    vmax: float | None = None,
    colorbar: bool = True,
    title: str | None = None,
) -> Axes:
    """Heatmap of one (k, k) kernel, red = excitation, blue = inhibition, symmetric limits.

    Titled ``src -> dst`` (plus the untrained note for the stand-in) unless ``title`` is given.
    """
    k = _np(kernel)
    if k.ndim != 2:
        raise ValueError(f"a kernel is 2-D (k, k); got shape {k.shape}. Pick one input and one output unit.")
    if ax is None:
        _, ax = plt.subplots(figsize=(3.2, 3.0))
    lo, hi = (-vmax, vmax) if vmax else symmetric_limits(k)
    im = ax.imshow(k, cmap=WEIGHT_CMAP, vmin=lo, vmax=hi, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title if title is not None else _pair_title(src, dst, model, "weights"), fontsize=9)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    return ax


def plot_kernel_grid(
    weights: "torch.Tensor | np.ndarray",
    src_units: Sequence["Unit | str"],
    dst_units: Sequence["Unit | str"],
    *,
    model: object | None = None,
    vmax: float | None = None,
    cell: float = 0.9,
    title: str | None = None,
) -> Figure:
    """A grid of kernels: one row per input unit, one column per output unit.

    ``weights`` is (n_dst, n_src, k, k), as :func:`shared_utils.weights.expanded_weights` returns
    for lists of units. One symmetric colour scale for the whole grid, so cells compare.
    """
    w = _np(weights)
    if w.ndim != 4 or w.shape[:2] != (len(dst_units), len(src_units)):
        raise ValueError(
            f"weights must be (n_dst={len(dst_units)}, n_src={len(src_units)}, k, k); got shape {w.shape}"
        )
    n_src, n_dst = len(src_units), len(dst_units)
    fig, axes = plt.subplots(n_src, n_dst, figsize=(max(4.5, cell * n_dst + 1.8), cell * n_src + 1.1),
                             squeeze=False, layout="constrained")
    lo, hi = (-vmax, vmax) if vmax else symmetric_limits(w)
    im = None
    for r in range(n_src):
        for c in range(n_dst):
            ax = axes[r, c]
            im = ax.imshow(w[c, r], cmap=WEIGHT_CMAP, vmin=lo, vmax=hi, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(_uid(dst_units[c]), fontsize=8)
            if c == 0:
                ax.set_ylabel(_uid(src_units[r]), fontsize=8, rotation=0, ha="right", va="center")
    fig.colorbar(im, ax=axes, shrink=0.8)
    if title is None:
        note = model_note(model).strip()
        title = "weights: inputs (rows) x outputs (columns)" + (f"\n{note}" if note else "")
    fig.suptitle(title, fontsize=10)
    return fig


def plot_connections(connections: Sequence[object], *, model: object | None = None, ncols: int = 5,
                     shared_scale: bool = True) -> Figure:
    """One kernel per :class:`~shared_utils.weights.Connection` (e.g. from ``top_inputs``), labelled
    ``src -> dst`` with the signed sum and L2 norm."""
    conns = list(connections)
    if not conns:
        raise ValueError("no connections to plot")
    n = len(conns)
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.2 * ncols + 0.8, 2.3 * nrows + 0.5), squeeze=False,
                             layout="constrained")
    kernels = [_np(c.kernel) for c in conns]  # type: ignore[attr-defined]
    shared = symmetric_limits(np.stack(kernels)) if shared_scale else None
    for i, ax in enumerate(axes.flat):
        if i >= n:
            ax.axis("off")
            continue
        c = conns[i]
        lo, hi = shared if shared else symmetric_limits(kernels[i])
        im = ax.imshow(kernels[i], cmap=WEIGHT_CMAP, vmin=lo, vmax=hi, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{c.src.short} -> {c.dst.short}\nsum {c.total:+.3g}  L2 {c.l2:.3g}", fontsize=8)  # type: ignore[attr-defined]
    if shared:
        fig.colorbar(im, ax=axes, shrink=0.8)
    fig.suptitle(title_units(sorted({c.dst for c in conns}), "connections of", model), fontsize=10)  # type: ignore[attr-defined]
    return fig


def _thumb(image: object | None) -> np.ndarray | None:
    if image is None:
        return None
    a = _np(image)  # type: ignore[arg-type]
    if a.ndim == 4 and a.shape[0] == 1:
        a = a[0]
    if a.ndim == 3 and a.shape[0] in (1, 3) and a.shape[-1] not in (1, 3):
        a = np.moveaxis(a, 0, -1)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3):
        raise ValueError(f"a thumbnail must be (H, W), (H, W, 3) or (3, H, W); got {a.shape}")
    return np.clip(a, 0.0, 1.0)


def plot_circuit(
    edges: Sequence[tuple["Unit | str", "Unit | str", float]],
    images: Mapping["Unit | str", object] | None = None,
    *,
    model: object | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    max_width: float = 6.0,
) -> Axes:
    """A small circuit diagram: units as thumbnails in columns by layer, edges between them.

    ``edges`` are ``(src, dst, strength)``, e.g. the signed sum of an expanded weight. Edge colour
    is the sign (red excites, blue inhibits), width is proportional to ``|strength|`` (the largest
    gets ``max_width``). ``images`` maps units to thumbnails in [0, 1] (feature visualisations);
    units without one get a grey placeholder with their id. Earlier layers are on the left.
    """
    if not edges:
        raise ValueError("a circuit needs at least one edge (src, dst, strength)")
    parsed = [(parse_unit(s), parse_unit(d), float(v)) for s, d, v in edges]
    imgs = {parse_unit(k): v for k, v in (images or {}).items()}
    units: list[Unit] = []
    for s, d, _ in parsed:
        for u in (s, d):
            if u not in units:
                units.append(u)
    order = _layer_order()
    layers = sorted({u.layer for u in units}, key=lambda name: order.get(name, len(order)))
    pos: dict[Unit, tuple[float, float]] = {}
    for col, layer in enumerate(layers):
        members = [u for u in units if u.layer == layer]
        for row, u in enumerate(members):
            pos[u] = (col * 3.0, -(row - (len(members) - 1) / 2) * 1.4)
    if ax is None:
        height = max(2.5, 1.2 * max(sum(u.layer == lay for u in units) for lay in layers))
        _, ax = plt.subplots(figsize=(2.6 * len(layers) + 0.5, height))
    half = 0.5
    strongest = max(abs(v) for _, _, v in parsed) or 1.0
    for s, d, v in parsed:
        (x0, y0), (x1, y1) = pos[s], pos[d]
        ax.plot([x0 + half, x1 - half], [y0, y1], color=EXCITE if v >= 0 else INHIBIT,
                linewidth=max(0.3, max_width * abs(v) / strongest), solid_capstyle="round", zorder=1,
                label=f"{s.short}->{d.short}")
    for u, (x, y) in pos.items():
        img = _thumb(imgs.get(u))
        extent = (x - half, x + half, y - half, y + half)
        if img is None:
            ax.add_patch(Rectangle((x - half, y - half), 2 * half, 2 * half, facecolor="#DDDDDD",
                                   edgecolor="#888888", zorder=2))
        else:
            ax.imshow(img, extent=extent, zorder=2, cmap="gray" if img.ndim == 2 else None)
        ax.text(x, y - half - 0.12, u.short, ha="center", va="top", fontsize=8, zorder=3)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 1.0, max(xs) + 1.0)
    ax.set_ylim(min(ys) - 1.1, max(ys) + 0.9)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title if title is not None else title_units(sorted({d for _, d, _ in parsed}), "circuit into", model),
                 fontsize=10)
    return ax


def _layer_order() -> dict[str, int]:
    from ..inception._arch import TRUNK

    order: dict[str, int] = {}
    for i, name in enumerate(TRUNK):
        order[name] = 2 * i
    for name in list(order):
        if name.startswith("mixed"):
            for suffix in ("3x3_bottleneck", "5x5_bottleneck"):
                order[f"{name}_{suffix}"] = order[name] - 1
    return order
