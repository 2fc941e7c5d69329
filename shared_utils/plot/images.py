"""Grids of pictures: photos, activation maps, first-layer kernels."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from matplotlib.figure import Figure

from .style import tile_grid

__all__ = ["to_hwc", "kernel_to_rgb", "show_images", "show_kernels"]


def to_hwc(image: "torch.Tensor | np.ndarray") -> np.ndarray:
    """(3, H, W) or (H, W, 3) or (H, W) -> a numpy array matplotlib can show."""
    arr = image.detach().cpu().float().numpy() if isinstance(image, torch.Tensor) else np.asarray(image)
    if arr.ndim == 3 and arr.shape[0] in (1, 3) and arr.shape[-1] not in (1, 3):
        arr = arr.transpose(1, 2, 0)
    return arr.squeeze()


def kernel_to_rgb(kernel: "torch.Tensor | np.ndarray") -> np.ndarray:
    """A first-layer kernel (3, k, k) as an RGB picture (k, k, 3) in [0, 1]: 0.5 is zero weight.

    Scaled by the kernel's own largest magnitude, so the sign pattern shows (not the norm).
    """
    w = kernel.detach().cpu().float().numpy() if isinstance(kernel, torch.Tensor) else np.asarray(kernel, float)
    if w.ndim != 3 or w.shape[0] != 3:
        raise ValueError(f"expected a kernel shaped (3, k, k), got {w.shape}")
    m = np.abs(w).max()
    return (0.5 + w.transpose(1, 2, 0) / (2 * m)) if m > 0 else np.full(w.shape[1:] + (3,), 0.5)


def show_images(images: Sequence, titles: Sequence[str] | None = None, *, ncols: int = 8,
                suptitle: str | None = None, size: float = 1.6, cmap: str | None = None) -> Figure:
    """Show pictures in a grid, each with an optional title."""
    n = len(images)
    if n == 0:
        raise ValueError("no images to show")
    ncols = min(ncols, n)
    nrows = (n + ncols - 1) // ncols
    # Constrained layout with titles wrapped to the tile width: long titles never reach the row above.
    fig, axes, titles, suptitle = tile_grid(nrows, ncols, [] if titles is None else [str(t) for t in titles],
                                            size=size, fontsize=8, suptitle=suptitle or "", suptitle_size=12)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(to_hwc(images[i]), cmap=cmap, interpolation="nearest")
            if titles:
                ax.set_title(titles[i], fontsize=8)
    if suptitle:
        fig.suptitle(suptitle, fontsize=12)
    return fig


def show_kernels(weight: torch.Tensor, *, ncols: int = 16, suptitle: str | None = None) -> Figure:
    """All kernels of a first-layer conv (C_out, 3, k, k) as RGB tiles titled by channel."""
    tiles = [kernel_to_rgb(w) for w in weight]
    return show_images(tiles, [str(i) for i in range(len(tiles))], ncols=ncols, suptitle=suptitle, size=0.8)
