"""Check the course's claims about InceptionV1 against the real weights (docs/science.md §13).

Instructors run this before teaching, wherever the real weights can be had (Colab)::

    python -m shared_utils.verify                      # real weights (cached, else downloaded)
    python -m shared_utils.verify --weights inception5h.pth --data /path/to/data --quick --markdown
    python3 run.py verify                              # the same, from the project root

and in a notebook::

    from shared_utils.verify import report
    report()                                       # an HTML table; report(model) for a loaded model

It prints one row per claim: its id (the §13 number), the claim, the article's value (with its
science.md section), what this run measured, and a verdict:

* ``PASS`` / ``FAIL``: the claim holds / does not hold here. Claims marked ``[inferred]`` are the
  course's reading of a figure (science.md §13 F) or of a file (A0, the class map of
  :mod:`shared_utils.labels`), not the article's words; they still count.
* ``EXPLORATORY: ...``: reported, never fails the run (e.g. E18, which the article shows for a
  different InceptionV1).
* ``SKIPPED: why``: not checked in this run (no real weights, no data, ``--quick``, or never
  checkable here, like the C12 accuracy ablation).
* ``UNTRAINED: not a finding``: computed on the random stand-in (``--weights untrained``), which
  only tests the machinery. Such numbers say nothing about the real network.

``--weights`` defaults to ``pretrained``; ``$ZOOM_IN_WEIGHTS`` is not read, so a CI setting of
``untrained`` can never pass the stand-in off as the model. Without the real weights it says so
loudly and runs only the checks that need none (architecture, and the articles' own data files).
The exit status is 1 if any non-exploratory check FAILs or errors, else 0.

Each claim is a *measurement* (model and data -> plain numbers, tuning curves, kernels) and a pure
*judgement* (those numbers -> ``(measured text, passed)``), so the judgements are unit-tested on
constructed numbers and the pair on constructed models (tests/test_verify.py). Thresholds that
science.md §13 marks as proposals are the course's choice, stated in each claim's article column.
"""
from __future__ import annotations

import argparse
import html
import math
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, Mapping, Sequence

import torch
from torch import nn

from ._geometry import circular_distance, wrap_degrees
from ._hooks import run_to
from .device import model_device
from .names import branch_of, branch_range, layer_channels

__all__ = [
    "Claim",
    "Result",
    "Context",
    "VerifyReport",
    "CLAIMS",
    "claims",
    "run",
    "report",
    "main",
    # measurements and judgements (used by the tests and by curious instructors)
    "measure_channel_counts", "judge_channel_counts",
    "measure_branch_ranges", "judge_branch_ranges",
    "measure_taxonomy_coverage", "judge_taxonomy_coverage",
    "measure_sample_accuracy", "judge_sample_accuracy",
    "measure_curve_tuning", "judge_curve_tuning", "preferred_angles", "judge_curve_order",
    "measure_article_echoes", "measure_model_echoes", "judge_echo_depth",
    "measure_curve_weights", "judge_curve_pairs", "measure_article_peaks", "judge_best_input",
    "measure_echo_edit", "judge_echo_edit",
    "measure_aann", "judge_aann",
    "measure_hflf_branches", "judge_hflf_branches",
    "measure_hflf_nmf", "judge_hflf_factors", "judge_hflf_anticorrelation",
    "measure_hflf_tuning", "judge_hflf_tuning",
    "measure_branch_membership", "judge_branch_membership",
    "measure_svd_auc", "judge_svd_auc",
    "measure_pair_sums", "judge_signs", "measure_mirror", "judge_mirror",
    "measure_car_kernels", "judge_car", "measure_superposition", "judge_superposition",
    "measure_curve_distribution", "judge_activation_distribution", "judge_sigmas",
]

Judgement = tuple[str, bool]

# ============================================================================ the articles' values (science.md)

#: §13.1: channels per layer (Lucid's list) and the number of logits.
CHANNELS = {"conv2d0": 64, "conv2d1": 64, "conv2d2": 192, "mixed3a": 256, "mixed3b": 480, "mixed4a": 508,
            "mixed4b": 512, "mixed4c": 512, "mixed4d": 528, "mixed4e": 832, "mixed5a": 832, "mixed5b": 1024}
LOGITS = 1008
#: §1.3: branch channel ranges (inclusive) of every mixed layer, in concat order 1x1, 3x3, 5x5, pool_reduce.
BRANCH_TABLE = {
    "mixed3a": ((0, 63), (64, 191), (192, 223), (224, 255)),
    "mixed3b": ((0, 127), (128, 319), (320, 415), (416, 479)),
    "mixed4a": ((0, 191), (192, 395), (396, 443), (444, 507)),
    "mixed4b": ((0, 159), (160, 383), (384, 447), (448, 511)),
    "mixed4c": ((0, 127), (128, 383), (384, 447), (448, 511)),
    "mixed4d": ((0, 111), (112, 399), (400, 463), (464, 527)),
    "mixed4e": ((0, 255), (256, 575), (576, 703), (704, 831)),
    "mixed5a": ((0, 255), (256, 575), (576, 703), (704, 831)),
    "mixed5b": ((0, 383), (384, 767), (768, 895), (896, 1023)),
}
_BRANCH_NAMES = ("1x1", "3x3", "5x5", "pool_reduce")
#: §2.1: the ten mixed3b curve detectors and their radial peaks in the article's own convention.
CURVES_3B = (379, 406, 385, 343, 342, 388, 324, 340, 330, 349)
ARTICLE_PEAKS_3B = {342: 22.5, 388: 66.5, 324: 91.5, 340: 110.0, 330: 145.0, 349: 181.0,
                    379: 243.0, 406: 268.5, 385: 290.0, 343: 358.0}
#: §2.1: mixed3a early curves and conv2d2 tiny curves with radial data (146, the circle, left out).
EARLY_CURVES_3A = (81, 104, 92, 145, 95, 163, 171, 71, 147, 189, 137)
TINY_CURVES_CONV2D2 = (182, 117, 171, 111, 63, 130, 180, 39, 140, 32, 80)
#: §2.3: median echo per layer in the Curve Detectors radial data.
ARTICLE_ECHO_MEDIANS = {"conv2d2": 0.36, "mixed3a": 0.22, "mixed3b": 0.01}
#: §3.1: summed 3a -> 3b expanded-weight signs.
CURVE_PAIRS = {(147, 379): 1, (81, 385): 1, (71, 340): 1, (145, 388): 1,
               (145, 379): -1, (71, 385): -1, (81, 340): -1, (147, 388): -1}
#: §4.1 / §4.2: HF/LF units and the conv2d2 units of the two NMF factors.
HF_LF_3A = (110, 180, 153, 106, 112, 186, 132, 136, 117, 113, 108, 70, 86, 88, 160)
HF_FACTOR = (119, 102, 123, 90, 173)
LF_FACTOR = (89, 163, 98, 188, 158)
#: §6.1: the hypergeometric chance of a group falling entirely inside a branch.
BW_P, CURVES_P = 2.5e-9, 1.7e-23
CURVE_GROUPS_3B = ("Curves", "Double Curves", "Curves misc.", "Shallow Curves", "Curve Shapes",
                   "Circles / Loops", "Evolute")
#: §5 / §13.19-20: dog-head circuit signs (left pathway 3b:404 -> 4a:234, 308; right 3b:303 -> 4a:325, 222).
DOG_3B_4A = {("3b:404", "4a:234"): 1, ("3b:404", "4a:308"): 1, ("3b:404", "4a:325"): -1, ("3b:404", "4a:222"): -1,
             ("3b:303", "4a:234"): -1, ("3b:303", "4a:308"): -1, ("3b:303", "4a:325"): 1, ("3b:303", "4a:222"): 1}
DOG_4A_4B = {("4a:234", "4b:443"): 1, ("4a:234", "4b:431"): 1, ("4a:308", "4b:443"): 1, ("4a:308", "4b:431"): 1,
             ("4a:234", "4b:429"): -1, ("4a:234", "4b:384"): -1, ("4a:308", "4b:429"): -1, ("4a:308", "4b:384"): -1}
DOG_UNION = {("4a:222", "4b:418"): 1, ("4a:234", "4b:418"): 1, ("4a:235", "4b:418"): 1, ("4a:308", "4b:418"): 1}
#: A left/right pair of oriented heads (OrientedDogHeads: 4a:308 -> 4b:443 left, 4a:222 -> 4b:429 right).
MIRROR_PAIR = ("4a:308", "4a:222", "4b:418")
CAR_UNIT, CAR_INPUTS = "4c:447", ("4b:237", "4b:373", "4b:491")
SUPERPOSITION_DST = ("4d:417", "4d:241", "4d:277")


def _fmt(x: float) -> str:
    return "nan" if x != x else f"{x:+.3g}"


# ============================================================================ A. architecture and ids


def measure_channel_counts(model: nn.Module) -> dict[str, int]:
    """Channels of every main layer and the number of logits, seen in one forward pass of a 224 px image."""
    from .model import preprocess

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
    the course catalogue's ranges (:func:`shared_utils.names.branch_range`) and Branch Specialization
    Figure 5's ranges (data)."""
    from .data import load_circuits_json

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

    from .data import DataUnavailableError, _loose_json, load_circuits_json

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
    from .data import taxonomy

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
    course's class map (:func:`shared_utils.labels.sample_targets`: 0 background, 1-1000 lucent's list)."""
    from .handbuilt import predict, topk_accuracy
    from .labels import inceptionv1_classes, sample_targets

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
    from .stimuli import curve_sweep
    from .tuning import tuning_curve

    device = model_device(model)
    names = [u if isinstance(u, str) else f"{layer}:{u}" for u in units]

    def stimuli(a: torch.Tensor) -> torch.Tensor:
        return curve_sweep(a, list(radii), size=size, thickness=thickness, device=device)

    per_image = max(1, len(radii))
    batch = max(1, (64 if device.type != "cpu" else 16) // per_image)
    return list(tuning_curve(model, names, stimuli, list(angles), positions=positions, batch_size=batch,
                             source=f"curves r={list(radii)} px at {size} px"))


def _curve_stats(c: Any) -> dict[str, float] | None:
    from .tuning import n_peaks, response_at, tuning_width

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
    from .tuning import preferred_orientation

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
    from .tuning import article_summary

    s = article_summary(circuits_root, layers=("conv2d2", "mixed3a", "mixed3b"))
    return {layer: float(v["echo_median"]) for layer, v in s.items()}


def measure_model_echoes(model: nn.Module, *, angles: Sequence[float] = tuple(range(0, 360, 2)),
                         curves_3b: Sequence[Any] | None = None, quick: bool = False) -> dict[str, float]:
    """Median echo (science.md §2.3 metric) of the curve families of conv2d2, mixed3a and mixed3b on the model.

    Each layer gets curves at the scale of its receptive field (conv2d2 ~19 px, 3a ~43-59 px, 3b ~90 px);
    the radii are the course's choice [inferred]. ``curves_3b`` reuses a mixed3b measurement.
    """
    from .tuning import echo

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
    from .tuning import activation_distribution

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
    from .weights import expanded_weights

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
    from .tuning import article_curves, preferred_orientation

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
    from .tuning import echo
    from .weights import with_expanded_weights

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
    from .data import load_circuits_json
    from .equivariance import offset_profile, offset_score

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
    from .data import taxonomy

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
    from .decompose import one_sided_nmf
    from .weights import expanded_weights

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
    from .stimuli import high_low
    from .tuning import tuning_curve

    device = model_device(model)

    def stimuli(a: torch.Tensor) -> torch.Tensor:
        return torch.stack([high_low(a, size=size, kind=k, device=device) for k in ("grating", "noise")])

    return list(tuning_curve(model, [f"3a:{u}" for u in units], stimuli, list(angles), batch_size=8,
                             source="high-low images"))


def judge_hflf_tuning(curves: Sequence[Any], *, drop: float = 0.5, max_gap: float = 90.0) -> Judgement:
    """§13.16: each unit has one preferred direction, +180° (sides swapped) drops the response by > 50 %,
    and the preferred directions leave no gap wider than 90° (they cover every quadrant, whatever the
    angle convention)."""
    from .tuning import n_peaks, preferred_orientation, response_at

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
    from .data import taxonomy

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
    from .decompose import svd_abs, taxonomy_labels
    from .weights import direct_weights

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
    from .names import parse_unit
    from .weights import expanded_weights

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
    from .equivariance import cosine, reflection_score
    from .weights import expanded_weights

    a, b, dst = pair
    k = expanded_weights(model, [a, b], dst).cpu()  # (2, 5, 5)
    return {"mirrored": reflection_score(k[0], k[1]), "unflipped": cosine(k[0], k[1])}


def judge_mirror(m: Mapping[str, float]) -> Judgement:
    """§13.20: a left/right pair's kernels are closer mirrored than unflipped."""
    return (f"cosine mirrored {m['mirrored']:+.2f} vs unflipped {m['unflipped']:+.2f}",
            m["mirrored"] > m["unflipped"])


def measure_car_kernels(model: nn.Module, dst: str = CAR_UNIT, srcs: Sequence[str] = CAR_INPUTS) -> dict[str, torch.Tensor]:
    """{src: (5, 5) expanded kernel into the car unit} (rows top to bottom)."""
    from .weights import expanded_weights

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
    from .names import parse_unit
    from .weights import expanded_weights

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


# ============================================================================ the registry


Needs = Literal["data", "architecture", "weights", "weights+data", "weights+sample"]


@dataclass(frozen=True)
class Claim:
    """One falsifiable claim of the course (science.md §13 numbering).

    ``measure(ctx)`` returns plain measurements; ``judge(measurements)`` returns ``(measured text, passed)``.
    ``needs`` says what it must have: only the articles' data, the architecture (any weights), or the real
    weights (plus data or the ImageNet sample). ``status`` is ``"check"``, ``"inferred"`` (the course's
    reading of a figure; still counts) or ``"exploratory"`` (reported, never fails the run).
    ``skip`` marks a claim this tool cannot check, and why.
    """

    id: str
    claim: str
    article: str
    needs: Needs
    measure: Callable[["Context"], Any] | None = None
    judge: Callable[[Any], Judgement] | None = None
    status: Literal["check", "inferred", "exploratory"] = "check"
    slow: bool = False
    skip: str | None = None

    @property
    def needs_weights(self) -> bool:
        return self.needs.startswith("weights")


@dataclass
class Context:
    """What a run has: the model (``None`` without real weights), data folders, speed settings, a cache."""

    model: nn.Module | None = None
    trained: bool = False
    weights_problem: str | None = None
    circuits_root: Path | None = None
    sample_root: Path | None = None
    labels_root: Path | None = None
    quick: bool = False
    cache: dict[str, Any] = field(default_factory=dict)
    _arch: nn.Module | None = None

    @property
    def angles(self) -> tuple[float, ...]:
        return tuple(float(a) for a in range(0, 360, 6 if self.quick else 2))

    @property
    def radii(self) -> tuple[float, ...]:
        return (40.0, 60.0, 80.0) if self.quick else (20.0, 40.0, 60.0, 80.0, 100.0)

    @property
    def n_images(self) -> int:
        return 100 if self.quick else 1000

    def arch_model(self) -> nn.Module:
        """The model for architecture checks: the loaded one, else the untrained stand-in (same architecture)."""
        if self.model is not None:
            return self.model
        if self._arch is None:
            from .model import load_inceptionv1

            self._arch = load_inceptionv1("untrained", device="cpu")
        return self._arch

    def memo(self, key: str, fn: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = fn()
        return self.cache[key]

    def weights(self) -> nn.Module:
        if self.model is None:
            raise RuntimeError("this check needs a model")
        return self.model

    def curves_3b(self) -> list:
        return self.memo("curves_3b", lambda: measure_curve_tuning(self.weights(), CURVES_3B, angles=self.angles,
                                                                   radii=self.radii))

    def sample(self) -> Any:
        from .data import imagenet_sample

        return self.memo("sample", lambda: imagenet_sample(self.sample_root, n=self.n_images, progress=False))


def _b7(ctx: Context) -> tuple[dict[int, float], dict[int, tuple[float, float]]]:
    peaks = {int(c.unit.split(":")[-1]): c.peak for c in ctx.curves_3b()}
    dist = ctx.memo("dist_3b", lambda: measure_curve_distribution(ctx.weights(), ctx.sample()))
    return peaks, {u: (float(v.mean()), float(v.std())) for u, v in dist.items()}


def _c9_sums(ctx: Context) -> dict[tuple[int, int], float]:
    return ctx.memo("curve_sums", lambda: measure_curve_weights(ctx.weights()))


def _nmf(ctx: Context) -> dict[str, Any]:
    return ctx.memo("hflf_nmf", lambda: measure_hflf_nmf(ctx.weights()))


def claims() -> list[Claim]:
    """The registry, in science.md §13 order."""
    root = lambda ctx: ctx.circuits_root  # noqa: E731
    return [
        Claim("A0", "[inferred] Output 0 is background, 1-1000 lucent's class list in order: the sample's photos "
                    "are classified as their own class",
              "top-5 88.6 % intact on 2,000 validation images (§3.2); chance 0.5 %; asserted top-5 ≥ 50 %",
              "weights+sample",
              lambda ctx: measure_sample_accuracy(ctx.weights(), ctx.sample(), ctx.labels_root),
              judge_sample_accuracy, status="inferred"),
        Claim("A1", "Channel counts of the 12 main layers; number of logits",
              "64,64,192,256,480,508,512,512,528,832,832,1024; 1008 logits (§1.3)", "architecture",
              lambda ctx: measure_channel_counts(ctx.arch_model()), judge_channel_counts),
        Claim("A2", "Branch channel ranges in each mixed layer's concatenation (model and course catalogue)",
              "§1.3 table; 3a_5x5 192-223, 3b_5x5 320-415, 4a_5x5 396-443 (Fig. 5)", "architecture",
              lambda ctx: measure_branch_ranges(ctx.arch_model(), root(ctx)), judge_branch_ranges),
        Claim("A3", "Early Vision taxonomy lists every channel of conv2d0-mixed3b exactly once",
              "64, 64, 192, 256, 480 channels, each once (§7.1)", "data",
              lambda ctx: measure_taxonomy_coverage(root(ctx)), judge_taxonomy_coverage),
        Claim("B4", "Each 3b curve unit has one orientation peak, no response at ±90° or 180°",
              "±90° ≤4 %, 180° ≤1 %, width 28.5-68.5° (§2.3); asserted <10 %, <5 %, 20-80° (§13.4)", "weights",
              lambda ctx: ctx.curves_3b(), judge_curve_tuning),
        Claim("B5", "Circular order of the 10 curve peaks (global offset and reflection fitted)",
              "342 388 324 340 330 349 379 406 385 343 (§2.1); residual ≤15° (§13.5)", "weights",
              lambda ctx: preferred_angles(ctx.curves_3b()), judge_curve_order),
        Claim("B6a", "Echoes shrink with depth in the articles' radial data",
              "median echo 0.36 > 0.22 > 0.01 (§2.3)", "data",
              lambda ctx: measure_article_echoes(root(ctx)),
              lambda m: judge_echo_depth(m, ARTICLE_ECHO_MEDIANS)),
        Claim("B6b", "Echoes shrink with depth on the model (conv2d2, 3a, 3b curve families)",
              "0.36 > 0.22 > ≤0.03 (§2.3); asserted order and 3b < 0.1", "weights",
              lambda ctx: measure_model_echoes(ctx.weights(), angles=ctx.angles, curves_3b=ctx.curves_3b(),
                                               quick=ctx.quick),
              lambda m: judge_echo_depth(m, last_max=0.1)),
        Claim("B7", "Best synthetic curve, in σ above the ImageNet activation mean (pre-ReLU, all positions)",
              "up to 24σ (§2.2); >10σ proposed (§13.7), σ basis undocumented", "weights+sample",
              _b7, lambda m: judge_sigmas(*m), status="exploratory"),
        Claim("B8", "3b:379 pre-ReLU over ImageNet: negative mean, rarely positive, exponential tail",
              "mean ≈ −200, 11 % positive (§2.2); asserted <0, 5-20 %, R² ≥ 0.9 (§13.8)", "weights+sample",
              lambda ctx: ctx.memo("dist_3b", lambda: measure_curve_distribution(ctx.weights(), ctx.sample()))[379],
              judge_activation_distribution),
        Claim("C9", "Summed 3a→3b expanded weights: similar curves excite, opposite ones inhibit",
              "+ 147→379, 81→385, 71→340, 145→388; − 145→379, 71→385, 81→340, 147→388 (§3.1)", "weights",
              _c9_sums, judge_curve_pairs),
        Claim("C10", "Each 3b curve's most positive early-curve input is tuned within 45° of it",
              "radial peaks §2.1 (article data); ~45° (§13.10)", "weights+data",
              lambda ctx: (_c9_sums(ctx), measure_article_peaks("mixed3a", root(ctx)),
                           measure_article_peaks("mixed3b", root(ctx))),
              lambda m: judge_best_input(*m)),
        Claim("C11", "Dropping negative early-curve weights makes 3b curves echo",
              "after edit 385 0.62, 324 0.59, 330 0.40, 343 0.23 (§3.1); ≥3 units > 0.2", "weights",
              lambda ctx: measure_echo_edit(ctx.weights(), angles=ctx.angles, radii=ctx.radii), judge_echo_edit,
              slow=True),
        Claim("C12", "Ablating the 10 curve units lowers top-5 accuracy slightly",
              "88.6 % → 86.3 % on 2,000 validation images (§3.2)", "weights",
              skip="not checked: needs labelled ImageNet validation images (≥2,000); the course's sample has "
                   "one photo per class, too few to resolve a 2-point drop (the class map is checked by A0)"),
        Claim("C13", "AANN 3a→3b kernel sums depend only on the orientation offset",
              "0° +5.8, ±90° ≈ 0, 180° minimum −7.9 (§3.2)", "data",
              lambda ctx: measure_aann(root(ctx)), judge_aann),
        Claim("D14", "The 15 mixed3a HF/LF units are in the 3x3 branch", "64-191 (§4.1)", "data",
              lambda ctx: measure_hflf_branches(root(ctx)), judge_hflf_branches),
        Claim("D15a", "2-factor one-sided NMF of maxpool1→3a HF/LF weights finds the HF and LF conv2d2 units",
              "HF 119,102,123,90,173; LF 89,163,98,188,158 (§4.2); overlap ≥3 each", "weights",
              _nmf, judge_hflf_factors),
        # Exploratory: 2-factor one-sided NMF of random Gaussian weights of the same shape also gives
        # r of about -0.87 (measured in lab 3), so anti-correlation alone cannot confirm the claim.
        Claim("D15b", "Per HF/LF unit the two factors' spatial maps are anti-correlated",
              "r < −0.5 per unit (§13.15; random weights give ≈ −0.87 too)", "weights", _nmf,
              judge_hflf_anticorrelation, status="exploratory"),
        Claim("D16", "HF/LF units prefer one direction of a high-low boundary and together span 360°",
              "one side each, +180° drops >50 %, all quadrants (§4.2, §13.16)", "weights",
              lambda ctx: measure_hflf_tuning(ctx.weights(), angles=tuple(range(0, 360, 10 if ctx.quick else 5))),
              judge_hflf_tuning),
        Claim("E17a", "All 9 BW-vs-Color units are in mixed3a_5x5", "192-223; p 2.5e-9 (<1e-8 in text) (§6.1)",
              "data", lambda ctx: measure_branch_membership(root(ctx))["bw"],
              lambda m: judge_branch_membership(m, BW_P, n=9)),
        Claim("E17b", "All 30 curve-related units are in mixed3b_5x5", "320-415; p 1.7e-23 (<1e-20) (§6.1)",
              "data", lambda ctx: measure_branch_membership(root(ctx))["curves"],
              lambda m: judge_branch_membership(m, CURVES_P, n=30)),
        Claim("E18", "Top singular vector of |conv2d1 weights| separates conv2d0 colour from Gabor units",
              "AUC > 0.8; shown for tf-slim / Places365 InceptionV1, not Lucid's (§6.2)", "weights+data",
              lambda ctx: measure_svd_auc(ctx.weights(), root(ctx)), judge_svd_auc, status="exploratory"),
        Claim("F19a", "Oriented fur → oriented dog heads: same side excites, other side inhibits (3b→4a)",
              "404→234,308 +, →325,222 −; 303 the reverse (§5)", "weights",
              lambda ctx: measure_pair_sums(ctx.weights(), DOG_3B_4A, via="maxpool4"),
              lambda m: judge_signs(m, DOG_3B_4A)),
        Claim("F19b", "[inferred] Oriented heads → head+neck units: same side +, other side − (4a→4b)",
              "234,308→443,431 +, →429,384 − (§13.19, from the figure)", "weights",
              lambda ctx: measure_pair_sums(ctx.weights(), DOG_4A_4B), lambda m: judge_signs(m, DOG_4A_4B),
              status="inferred"),
        Claim("F20a", "Union: 4a oriented heads all excite the invariant head 4b:418",
              "222, 234, 235, 308 → 418 all + (§5 DogMerge)", "weights",
              lambda ctx: measure_pair_sums(ctx.weights(), DOG_UNION), lambda m: judge_signs(m, DOG_UNION)),
        Claim("F20b", "[inferred] A left/right pair's kernels into 4b:418 are mirror images",
              "4a:308 vs 4a:222: mirrored cosine > unflipped (§13.20)", "weights",
              lambda ctx: measure_mirror(ctx.weights()), judge_mirror, status="inferred"),
        Claim("F21", "Car 4c:447: windows above, wheels below, body positive",
              "237 top + / bottom −; 373 the reverse; 491 mostly + (§5 CarCircuit)", "weights",
              lambda ctx: measure_car_kernels(ctx.weights()), judge_car),
        Claim("F22", "[inferred] The car unit is a top-10 excitatory input of dog units 4d:417, 241, 277",
              "grey arrows, sign assumed + (§5, §13.22)", "weights",
              lambda ctx: measure_superposition(ctx.weights()), judge_superposition, status="inferred"),
    ]


CLAIMS: list[Claim] = claims()


# ============================================================================ running and reporting


@dataclass
class Result:
    claim: Claim
    verdict: str
    measured: str = ""
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        """A non-exploratory check that failed or crashed on real weights (or on data)."""
        return self.verdict == "FAIL" or self.verdict.startswith("ERROR")


def _short(exc: BaseException) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return first if len(first) <= 160 else first[:157] + "..."


def _wanted(only: Sequence[str] | None) -> set[str] | None:
    """Upper-case ids to run (``B6`` selects B6a and B6b); ValueError for an id no claim has."""
    if not only:
        return None
    wanted = {i.strip().upper() for i in only}
    known = {c.id.upper() for c in CLAIMS} | {c.id.rstrip("ab").upper() for c in CLAIMS}
    unknown = sorted(wanted - known)
    if unknown:
        raise ValueError(f"unknown claim id(s) {', '.join(unknown)}; known: {', '.join(c.id for c in CLAIMS)}")
    return wanted


def run(ctx: Context, only: Sequence[str] | None = None, *, progress: Callable[[str], None] | None = None) -> list[Result]:
    """Run the registry's claims (``only`` some ids) in ``ctx``; never raises for a failing check."""
    from .data import DataUnavailableError

    wanted = _wanted(only)
    results = []
    for c in CLAIMS:
        if wanted is not None and c.id.upper() not in wanted and c.id.rstrip("ab").upper() not in wanted:
            continue
        if c.skip:
            results.append(Result(c, f"SKIPPED: {c.skip}"))
            continue
        if c.needs_weights and ctx.model is None:
            results.append(Result(c, "SKIPPED: real weights unavailable"))
            continue
        if c.slow and ctx.quick:
            results.append(Result(c, "SKIPPED: slow; run without --quick"))
            continue
        if progress:
            progress(f"{c.id}: {c.claim}")
        t0 = time.perf_counter()
        assert c.measure is not None and c.judge is not None
        try:
            measured, ok = c.judge(c.measure(ctx))
            verdict = "PASS" if ok else "FAIL"
            if c.status == "exploratory":
                verdict = f"EXPLORATORY: {'meets' if ok else 'misses'} threshold"
        except DataUnavailableError as exc:
            measured, verdict = "", f"SKIPPED: data unavailable ({_short(exc)})"
        except Exception as exc:  # a crash is reported in its row, the run goes on
            measured, verdict = "", f"ERROR: {type(exc).__name__}: {_short(exc)}"
            if c.status == "exploratory":
                verdict = "EXPLORATORY: " + verdict
        if c.needs_weights and not ctx.trained:
            if not measured and verdict.startswith(("ERROR", "EXPLORATORY: ERROR")):
                measured = verdict.removeprefix("EXPLORATORY: ")
            verdict = "UNTRAINED: not a finding"
        results.append(Result(c, verdict, measured, time.perf_counter() - t0))
    return results


_COLUMNS = ("id", "claim", "article value", "measured", "verdict")
_WIDTHS = (5, 34, 32, 40, 26)


@dataclass
class VerifyReport:
    """A run's table. ``str()`` / :meth:`text` for a terminal, :meth:`markdown`, HTML in a notebook."""

    results: list[Result]
    header: list[str]
    seconds: float = 0.0

    @property
    def failed(self) -> list[Result]:
        return [r for r in self.results if r.failed]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def _rows(self) -> list[tuple[str, str, str, str, str]]:
        return [(r.claim.id, r.claim.claim, r.claim.article, r.measured or "-", r.verdict) for r in self.results]

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for r in self.results:
            key = r.verdict.split(":")[0]
            counts[key] = counts.get(key, 0) + 1
        parts = ", ".join(f"{v} {k}" for k, v in counts.items())
        return f"{len(self.results)} claims: {parts}; {self.seconds:.0f} s" + (
            f". FAILED: {', '.join(r.claim.id for r in self.failed)}" if self.failed else "")

    def text(self) -> str:
        lines = list(self.header) + [""]
        sep = "-+-".join("-" * w for w in _WIDTHS)
        lines.append(" | ".join(c.ljust(w) for c, w in zip(_COLUMNS, _WIDTHS)))
        lines.append(sep)
        for row in self._rows():
            cells = [textwrap.wrap(t, w, break_long_words=True) or [""] for t, w in zip(row, _WIDTHS)]
            for i in range(max(len(c) for c in cells)):
                lines.append(" | ".join((c[i] if i < len(c) else "").ljust(w) for c, w in zip(cells, _WIDTHS)).rstrip())
            lines.append(sep)
        lines.append(self.summary())
        return "\n".join(lines)

    def markdown(self) -> str:
        def cell(t: str) -> str:
            return t.replace("|", "\\|").replace("\n", " ")

        lines = [h if h.strip() else "" for h in self.header] + [""]
        lines.append("| " + " | ".join(_COLUMNS) + " |")
        lines.append("|" + "|".join("---" for _ in _COLUMNS) + "|")
        lines += ["| " + " | ".join(cell(t) for t in row) + " |" for row in self._rows()]
        lines += ["", self.summary()]
        return "\n".join(lines)

    def html(self) -> str:
        colour = {"PASS": "#1a7f37", "FAIL": "#cf222e", "ERROR": "#cf222e", "UNTRAINED": "#9a6700"}
        head = "".join(f"<p style='margin:0'>{html.escape(h)}</p>" for h in self.header if h.strip())
        rows = []
        for row in self._rows():
            key = row[4].split(":")[0]
            style = f" style='color:{colour[key]};font-weight:bold'" if key in colour else ""
            cells = "".join(f"<td style='text-align:left'>{html.escape(t)}</td>" for t in row[:4])
            rows.append(f"<tr>{cells}<td{style}>{html.escape(row[4])}</td></tr>")
        th = "".join(f"<th style='text-align:left'>{c}</th>" for c in _COLUMNS)
        return (f"<div>{head}<table><thead><tr>{th}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
                f"<p>{html.escape(self.summary())}</p></div>")

    def _repr_html_(self) -> str:
        return self.html()

    def __str__(self) -> str:
        return self.text()


def _roots(data: "str | Path | None") -> tuple[Path | None, Path | None]:
    """``--data DIR``: a folder holding ``circuits/`` and ``imagenet-sample/`` (like ``$ZOOM_IN_DATA``),
    or one of those two folders itself."""
    if data is None:
        return None, None
    d = Path(data).expanduser()
    if not d.is_dir():
        raise FileNotFoundError(f"--data {d} is not a folder; give the folder holding circuits/ and imagenet-sample/")
    if (d / "circuits").is_dir() or (d / "imagenet-sample").is_dir():
        return ((d / "circuits") if (d / "circuits").is_dir() else None,
                (d / "imagenet-sample") if (d / "imagenet-sample").is_dir() else None)
    if any(d.glob("*.JPEG")):
        return None, d
    return d, None


def _banner(lines: list[str]) -> list[str]:
    bar = "=" * 78
    return [bar, *lines, bar]


def _context(model: nn.Module | None, weights: str | None, data: "str | Path | None", quick: bool) -> Context:
    from .model import WeightsUnavailableError, is_trained, load_inceptionv1, weights_label

    circuits_root, sample_root = _roots(data)
    labels = Path(data).expanduser() / "labels" if data is not None else None
    ctx = Context(circuits_root=circuits_root, sample_root=sample_root,
                  labels_root=labels if labels is not None and labels.is_dir() else None, quick=quick)
    if model is None:
        choice = weights or "pretrained"
        try:
            model = load_inceptionv1(choice, progress=True)
        except (WeightsUnavailableError, FileNotFoundError) as exc:
            ctx.weights_problem = str(exc)
            return ctx
    ctx.model, ctx.trained = model, is_trained(model)
    if not ctx.trained:
        ctx.weights_problem = (f"{weights_label(model)}: checks that need weights ran only to test the machinery; "
                               "their rows say UNTRAINED and are not findings.")
    return ctx


def _header(ctx: Context) -> list[str]:
    from .model import weights_info

    mode = "quick" if ctx.quick else "full"
    if ctx.model is None:
        return _banner(["REAL WEIGHTS UNAVAILABLE: only the checks that need no weights ran; the others are SKIPPED.",
                        *(ctx.weights_problem or "").splitlines()]) + [f"Mode: {mode}."]
    if not ctx.trained:
        return _banner(["UNTRAINED STAND-IN: NOT THE REAL MODEL.", *(ctx.weights_problem or "").splitlines()]) + [
            f"Mode: {mode}."]
    return [f"Weights: {weights_info(ctx.model).label} from {weights_info(ctx.model).source}; "
            f"device {model_device(ctx.model)}; mode: {mode}."]


def report(model: nn.Module | None = None, *, weights: str | None = None, data: "str | Path | None" = None,
           quick: bool = False, only: Sequence[str] | None = None, verbose: bool = False) -> VerifyReport:
    """Check the course's claims and return the table (shown as HTML in a notebook, text with ``print``).

    Args:
        model: a loaded InceptionV1 (:func:`~shared_utils.model.load_inceptionv1`); default: load the real
            weights (``weights``: ``"pretrained"``, a path to ``inception5h.pth``, or ``"untrained"`` to test
            the machinery). Without real weights only the weight-free checks run.
        data: a folder holding ``circuits/`` and ``imagenet-sample/``, and optionally ``labels/`` with the
            class list (default: the course data).
        quick: coarser sweeps, 100 images, and no slow checks (C11).
        only: claim ids to run, e.g. ``["B4", "C9"]``.
    """
    t0 = time.perf_counter()
    _wanted(only)  # a typo fails before any download
    ctx = _context(model, weights, data, quick)
    say = (lambda s: print(f"[verify] {s}", file=sys.stderr, flush=True)) if verbose else None
    results = run(ctx, only, progress=say)
    return VerifyReport(results, _header(ctx), time.perf_counter() - t0)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m shared_utils.verify",
                                description="Check the course's claims against the real InceptionV1 weights "
                                            "(docs/science.md §13).")
    p.add_argument("--weights", default="pretrained",
                   help="'pretrained' (default: cached, else downloaded), a path to inception5h.pth, or "
                        "'untrained' (tests the machinery only; rows say UNTRAINED)")
    p.add_argument("--data", default=None,
                   help="folder holding circuits/ and imagenet-sample/ (and labels/ for A0) (default: course data)")
    p.add_argument("--quick", action="store_true", help="coarser sweeps, 100 images, skip slow checks")
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    p.add_argument("--only", default=None, help="comma-separated claim ids, e.g. B4,C9")
    args = p.parse_args(argv)
    try:
        rep = report(weights=args.weights, data=args.data, quick=args.quick,
                     only=args.only.split(",") if args.only else None, verbose=True)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(rep.markdown() if args.markdown else rep.text())
    return rep.exit_code


if __name__ == "__main__":
    sys.exit(main())
