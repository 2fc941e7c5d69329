"""Pixel grids and angles, in one place: stimuli, hand-built kernels, equivariance and verify use these.

Conventions: ``x`` points right and ``y`` up, both measured from the image (or kernel) centre; angles
are degrees, counter-clockwise from ``+x``.

>>> x, y = pixel_coords(3)
>>> x[0].tolist() == [-1.0, 0.0, 1.0] and y[:, 0].tolist() == [1.0, 0.0, -1.0]
True
>>> float(circular_distance(350.0, 10.0)), float(circular_distance(170.0, -10.0, period=180.0))
(20.0, 0.0)
>>> wrap_degrees(torch.tensor([180.0, 190.0, -180.0])).tolist()
[180.0, -170.0, 180.0]
"""
from __future__ import annotations

from typing import Iterable, Union

import torch

__all__ = ["pixel_coords", "angles", "wrap_degrees", "circular_distance"]

Angles = Union[float, Iterable[float], torch.Tensor]


def pixel_coords(size: int, device: "torch.device | str | None" = None, dtype: torch.dtype = torch.float32, *,
                 minimum: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
    """Pixel-centre coordinates ``(x, y)``, each (S, S), in pixels from the image centre; y points up.

    Pixel ``[row, col]`` has ``x = col - (S-1)/2`` and ``y = (S-1)/2 - row``.
    """
    if not isinstance(size, int) or isinstance(size, bool) or size < minimum:
        raise ValueError(f"size must be an int >= {minimum} (pixels per side), got {size!r}")
    c = (size - 1) / 2
    ax = torch.arange(size, device=device, dtype=dtype) - c
    y, x = torch.meshgrid(-ax, ax, indexing="ij")
    return x, y


def angles(values: Angles, name: str = "angles") -> torch.Tensor:
    """Numbers / a sequence / a range / a tensor -> a float64 1-D CPU tensor of degrees (not empty, finite)."""
    t = torch.as_tensor(list(values) if isinstance(values, range) else values, dtype=torch.float64)
    t = t.detach().cpu().reshape(-1)
    if t.numel() == 0:
        raise ValueError(f"{name} is empty; give at least one angle in degrees")
    if not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} contains NaN or inf")
    return t


def wrap_degrees(deg: torch.Tensor) -> torch.Tensor:
    """Angles -> (-180, 180]."""
    return 180.0 - torch.remainder(180.0 - deg, 360.0)


def circular_distance(a: Angles, b: Angles, period: float = 360.0) -> torch.Tensor:
    """``|a - b|`` around a circle of ``period`` degrees, in ``[0, period / 2]`` (broadcasts like ``a - b``)."""
    if period <= 0:
        raise ValueError(f"period must be > 0 degrees, got {period}")
    d = torch.remainder(torch.as_tensor(a, dtype=torch.float64) - torch.as_tensor(b, dtype=torch.float64), period)
    return torch.minimum(d, period - d)
