"""Tuning analysis: a unit's response against orientation, its peak, width and echo, and the articles' curves.

A student measures a unit's radial tuning curve and compares it with the article's::

    tc = tuning_curve(model, "3b:379")                      # curves, 0-358 deg, max over radius
    preferred_orientation(tc), tuning_width(tc), echo(tc)
    ref = article_curves("mixed3b", units=["3b:379"])[0]     # the Curve Detectors article's data
    summarize(article_curves("mixed3b"))                     # the docs/science.md §2.3 table

Metrics (docs/science.md §2.3, §13 B):

* :func:`preferred_orientation`: angle of the peak (parabolic sub-step interpolation optional);
* :func:`tuning_width`: full width at half maximum, ``"lobe"`` (the peak's own lobe, across 0/360)
  or ``"total"`` (all angles above half maximum; the measure that gives the §2.3 widths);
* :func:`echo`: the science doc's echo, max response within ±45° of peak+180° ÷ peak;
* :func:`response_at`: response at peak + offset ÷ peak (e.g. +90°, +180°);
* :func:`n_peaks`: number of separate lobes above half maximum.

Angles of your stimuli follow :mod:`shared_utils.stimuli` (0° = convex side pointing right,
counter-clockwise). The articles' data use their own, undocumented convention (docs/science.md §14), so
compare shapes and relative angles (use :func:`best_offset`), never absolute angles.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence, Union

import torch
from torch import nn

from ._progress import bar
from .device import budget
from .inception.names import Unit, format_unit, parse_unit, resolve_layer

__all__ = [
    "TuningCurve",
    "sweep_responses",
    "tuning_curve",
    "preferred_orientation",
    "tuning_width",
    "echo",
    "response_at",
    "n_peaks",
    "best_offset",
    "summarize",
    "article_curves",
    "article_summary",
    "ActivationDistribution",
    "activation_distribution",
    "DEFAULT_ANGLES",
    "DEFAULT_RADII",
]

#: 0, 2, ..., 358 degrees: the <= 2 degree steps docs/science.md §13 B asks for.
DEFAULT_ANGLES = tuple(float(a) for a in range(0, 360, 2))
#: Radii (pixels at 224 px) swept by default; 3b curve units like about 60 px (docs/science.md §2.2).
DEFAULT_RADII = (20.0, 40.0, 60.0, 80.0, 100.0)

Curves = Union["TuningCurve", Sequence["TuningCurve"]]


# ----------------------------------------------------------------------------- the curve type


@dataclass
class TuningCurve:
    """Response of one unit at evenly spaced angles covering the full circle.

    ``angles_deg`` (A,) are ``start + i * 360 / A``; ``response`` (A,) the unit's response there.
    ``unit`` names the unit (``"3b:379"``), ``source`` says where the numbers come from (a model and
    stimulus, or an article data file) and ``note`` carries the untrained-model warning, if any.
    """

    angles_deg: torch.Tensor
    response: torch.Tensor
    unit: str
    source: str
    note: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        a = torch.as_tensor(self.angles_deg, dtype=torch.float64).detach().cpu().reshape(-1)
        r = torch.as_tensor(self.response, dtype=torch.float64).detach().cpu().reshape(-1)
        if a.shape != r.shape or len(a) < 3:
            raise ValueError(f"angles ({len(a)}) and response ({len(r)}) must have the same length >= 3")
        step = 360.0 / len(a)
        expected = a[0] + step * torch.arange(len(a), dtype=torch.float64)
        if not torch.allclose(a, expected, atol=1e-6 * 360):
            raise ValueError(
                "a tuning curve must sample the full circle evenly, e.g. angles = range(0, 360, 2) "
                f"(got {len(a)} angles from {float(a[0]):g} to {float(a[-1]):g})"
            )
        if not torch.isfinite(r).all():
            raise ValueError("the response contains NaN or inf")
        self.angles_deg, self.response = a, r

    @property
    def step(self) -> float:
        """Angular step in degrees."""
        return 360.0 / len(self.angles_deg)

    @property
    def peak(self) -> float:
        """The largest response."""
        return float(self.response.max())

    @property
    def label(self) -> str:
        """``unit (source)`` plus the model note, for legends and titles."""
        return f"{self.unit} ({self.source}){self.note}"

    def normalised(self) -> "TuningCurve":
        """The same curve divided by its peak (peak = 1)."""
        peak = self.peak
        if peak <= 0:
            raise ValueError(f"{self.unit}: the peak response is {peak:g} <= 0, so it cannot be normalised")
        return replace(self, response=self.response / peak)

    def at(self, angles_deg: "float | Sequence[float] | torch.Tensor") -> torch.Tensor:
        """Response at any angles, by linear interpolation around the circle."""
        q = torch.as_tensor(angles_deg, dtype=torch.float64)
        return _interp(self.response.unsqueeze(0), float(self.angles_deg[0]), self.step, q.reshape(1, -1))[0].reshape(q.shape)

    def shifted(self, offset_deg: float) -> "TuningCurve":
        """The curve moved by ``offset_deg``: new response at a = old response at a - offset."""
        moved = self.at(self.angles_deg - offset_deg)
        return replace(self, response=moved, meta={**self.meta, "shift_deg": self.meta.get("shift_deg", 0.0) + offset_deg})

    def resampled(self, n: int) -> "TuningCurve":
        """The curve at ``n`` evenly spaced angles from 0 (linear interpolation)."""
        angles = torch.arange(n, dtype=torch.float64) * (360.0 / n)
        return replace(self, angles_deg=angles, response=self.at(angles))


def _interp(resp: torch.Tensor, start: float, step: float, q: torch.Tensor) -> torch.Tensor:
    """Circular linear interpolation of rows ``resp`` (B, A) at angles ``q`` (B, K)."""
    a = resp.shape[1]
    pos = torch.remainder(q - start, 360.0) / step
    i0 = torch.floor(pos).long() % a
    frac = pos - torch.floor(pos)
    i1 = (i0 + 1) % a
    return resp.gather(1, i0) * (1 - frac) + resp.gather(1, i1) * frac


def _stack(curves: Curves) -> tuple[torch.Tensor, torch.Tensor, bool]:
    """(B, A) responses and (B, A) angles of one curve or a list with a common length."""
    single = isinstance(curves, TuningCurve)
    items = [curves] if single else list(curves)  # type: ignore[list-item]
    if not items:
        raise ValueError("give at least one TuningCurve")
    for c in items:
        if not isinstance(c, TuningCurve):
            raise TypeError(f"expected TuningCurve objects, got {type(c).__name__}")
    lengths = {len(c.response) for c in items}
    if len(lengths) > 1:
        raise ValueError(f"curves have different numbers of angles {sorted(lengths)}; use .resampled(n) first")
    return torch.stack([c.response for c in items]), torch.stack([c.angles_deg for c in items]), single


def _out(values: torch.Tensor, single: bool) -> "float | torch.Tensor":
    return float(values[0]) if single else values


def _check_peak(resp: torch.Tensor) -> torch.Tensor:
    peak = resp.max(dim=1).values
    if bool((peak <= 0).any()):
        raise ValueError("a curve has a peak response <= 0; ratios to the peak are undefined (is the unit silent?)")
    return peak


# ----------------------------------------------------------------------------- metrics


def preferred_orientation(curves: Curves, *, interpolate: bool = True) -> "float | torch.Tensor":
    """Angle of the peak in [0, 360). ``interpolate`` fits a parabola through the peak and its neighbours."""
    resp, angles, single = _stack(curves)
    a = resp.shape[1]
    idx = resp.argmax(dim=1)
    step = 360.0 / a
    best = angles.gather(1, idx[:, None])[:, 0]
    if interpolate:
        y0 = resp.gather(1, ((idx - 1) % a)[:, None])[:, 0]
        y1 = resp.gather(1, idx[:, None])[:, 0]
        y2 = resp.gather(1, ((idx + 1) % a)[:, None])[:, 0]
        denom = y0 - 2 * y1 + y2
        delta = torch.where(denom < 0, 0.5 * (y0 - y2) / torch.where(denom < 0, denom, torch.ones_like(denom)),
                            torch.zeros_like(denom))
        best = best + delta.clamp(-0.5, 0.5) * step
    return _out(torch.remainder(best, 360.0), single)


def _runs(resp: torch.Tensor, level: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Samples above ``level`` going right and left from the peak (both counts include the peak)."""
    a = resp.shape[1]
    idx = resp.argmax(dim=1)
    order = (idx[:, None] + torch.arange(a)[None, :]) % a
    rolled = resp.gather(1, order)  # peak at column 0, then going up in angle
    above = rolled >= level[:, None]
    right = torch.cumprod(above.long(), dim=1).sum(1)
    back = torch.cat([rolled[:, :1], rolled.flip(1)[:, :-1]], dim=1)  # peak, then going down in angle
    left = torch.cumprod((back >= level[:, None]).long(), dim=1).sum(1)
    return rolled, back, right, left


def tuning_width(curves: Curves, *, level: float = 0.5, method: str = "lobe",
                 baseline: str = "zero") -> "float | torch.Tensor":
    """Full width (degrees) where the response is at least ``level`` of the peak; handles the 0/360 wrap.

    Args:
        method: ``"lobe"``: the contiguous region around the peak, with the two half-max crossings
            linearly interpolated between samples (the classic FWHM). ``"total"``: all angles above the
            level, interpolated the same way (the §2.3 widths; equal to ``"lobe"`` for one-peaked curves).
        baseline: ``"zero"`` measures the level from 0 (ReLU outputs, the articles' data);
            ``"min"`` measures it from the curve's minimum (pre-ReLU values).
    """
    if method not in ("lobe", "total"):
        raise ValueError(f"method must be 'lobe' or 'total', got {method!r}")
    if baseline not in ("zero", "min"):
        raise ValueError(f"baseline must be 'zero' or 'min', got {baseline!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (0.5 = half maximum), got {level}")
    resp, _, single = _stack(curves)
    if baseline == "min":
        resp = resp - resp.min(dim=1, keepdim=True).values
    peak = _check_peak(resp)
    thr = level * peak
    a = resp.shape[1]
    step = 360.0 / a
    if method == "total":
        nxt = resp.roll(-1, dims=1)
        y0, y1 = resp - thr[:, None], nxt - thr[:, None]
        both = (y0 >= 0) & (y1 >= 0)
        cross = (y0 >= 0) != (y1 >= 0)
        frac = torch.where(cross, torch.maximum(y0, y1) / (y0 - y1).abs().clamp(min=1e-300), torch.zeros_like(y0))
        width = (both.double() + frac).sum(1) * step
        return _out(width.clamp(max=360.0), single)
    rolled, back, right, left = _runs(resp, thr)
    full = right + left - 1 >= a

    def crossing(seq: torch.Tensor, n: torch.Tensor) -> torch.Tensor:
        i_in = (n - 1).clamp(min=0, max=a - 1)
        i_out = n.clamp(max=a - 1)
        y_in = seq.gather(1, i_in[:, None])[:, 0]
        y_out = seq.gather(1, i_out[:, None])[:, 0]
        frac = ((y_in - thr) / (y_in - y_out).clamp(min=1e-300)).clamp(0, 1)
        return (n - 1).double() + frac

    width = (crossing(rolled, right) + crossing(back, left)) * step
    width = torch.where(full, torch.full_like(width, 360.0), width.clamp(max=360.0))
    return _out(width, single)


def response_at(curves: Curves, offset_deg: float, *, relative: bool = True) -> "float | torch.Tensor":
    """Response at (sampled peak angle + ``offset_deg``), ÷ peak if ``relative``; interpolated between samples."""
    resp, angles, single = _stack(curves)
    peak = _check_peak(resp) if relative else resp.max(dim=1).values
    idx = resp.argmax(dim=1)
    peak_angle = angles.gather(1, idx[:, None])
    val = _interp(resp, 0.0, 360.0 / resp.shape[1], torch.remainder(peak_angle - angles[:, :1] + offset_deg, 360.0))[:, 0]
    return _out(val / peak if relative else val, single)


def echo(curves: Curves, *, window: float = 45.0) -> "float | torch.Tensor":
    """docs/science.md §2.3 echo: the largest response within ±``window``° of peak+180°, ÷ peak.

    The articles call a response "on the opposite side, 180° away" an echo but give no number; this
    window is the science doc's choice (§14).
    """
    resp, angles, single = _stack(curves)
    peak = _check_peak(resp)
    idx = resp.argmax(dim=1)
    opposite = angles.gather(1, idx[:, None]) + 180.0
    dist = torch.remainder(angles - opposite + 180.0, 360.0) - 180.0
    near = dist.abs() <= window + 1e-9
    val = torch.where(near, resp, torch.full_like(resp, -math.inf)).max(dim=1).values
    return _out(val / peak, single)


def n_peaks(curves: Curves, *, level: float = 0.5) -> "int | torch.Tensor":
    """Number of separate lobes (circular runs of samples) at or above ``level`` × peak."""
    resp, _, single = _stack(curves)
    peak = _check_peak(resp)
    above = resp >= level * peak[:, None]
    starts = (above & ~above.roll(1, dims=1)).sum(1)
    count = torch.where(above.all(dim=1), torch.ones_like(starts), starts)
    return int(count[0]) if single else count


def best_offset(curve: "TuningCurve", reference: "TuningCurve", *, reflect: bool = False) -> "float | tuple[float, bool]":
    """Shift (degrees) to apply to ``reference`` (``reference.shifted(x)``) so it best matches ``curve``.

    Circular cross-correlation of the peak-normalised curves at ``curve``'s angles. Use it to put an
    article's curve in your angle convention. With ``reflect``, also tries the mirror image
    (angle -> -angle) and returns ``(shift, reflected)``.
    """
    target = curve.normalised().response
    n = len(target)
    ref = reference.normalised()
    candidates = [(False, ref.at(curve.angles_deg))]
    if reflect:
        candidates.append((True, ref.at(-curve.angles_deg)))
    best = (-math.inf, 0.0, False)
    ft = torch.fft.rfft(target)
    for mirrored, r in candidates:
        corr = torch.fft.irfft(ft * torch.conj(torch.fft.rfft(r)), n=n)  # corr[k] = sum_i target[i+k] r[i]
        k = int(corr.argmax())
        if float(corr[k]) > best[0]:
            best = (float(corr[k]), k * curve.step, mirrored)
    shift = float(((best[1] + 180.0) % 360.0) - 180.0)
    return (shift, best[2]) if reflect else shift


def summarize(curves: Sequence["TuningCurve"], *, echo_window: float = 45.0,
              width_method: str = "total") -> dict[str, Any]:
    """The docs/science.md §2.3 numbers for a family of curves, plus each unit's values.

    Returns ``n``, ``echo_median``, ``echo_max``, ``echo_max_unit``, ``width_median``, ``width_min``,
    ``width_max``, ``r90_median``, ``r90_max``, ``r90_max_unit`` (the larger of peak±90° ÷ peak),
    ``r180_max`` and ``per_unit`` {unit: {echo, width, r90, r180, preferred, n_peaks}}.
    """
    items = list(curves)
    n = max(len(c.response) for c in items)
    same = [c if len(c.response) == n else c.resampled(n) for c in items]
    e = echo(same, window=echo_window)
    w = tuning_width(same, method=width_method)
    r90 = torch.maximum(response_at(same, 90.0), response_at(same, -90.0))  # type: ignore[arg-type]
    r180 = response_at(same, 180.0)
    pref = preferred_orientation(same)
    peaks = n_peaks(same)
    units = [c.unit for c in items]
    per_unit = {
        u: {"echo": float(e[i]), "width": float(w[i]), "r90": float(r90[i]), "r180": float(r180[i]),  # type: ignore[index]
            "preferred": float(pref[i]), "n_peaks": int(peaks[i])}  # type: ignore[index]
        for i, u in enumerate(units)
    }
    return {
        "n": len(items),
        "echo_median": float(e.quantile(0.5)),  # type: ignore[union-attr]
        "echo_max": float(e.max()),  # type: ignore[union-attr]
        "echo_max_unit": units[int(e.argmax())],  # type: ignore[union-attr]
        "width_median": float(w.quantile(0.5)),  # type: ignore[union-attr]
        "width_min": float(w.min()),  # type: ignore[union-attr]
        "width_max": float(w.max()),  # type: ignore[union-attr]
        "r90_median": float(r90.quantile(0.5)),
        "r90_max": float(r90.max()),
        "r90_max_unit": units[int(r90.argmax())],
        "r180_max": float(r180.max()),  # type: ignore[union-attr]
        "per_unit": per_unit,
    }


# ----------------------------------------------------------------------------- the articles' data

#: Layer -> the Curve Detectors article's radial tuning file (720 points, 0.5 degree steps).
ARTICLE_RADIAL = {
    "conv2d2": "curve_detectors/radial_conv2d2.json",
    "mixed3a": "curve_detectors/radial_mixed3a.json",
    "mixed3b": "curve_detectors/radial_mixed3b.json",
    "mixed4a": "curve_detectors/radial_mixed4a.json",
}
#: Other files holding radial tuning curves (Curve Circuits article).
ARTICLE_OTHER = {
    "lines_mixed3a": "curve_circuits/radial_lines_mixed3a.json",
    "echo_edit_unedited": "curve_circuits/echo_edit_unedited.json",
    "echo_edit_early_curves_only": "curve_circuits/echo_edit_early_curves_only.json",
    "echo_edit_early_curves_positive_only": "curve_circuits/echo_edit_early_curves_positive_only.json",
}


def _article_file(which: str) -> str:
    if which in ARTICLE_OTHER:
        return ARTICLE_OTHER[which]
    if which.endswith(".json"):
        return which
    try:
        layer = resolve_layer(which)
    except KeyError:
        layer = None
    if layer in ARTICLE_RADIAL:
        return ARTICLE_RADIAL[layer]
    raise ValueError(
        f"No article tuning data called {which!r}. Use a layer with radial data ({', '.join(ARTICLE_RADIAL)}), "
        f"one of {', '.join(ARTICLE_OTHER)}, or a circuits file name such as 'curve_detectors/radial_mixed3b.json'."
    )


def _groups(data: Any, name: str) -> list[tuple[str, dict[str, list[float]]]]:
    """(layer, {channel: curve}) groups in any of the three shipped layouts."""
    if isinstance(data, dict) and "activations" in data:
        return [(data["layer"], data["activations"])]
    if isinstance(data, dict) and "radialTuningCurves" in data:
        return [("mixed3a", data["radialTuningCurves"])]  # radialLines.json: every mixed3a unit
    if isinstance(data, dict) and "responsesByNeuron" in data:
        data = [data]  # the two edited conditions are a single group
    if isinstance(data, list) and all(isinstance(g, dict) and "responsesByNeuron" in g for g in data):
        return [(g["layer"], g["responsesByNeuron"]) for g in data]
    raise ValueError(f"{name} is not a radial tuning file (expected 'activations', 'radialTuningCurves' "
                     "or a list of 'responsesByNeuron' groups)")


def article_curves(which: str, units: "Iterable[int | str | Unit] | None" = None,
                   root: "str | Path | None" = None) -> list[TuningCurve]:
    """The articles' measured radial tuning curves as :class:`TuningCurve` objects.

    Args:
        which: a layer (``"mixed3b"``, ``"3b"``, ``"conv2d2"``, ``"mixed3a"``, ``"mixed4a"``: Curve
            Detectors, 720 points), ``"lines_mixed3a"`` (Curve Circuits, all 256 mixed3a units, 360
            points), an ``"echo_edit_*"`` condition, or a circuits file name.
        units: keep only these (``379``, ``"3b:379"``); default all, in the file's order.
        root: a local circuits folder (default: the course data, see :func:`shared_utils.data.circuits_path`).

    Angles are the article's own (undocumented) convention: index i of n points is i·360/n degrees.
    """
    from .data import load_circuits_json

    name = _article_file(which)
    data = load_circuits_json(name, root) if root is not None or not Path(name).is_file() else json.loads(Path(name).read_text())
    curves: list[TuningCurve] = []
    for layer, table in _groups(data, name):
        layer = resolve_layer(layer)
        for key, values in table.items():
            n = len(values)
            curves.append(TuningCurve(torch.arange(n, dtype=torch.float64) * (360.0 / n),
                                      torch.tensor(values, dtype=torch.float64),
                                      unit=format_unit(Unit(layer, int(key))), source=f"article: {name}",
                                      meta={"layer": layer, "channel": int(key), "file": name}))
    if units is None:
        return curves
    wanted = []
    for u in units:
        if isinstance(u, int) and not isinstance(u, bool):
            wanted.append([c for c in curves if c.meta["channel"] == u])
        else:
            wanted.append([c for c in curves if c.unit == parse_unit(u).short])
    missing = [str(u) for u, found in zip(units, wanted) if not found]  # type: ignore[arg-type]
    if missing:
        have = ", ".join(c.unit for c in curves[:40])
        raise ValueError(f"{name} has no curve for {', '.join(missing)}; it has {have}{' ...' if len(curves) > 40 else ''}")
    return [c for found in wanted for c in found]


def article_summary(root: "str | Path | None" = None,
                    layers: Sequence[str] = ("conv2d2", "mixed3a", "mixed3b", "mixed4a")) -> dict[str, dict[str, Any]]:
    """The docs/science.md §2.3 table recomputed from the Curve Detectors radial files: {layer: summarize(...)}."""
    return {resolve_layer(layer): summarize(article_curves(layer, root=root)) for layer in layers}


# ----------------------------------------------------------------------------- measuring a model


def _is_inception(model: object) -> bool:
    """An InceptionV1 from load_inceptionv1 (or lucent's own), whose units are named like '3b:379'."""
    if not isinstance(model, nn.Module):
        return False
    return hasattr(model, "weights_info") or hasattr(model, "mixed3b_5x5_pre_relu_conv")


def _device_of(model: object) -> torch.device:
    if isinstance(model, nn.Module):
        for p in model.parameters():
            return p.device
    return torch.device("cpu")


def _note(model: object) -> str:
    from .inception.model import model_note

    if hasattr(model, "weights_info") or _is_inception(model):
        return model_note(model)
    return f" [custom model {type(model).__name__}: not InceptionV1]"


def _center_window(act: torch.Tensor, positions: "int | None") -> torch.Tensor:
    """(N, U, H, W) -> (N, U): max over the central positions (1 or 2 per axis, +-``positions``), or all."""
    if positions is None:
        return act.flatten(2).amax(2)
    if positions < 0:
        raise ValueError("positions must be >= 0 (or None for the whole map)")
    h, w = act.shape[-2:]
    r0, r1 = max(0, (h - 1) // 2 - positions), min(h, h // 2 + positions + 1)
    c0, c1 = max(0, (w - 1) // 2 - positions), min(w, w // 2 + positions + 1)
    return act[..., r0:r1, c0:c1].flatten(2).amax(2)


def _unit_responses(model: object, images01: torch.Tensor, units: list, *, pre_relu: bool,
                    positions: "int | None") -> torch.Tensor:
    """(N, U) responses of ``units`` to a batch of images."""
    if _is_inception(model):
        from .activations import capture

        parsed = [parse_unit(u) for u in units]
        acts = capture(model, images01, sorted({u.layer for u in parsed}), pre_relu=pre_relu)  # type: ignore[arg-type]
        cols = [acts[u.layer][:, u.channel] for u in parsed]
        return _center_window(torch.stack(cols, dim=1), positions)
    if pre_relu:
        raise ValueError("pre_relu=True needs an InceptionV1 from load_inceptionv1; for your own model, "
                         "return the values you want from it")
    with torch.no_grad():
        out = model(images01)  # type: ignore[operator]
    if out.ndim == 2:
        out = out[:, :, None, None]
    if out.ndim != 4:
        raise ValueError(f"a custom model must return (N, C, H, W) or (N, C); got shape {tuple(out.shape)}")
    idx = torch.tensor([int(u) for u in units], device=out.device)
    if bool((idx < 0).any() or (idx >= out.shape[1]).any()):
        raise ValueError(f"units {units} are not all channels of the model's {out.shape[1]}-channel output")
    return _center_window(out[:, idx], positions)


def _default_stimuli(angles: torch.Tensor, device: torch.device) -> torch.Tensor:
    from .stimuli import curve_sweep

    return curve_sweep(angles, DEFAULT_RADII, device=device)


def sweep_responses(
    model: "nn.Module | Callable[[torch.Tensor], torch.Tensor]",
    units: "str | Unit | int | Sequence[str | Unit | int]",
    stimuli_fn: "Callable[[torch.Tensor], torch.Tensor] | None" = None,
    angles_deg: "Sequence[float] | torch.Tensor" = DEFAULT_ANGLES,
    *,
    pre_relu: bool = False,
    positions: "int | None" = 0,
    batch_size: int = 16,
    progress: bool = True,
) -> torch.Tensor:
    """Responses (*lead, A, U) to every stimulus of a sweep; :func:`tuning_curve` maxes over ``lead``.

    ``stimuli_fn(angles)`` gets a 1-D tensor of angles (a batch of ``batch_size`` at a time) and
    returns images ``(*lead, a, 3, S, S)`` in [0, 1]; leading axes are e.g. radii (use this for the
    article's orientation x radius heat maps). ``progress`` shows a bar over the batches of angles
    (:mod:`shared_utils._progress`).
    """
    unit_list = list(units) if isinstance(units, (list, tuple)) else [units]
    angles = torch.as_tensor(angles_deg, dtype=torch.float64).reshape(-1)
    starts = range(0, len(angles), batch_size)
    with bar(total=len(starts), desc=f"stimulus sweep ({len(angles)} angles, {len(unit_list)} unit(s))",
             progress=progress) as shown:
        return _sweep(model, unit_list, stimuli_fn, angles, pre_relu=pre_relu, positions=positions,
                      batch_size=batch_size, done=shown.update)


def _sweep(model: "nn.Module | Callable[[torch.Tensor], torch.Tensor]", unit_list: list, stimuli_fn:
           "Callable[[torch.Tensor], torch.Tensor] | None", angles: torch.Tensor, *, pre_relu: bool,
           positions: "int | None", batch_size: int, done: "Callable[[int], object] | None" = None) -> torch.Tensor:
    """:func:`sweep_responses` of a 1-D float64 ``angles``; ``done(1)`` after each batch (a progress bar's update)."""
    device = _device_of(model)
    parts = []
    lead: tuple[int, ...] | None = None
    for start in range(0, len(angles), batch_size):
        chunk = angles[start:start + batch_size]
        imgs = _default_stimuli(chunk, device) if stimuli_fn is None else stimuli_fn(chunk)
        if imgs.ndim < 4 or imgs.shape[-3] != 3 or imgs.shape[-4] != len(chunk):
            raise ValueError(
                f"stimuli_fn must return (..., {len(chunk)}, 3, S, S) for {len(chunk)} angles; got {tuple(imgs.shape)}"
            )
        lead = tuple(imgs.shape[:-4])
        flat = imgs.reshape(-1, *imgs.shape[-3:]).to(device)
        resp = _unit_responses(model, flat, unit_list, pre_relu=pre_relu, positions=positions)
        parts.append(resp.reshape(*lead, len(chunk), len(unit_list)).cpu())
        if done is not None:
            done(1)
    return torch.cat(parts, dim=-2)


def tuning_curve(
    model: "nn.Module | Callable[[torch.Tensor], torch.Tensor]",
    units: "str | Unit | int | Sequence[str | Unit | int]",
    stimuli_fn: "Callable[[torch.Tensor], torch.Tensor] | None" = None,
    angles_deg: "Sequence[float] | torch.Tensor" = DEFAULT_ANGLES,
    *,
    pre_relu: bool = False,
    positions: "int | None" = 0,
    batch_size: int = 16,
    source: str | None = None,
    progress: bool = True,
) -> "TuningCurve | list[TuningCurve]":
    """Radial tuning curve(s): each unit's response over an orientation sweep.

    Args:
        model: an InceptionV1 from :func:`~shared_utils.inception.model.load_inceptionv1` (units like ``"3b:379"``),
            or any callable mapping images (N, 3, S, S) in [0, 1] to (N, C, H, W) or (N, C) (units are
            channel numbers), e.g. a hand-built filter.
        units: one unit or a list (a list gives a list of curves, computed in the same passes).
        stimuli_fn: angles -> images ``(*lead, a, 3, S, S)``; the response is the max over ``lead``
            (e.g. over radii). Default: :func:`~shared_utils.stimuli.curve_sweep` over
            :data:`DEFAULT_RADII` at 224 px, so each angle gets its best radius.
        angles_deg: evenly spaced angles covering the circle (default 0-358 in 2° steps).
        positions: max over the central positions of the activation map (the centre is 1 position
            for odd grids, 2x2 for even ones) widened by this many on each side; ``None`` = whole map.
        pre_relu: responses before the ReLU (InceptionV1 only).
        progress: show a progress bar over the batches of angles (:mod:`shared_utils._progress`).
    """
    single = not isinstance(units, (list, tuple))
    unit_list = [units] if single else list(units)  # type: ignore[list-item]
    grid = sweep_responses(model, unit_list, stimuli_fn, angles_deg, pre_relu=pre_relu,
                           positions=positions, batch_size=batch_size, progress=progress)
    resp = grid.reshape(-1, *grid.shape[-2:]).amax(0)  # (A, U)
    note = _note(model)
    name = getattr(stimuli_fn, "__name__", "<lambda>")
    what = source or ("curves, max over radius" if stimuli_fn is None else ("custom stimuli" if name == "<lambda>" else name))
    inception = _is_inception(model)
    curves = [
        TuningCurve(torch.as_tensor(angles_deg, dtype=torch.float64), resp[:, i],
                    unit=format_unit(parse_unit(u)) if inception else f"channel {int(u)}",  # type: ignore[arg-type]
                    source=f"model: {what}", note=note,
                    meta={"pre_relu": pre_relu, "positions": positions})
        for i, u in enumerate(unit_list)
    ]
    return curves[0] if single else curves


# ----------------------------------------------------------------------------- activation distributions


@dataclass
class ActivationDistribution:
    """A unit's activations over an image sample (docs/science.md §2.2: 3b:379 pre-ReLU mean about -200,
    positive about 11 % of the time)."""

    unit: str
    values: torch.Tensor  # 1-D
    spatial: str  # "all" positions, the spatial "max" per image, or the "center" position
    pre_relu: bool
    note: str = ""

    @property
    def mean(self) -> float:
        return float(self.values.mean())

    @property
    def std(self) -> float:
        return float(self.values.std())

    @property
    def fraction_positive(self) -> float:
        return float((self.values > 0).double().mean())

    def histogram(self, bins: int = 50, range: "tuple[float, float] | None" = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(counts, edges)`` of the values."""
        lo, hi = range if range is not None else (float(self.values.min()), float(self.values.max()))
        if hi <= lo:
            hi = lo + 1.0
        counts = torch.histc(self.values.double(), bins=bins, min=lo, max=hi)
        return counts, torch.linspace(lo, hi, bins + 1, dtype=torch.float64)

    def sigmas(self, x: "float | torch.Tensor") -> "float | torch.Tensor":
        """How many standard deviations ``x`` lies above the mean (the article's "up to 24 σ")."""
        z = (torch.as_tensor(x, dtype=torch.float64) - self.mean) / self.std
        return float(z) if z.ndim == 0 else z


def activation_distribution(
    model: nn.Module,
    units: "str | Unit | Sequence[str | Unit]",
    images: object,
    *,
    pre_relu: bool = True,
    spatial: str = "all",
    image_size: int = 224,
    batch_size: "int | None" = None,
    progress: bool = True,
) -> "ActivationDistribution | list[ActivationDistribution]":
    """Activations of unit(s) over images: every spatial position (``"all"``), per-image ``"max"`` or ``"center"``.

    ``images`` is an :class:`~shared_utils.data.ImageSample` or a tensor (N, 3, S, S) in [0, 1].
    Uses :func:`~shared_utils.activations.capture` (one early-stopping pass per batch of
    ``batch_size`` images; default: the device's budget), with a progress bar over the batches
    (``progress``; see :mod:`shared_utils._progress`).
    """
    from .activations import capture, image_source

    if spatial not in ("all", "max", "center"):
        raise ValueError(f"spatial must be 'all', 'max' or 'center', got {spatial!r}")
    single = not isinstance(units, (list, tuple))
    parsed = [parse_unit(u) for u in ([units] if single else units)]  # type: ignore[union-attr]
    layers = sorted({u.layer for u in parsed})
    n, _, get = image_source(images, image_size)

    device = _device_of(model)
    batch_size = budget(device).batch_size if batch_size is None else batch_size
    collected: list[list[torch.Tensor]] = [[] for _ in parsed]
    for start in bar(range(0, n, batch_size), desc=f"activations ({', '.join(u.short for u in parsed)})",
                     progress=progress):
        idx = list(range(start, min(start + batch_size, n)))
        acts = capture(model, get(idx).to(device), layers, pre_relu=pre_relu)
        for k, u in enumerate(parsed):
            a = acts[u.layer][:, u.channel]  # (B, H, W)
            if spatial == "all":
                v = a.reshape(-1)
            elif spatial == "max":
                v = a.flatten(1).amax(1)
            else:
                v = a[:, a.shape[1] // 2, a.shape[2] // 2]
            collected[k].append(v.detach().double().cpu())
    note = _note(model)
    out = [ActivationDistribution(u.short, torch.cat(c), spatial, pre_relu, note) for u, c in zip(parsed, collected)]
    return out[0] if single else out
