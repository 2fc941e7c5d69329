"""Lab 2 (curve detectors): likely wrong answers and the hints they must get."""
from __future__ import annotations

from . import Wrong

_CORNER = '''import math

import torch


def rounded_corner_distance(x, y, orientation_deg, radius, angular_width=90.0):
    theta = {theta}
    c, s = math.cos(theta), math.sin(theta)
    cx, cy = -radius * c, -radius * s
    u = (x - cx) * c + (y - cy) * s
    v = (-(x - cx) * s + (y - cy) * c).abs()
    beta = math.radians(angular_width / 2)
    cb, sb = math.cos(beta), math.sin(beta)
    in_wedge = u * sb - v * cb >= 0
    d_arc = {d_arc}
    qu, qv = u - radius * cb, v - radius * sb
    t = (-qu * sb + qv * cb).clamp(min=0)
    d_arm = torch.hypot(qu + t * sb, qv - t * cb)
    return {result}
'''


def _corner(theta: str = "math.radians(orientation_deg)", d_arc: str = "(torch.hypot(u, v) - radius).abs()",
            result: str = "torch.where(in_wedge, d_arc, d_arm)") -> str:
    return _CORNER.format(theta=theta, d_arc=d_arc, result=result)


_FWHM = '''import torch


def fwhm(response):
    r = torch.as_tensor(response, dtype=torch.float64).flatten()
    n = len(r)
    i = int(torch.argmax(r))
    peak = float(r[i])
    level = peak / 2
{checks}
    def reach(direction):
        k = 0  # samples walked while still >= level
{walk}
    return min(360.0, {total})
'''
_PEAK_FIRST = '''    if peak <= 0:
        raise ValueError("a silent unit has no width")
    if bool((r >= level).all()):
        return 360.0
'''
_WALK = '''        while float(r[(i + direction * (k + 1)) % n]) >= level:
            k += 1
        inside, outside = float(r[(i + direction * k) % n]), float(r[(i + direction * (k + 1)) % n])
        return k + (inside - level) / (inside - outside)
'''


def _fwhm(checks: str = _PEAK_FIRST, walk: str = _WALK, total: str = "(reach(+1) + reach(-1)) * 360.0 / n") -> str:
    return _FWHM.format(checks=checks, walk=walk, total=total)


_ORDER = '''import torch


def orientation_order(radial):
    peaks = {{}}
    for key, values in radial.items():
        v = torch.as_tensor(values, dtype=torch.float64)
        peaks[{key}] = {peak}
    units = sorted(peaks, key=peaks.get{reverse})
    angles = [peaks[u] for u in units]
    n = len(angles)
    gaps = {gaps}
    return units, gaps
'''
_GAPS = "[angles[i + 1] - angles[i] for i in range(n - 1)] + [angles[0] + 360.0 - angles[-1]]"


def _order(key: str = "int(key)", peak: str = "float(torch.argmax(v)) * 360.0 / len(v)", reverse: str = "",
           gaps: str = _GAPS) -> str:
    return _ORDER.format(key=key, peak=peak, reverse=reverse, gaps=gaps)


_ECHO = '''import torch


def echo_ratio(response, window=45.0):
    r = torch.as_tensor(response, dtype=torch.float64).flatten()
    n = len(r)
    i = int(torch.argmax(r))
    if r[i] <= 0:
        raise ValueError("a silent unit has no echo")
    angles = torch.arange(n, dtype=torch.float64) * 360.0 / n
{near}
    return float(r[near].max() / r[i])
'''

_EV = '''import torch


def ev_shares(bins, heights):
    x = torch.as_tensor(bins, dtype=torch.float64)
    h = torch.as_tensor(heights, dtype=torch.float64)
    contrib = {contrib}
    return {result}
'''

_JOINT = '''import torch


def joint_tuning(responses):
    r = torch.as_tensor(responses, dtype=torch.float64)
    if r.ndim != 3:
        raise ValueError("responses must be 3-D")
{curves}
    best, index = curves.max(dim=1)
    winners = {winners}
    order = []
    for w in winners.tolist():
        if w >= 0 and (not order or order[-1] != w):
            order.append(w)
{close}    return curves, winners, order
'''
_CURVES = '''    mean = r.mean(dim=0)
    peak = mean.amax(dim=0)
    fires = peak > 0
    curves = torch.where(fires, mean / torch.where(fires, peak, torch.ones_like(peak)), torch.zeros_like(mean))
'''
_WINNERS = "torch.where(best > 0, index, torch.full_like(index, -1))"
_CLOSE = '''    if len(order) > 1 and order[-1] == order[0]:
        order.pop()
'''


def _joint(curves: str = _CURVES, winners: str = _WINNERS, close: str = _CLOSE) -> str:
    return _JOINT.format(curves=curves, winners=winners, close=close)


WRONG: dict[str, list[Wrong]] = {
    "rounded_corner_distance": [
        Wrong(_corner(theta="orientation_deg"), "theta = math.radians(orientation_deg)",
              "uses the orientation in degrees as radians"),
        Wrong(_corner(d_arc="torch.hypot(u, v) - radius"), "distance to the arc is |distance to the centre - r|",
              "no absolute value: negative inside the circle"),
        Wrong(_corner(result="d_arc"), "outside the wedge: distance to the ray e + t d",
              "the whole circle everywhere: forgets the arms"),
        Wrong(_corner(theta="-math.radians(orientation_deg)"),
              "y points up; the orientation is the direction the convex side points, counter-clockwise",
              "turns the orientation clockwise (y down)"),
    ],
    "fwhm": [
        Wrong('''import torch


def fwhm(response):
    r = torch.as_tensor(response, dtype=torch.float64).flatten()
    peak = float(r.max())
    if peak <= 0:
        raise ValueError("a silent unit has no width")
    return float((r >= peak / 2).sum()) * 360.0 / len(r)
''', "counting the samples above half maximum is not enough", "counts the samples above half maximum"),
        Wrong(_fwhm(walk='''        while float(r[(i + direction * (k + 1)) % n]) >= level:
            k += 1
        return k
'''), "go on past the last sample above half maximum", "stops at the last sample above half max: no interpolation"),
        Wrong(_fwhm(total="reach(+1) + reach(-1)"), "multiply by 360 / n", "a width in samples, not degrees"),
        Wrong(_fwhm(walk='''        while 0 <= i + direction * (k + 1) < n and float(r[i + direction * (k + 1)]) >= level:
            k += 1
        j = i + direction * (k + 1)
        if not 0 <= j < n:  # ran off the end of the list
            return float(k)
        inside, outside = float(r[i + direction * k]), float(r[j])
        return k + (inside - level) / (inside - outside)
'''), "walk with indices modulo n", "stops at the ends of the list: no wrap-around"),
        Wrong(_fwhm(checks='''    if bool((r >= level).all()):
        return 360.0
    if peak <= 0:
        raise ValueError("a silent unit has no width")
'''), "test the peak first", "the 'never below half max' case first: a silent unit gets 360"),
    ],
    "orientation_order": [
        Wrong(_order(key="key"), "keys become ints", "keeps the keys as strings"),
        Wrong(_order(reverse=", reverse=True"), "sort by peak angle", "sorts the largest angle first"),
        Wrong(_order(gaps="[angles[(i + 1) % n] - angles[i] for i in range(n)]"),
              "the last gap goes from the last unit round to the first", "wraps the index but forgets + 360"),
        Wrong(_order(peak="float(torch.argmax(v))"), "sample i of n is at i * 360 / n degrees",
              "peaks as sample indices, not angles"),
    ],
    "echo_ratio": [
        Wrong(_ECHO.format(near='''    opposite = (angles[i] + 180.0) % 360.0
    near = (angles - opposite).abs() <= window + 1e-9
'''), "measure the distance round the circle, not as a plain difference", "a plain difference: the window does not wrap"),
        Wrong(_ECHO.format(near='''    opposite = angles[i] + 180.0
    near = torch.remainder(angles - opposite, 360.0) <= window + 1e-9
'''), "the distance round the circle, either way", "one-sided distance: only angles after the opposite one"),
        Wrong(_ECHO.format(near='''    opposite = angles[i] + 180.0
    dist = torch.remainder(angles - opposite + 180.0, 360.0) - 180.0
    near = dist.abs() < window
'''), "distance <= window, not < window", "an exclusive window"),
        Wrong(_ECHO.format(near='''    steps = torch.arange(n) - (i + n // 2) % n
    near = torch.minimum(steps.abs(), n - steps.abs()) <= window  # window counted in samples
'''), "circular distance to peak + 180 <= window", "the window counted in samples, not degrees"),
    ],
    "ev_shares": [
        Wrong(_EV.format(contrib="(h * x[None, :]).sum(dim=1)", result="contrib / contrib.sum()"),
              "weight each bin by max(x, 0)", "negative bins count too (no ReLU)"),
        Wrong(_EV.format(contrib="(h * (x > 0)[None, :]).sum(dim=1)", result="contrib / contrib.sum()"),
              "weight each bin by max(x, 0)", "counts the positive bins without weighting by x"),
        Wrong(_EV.format(contrib="(h * x.clamp(min=0)[None, :]).sum(dim=0)", result="contrib / contrib.sum()"),
              "sum over bins, then normalise", "sums over labels instead of bins"),
        Wrong(_EV.format(contrib="(h * x.clamp(min=0)[None, :]).sum(dim=1)", result="contrib"),
              "then normalise", "forgets to normalise"),
    ],
    "joint_tuning": [
        Wrong(_joint(curves='''    mean = r.mean(dim=0)
    top = mean.max()
    curves = mean / top if top > 0 else torch.zeros_like(mean)
'''), "mean over images, then / column max", "divides by the overall maximum, not each unit's own"),
        Wrong(_joint(curves='''    peak = r.amax(dim=1, keepdim=True)  # each image's own maximum per unit
    scaled = torch.where(peak > 0, r / torch.where(peak > 0, peak, torch.ones_like(peak)), torch.zeros_like(r))
    curves = scaled.mean(dim=0)
'''), "average over the images first", "scales each image before averaging"),
        Wrong(_joint(curves='''    mean = r.mean(dim=0)
    curves = mean / mean.amax(dim=0)
'''), "a column whose maximum is <= 0 is left at 0", "divides a silent unit by its own (negative) maximum"),
        Wrong(_joint(winners="index"), "where the best scaled response is 0, nobody fires: -1",
              "no -1 where nobody fires"),
        Wrong(_joint(close=""), "drop the last entry if the circle closes on the first unit",
              "keeps the first unit again when the circle closes"),
    ],
}
