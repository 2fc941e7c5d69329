"""Lab 8 (reverse-engineering a curve detector): likely wrong answers and the hints they must get."""
from __future__ import annotations

from . import Wrong


def _line(grid: str = '    y, x = torch.meshgrid(-ax, ax, indexing="ij")\n', a: str = "np.deg2rad(angle)",
          uv: str = "    u = x * np.cos(a) + y * np.sin(a)\n    v = -x * np.sin(a) + y * np.cos(a)\n",
          fade: str = "(2 * length**2)", ret: str = "(k - k.mean()).float()") -> str:
    return f'''import numpy as np
import torch


def line_kernel(angle, size=7, sigma=1.0, length=2.0):
    c = (size - 1) / 2
    ax = torch.arange(size, dtype=torch.float64) - c
{grid}    a = {a}
{uv}    k = (1 - v**2 / sigma**2) * torch.exp(-(v**2) / (2 * sigma**2)) * torch.exp(-(u**2) / {fade})
    return {ret}
'''


def _arc(phi: str = "torch.linspace(-span / 2, span / 2, n, dtype=torch.float64)",
         a: str = "theta + torch.deg2rad(phi)",
         xy: str = "    x = radius * (torch.cos(a) - np.cos(theta))\n    y = radius * (torch.sin(a) - np.sin(theta))\n",
         tangent: str = "torch.remainder(orientation + phi + 90.0, 180.0)") -> str:
    return f'''import numpy as np
import torch


def arc_points(orientation, radius, span=120.0, n=25):
    phi = {phi}
    theta = np.deg2rad(orientation)
    a = {a}
{xy}    tangent = {tangent}
    return x, y, tangent
'''


def _early(c: str = "(size - 1) / 2", grid: str = 'torch.meshgrid(-ax, ax, indexing="ij")',
           match: str = "torch.exp(kappa * (torch.cos(torch.deg2rad(2 * (la[:, None] - tau[None]))) - 1))",
           ret: str = "(w / w.sum()).float()") -> str:
    return f'''import torch


def early_curve_kernel(orientation, line_angles, radius, size, span=120.0, n=25, position_sigma=0.8, kappa=4.0):
    c = {c}
    ax = torch.arange(size, dtype=torch.float64) - c
    gy, gx = {grid}
    px, py, tau = arc_points(orientation, radius, span, n)
    la = torch.as_tensor(line_angles, dtype=torch.float64)
    where = torch.exp(-((gx[None] - px[:, None, None]) ** 2 + (gy[None] - py[:, None, None]) ** 2)
                      / (2 * position_sigma**2))
    match = {match}
    w = torch.einsum("ln,nij->lij", match, where)
    return {ret}
'''


def _mixing(delta: str = "torch.deg2rad(early[None, :] - out[:, None])",
            inh: str = "torch.relu(-torch.cos(delta)) ** inhibition_power",
            ret: str = "exc / exc.sum(1, keepdim=True) - beta * inh / inh.sum(1, keepdim=True)") -> str:
    return f'''import torch


def curve_mixing(out_orientations, early_orientations, kappa=6.0, inhibition_power=2.0, beta=1.5):
    out = torch.as_tensor(out_orientations, dtype=torch.float64)
    early = torch.as_tensor(early_orientations, dtype=torch.float64)
    delta = {delta}
    exc = torch.exp(kappa * (torch.cos(delta) - 1))
    inh = {inh}
    return ({ret}).float()
'''


_HITS = '''    if not 1 <= k <= logits.shape[1]:
        raise ValueError(k)
    top = logits.topk(k, dim=1).indices
    return (top == torch.as_tensor(targets).view(-1, 1)).any(dim=1)
'''
_PAIRED = '''    d = topk_hits(logits_a, targets, k).double() - topk_hits(logits_b, targets, k).double()
    if len(d) < 2:
        raise ValueError(len(d))
    return float(d.mean()), float(d.std(unbiased=True)) / math.sqrt(len(d))
'''


def _topk(hits: str = _HITS, paired: str = _PAIRED) -> str:
    return f'''import math

import torch


def topk_hits(logits, targets, k=5):
{hits}

def topk_accuracy(logits, targets, k=5):
    return float(topk_hits(logits, targets, k).double().mean())


def paired_difference(logits_a, logits_b, targets, k=5):
{paired}'''


WRONG: dict[str, list[Wrong]] = {
    "line_kernel": [
        Wrong(_line(a="angle"), "angles are in degrees", "degrees passed to cos and sin as radians"),
        Wrong(_line(grid='    y, x = torch.meshgrid(ax, ax, indexing="ij")\n'), "counter-clockwise with y pointing up",
              "y points down (y = r - (size-1)/2)"),
        Wrong(_line(uv="    v = x * np.cos(a) + y * np.sin(a)\n    u = -x * np.sin(a) + y * np.cos(a)\n"),
              "v is the distance ACROSS the line", "u and v swapped"),
        Wrong(_line(ret="k.float()"), "subtract the mean of all entries", "the mean is not subtracted"),
        Wrong(_line(fade="length**2"), "sigma=1, length=2", "the along-line fade without its factor 2"),
        Wrong(_line(grid='    x, y = torch.meshgrid(ax, -ax, indexing="ij")\n'), "row r, column c is x = c - (size-1)/2",
              "x taken from the row, y from the column"),
    ],
    "arc_points": [
        Wrong(_arc(xy="    x = radius * torch.cos(a)\n    y = radius * torch.sin(a)\n"),
              "the circle's centre is at -radius * (cos θ, sin θ)", "the circle is centred at the origin, not behind the apex"),
        Wrong(_arc(tangent="torch.remainder(orientation + phi, 180.0)"), "the tangent is perpendicular to the radius",
              "the tangent without the + 90"),
        Wrong(_arc(tangent="orientation + phi + 90.0"), "modulo 180", "tangents not taken modulo 180"),
        Wrong(_arc(a="theta + phi"), "phi is in degrees", "phi used as radians"),
        Wrong(_arc(phi="torch.linspace(0.0, span, n, dtype=torch.float64)"), "phi runs from -span/2 to +span/2",
              "phi from 0 to span"),
    ],
    "early_curve_kernel": [
        Wrong(_early(ret="w.float()"), "divide by the total at the end", "not normalised"),
        Wrong(_early(ret="(w / w.sum((1, 2), keepdim=True)).float()"), "divide by the total at the end",
              "each line channel normalised on its own"),
        Wrong(_early(c="size / 2"), "kernel row r is y = (size-1)/2 - r", "the grid's centre at size / 2"),
        Wrong(_early(grid='torch.meshgrid(ax, ax, indexing="ij")'), "y points up: kernel row r is y", "the grid's y points down"),
        Wrong(_early(match="torch.exp(kappa * (torch.cos(torch.deg2rad(la[:, None] - tau[None])) - 1))"),
              "lines have period 180", "cos(line - tangent) without the factor 2"),
        Wrong(_early(match="torch.exp(kappa * (torch.cos(2 * (la[:, None] - tau[None])) - 1))"), "in radians for cos",
              "degrees passed to cos as radians"),
        Wrong(_early(match="torch.exp(-kappa * (torch.cos(torch.deg2rad(2 * (la[:, None] - tau[None]))) - 1))"),
              "the line that follows the tangent gets the most weight", "the tangent match with the wrong sign: largest for the perpendicular line"),
        Wrong(_early(grid='torch.meshgrid(-ax, -ax, indexing="ij")'), "arc points have x <= 0", "the grid's x points left"),
        Wrong(_early(match="torch.exp(kappa * (torch.cos(torch.deg2rad(2 * la[:, None] - tau[None])) - 1))"), "the factor 2 multiplies the whole difference", "2 x line - tangent: only the line angle doubled"),
        Wrong(_early(match="torch.exp(kappa * (torch.cos(torch.deg2rad(2 * (la[:, None] - tau[None] + 90))) - 1))"),
              "arc_points already returns the tangent", "adds 90 to arc_points' tangent again"),
    ],
    "curve_mixing": [
        Wrong(_mixing(inh="(-torch.cos(delta)) ** inhibition_power"),
              "only early curves more than 90 degrees away inhibit", "no max(0, .): cos² inhibits similar curves too"),
        Wrong(_mixing(ret="exc / exc.sum(0, keepdim=True) - beta * inh / inh.sum(0, keepdim=True)"),
              "each row on its own", "normalised over the curves (dim 0), not over the early family"),
        Wrong(_mixing(ret="(exc - beta * inh) / (exc - beta * inh).sum(1, keepdim=True)"), "divide E and I each by its own sum",
              "normalises E - beta I as a whole"),
        Wrong(_mixing(delta="early[None, :] - out[:, None]"), "Δ is in degrees", "degrees passed to cos as radians"),
        Wrong(_mixing(ret="exc / exc.sum(1, keepdim=True) - inh / inh.sum(1, keepdim=True)"), "then subtract beta x I", "forgets beta"),
        Wrong(_mixing(ret="exc / exc.sum(1, keepdim=True) + beta * inh / inh.sum(1, keepdim=True)"), "the opposite early curves must inhibit", "adds beta x I instead of subtracting it"),
        Wrong(_mixing(inh="torch.relu(-torch.cos(delta))"), "to the power p = inhibition_power", "forgets the power p"),
        Wrong(_mixing(ret="exc - beta * inh"), "divide E and I each by its own sum", "E and I not normalised"),
    ],
    "topk_accuracy": [
        Wrong(_topk(hits=_HITS.replace("logits.topk(k, dim=1).indices", "logits.argsort(dim=1)[:, :k]")),
              "k largest logits", "argsort ascending: the k smallest logits"),
        Wrong(_topk(hits=_HITS.replace("logits.topk(k, dim=1).indices", "logits.argmax(dim=1, keepdim=True)")),
              "is the target among the k largest logits", "ignores k: top-1 only"),
        Wrong(_topk(hits=_HITS.replace("logits.topk(k, dim=1)", "logits.topk(k, dim=0)")), "along dim=1 (the classes)", "topk over dim 0 (the photos)"),
        Wrong(_topk(hits=_HITS.replace("    if not 1 <= k <= logits.shape[1]:\n        raise ValueError(k)\n", "")),
              "k counts classes", "no ValueError for k out of range"),
        Wrong(_topk(paired=_PAIRED.replace("unbiased=True", "unbiased=False")),
              "the sample standard deviation divides by N - 1", "the population standard deviation"),
        Wrong(_topk(paired=_PAIRED.replace(
            "topk_hits(logits_a, targets, k).double() - topk_hits(logits_b, targets, k).double()",
            "topk_hits(logits_b, targets, k).double() - topk_hits(logits_a, targets, k).double()")),
              "a's accuracy minus b's", "b's hits minus a's"),
        Wrong(_topk(paired=_PAIRED.replace("    if len(d) < 2:\n        raise ValueError(len(d))\n", "")),
              "one photo has no spread", "no ValueError for one photo"),
        Wrong(_topk(paired='''    a = topk_hits(logits_a, targets, k).double()
    b = topk_hits(logits_b, targets, k).double()
    if len(a) < 2:
        raise ValueError(len(a))
    pa, pb = float(a.mean()), float(b.mean())
    return pa - pb, math.sqrt((pa * (1 - pa) + pb * (1 - pb)) / len(a))
'''), "d_i = hit_a - hit_b per photo", "unpaired standard error"),
    ],
}
