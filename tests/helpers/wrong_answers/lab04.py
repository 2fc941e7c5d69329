"""Lab 4 (the curve circuit): likely wrong answers and the hints they must get."""
from __future__ import annotations

from . import Wrong

_EXPAND = '''import torch


def expand_through_bottleneck(w_bottleneck: torch.Tensor, w_conv: torch.Tensor) -> torch.Tensor:
{checks}    {body}
'''
_EXPAND_CHECKS = '''    if w_bottleneck.ndim != 4 or tuple(w_bottleneck.shape[-2:]) != (1, 1):
        raise ValueError("the bottleneck must be (mid, in, 1, 1)")
    if w_conv.ndim != 4 or w_conv.shape[1] != w_bottleneck.shape[0]:
        raise ValueError("w_conv must read the bottleneck's channels")
'''

_PEAKS = '''import torch


def peak_angles(radial: dict[str, list[float]]) -> dict[int, float]:
    out = {{}}
    for key, values in radial.items():
        v = torch.as_tensor(values, dtype=torch.float64).flatten()
        n = len(v)
        i = int(torch.argmax(v))
        {neighbours}
        curvature = y_minus - 2 * y0 + y_plus
        delta = {delta} if curvature < 0 else 0.0
        out[{key}] = {angle}
    return out
'''
_PEAKS_RIGHT = dict(neighbours="y_minus, y0, y_plus = float(v[(i - 1) % n]), float(v[i]), float(v[(i + 1) % n])",
                    delta="0.5 * (y_minus - y_plus) / curvature", key="int(key)",
                    angle="float(((i + delta) * 360.0 / n) % 360.0)")


def _peaks(**change: str) -> str:
    return _PEAKS.format(**{**_PEAKS_RIGHT, **change})


_PROFILE = '''import torch


def offset_profile(summed: torch.Tensor, src_deg, dst_deg, bin_width: float = 15.0) -> tuple[torch.Tensor, torch.Tensor]:
    summed = torch.as_tensor(summed, dtype=torch.float64)
    src = torch.as_tensor(src_deg, dtype=torch.float64)
    dst = torch.as_tensor(dst_deg, dtype=torch.float64)
    n_bins = int(round(360.0 / bin_width))
    offset = torch.remainder({offset}, 360.0)
    k = {k}
    totals = torch.zeros(n_bins, dtype=torch.float64).index_add_(0, k, summed.flatten())
    counts = torch.zeros(n_bins, dtype=torch.float64).index_add_(0, k, torch.ones_like(summed.flatten()))
    means = {means}
    return torch.arange(n_bins, dtype=torch.float64) * bin_width, means
'''
_PROFILE_RIGHT = dict(offset="dst[:, None] - src[None, :]",
                      k="torch.remainder(torch.round(offset / bin_width).long(), n_bins).flatten()",
                      means="torch.where(counts > 0, totals / counts.clamp(min=1), torch.full_like(totals, float(\"nan\")))")


def _profile(**change: str) -> str:
    return _PROFILE.format(**{**_PROFILE_RIGHT, **change})


_PROFILE_BINCOUNT = '''import torch


def offset_profile(summed: torch.Tensor, src_deg, dst_deg, bin_width: float = 15.0) -> tuple[torch.Tensor, torch.Tensor]:
    summed = torch.as_tensor(summed, dtype=torch.float64)
    src = torch.as_tensor(src_deg, dtype=torch.float64)
    dst = torch.as_tensor(dst_deg, dtype=torch.float64)
    n_bins = int(round(360.0 / bin_width))
    offset = torch.remainder(dst[:, None] - src[None, :], 360.0)
    k = torch.round(offset / bin_width).long().flatten()
    totals = torch.bincount(k, weights=summed.flatten(), minlength=n_bins)
    counts = torch.bincount(k, minlength=n_bins).double()
    means = torch.where(counts > 0, totals / counts.clamp(min=1), torch.full_like(totals, float("nan")))
    return torch.arange(n_bins, dtype=torch.float64) * bin_width, means
'''

_ECHO = '''import torch


def echo_at_180(response) -> float:
    r = torch.as_tensor(response, dtype=torch.float64).flatten()
    n = len(r)
{odd}    i = int(torch.argmax(r))
    if {silent}:
        return float("nan")
    return {ret}
'''
_ECHO_RIGHT = dict(odd='    if n % 2:\n        raise ValueError("odd number of angles")\n', silent="r[i] <= 0",
                   ret="float(r[(i + n // 2) % n] / r[i])")


def _echo(**change: str) -> str:
    return _ECHO.format(**{**_ECHO_RIGHT, **change})


WRONG: dict[str, list[Wrong]] = {
    "expand_through_bottleneck": [
        Wrong(_EXPAND.format(checks=_EXPAND_CHECKS, body='return torch.einsum("omab,mi->ioab", w_conv, w_bottleneck[:, :, 0, 0])'),
              "return (out, in, k, k)", "in and out swapped: (in, out, k, k)"),
        Wrong(_EXPAND.format(checks="", body='return torch.einsum("omab,mi->oiab", w_conv, w_bottleneck[:, :, 0, 0])'),
              "raise ValueError otherwise", "no ValueError for a bottleneck that is not 1x1"),
        Wrong(_EXPAND.format(checks=_EXPAND_CHECKS, body=(
            "o, _, kh, kw = w_conv.shape\n"
            "    e = w_conv.permute(0, 2, 3, 1) @ w_bottleneck[:, :, 0, 0]  # (out, k, k, in)\n"
            "    return e.reshape(o, -1, kh, kw)")),
              "a reshape does not move axes", "reshape instead of permute back to (out, in, k, k)"),
    ],
    "peak_angles": [
        Wrong(_peaks(delta="0.5 * (y_plus - y_minus) / curvature"), "the vertex is at x = -b / 2a",
              "sign error in the vertex"),
        Wrong(_peaks(delta="(y_minus - y_plus) / curvature"), "at most half a sample",
              "vertex at -b / a: forgets the 2"),
        Wrong(_peaks(neighbours=("if 0 < i < n - 1:\n"
                                 "            y_minus, y0, y_plus = float(v[i - 1]), float(v[i]), float(v[i + 1])\n"
                                 "        else:\n"
                                 "            y_minus = y0 = y_plus = float(v[i])  # no neighbour on one side")),
              "neighbours at (i - 1) % n and (i + 1) % n", "no wrap-around: no refinement at the ends"),
        Wrong(_peaks(angle="float((i + delta) * 360.0 / n)"), "-7.5 degrees is 352.5 modulo 360",
              "angle not taken modulo 360"),
        Wrong(_peaks(key="key"), "keys as ints", "keeps the string keys"),
    ],
    "offset_profile": [
        Wrong(_profile(k="torch.remainder(torch.floor(offset / bin_width).long(), n_bins).flatten()"),
              "round to the nearest bin", "floor instead of round"),
        Wrong(_profile(offset="src[None, :] - dst[:, None]"), "offset = dst - src: summed[i, j] goes from source j",
              "offset src - dst"),
        Wrong(_profile(means="totals / counts.clamp(min=1)"), "an empty bin has no mean: nan, not 0",
              "empty bins give 0"),
        Wrong(_PROFILE_BINCOUNT, "which is bin 0 modulo 12", "bin index not wrapped modulo n_bins"),
        Wrong(_profile(means="torch.where(counts > 0, totals, torch.full_like(totals, float(\"nan\")))"),
              "a bin's total divided by its count", "sums per bin, not means"),
    ],
    "echo_at_180": [
        Wrong(_echo(ret="float(r[(i + n // 2) % n])"), "divide by the peak", "does not divide by the peak"),
        Wrong(_echo(odd=""), "raise ValueError for an odd number of angles", "no ValueError for an odd n"),
        Wrong(_echo(silent="r[i] == 0"), "a peak <= 0 means the unit is silent: return nan",
              "only an all-zero peak counts as silent"),
    ],
    "restrict_inputs": [
        Wrong('''import torch


def restrict_inputs(w: torch.Tensor, keep: list[int], positive_only: bool = False) -> torch.Tensor:
    out = w.clone()
    out[:, list(keep)] = 0.0
    if positive_only:
        out = out.clamp(min=0)
    return out
''', "every other column becomes 0", "zeroes the kept columns instead of the others"),
        Wrong('''import torch


def restrict_inputs(w: torch.Tensor, keep: list[int], positive_only: bool = False) -> torch.Tensor:
    out = torch.zeros_like(w)
    kept = w[:, list(keep)]
    out[:, list(keep)] = kept.abs() if positive_only else kept
    return out
''', "not their absolute value", "abs() instead of dropping the negative weights"),
        Wrong('''import torch


def restrict_inputs(w: torch.Tensor, keep: list[int], positive_only: bool = False) -> torch.Tensor:
    drop = [c for c in range(w.shape[1]) if c not in keep]
    w[:, drop] = 0.0
    if positive_only:
        w.clamp_(min=0)
    return w
''', "build a new tensor", "edits w in place"),
    ],
}
