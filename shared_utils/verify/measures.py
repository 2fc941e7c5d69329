"""Measurements on a model or the articles' data, and the judgements that compare them with the articles' values.

Each claim is a ``measure_*`` (what the model or data say) and a ``judge_*`` (a message and PASS/FAIL).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping, Sequence

import torch
from torch import nn

from .._geometry import circular_distance, wrap_degrees
from ..device import model_device
from ..inception._hooks import run_to
from ..inception.names import branch_of, branch_range, layer_channels
from .values import (
    ARTICLE_PEAKS_3B, BRANCH_TABLE, CAR_INPUTS, CAR_UNIT, CHANNELS, CURVES_3B, CURVE_GROUPS_3B, CURVE_PAIRS,
    EARLY_CURVES_3A, HF_FACTOR, HF_LF_3A, LF_FACTOR, LOGITS, MIRROR_PAIR, SUPERPOSITION_DST, TINY_CURVES_CONV2D2,
    _BRANCH_NAMES
)


#: A judgement: what was measured, in words, and whether it agrees with the article.
Judgement = tuple[str, bool]



def _fmt(x: float) -> str:
    return "nan" if x != x else f"{x:+.3g}"


# ============================================================================ A. architecture and ids


def measure_channel_counts(model: nn.Module) -> dict[str, int]:
    """Channels of every main layer and the number of logits, seen in one forward pass of a 224 px image."""
    from ..inception.model import preprocess

    modules = dict(model.named_modules())
    names = {layer: layer for layer in CHANNELS} | {"softmax2_pre_activation_matmul": "logits"}
    missing = [n for n in names if n not in modules]
    if missing:
        raise ValueError(f"the model has no module(s) {missing}: not lucent's InceptionV1")
    with torch.no_grad():
        return run_to(model, preprocess(torch.full((1, 3, 224, 224), 0.5, device=model_device(model))),
                      {k: modules[n] for n, k in names.items()}, keep=lambda out: int(out.shape[1]))


def judge_channel_counts(counts: Mapping[str, int]) -> Judgement:
    expected = {**CHANNELS, "logits": LOGITS}
    wrong = [f"{k} {counts.get(k)} (expected {v})" for k, v in expected.items() if counts.get(k) != v]
    text = ", ".join(str(counts.get(k)) for k in CHANNELS) + f"; {counts.get('logits')} logits"
    return (text if not wrong else "wrong: " + "; ".join(wrong)), not wrong


def measure_branch_ranges(model: nn.Module, circuits_root: "str | Path | None" = None) -> dict[str, Any]:
    """Inclusive channel range of every branch in the model's concatenation (from its own convs),
    the course catalogue's ranges (:func:`shared_utils.inception.names.branch_range`) and Branch Specialization
    Figure 5's ranges (data)."""
    model_ranges, course = {}, {}
    for layer in BRANCH_TABLE:
        start = 0
        for b in _BRANCH_NAMES:
            n = int(getattr(model, f"{layer}_{b}_pre_relu_conv").out_channels)
            model_ranges[f"{layer}_{b}"] = (start, start + n - 1)
            start += n
            a, z = branch_range(f"{layer}_{b}")
            course[f"{layer}_{b}"] = (a, z - 1)
    fig5 = _figure5(circuits_root)
    figure = {k: tuple(v) for k, v in fig5["branch_channel_ranges"].items()} if fig5 is not None else None
    return {"model": model_ranges, "course": course, "figure5": figure}


def _figure5(circuits_root: "str | Path | None") -> Any:
    """Branch Specialization Figure 5 categories, or None where this data file cannot be found.

    The course's data manifest does not list it yet, so a local copy (``circuits_root`` or
    ``$ZOOM_IN_DATA/circuits``) is read directly.
    """
    import os

    from ..data import DataUnavailableError, _loose_json, load_circuits_json

    name = "branch_specialization/figure5_5x5_branch_categories.json"
    try:
        return load_circuits_json(name, circuits_root)
    except DataUnavailableError:
        env = os.environ.get("ZOOM_IN_DATA")
        for folder in (circuits_root, Path(env) / "circuits" if env else None):
            if folder is not None and (Path(folder) / name).is_file():
                return _loose_json((Path(folder) / name).read_text())
    return None


def judge_branch_ranges(m: Mapping[str, Mapping[str, tuple[int, int]]]) -> Judgement:
    expected = {f"{layer}_{b}": r for layer, rs in BRANCH_TABLE.items() for b, r in zip(_BRANCH_NAMES, rs)}
    bad = []
    for name, r in expected.items():
        for source in ("model", "course"):
            got = m[source].get(name)
            if got is None or tuple(got) != r:
                bad.append(f"{source} {name} {got} (expected {r[0]}-{r[1]})")
    for name, r in (m["figure5"] or {}).items():
        if tuple(r) != expected.get(name):
            bad.append(f"figure5 {name} {tuple(r)} differs from §1.3 {expected.get(name)}")
    if bad:
        return "; ".join(bad[:4]) + (f" (+{len(bad) - 4} more)" if len(bad) > 4 else ""), False
    k = m["model"]
    return (f"model = course = §1.3 for all 36 branches; 3a_5x5 {k['mixed3a_5x5'][0]}-{k['mixed3a_5x5'][1]}, "
            f"3b_5x5 {k['mixed3b_5x5'][0]}-{k['mixed3b_5x5'][1]}; "
            + ("Fig. 5 agrees" if m["figure5"] else "Fig. 5 data not found, not compared")), True


def measure_taxonomy_coverage(circuits_root: "str | Path | None" = None) -> dict[str, dict[str, int]]:
    """Per layer conv2d0..mixed3b: channels, how many are listed once, listed twice, missing, out of range."""
    from ..data import taxonomy

    out = {}
    for layer in ("conv2d0", "conv2d1", "conv2d2", "mixed3a", "mixed3b"):
        n = layer_channels(layer)
        counts = [0] * n
        outside = 0
        for g in taxonomy(layer, circuits_root):
            for u in g.units:
                if 0 <= u < n:
                    counts[u] += 1
                else:
                    outside += 1
        out[layer] = {"channels": n, "once": sum(c == 1 for c in counts), "dupes": sum(c > 1 for c in counts),
                      "missing": sum(c == 0 for c in counts), "outside": outside}
    return out


def judge_taxonomy_coverage(m: Mapping[str, Mapping[str, int]]) -> Judgement:
    bad = [f"{layer}: {v['dupes']} twice, {v['missing']} missing, {v['outside']} out of range"
           for layer, v in m.items() if v["once"] != v["channels"] or v["outside"]]
    if bad:
        return "; ".join(bad), False
    return "each channel once: " + ", ".join(f"{v['channels']}" for v in m.values()), True


def measure_sample_accuracy(model: nn.Module, sample: Any, labels_root: "str | Path | None" = None, *,
                            batch_size: int | None = None) -> dict[str, float]:
    """Top-1 and top-5 accuracy of the model on an ImageNet sample, reading its 1008 outputs with the
    course's class map (:func:`shared_utils.data.labels.sample_targets`: 0 background, 1-1000 lucent's list)."""
    from ..labs.handbuilt import predict, topk_accuracy
    from ..data.labels import inceptionv1_classes, sample_targets

    targets = sample_targets(sample, inceptionv1_classes(labels_root, progress=False))
    logits = predict(model, sample, batch_size=batch_size, progress=False)
    return {"top1": topk_accuracy(logits, targets, 1), "top5": topk_accuracy(logits, targets, 5),
            "n": float(len(targets))}


def judge_sample_accuracy(m: Mapping[str, float], *, min_top5: float = 0.5) -> Judgement:
    """A0: top-5 accuracy on the sample far above chance (≥ ``min_top5``; chance is 0.5 %), else the map is off."""
    text = (f"top-1 {100 * m['top1']:.1f} %, top-5 {100 * m['top5']:.1f} % on {int(m['n'])} photos "
            f"(chance 0.5 %)")
    ok = m["top5"] >= min_top5
    if not ok:
        text += (f"; below {100 * min_top5:.0f} %: near chance means the class map is shifted or in the wrong "
                 "order (labels.py: output 0 background, 1-1000 the file's lines)")
    return text, ok


# ============================================================================ B. curve detectors


def measure_curve_tuning(
    model: nn.Module,
    units: Sequence["int | str"] = CURVES_3B,
    layer: str = "mixed3b",
    *,
    angles: Sequence[float] = tuple(range(0, 360, 2)),
    radii: Sequence[float] = (20.0, 40.0, 60.0, 80.0, 100.0),
    size: int = 224,
    thickness: float = 3.0,
    positions: int = 0,
) -> list:
    """Radial tuning curves (:class:`~shared_utils.tuning.TuningCurve`) of ``layer`` units to
    rounded-corner curves (:func:`~shared_utils.stimuli.curve_sweep`), max over ``radii``, read at
    the central position(s) (science.md §13 B)."""
    from ..stimuli import curve_sweep
    from ..tuning import tuning_curve

    device = model_device(model)
    names = [u if isinstance(u, str) else f"{layer}:{u}" for u in units]

    def stimuli(a: torch.Tensor) -> torch.Tensor:
        return curve_sweep(a, list(radii), size=size, thickness=thickness, device=device)

    per_image = max(1, len(radii))
    batch = max(1, (64 if device.type != "cpu" else 16) // per_image)
    return list(tuning_curve(model, names, stimuli, list(angles), positions=positions, batch_size=batch,
                             source=f"curves r={list(radii)} px at {size} px"))


def _curve_stats(c: Any) -> dict[str, float] | None:
    from ..tuning import n_peaks, response_at, tuning_width

    if c.peak <= 0:
        return None
    return {"n_peaks": int(n_peaks(c)), "r90": max(float(response_at(c, 90.0)), float(response_at(c, -90.0))),
            "r180": float(response_at(c, 180.0)), "width": float(tuning_width(c, method="total"))}


def judge_curve_tuning(curves: Sequence[Any], *, r90_max: float = 0.10, r180_max: float = 0.05,
                       width: tuple[float, float] = (20.0, 80.0)) -> Judgement:
    """§13.4: every unit has one peak, response at peak±90° < 10 %, at 180° < 5 %, half-max width 20-80°."""
    fails, stats = [], []
    for c in curves:
        s = _curve_stats(c)
        if s is None:
            fails.append(f"{c.unit} silent")
            continue
        stats.append(s)
        why = []
        if s["n_peaks"] != 1:
            why.append(f"{s['n_peaks']} peaks")
        if s["r90"] >= r90_max:
            why.append(f"±90° {s['r90']:.2f}")
        if s["r180"] >= r180_max:
            why.append(f"180° {s['r180']:.2f}")
        if not width[0] <= s["width"] <= width[1]:
            why.append(f"width {s['width']:.0f}°")
        if why:
            fails.append(f"{c.unit} " + ", ".join(why))
    n = len(curves)
    text = f"{n - len(fails)}/{n} meet all"
    if stats:
        text += (f"; ±90° max {max(s['r90'] for s in stats):.2f}, 180° max {max(s['r180'] for s in stats):.2f}, "
                 f"width {min(s['width'] for s in stats):.0f}-{max(s['width'] for s in stats):.0f}°")
    if fails:
        text += "; " + "; ".join(fails[:3]) + (f" (+{len(fails) - 3})" if len(fails) > 3 else "")
    return text, not fails and n > 0


def preferred_angles(curves: Sequence[Any]) -> dict[int, float]:
    """{channel: preferred orientation} of tuning curves named like ``3b:379`` (silent units left out)."""
    from ..tuning import preferred_orientation

    return {int(c.unit.split(":")[-1]): float(preferred_orientation(c)) for c in curves if c.peak > 0}


def _cyclic_equal(a: Sequence[int], b: Sequence[int]) -> bool:
    if len(a) != len(b) or not a:
        return len(a) == len(b)
    k = list(b).index(a[0]) if a[0] in b else -1
    return k >= 0 and list(a) == list(b[k:]) + list(b[:k])


def judge_curve_order(peaks: Mapping[int, float], reference: Mapping[int, float] = ARTICLE_PEAKS_3B,
                      *, tol: float = 15.0) -> Judgement:
    """§13.5: the circular order of the peaks matches the article's, in one direction, after fitting a
    global offset and possibly a reflection; and every peak lies within ``tol`` degrees of the fit.
    Absolute angles are never compared (science.md §14)."""
    units = list(reference)
    missing = [u for u in units if u not in peaks]
    if missing:
        return f"no peak for {', '.join(str(u) for u in missing)} (silent)", False
    ref = torch.tensor([reference[u] for u in units], dtype=torch.float64)
    meas = torch.tensor([peaks[u] for u in units], dtype=torch.float64)
    ref_order = [units[i] for i in torch.argsort(ref).tolist()]
    best = None
    for mirrored in (False, True):
        m = -meas if mirrored else meas
        d = torch.deg2rad(wrap_degrees(ref - m))
        offset = math.degrees(math.atan2(float(d.sin().mean()), float(d.cos().mean())))
        res = wrap_degrees(ref - m - offset)
        fitted = torch.remainder(m + offset, 360.0)
        order = [units[i] for i in torch.argsort(fitted).tolist()]
        cand = (float(res.abs().max()), mirrored, offset, res, order)
        if best is None or cand[0] < best[0]:
            best = cand
    assert best is not None
    worst, mirrored, offset, res, order = best
    same = _cyclic_equal(order, ref_order)
    worst_unit = units[int(res.abs().argmax())]
    text = (f"order {'matches' if same else 'differs'}{' (mirrored)' if mirrored else ''}; offset "
            f"{offset % 360:.0f}°; max residual {worst:.0f}° (3b:{worst_unit})")
    if not same:
        text += "; measured order " + " ".join(str(u) for u in order)
    return text, same and worst <= tol


def measure_article_echoes(circuits_root: "str | Path | None" = None) -> dict[str, float]:
    """Median echo per layer in the Curve Detectors radial data (science.md §2.3)."""
    from ..tuning import article_summary

    s = article_summary(circuits_root, layers=("conv2d2", "mixed3a", "mixed3b"))
    return {layer: float(v["echo_median"]) for layer, v in s.items()}


def measure_model_echoes(model: nn.Module, *, angles: Sequence[float] = tuple(range(0, 360, 2)),
                         curves_3b: Sequence[Any] | None = None, quick: bool = False) -> dict[str, float]:
    """Median echo (science.md §2.3 metric) of the curve families of conv2d2, mixed3a and mixed3b on the model.

    Each layer gets curves at the scale of its receptive field (conv2d2 ~19 px, 3a ~43-59 px, 3b ~90 px);
    the radii are the course's choice [inferred]. ``curves_3b`` reuses a mixed3b measurement.
    """
    from ..tuning import echo

    scales = {"conv2d2": (TINY_CURVES_CONV2D2, (3.0, 5.0, 8.0), 2.0),
              "mixed3a": (EARLY_CURVES_3A, (8.0, 12.0, 18.0, 26.0), 3.0),
              "mixed3b": (CURVES_3B, (40.0, 60.0, 80.0) if quick else (20.0, 40.0, 60.0, 80.0, 100.0), 3.0)}
    out = {}
    for layer, (units, radii, thick) in scales.items():
        curves = curves_3b if (layer == "mixed3b" and curves_3b is not None) else measure_curve_tuning(
            model, units, layer, angles=angles, radii=radii, thickness=thick)
        alive = [c for c in curves if c.peak > 0]
        out[layer] = float(torch.as_tensor(echo(alive)).reshape(-1).median()) if alive else float("nan")
    return out


def judge_echo_depth(medians: Mapping[str, float], reference: Mapping[str, float] | None = None, *,
                     tol: float = 0.01, last_max: float | None = None) -> Judgement:
    """§13.6: the median echo falls with depth, conv2d2 > mixed3a > mixed3b.

    With ``reference`` (the §2.3 numbers) each median must also be within ``tol`` of it (reproducing
    the article's data); with ``last_max`` mixed3b's must be at most that (no echoes in 3b).
    """
    layers = ("conv2d2", "mixed3a", "mixed3b")
    v = [float(medians.get(layer, float("nan"))) for layer in layers]
    ok = all(x == x for x in v) and v[0] > v[1] > v[2]
    text = " > ".join(f"{x:.2f}" for x in v) if ok else f"not decreasing: {v[0]:.2f}, {v[1]:.2f}, {v[2]:.2f}"
    if reference is not None:
        off = [f"{layer} {x:.3f} vs {reference[layer]}" for layer, x in zip(layers, v)
               if not abs(x - reference[layer]) <= tol]
        if off:
            ok = False
            text += "; differs from §2.3: " + ", ".join(off)
    if last_max is not None and not v[2] <= last_max:
        ok = False
        text += f"; 3b echo {v[2]:.2f} > {last_max}"
    return text + " (conv2d2, 3a, 3b)", ok


def measure_curve_distribution(model: nn.Module, sample: Any, units: Sequence[int] = CURVES_3B,
                               image_size: int = 224) -> dict[int, torch.Tensor]:
    """Pre-ReLU activations of mixed3b units at every position over an image sample (science.md §2.2)."""
    from ..tuning import activation_distribution

    dists = activation_distribution(model, [f"3b:{u}" for u in units], sample, pre_relu=True, spatial="all",
                                    image_size=image_size)
    return {u: d.values for u, d in zip(units, dists)}


def judge_activation_distribution(values: torch.Tensor, *, positive: tuple[float, float] = (0.05, 0.20),
                                  min_r2: float = 0.9) -> Judgement:
    """§13.8: pre-ReLU mean < 0, positive 5-20 % of the time, exponential positive tail (linear log-density)."""
    v = torch.as_tensor(values, dtype=torch.float64).reshape(-1)
    mean, frac = float(v.mean()), float((v > 0).double().mean())
    pos = v[v > 0]
    slope, r2 = float("nan"), float("nan")
    if len(pos) >= 50:
        hi = float(torch.quantile(pos, 0.995))
        counts = torch.histc(pos.clamp(max=hi), bins=20, min=0.0, max=hi)
        centres = (torch.arange(20, dtype=torch.float64) + 0.5) * hi / 20
        keep = counts >= 5
        if int(keep.sum()) >= 5:  # least squares on log counts, weighted by counts (Poisson noise)
            x, y, w = centres[keep], counts[keep].log(), counts[keep]
            xm, ym = x - (w * x).sum() / w.sum(), y - (w * y).sum() / w.sum()
            sxy, sxx, syy = (w * xm * ym).sum(), (w * xm * xm).sum(), (w * ym * ym).sum()
            slope = float(sxy / sxx)
            r2 = float(sxy**2 / (sxx * syy)) if float(syy) > 0 else 0.0
    ok = mean < 0 and positive[0] <= frac <= positive[1] and slope < 0 and r2 >= min_r2
    return (f"mean {mean:.3g}, positive {100 * frac:.1f} %, log-density slope {slope:.3g}/unit "
            f"(R² {r2:.2f}) over {len(v)} positions"), ok


def judge_sigmas(peaks: Mapping[int, float], stats: Mapping[int, tuple[float, float]], *,
                 threshold: float = 10.0) -> Judgement:
    """§13.7: best synthetic-curve response in σ above the unit's mean over the image sample (median over units)."""
    z = {u: (peaks[u] - stats[u][0]) / stats[u][1] for u in peaks if u in stats and stats[u][1] > 0}
    if not z:
        return "no units to compare", False
    vals = torch.tensor(list(z.values()), dtype=torch.float64)
    med = float(vals.median())
    return (f"best curve {float(vals.min()):.1f}-{float(vals.max()):.1f} σ above the pre-ReLU mean "
            f"(median {med:.1f} σ)"), med > threshold


# ============================================================================ C. curve circuit weights


def measure_curve_weights(model: nn.Module, src: Sequence[int] = EARLY_CURVES_3A,
                          dst: Sequence[int] = CURVES_3B) -> dict[tuple[int, int], float]:
    """{(3a channel, 3b channel): summed 5x5 expanded weight} mixed3a -> mixed3b through the 5x5 bottleneck."""
    from ..weights import expanded_weights

    e = expanded_weights(model, [f"3a:{c}" for c in src], [f"3b:{c}" for c in dst])  # (n_dst, n_src, 5, 5)
    sums = e.sum(dim=(-1, -2)).cpu()
    return {(s, d): float(sums[j, i]) for j, d in enumerate(dst) for i, s in enumerate(src)}


def judge_curve_pairs(sums: Mapping[tuple[int, int], float],
                      expected: Mapping[tuple[int, int], int] = CURVE_PAIRS) -> Judgement:
    """§13.9: summed kernel signs of the similar (+) and opposing (-) early-curve -> curve pairs."""
    wrong = [f"{s}→{d} {_fmt(sums[(s, d)])} (claimed {'+' if sign > 0 else '−'})"
             for (s, d), sign in expected.items() if not sums[(s, d)] * sign > 0]
    n = len(expected)
    if wrong:
        return f"{n - len(wrong)}/{n} signs as claimed; " + "; ".join(wrong[:3]), False
    pos = [sums[k] for k, s in expected.items() if s > 0]
    neg = [sums[k] for k, s in expected.items() if s < 0]
    return f"{n}/{n} signs as claimed (+ {min(pos):.3g}..{max(pos):.3g}, − {min(neg):.3g}..{max(neg):.3g})", True


def measure_article_peaks(layer: str, circuits_root: "str | Path | None" = None) -> dict[int, float]:
    """{channel: radial peak} from the Curve Detectors data (article's angle convention, science.md §2.1)."""
    from ..tuning import article_curves, preferred_orientation

    return {c.meta["channel"]: float(preferred_orientation(c, interpolate=False))
            for c in article_curves(layer, root=circuits_root)}


def judge_best_input(sums: Mapping[tuple[int, int], float], peaks_3a: Mapping[int, float],
                     peaks_3b: Mapping[int, float], *, tol: float = 45.0) -> Judgement:
    """§13.10: each 3b curve's most positive early-curve input has a radial peak within ``tol``° of its own."""
    bad, dists = [], []
    for d, p in peaks_3b.items():
        cands = {s: v for (s, dd), v in sums.items() if dd == d and s in peaks_3a}
        if not cands:
            bad.append(f"3b:{d} no inputs")
            continue
        s = max(cands, key=lambda k: cands[k])
        dist = float(circular_distance(peaks_3a[s], p))
        dists.append(dist)
        if cands[s] <= 0 or dist > tol:
            bad.append(f"3b:{d}←3a:{s} {dist:.0f}°" + (" (sum ≤ 0)" if cands[s] <= 0 else ""))
    n = len(peaks_3b)
    text = f"{n - len(bad)}/{n} within {tol:.0f}°"
    if dists:
        text += f" (median {float(torch.tensor(dists).median()):.0f}°)"
    if bad:
        text += "; " + "; ".join(bad[:3])
    return text, not bad


def measure_echo_edit(model: nn.Module, *, angles: Sequence[float] = tuple(range(0, 360, 2)),
                      radii: Sequence[float] = (20.0, 40.0, 60.0, 80.0, 100.0), size: int = 224) -> dict[str, dict[int, float]]:
    """Echo (±45° of 180°, ÷ peak) of each 3b curve after rebuilding the ten units from expanded weights,
    unedited (``baseline``) and with their negative weights from the 3a early curves dropped (``edited``)."""
    from ..tuning import echo
    from ..weights import with_expanded_weights

    units = [f"3b:{u}" for u in CURVES_3B]
    out: dict[str, dict[int, float]] = {}
    for name, edit in (("baseline", None), ("edited", "drop_negative")):
        m = with_expanded_weights(model, units, edit, src=[f"3a:{u}" for u in EARLY_CURVES_3A])
        curves = measure_curve_tuning(m, CURVES_3B, angles=angles, radii=radii, size=size)
        out[name] = {u: (float(echo(c)) if c.peak > 0 else float("nan")) for u, c in zip(CURVES_3B, curves)}
    return out


def judge_echo_edit(m: Mapping[str, Mapping[int, float]], *, level: float = 0.2, need: int = 3) -> Judgement:
    """§13.11: after the edit at least ``need`` units echo above ``level`` of peak, more than before it."""
    edited = [u for u, v in m["edited"].items() if v > level]
    base = [u for u, v in m["baseline"].items() if v > level]
    top = sorted(m["edited"].items(), key=lambda kv: -kv[1] if kv[1] == kv[1] else 0)[:4]
    text = (f"{len(edited)} units echo > {level} after the edit, {len(base)} before; largest "
            + ", ".join(f"{u} {v:.2f}" for u, v in top))
    return text, len(edited) >= need and len(edited) > len(base)


def measure_aann(circuits_root: "str | Path | None" = None) -> dict[str, Any]:
    """Summed AANN 3a -> 3b kernels of the 24 curve units (15° apart) as a profile over orientation offset."""
    from ..data import load_circuits_json
    from ..labs.equivariance import offset_profile, offset_score

    w = torch.tensor(load_circuits_json("curve_circuits/aann_weights_3a_to_3b.json", circuits_root)["weights"],
                     dtype=torch.float64)
    sums = w[:24, :24].sum(dim=(-1, -2))
    angles = [15.0 * i for i in range(24)]
    offsets, profile = offset_profile(sums, angles, angles)
    return {"offsets": offsets.tolist(), "profile": profile.tolist(), "r2": offset_score(sums, angles, angles)}


def judge_aann(m: Mapping[str, Any], *, min_r2: float = 0.95, flat: float = 0.1) -> Judgement:
    """§13.13: sums depend only on the offset; 0° > 0, ±90° ≈ 0 (< ``flat`` of the largest), 180° the minimum."""
    prof = dict(zip((round(o) % 360 for o in m["offsets"]), m["profile"]))
    if not all(k in prof for k in (0, 90, 180, 270)):
        return "offsets 0/90/180/270 missing from the profile", False
    big = max(abs(v) for v in prof.values())
    lo = min(prof, key=lambda k: prof[k])
    ok = (m["r2"] >= min_r2 and prof[0] > 0 and abs(prof[90]) <= flat * big and abs(prof[270]) <= flat * big
          and lo == 180)
    return (f"R² {m['r2']:.3f}; 0°: {prof[0]:+.2f}, ±90°: {prof[90]:+.2f}/{prof[270]:+.2f}, "
            f"minimum at {lo}° ({prof[lo]:+.2f})"), ok


# ============================================================================ D. high-low frequency


def measure_hflf_branches(circuits_root: "str | Path | None" = None) -> dict[int, str]:
    """{channel: branch} of the Early Vision taxonomy's mixed3a "High-Low Frequency" units."""
    from ..data import taxonomy

    units = [u for g in taxonomy("mixed3a", circuits_root) if g.name == "High-Low Frequency" for u in g.units]
    return {u: branch_of(f"mixed3a:{u}").branch for u in units}


def judge_hflf_branches(m: Mapping[int, str], *, n: int = 15) -> Judgement:
    outside = [f"3a:{u} ({b})" for u, b in m.items() if b != "mixed3a_3x3"]
    ok = not outside and len(m) == n
    text = f"{len(m) - len(outside)}/{len(m)} in mixed3a_3x3 (64-191)"
    return text + ("; outside: " + ", ".join(outside) if outside else "") + ("" if len(m) == n else f"; expected {n} units"), ok


def measure_hflf_nmf(model: nn.Module, units: Sequence[int] = HF_LF_3A) -> dict[str, Any]:
    """2-factor one-sided NMF of the expanded maxpool1 -> mixed3a weights of the HF/LF units (science.md §4.2):
    each factor's top-5 conv2d2 channels, and per unit the Pearson r of the two factors' spatial maps."""
    from ..decompose import one_sided_nmf
    from ..weights import expanded_weights

    e = expanded_weights(model, "maxpool1", [f"3a:{u}" for u in units])  # (n, 192, 5, 5)
    f = one_sided_nmf(e.cpu(), 2)
    top5 = [f.channel[k].topk(5).indices.tolist() for k in range(2)]
    a, b = f.coefficients[:, 0].flatten(1).double(), f.coefficients[:, 1].flatten(1).double()
    a, b = a - a.mean(1, keepdim=True), b - b.mean(1, keepdim=True)
    r = (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1))
    return {"top5": top5, "r": r.tolist(), "units": list(units)}


def judge_hflf_factors(m: Mapping[str, Any], hf: Sequence[int] = HF_FACTOR, lf: Sequence[int] = LF_FACTOR,
                       *, need: int = 3) -> Judgement:
    """§13.15: one factor's top-5 conv2d2 units overlap the article's HF set by ≥3, the other the LF set."""
    t0, t1 = set(m["top5"][0]), set(m["top5"][1])
    straight = (len(t0 & set(hf)), len(t1 & set(lf)))
    swapped = (len(t1 & set(hf)), len(t0 & set(lf)))
    best = max(straight, swapped, key=min)
    text = (f"tops {sorted(m['top5'][0])} / {sorted(m['top5'][1])}: overlap {best[0]}/5 with HF, "
            f"{best[1]}/5 with LF")
    return text, min(best) >= need


def judge_hflf_anticorrelation(m: Mapping[str, Any], *, threshold: float = -0.5) -> Judgement:
    """§13.15: per unit, the two factors' spatial maps are anti-correlated (Pearson r < -0.5)."""
    r = [float(x) for x in m["r"]]
    bad = [f"3a:{u} {x:+.2f}" for u, x in zip(m["units"], r) if not x < threshold]
    finite = [x for x in r if x == x]
    text = f"{len(r) - len(bad)}/{len(r)} units r < {threshold}"
    if finite:
        text += f" (median {float(torch.tensor(finite).median()):+.2f})"
    return text + ("; not: " + ", ".join(bad[:3]) if bad else ""), not bad


def measure_hflf_tuning(model: nn.Module, units: Sequence[int] = HF_LF_3A, *,
                        angles: Sequence[float] = tuple(range(0, 360, 5)), size: int = 224) -> list:
    """Tuning of the HF/LF units to two-region images (:func:`~shared_utils.stimuli.high_low`, high side
    where the angle points), max over a grating and a noise texture, at the central position."""
    from ..stimuli import high_low
    from ..tuning import tuning_curve

    device = model_device(model)

    def stimuli(a: torch.Tensor) -> torch.Tensor:
        return torch.stack([high_low(a, size=size, kind=k, device=device) for k in ("grating", "noise")])

    return list(tuning_curve(model, [f"3a:{u}" for u in units], stimuli, list(angles), batch_size=8,
                             source="high-low images"))


def judge_hflf_tuning(curves: Sequence[Any], *, drop: float = 0.5, max_gap: float = 90.0) -> Judgement:
    """§13.16: each unit has one preferred direction, +180° (sides swapped) drops the response by > 50 %,
    and the preferred directions leave no gap wider than 90° (they cover every quadrant, whatever the
    angle convention)."""
    from ..tuning import n_peaks, preferred_orientation, response_at

    bad, prefs = [], []
    for c in curves:
        if c.peak <= 0:
            bad.append(f"{c.unit} silent")
            continue
        prefs.append(float(preferred_orientation(c)))
        why = []
        if int(n_peaks(c)) != 1:
            why.append(f"{int(n_peaks(c))} peaks")
        r = float(response_at(c, 180.0))
        if not r < 1 - drop:
            why.append(f"180° {r:.2f}")
        if why:
            bad.append(f"{c.unit} " + ", ".join(why))
    gap = 360.0
    if prefs:
        s = sorted(prefs)
        gap = max([b - a for a, b in zip(s, s[1:])] + [s[0] + 360.0 - s[-1]])
    text = f"{len(curves) - len(bad)}/{len(curves)} one-sided; largest gap between preferences {gap:.0f}°"
    if bad:
        text += "; " + "; ".join(bad[:3])
    return text, not bad and gap <= max_gap


# ============================================================================ E. branches and SVD


def measure_branch_membership(circuits_root: "str | Path | None" = None) -> dict[str, dict[str, Any]]:
    """The BW (mixed3a) and 30 curve-related (mixed3b) units from the taxonomy, with their 5x5 branch range."""
    from ..data import taxonomy

    bw = [u for g in taxonomy("mixed3a", circuits_root) if g.name == "BW vs Color" for u in g.units]
    curves = [u for g in taxonomy("mixed3b", circuits_root) if g.name in CURVE_GROUPS_3B for u in g.units]
    return {
        "bw": {"units": bw, "range": branch_range("mixed3a_5x5"), "channels": layer_channels("mixed3a")},
        "curves": {"units": curves, "range": branch_range("mixed3b_5x5"), "channels": layer_channels("mixed3b")},
    }


def judge_branch_membership(m: Mapping[str, Any], article_p: float, *, n: int, rel_tol: float = 0.05) -> Judgement:
    """§13.17: all ``n`` units lie in the branch, and the chance of that, C(b, k) / C(N, k), matches ``article_p``."""
    a, z = m["range"]
    units = list(m["units"])
    inside = [u for u in units if a <= u < z]
    k, b = len(units), z - a
    p = math.comb(b, k) / math.comb(m["channels"], k) if k else float("nan")
    ok = len(units) == n and len(inside) == k and abs(p / article_p - 1) <= rel_tol
    return f"{len(inside)}/{k} in {a}-{z - 1}; p = {p:.2g}", ok


def _auc(pos: torch.Tensor, neg: torch.Tensor) -> float:
    """Probability that a random ``pos`` score exceeds a random ``neg`` one (ties count half)."""
    d = pos.reshape(-1, 1) - neg.reshape(1, -1)
    return float((d > 0).double().mean() + 0.5 * (d == 0).double().mean())


def measure_svd_auc(model: nn.Module, circuits_root: "str | Path | None" = None) -> dict[str, Any]:
    """conv2d0 loadings on the top singular vector of |conv2d1 weights| (raw and centred, i.e. PCA), with
    the Early Vision conv2d0 labels (science.md §6.2)."""
    from ..decompose import svd_abs, taxonomy_labels
    from ..weights import direct_weights

    w = direct_weights(model, "conv2d0", "conv2d1").cpu()
    return {"sv0": svd_abs(w).in_vectors[:, 0].tolist(), "pca0": svd_abs(w, center=True).in_vectors[:, 0].tolist(),
            "labels": taxonomy_labels("conv2d0", circuits_root)}


def judge_svd_auc(m: Mapping[str, Any], *, threshold: float = 0.8) -> Judgement:
    """§13.18: the loadings separate "Color Contrast" from "Gabor Filters" units (AUC, either direction)."""
    labels = m["labels"]
    out = {}
    for key in ("sv0", "pca0"):
        v = torch.tensor(m[key], dtype=torch.float64)
        pos = v[[i for i, lab in enumerate(labels) if lab == "Color Contrast"]]
        neg = v[[i for i, lab in enumerate(labels) if lab == "Gabor Filters"]]
        a = _auc(pos, neg)
        out[key] = max(a, 1 - a)
    best = max(out.values())
    return f"AUC {out['sv0']:.2f} (|W| SV0), {out['pca0']:.2f} (PCA 1)", best > threshold


# ============================================================================ F. dog and car circuits


def measure_pair_sums(model: nn.Module, pairs: "Sequence[tuple[str, str]] | Mapping[tuple[str, str], int]",
                      *, via: str | None = None) -> dict[tuple[str, str], float]:
    """{(src, dst): summed 5x5 expanded weight} for unit pairs like ("3b:404", "4a:234").

    ``via`` reads the sources from a pooling layer with the same channels (``"maxpool4"`` for mixed3b
    units feeding mixed4a, as Lucid's notebook does).
    """
    from ..inception.names import parse_unit
    from ..weights import expanded_weights

    keys = list(pairs)
    srcs = list(dict.fromkeys(s for s, _ in keys))
    dsts = list(dict.fromkeys(d for _, d in keys))
    src_spec = [(via, parse_unit(s).channel) for s in srcs] if via else srcs
    e = expanded_weights(model, src_spec, dsts).sum(dim=(-1, -2)).cpu()  # (n_dst, n_src)
    return {(s, d): float(e[dsts.index(d), srcs.index(s)]) for s, d in keys}


def judge_signs(sums: Mapping[tuple[str, str], float], expected: Mapping[tuple[str, str], int]) -> Judgement:
    """Every summed weight has the claimed sign (+1 excitatory, -1 inhibitory)."""
    wrong = [f"{s}→{d} {_fmt(sums[(s, d)])}" for (s, d), sign in expected.items() if not sums[(s, d)] * sign > 0]
    n = len(expected)
    text = f"{n - len(wrong)}/{n} signs as claimed"
    return text + ("; wrong: " + ", ".join(wrong[:3]) if wrong else ""), not wrong


def measure_mirror(model: nn.Module, pair: tuple[str, str, str] = MIRROR_PAIR) -> dict[str, float]:
    """Cosine between two units' 5x5 kernels into a common unit, as they are and with one mirrored left-right."""
    from ..labs.equivariance import cosine, reflection_score
    from ..weights import expanded_weights

    a, b, dst = pair
    k = expanded_weights(model, [a, b], dst).cpu()  # (2, 5, 5)
    return {"mirrored": reflection_score(k[0], k[1]), "unflipped": cosine(k[0], k[1])}


def judge_mirror(m: Mapping[str, float]) -> Judgement:
    """§13.20: a left/right pair's kernels are closer mirrored than unflipped."""
    return (f"cosine mirrored {m['mirrored']:+.2f} vs unflipped {m['unflipped']:+.2f}",
            m["mirrored"] > m["unflipped"])


def measure_car_kernels(model: nn.Module, dst: str = CAR_UNIT, srcs: Sequence[str] = CAR_INPUTS) -> dict[str, torch.Tensor]:
    """{src: (5, 5) expanded kernel into the car unit} (rows top to bottom)."""
    from ..weights import expanded_weights

    k = expanded_weights(model, list(srcs), [dst])[0].cpu()
    return {s: k[i] for i, s in enumerate(srcs)}


def judge_car(k: Mapping[str, torch.Tensor], srcs: Sequence[str] = CAR_INPUTS) -> Judgement:
    """§13.21: windows (top rows > 0 > bottom rows), wheels (the reverse), body (mostly positive)."""
    windows, wheels, body = (k[s].double() for s in srcs)

    def ends(t: torch.Tensor) -> tuple[float, float]:
        return float(t[:2].mean()), float(t[-2:].mean())

    wt, wb = ends(windows)
    ht, hb = ends(wheels)
    frac = float((body > 0).double().mean())
    checks = {"windows": wt > 0 > wb, "wheels": hb > 0 > ht, "body": float(body.sum()) > 0 and frac > 0.5}
    text = (f"windows top {wt:+.2g} / bottom {wb:+.2g}; wheels top {ht:+.2g} / bottom {hb:+.2g}; "
            f"body sum {float(body.sum()):+.2g}, {100 * frac:.0f} % > 0")
    bad = [k for k, v in checks.items() if not v]
    return text + (f"; fails: {', '.join(bad)}" if bad else ""), not bad


def measure_superposition(model: nn.Module, src: str = CAR_UNIT, dsts: Sequence[str] = SUPERPOSITION_DST) -> dict[str, tuple[int, float]]:
    """{dst: (rank of ``src`` among all mixed4c inputs by summed weight, 1 = most excitatory; its sum)}."""
    from ..inception.names import parse_unit
    from ..weights import expanded_weights

    ch = parse_unit(src).channel
    sums = expanded_weights(model, "mixed4c", list(dsts)).sum(dim=(-1, -2)).cpu()  # (n_dst, 512)
    out = {}
    for i, d in enumerate(dsts):
        rank = int((sums[i] > sums[i, ch]).sum()) + 1
        out[d] = (rank, float(sums[i, ch]))
    return out


def judge_superposition(m: Mapping[str, tuple[int, float]], *, k: int = 10) -> Judgement:
    """§13.22: the car unit is among the top-``k`` excitatory inputs of each dog unit."""
    bad = [d for d, (rank, s) in m.items() if not (rank <= k and s > 0)]
    text = "; ".join(f"{d}: rank {r} ({_fmt(s)})" for d, (r, s) in m.items())
    return text, not bad


