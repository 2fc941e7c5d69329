"""Lab 3 (high-low frequency detectors): likely wrong answers and the hints they must get."""
from __future__ import annotations

from . import Wrong

_TWO_REGION = '''import torch

from shared_utils.stimuli import pixel_coords


def two_region(orientations, size: int = 64, high_period: float = 4.0, low_period: float = 24.0,
               contrast: float = 1.0) -> torch.Tensor:
    x, y = pixel_coords(size, dtype=torch.float64)
    theta = {theta}
    u = x * torch.cos(theta) + y * torch.sin(theta)
    v = -x * torch.sin(theta) + y * torch.cos(theta)

    def plaid(period: float) -> torch.Tensor:
        k = {k}
        return torch.cos(k * u) + torch.cos(k * v)

    hi, lo = plaid(high_period), plaid(low_period)
    alpha = {alpha}
    grey = {grey}
    return {ret}
'''
_RIGHT = dict(theta="torch.deg2rad(torch.as_tensor(orientations, dtype=torch.float64).reshape(-1, 1, 1))",
              k="2 * torch.pi / period", alpha="(0.5 + u).clamp(0.0, 1.0)",
              grey="(0.5 + 0.25 * contrast * (lo + alpha * (hi - lo))).clamp(0.0, 1.0)",
              ret="grey.unsqueeze(1).expand(-1, 3, -1, -1).float()")


def _two_region(**change: str) -> str:
    return _TWO_REGION.format(**{**_RIGHT, **change})


_Y_DOWN = '''import torch


def two_region(orientations, size: int = 64, high_period: float = 4.0, low_period: float = 24.0,
               contrast: float = 1.0) -> torch.Tensor:
    ax = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    y, x = torch.meshgrid(ax, ax, indexing="ij")  # rows and columns from the centre
    theta = torch.deg2rad(torch.as_tensor(orientations, dtype=torch.float64).reshape(-1, 1, 1))
    u = x * torch.cos(theta) + y * torch.sin(theta)
    v = -x * torch.sin(theta) + y * torch.cos(theta)

    def plaid(period: float) -> torch.Tensor:
        k = 2 * torch.pi / period
        return torch.cos(k * u) + torch.cos(k * v)

    hi, lo = plaid(high_period), plaid(low_period)
    alpha = (0.5 + u).clamp(0.0, 1.0)
    grey = (0.5 + 0.25 * contrast * (lo + alpha * (hi - lo))).clamp(0.0, 1.0)
    return grey.unsqueeze(1).expand(-1, 3, -1, -1).float()
'''

_DIRECTION = '''import torch


def preferred_direction(angles_deg, response) -> float:
    a = {a}
    r = {r}
    if not bool((r > 0).any()):
        raise ValueError("no positive response")
    {direction}


def direction_selectivity(angles_deg, response) -> float:
    a = torch.deg2rad(torch.as_tensor(angles_deg, dtype=torch.float64).flatten())
    r = torch.as_tensor(response, dtype=torch.float64).flatten().clamp(min=0)
    {silent}
    return float(torch.hypot((r * torch.sin(a)).sum(), (r * torch.cos(a)).sum()) / {total})
'''
_DIR_RIGHT = dict(a="torch.deg2rad(torch.as_tensor(angles_deg, dtype=torch.float64).flatten())",
                  r="torch.as_tensor(response, dtype=torch.float64).flatten().clamp(min=0)",
                  direction=("d = torch.rad2deg(torch.atan2((r * torch.sin(a)).sum(), (r * torch.cos(a)).sum()))\n"
                             "    return float(torch.remainder(d, 360.0))"),
                  silent='if not bool((r > 0).any()):\n        raise ValueError("no positive response")',
                  total="r.sum()")


def _direction(**change: str) -> str:
    return _DIRECTION.format(**{**_DIR_RIGHT, **change})


_OVERLAP = '''import torch


def factor_overlap(channel: torch.Tensor, reference: list[set[int]], k: int = 5) -> torch.Tensor:
    top = {top}
    out = torch.zeros(top.shape[0], len(reference){dtype})
    for f in range(top.shape[0]):
        chosen = set(top[f].tolist())
        for r, ref in enumerate(reference):
            out[f, r] = len(chosen & set(ref))
    return out
'''

_SIDE = '''import torch

from shared_utils.stimuli import pixel_coords


def side_kernel(size: int, direction_deg: float) -> torch.Tensor:
    {grid}
    theta = {theta}
    u = {u}
    return {ret}
'''
_SIDE_RIGHT = dict(grid="x, y = pixel_coords(size, dtype=torch.float64)",
                   theta="torch.deg2rad(torch.tensor(float(direction_deg), dtype=torch.float64))",
                   u="(x * torch.cos(theta) + y * torch.sin(theta)).clamp(-1.0, 1.0)",
                   ret="torch.where(torch.hypot(x, y) <= size / 2, u, torch.zeros_like(u)).float()")


def _side(**change: str) -> str:
    return _SIDE.format(**{**_SIDE_RIGHT, **change})


WRONG: dict[str, list[Wrong]] = {
    "two_region": [
        Wrong(_two_region(grey="(0.5 + 0.25 * contrast * (hi + alpha * (lo - hi))).clamp(0.0, 1.0)"),
              "alpha weights the high-frequency plaid", "hi and lo swapped in the mix: high frequencies on the wrong side"),
        Wrong(_two_region(theta="torch.as_tensor(orientations, dtype=torch.float64).reshape(-1, 1, 1)"),
              "torch.deg2rad before cos and sin", "degrees passed to cos and sin as radians"),
        Wrong(_Y_DOWN, "u = y, which grows upwards", "y grows downwards (row index) instead of up"),
        Wrong(_two_region(k="1 / period"), "plaid cos(2 pi u / P)", "forgets the 2 pi in the plaid"),
        Wrong(_two_region(alpha="u.clamp(0.0, 1.0)"), "alpha = clamp(0.5 + u, 0, 1)",
              "ramp without the 0.5: alpha = clamp(u, 0, 1)"),
        Wrong(_two_region(grey="0.5 + 0.25 * contrast * (lo + alpha * (hi - lo))"),
              "clamp the grey level to [0, 1] at the end", "no final clamp to [0, 1]"),
        Wrong(_two_region(ret="grey.unsqueeze(1).float()"), "one (3, S, S) image per orientation",
              "one channel instead of three"),
    ],
    "preferred_direction": [
        Wrong(_direction(direction=("d = torch.atan2((r * torch.sin(a)).sum(), (r * torch.cos(a)).sum())\n"
                                    "    return float(torch.remainder(d, 360.0))")),
              "in degrees", "returns radians"),
        Wrong(_direction(direction=("d = torch.rad2deg(torch.atan2((r * torch.sin(a)).sum(), (r * torch.cos(a)).sum()))\n"
                                    "    return float(d)")),
              "wrap the result into [0, 360)", "no wrap into [0, 360): -10 instead of 350"),
        Wrong(_direction(direction=("d = torch.rad2deg(torch.atan((r * torch.sin(a)).sum() / (r * torch.cos(a)).sum()))\n"
                                    "    return float(torch.remainder(d, 360.0))")),
              "atan2, not atan", "atan of the ratio: loses the quadrant"),
        Wrong(_direction(r="torch.as_tensor(response, dtype=torch.float64).flatten()"),
              "a negative response counts as no response", "negative responses not clamped to 0"),
        Wrong(_direction(total="len(r)"), "divided by the summed (positive) response",
              "selectivity divided by the number of angles"),
        Wrong(_direction().replace('    if not bool((r > 0).any()):\n        raise ValueError("no positive response")\n    d =',
                                   '    d =', 1),
              "every arrow is 0: raise ValueError", "no ValueError for a silent unit (atan2(0, 0) gives 0)"),
        Wrong(_direction(silent="# a silent unit gives 0 / 0"), "0 / 0 is no answer: raise ValueError",
              "selectivity does not raise for a silent unit"),
    ],
    "factor_overlap": [
        Wrong(_OVERLAP.format(top="torch.as_tensor(channel).topk(k, dim=0).indices", dtype=", dtype=torch.long"),
              "the k largest entries of each row", "topk along dim 0 (the factors) instead of each row"),
        Wrong(_OVERLAP.format(top="torch.argsort(torch.as_tensor(channel), dim=1)[:, :k]", dtype=", dtype=torch.long"),
              "factor 0's top 2 are {0, 1}", "takes the k smallest weights"),
        Wrong(_OVERLAP.format(top="torch.as_tensor(channel).topk(k, dim=1).indices", dtype=""),
              "counts are whole numbers", "a float tensor, not torch.long"),
    ],
    "side_kernel": [
        Wrong(_side(grid=("ax = torch.arange(size, dtype=torch.float64) - (size - 1) / 2\n"
                          "    y, x = torch.meshgrid(ax, ax, indexing=\"ij\")")),
              "y points up: row 0 is the top", "y grows downwards (row index)"),
        Wrong(_side(ret="u.float()"), "zero where hypot(x, y) > size / 2", "no disc: corners not zeroed"),
        Wrong(_side(u="x * torch.cos(theta) + y * torch.sin(theta)"), "clamp x cos + y sin to [-1, 1]",
              "no clamp to [-1, 1]"),
        Wrong(_side(theta="torch.tensor(float(direction_deg), dtype=torch.float64)"),
              "degrees to radians", "degrees passed to cos and sin as radians"),
    ],
}
