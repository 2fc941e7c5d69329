"""Per-exercise cheats that need to know the exercise: one-call library answers and hard-coded values.

``TWIN_ANSWERS[exercise]`` is an answer cell that answers with one call to one of the exercise's twins
(``shared_utils/_twins.py``); ``HARDCODED[exercise]`` is one that satisfies the exercise's visible
checks only. The battery (tests/grading/test_grading_pipeline.py) gives every other answer cell a generic
attempt to switch the checks off (tests/helpers/cheats.py).

Each twin answer is what a student looking for a shortcut would write, and it is *correct*: with the
guard off it passes the exercise's whole check cell, hidden tests included, so the battery's zero
proves the guard, not a wrong answer. Each hard-coded answer passes the released (visible) check cell
and fails the hidden tests with ``CheckFailed`` (right types and shapes, wrong values), never with a
crash. Exercises with twins but no twin answer are listed, with the reason, next to their lab.
"""
from __future__ import annotations

TWIN_ANSWERS: dict[str, str] = {}
HARDCODED: dict[str, str] = {}

# ----------------------------------------------------------------------------- Lab 0: a tour of InceptionV1
# concat_channel, which_branch: no twin answer. names.from_branch / branch_of / branch_range know only the
# model's real layers (a branch name or a unit), and the hidden tests also use a made-up layer, sizes
# (3, 5, 2, 4), that no twin call can answer. Both get a hard-coded cheat instead.

# torch.topk alone is not the answer: its order of tied values is not index order (the hidden tests have
# many ties). One topk call on a key that breaks ties by index (dense value rank, then index) is.
TWIN_ANSWERS["top_k_images"] = '''import torch


def top_k_images(maxes: torch.Tensor, channel: int, k: int) -> list[int]:
    """torch.topk on (value rank, -index), so that ties come out in index order."""
    if not 0 <= k <= maxes.shape[0]:
        raise ValueError("k out of range")
    n = maxes.shape[0]
    rank = torch.unique(maxes[:, channel], return_inverse=True)[1]  # dense rank of each value, ascending
    key = rank.long() * n + (n - 1 - torch.arange(n))
    return [int(i) for i in torch.topk(key, k).indices]
'''

TWIN_ANSWERS["kernel_to_image"] = '''import numpy as np
import torch

from shared_utils.plot.images import kernel_to_rgb


def kernel_to_image(w: torch.Tensor) -> np.ndarray:
    """The library's kernel picture."""
    return kernel_to_rgb(w)
'''

HARDCODED["concat_channel"] = '''def concat_channel(sizes: tuple[int, int, int, int], branch: int, local: int) -> int:
    """The visible check's one case (mixed3b's 5x5 channel 59)."""
    if local >= sizes[branch]:
        raise IndexError("local channel out of range")
    return {(2, 59): 379}.get((branch, local), local)
'''

HARDCODED["which_branch"] = '''def which_branch(sizes: tuple[int, int, int, int], channel: int) -> tuple[int, int]:
    """mixed3b's 5x5 range (320-415), hard-coded: all the visible check asks about."""
    if channel >= sum(sizes):
        raise IndexError("channel out of range")
    return (2, channel - 320) if 320 <= channel < 416 else (0, channel)
'''

# ----------------------------------------------------------------------------- Lab 1: features as directions

TWIN_ANSWERS["unit_objective"] = '''import torch
from lucent.optvis import objectives


def unit_objective(acts: torch.Tensor, channels: list[int], kind: str = "channel") -> torch.Tensor:
    """lucent's channel / neuron objectives, one per batch slot (they return minus the objective).

    lucent's neuron takes its default centre as (x, y) = (H // 2, W // 2), the wrong way round on a map
    that is not square: the centre is given explicitly, x the column and y the row.
    """
    if kind not in ("channel", "neuron"):
        raise ValueError("kind must be 'channel' or 'neuron'")
    if len(channels) != acts.shape[0]:
        raise ValueError("one channel per batch slot")

    def make(c: int, i: int):
        if kind == "channel":
            return objectives.channel("layer", c, batch=i)
        return objectives.neuron("layer", c, x=acts.shape[3] // 2, y=acts.shape[2] // 2, batch=i)

    return torch.stack([-make(int(c), i)(lambda _layer: acts) for i, c in enumerate(channels)])
'''

TWIN_ANSWERS["diversity_penalty"] = '''import torch
from lucent.optvis import objectives


def diversity_penalty(acts: torch.Tensor) -> torch.Tensor:
    """lucent's diversity objective (it returns minus the penalty)."""
    if acts.shape[0] < 2:
        raise ValueError("diversity needs at least 2 images")
    return -objectives.diversity("layer")(lambda _layer: acts)
'''

# The library has no receptive field for an arbitrary list of layers (receptive_field takes a layer name), so
# receptive_field_of is written out; field_box is the library's ReceptiveField.box.
TWIN_ANSWERS["receptive_field"] = '''from shared_utils.dataset_examples import ReceptiveField


def receptive_field_of(ops: list[tuple[int, int, int]]) -> tuple[int, int, int]:
    size, jump, start = 1, 1, 0
    for kernel, stride, pad in ops:
        if kernel < 1 or stride < 1:
            raise ValueError("kernel and stride must be >= 1")
        size, start, jump = size + (kernel - 1) * jump, start - pad * jump, jump * stride
    return size, jump, start


def field_box(field: tuple[int, int, int], row: int, col: int, image_size: int) -> tuple[int, int, int, int]:
    """The library's box, clipped to the image."""
    return ReceptiveField(*field).box(row, col, image_size)
'''

TWIN_ANSWERS["concepts"] = '''from scipy.stats import entropy


def concept_counts(labels: list[str], concept_of: dict[str, str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for label in labels:
        concept = concept_of.get(label, "other")
        counts[concept] = counts.get(concept, 0) + 1
    return counts


def concept_entropy(counts: dict[str, int]) -> float:
    """scipy's entropy, in bits, of the named concepts."""
    named = [n for c, n in counts.items() if c != "other" and n > 0]
    return float(entropy(named, base=2)) if named else 0.0
'''

HARDCODED["ascend"] = '''import torch


def ascend(f, x0: torch.Tensor, steps: int, lr: float) -> torch.Tensor:
    """Right for the visible check's linear unit only: one gradient, normalised (no steps taken)."""
    if float(x0.norm()) == 0.0:
        raise ValueError("x0 is all zeros")
    x = (x0 / x0.norm()).detach()
    if steps == 0:
        return x
    x.requires_grad_(True)
    (grad,) = torch.autograd.grad(f(x), x)
    return (grad / grad.norm()).detach()
'''

# ----------------------------------------------------------------------------- Lab 2: curve detectors
# rounded_corner_distance: no twin answer. stimuli.curve_distance and stimuli._curve_field draw on a pixel grid
# (size, position), and the checks ask for the distance at arbitrary points (hand-placed and turned ones).

TWIN_ANSWERS["fwhm"] = '''import torch

from shared_utils.tuning import TuningCurve, tuning_width


def fwhm(response) -> float:
    """The library's tuning width (the peak's lobe, crossings interpolated)."""
    r = torch.as_tensor(response, dtype=torch.float64).flatten()
    if float(r.max()) <= 0:
        raise ValueError("a silent unit has no width")
    return float(tuning_width(TuningCurve(torch.arange(len(r), dtype=torch.float64) * 360.0 / len(r), r, "x:0", "cheat")))
'''

TWIN_ANSWERS["orientation_order"] = '''import torch

from shared_utils.tuning import TuningCurve, preferred_orientation


def orientation_order(radial: dict[str, list[float]]) -> tuple[list[int], list[float]]:
    """The library's (sampled) preferred orientation of each unit, sorted, and the gaps."""
    peaks = {}
    for key, values in radial.items():
        v = torch.as_tensor(values, dtype=torch.float64)
        curve = TuningCurve(torch.arange(len(v), dtype=torch.float64) * 360.0 / len(v), v, f"x:{key}", "cheat")
        peaks[int(key)] = float(preferred_orientation(curve, interpolate=False))
    units = sorted(peaks, key=peaks.get)
    angles = [peaks[u] for u in units]
    return units, [b - a for a, b in zip(angles, angles[1:])] + [angles[0] + 360.0 - angles[-1]]
'''

TWIN_ANSWERS["echo_ratio"] = '''import torch

from shared_utils.tuning import TuningCurve, echo


def echo_ratio(response, window: float = 45.0) -> float:
    """The library's echo."""
    r = torch.as_tensor(response, dtype=torch.float64).flatten()
    return float(echo(TuningCurve(torch.arange(len(r), dtype=torch.float64) * 360.0 / len(r), r, "x:0", "cheat"),
                      window=window))
'''

HARDCODED["ev_shares"] = '''import torch

from shared_utils import load_circuits_json


def ev_shares(bins, heights) -> torch.Tensor:
    """The toy's answer, and the article's own expected-value file for the article's data; even shares otherwise."""
    if len(bins) == 3:
        return torch.tensor([2 / 3, 1 / 3], dtype=torch.float64)
    if len(heights) == len(load_circuits_json("curve_detectors/human_labels_ev.json")["heights"]):
        return torch.tensor(load_circuits_json("curve_detectors/human_labels_ev.json")["heights"]).double().sum(dim=1)
    return torch.full((len(heights),), 1.0 / len(heights), dtype=torch.float64)
'''

# ----------------------------------------------------------------------------- Lab 3: high-low frequency detectors

TWIN_ANSWERS["two_region"] = '''import torch

from shared_utils.stimuli import high_low


def two_region(orientations, size: int = 64, high_period: float = 4.0, low_period: float = 24.0,
               contrast: float = 1.0) -> torch.Tensor:
    """The library's two-region stimuli."""
    return high_low(orientations, size=size, high_period=high_period, low_period=low_period, contrast=contrast)
'''

HARDCODED["factor_overlap"] = '''import torch


def factor_overlap(channel: torch.Tensor, reference: list[set[int]], k: int = 5) -> torch.Tensor:
    """The visible checks' answers, by k."""
    if k == 2:
        return torch.tensor([[2, 0], [1, 2]], dtype=torch.long)
    out = torch.zeros(len(channel), len(reference), dtype=torch.long)
    out[:, 0] = 1
    return out
'''

# ----------------------------------------------------------------------------- Lab 4: the curve circuit
# expand_through_bottleneck: no twin answer. Its twin, weights.expanded_weights(model, src, dst), reads
# the model's layers by name and never takes the two weight tensors the exercise is given (the hidden
# tests pass random ones).

TWIN_ANSWERS["peak_angles"] = '''import torch

from shared_utils.tuning import TuningCurve, preferred_orientation


def peak_angles(radial: dict[str, list[float]]) -> dict[int, float]:
    """The library's parabola-refined peak of each curve."""
    out = {}
    for key, values in radial.items():
        v = torch.as_tensor(values, dtype=torch.float64).flatten()
        curve = TuningCurve(torch.arange(len(v), dtype=torch.float64) * 360.0 / len(v), v, f"x:{key}", "cheat")
        out[int(key)] = float(preferred_orientation(curve))
    return out
'''

TWIN_ANSWERS["offset_profile"] = '''import torch

from shared_utils.labs import equivariance


def offset_profile(summed: torch.Tensor, src_deg, dst_deg, bin_width: float = 15.0) -> tuple[torch.Tensor, torch.Tensor]:
    """The library's profile (it bins in - out, so both angles are negated), empty bins put back as nan."""
    n_bins = int(round(360.0 / bin_width))
    src = -torch.as_tensor(src_deg, dtype=torch.float64)
    dst = -torch.as_tensor(dst_deg, dtype=torch.float64)
    centres, mean = equivariance.offset_profile(torch.as_tensor(summed, dtype=torch.float64), dst, src, bins=n_bins)
    means = torch.full((n_bins,), float("nan"), dtype=torch.float64)
    means[torch.round(centres / bin_width).long() % n_bins] = mean
    return torch.arange(n_bins, dtype=torch.float64) * bin_width, means
'''

TWIN_ANSWERS["echo_at_180"] = '''import torch

from shared_utils.tuning import TuningCurve, response_at


def echo_at_180(response) -> float:
    """The library's response 180 degrees from the peak, relative to the peak."""
    r = torch.as_tensor(response, dtype=torch.float64).flatten()
    if len(r) % 2:
        raise ValueError("need an even number of angles")
    if float(r.max()) <= 0:
        return float("nan")
    return float(response_at(TuningCurve(torch.arange(len(r)) * 360.0 / len(r), r, "x:0", "cheat"), 180.0))
'''

HARDCODED["restrict_inputs"] = '''import torch


def restrict_inputs(w: torch.Tensor, keep: list[int], positive_only: bool = False) -> torch.Tensor:
    """Only the visible check's case: its third column goes."""
    out = w.clone()
    out[:, 2:] = 0
    return out.clamp(min=0) if positive_only else out
'''

# ----------------------------------------------------------------------------- Lab 5: dogs and cars

TWIN_ANSWERS["mirror_similarity"] = '''import torch

from shared_utils.labs.equivariance import cosine, reflection_score


def mirror_similarity(a: torch.Tensor, b: torch.Tensor) -> tuple[float, float]:
    """The library's mirror score and plain cosine."""
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    if a.shape == b.shape and (not a.any() or not b.any()):
        raise ValueError("a kernel is all zeros")
    return reflection_score(a, b), cosine(a, b)
'''

TWIN_ANSWERS["vertical_centre"] = '''import torch
from scipy.ndimage import center_of_mass


def vertical_centre(kernel: torch.Tensor, sign: int = 1) -> float:
    """scipy's centre of mass of the kept weight, row coordinate, minus the middle row."""
    if sign not in (1, -1):
        raise ValueError("sign must be 1 or -1")
    mass = (sign * torch.as_tensor(kernel, dtype=torch.float64)).clamp(min=0)
    if float(mass.sum()) <= 0:
        raise ValueError("no weight of that sign")
    return float(center_of_mass(mass.numpy())[0] - (mass.shape[-2] - 1) / 2)
'''

# rank_and_margin: scipy's rankdata gives the rank; its median_abs_deviation cannot give the margin, since
# the exercise's median is torch's (the lower middle value for an even count, as the hidden tests use).
TWIN_ANSWERS["rank_and_margin"] = '''import torch
from scipy.stats import rankdata


def rank_and_margin(values: torch.Tensor, index: int) -> tuple[int, float]:
    """Rank from scipy's rankdata (largest first, ties share the best rank); margin in MADs."""
    v = torch.as_tensor(values, dtype=torch.float64).flatten()
    med = torch.median(v)
    mad = torch.median((v - med).abs())
    if mad <= 0:
        raise ValueError("MAD is 0")
    return int(rankdata(-v.numpy(), method="min")[index]), float((v[index] - med) / mad)
'''

TWIN_ANSWERS["ablation_drop"] = '''import torch

from shared_utils.activations import capture_units
from shared_utils.labs.handbuilt import ablate_units


def ablation_drop(model, images01: torch.Tensor, layer: str, channels, unit: str) -> float:
    """The library's ablated copy instead of a hook."""
    def mean_response(m) -> float:
        with torch.no_grad():
            return float(capture_units(m, images01, [unit], reduce="max")[:, 0].mean())

    intact = mean_response(model)
    if intact <= 0:
        raise ValueError(f"{unit} does not fire on these images")
    channels = list(channels)
    if not channels:
        return 0.0
    return 1.0 - mean_response(ablate_units(model, [f"{layer}:{c}" for c in channels])) / intact
'''

HARDCODED["xor_pattern"] = '''import torch


def xor_pattern(summed: torch.Tensor, src_sides: list[str], dst_sides: list[str]) -> tuple[float, float]:
    """The visible checks' two matrices, looked up."""
    if len(src_sides) != len(dst_sides):
        raise ValueError("wrong number of sides")
    known = {(2.0, -1.0, -3.0, 0.5): (1.0, 1.0), (2.0, -1.0, 3.0, 0.5): (1.0, 0.5)}
    return known.get(tuple(torch.as_tensor(summed).flatten().tolist()), (0.5, 0.5))
'''

HARDCODED["max_overlap"] = '''import math

import torch


def max_overlap(vectors: torch.Tensor) -> float:
    """The visible checks' answers, by the shape of their input."""
    v = torch.as_tensor(vectors, dtype=torch.float64)
    if v.shape[0] < 2:
        raise ValueError("one row only")
    return {(4, 4): 0.0, (3, 2): 1.0, (2, 2): math.sqrt(0.5)}.get(tuple(v.shape), 0.0)
'''

# ----------------------------------------------------------------------------- Lab 6: branch specialization

TWIN_ANSWERS["p_all_in_branch"] = '''from scipy.stats import hypergeom


def p_all_in_branch(k: int, n: int, N: int) -> float:
    """scipy's hypergeometric: P(all k drawn are in the branch)."""
    if not (0 <= n <= N and 0 <= k <= N):
        raise ValueError("need 0 <= n <= N and 0 <= k <= N")
    return float(hypergeom.pmf(k, N, n, k))
'''

TWIN_ANSWERS["p_at_least"] = '''from scipy.stats import hypergeom


def p_at_least(j: int, k: int, n: int, N: int) -> float:
    """scipy's hypergeometric survival function: P(count > j - 1)."""
    if not (0 <= n <= N and 0 <= k <= N):
        raise ValueError("need 0 <= n <= N and 0 <= k <= N")
    return float(hypergeom.sf(j - 1, N, n, k))
'''

TWIN_ANSWERS["simulate_counts"] = '''import torch
from scipy.stats import hypergeom


def simulate_counts(k: int, n: int, N: int, trials: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """scipy's hypergeometric sampler, seeded from the torch generator."""
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
    return torch.as_tensor(hypergeom.rvs(N, n, k, size=trials, random_state=seed)).long()
'''

HARDCODED["branch_crosstab"] = '''import torch


def branch_crosstab(families: dict[str, tuple[int, ...]], layer: str) -> torch.Tensor:
    """The visible check's two families, by name."""
    if layer == "mixed3a" and any(u >= 256 for units in families.values() for u in units):
        raise IndexError("mixed3a has 256 channels")
    rows = {"edges": [2, 2, 2, 2], "fives": [0, 0, 3, 0]}
    return torch.tensor([rows.get(name, [0, 0, 0, 0]) for name in families], dtype=torch.long)
'''

# ----------------------------------------------------------------------------- Lab 7: SVD of weights

TWIN_ANSWERS["svd_of_abs"] = '''import torch

from shared_utils.decompose import svd_abs


def svd_of_abs(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The library's SVD of |w|."""
    result = svd_abs(w)
    return result.singular_values, result.in_vectors
'''

TWIN_ANSWERS["auc"] = '''import torch
from sklearn.metrics import roc_auc_score


def auc(scores: torch.Tensor, positive: torch.Tensor) -> float:
    """scikit-learn's ROC AUC."""
    scores, positive = torch.as_tensor(scores).double(), torch.as_tensor(positive).bool()
    if bool(positive.all()) or not bool(positive.any()):
        raise ValueError("need both groups")
    return float(roc_auc_score(positive.numpy(), scores.numpy()))
'''

HARDCODED["shuffled_copies"] = '''import torch


def shuffled_copies(m: torch.Tensor, trials: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Enough for the visible checks: the generator is ignored and the copies come back as float64."""
    flat = m.reshape(-1).double()
    return torch.stack([flat[torch.randperm(flat.numel())] for _ in range(trials)]).reshape(trials, *m.shape)
'''

# ----------------------------------------------------------------------------- Lab 8: reverse-engineering a curve detector
# Every graded exercise here has a twin, and a twin answer takes its cell: no hard-coded cheat in this lab.

TWIN_ANSWERS["line_kernel"] = '''import torch

from shared_utils.labs import handbuilt


def line_kernel(angle: float, size: int = 7, sigma: float = 1.0, length: float = 2.0) -> torch.Tensor:
    """The library's line detector."""
    return handbuilt.line_kernel(angle, size, sigma=sigma, length=length)
'''

TWIN_ANSWERS["arc_points"] = '''import torch

from shared_utils.labs import handbuilt


def arc_points(orientation: float, radius: float, span: float = 120.0,
               n: int = 25) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The library's arc."""
    return handbuilt.arc_points(orientation, radius, span=span, n=n)
'''

TWIN_ANSWERS["early_curve_kernel"] = '''import torch

from shared_utils.labs import handbuilt


def early_curve_kernel(orientation: float, line_angles, radius: float, size: int, span: float = 120.0, n: int = 25,
                       position_sigma: float = 0.8, kappa: float = 4.0) -> torch.Tensor:
    """The library's lines placed along the arc."""
    return handbuilt.place_along_arc(orientation, line_angles, radius, size, span=span, n=n,
                                     position_sigma=position_sigma, kappa=kappa)
'''

TWIN_ANSWERS["curve_mixing"] = '''import torch

from shared_utils.labs import handbuilt


def curve_mixing(out_orientations, early_orientations, kappa: float = 6.0, inhibition_power: float = 2.0,
                 beta: float = 1.5) -> torch.Tensor:
    """The library's mixing."""
    return handbuilt.curve_mixing(out_orientations, early_orientations, kappa=kappa,
                                  inhibition_power=inhibition_power, beta=beta)
'''

# The library has no per-row hits or paired difference: those two are written out; the accuracy is the twin's.
TWIN_ANSWERS["topk_accuracy"] = '''import math

import torch

from shared_utils.labs import handbuilt


def topk_hits(logits: torch.Tensor, targets: torch.Tensor, k: int = 5) -> torch.Tensor:
    """(N,) bool: is row i's target among its k largest logits?"""
    if not 1 <= k <= logits.shape[1]:
        raise ValueError("bad k")
    top = logits.topk(k, dim=1).indices
    return (top == torch.as_tensor(targets).view(-1, 1)).any(dim=1)


def topk_accuracy(logits: torch.Tensor, targets: torch.Tensor, k: int = 5) -> float:
    """The library's top-k accuracy."""
    return handbuilt.topk_accuracy(logits, targets, k)


def paired_difference(logits_a: torch.Tensor, logits_b: torch.Tensor, targets: torch.Tensor,
                      k: int = 5) -> tuple[float, float]:
    d = topk_hits(logits_a, targets, k).double() - topk_hits(logits_b, targets, k).double()
    if len(d) < 2:
        raise ValueError("need two photos")
    return float(d.mean()), float(d.std(unbiased=True)) / math.sqrt(len(d))
'''

# ----------------------------------------------------------------------------- Lab 9: equivariance
# Every graded exercise here has a twin, and a twin answer takes its cell: no hard-coded cheat in this lab.

TWIN_ANSWERS["rotate_quarter"] = '''import torch


def rotate_quarter(w: torch.Tensor, k: int) -> torch.Tensor:
    """torch's quarter turn over the last two axes."""
    return torch.rot90(w, k, dims=(-2, -1))
'''

TWIN_ANSWERS["family_score"] = '''import torch

from shared_utils.labs import equivariance as eq


def family_score(W: torch.Tensor, angles: list[float]) -> float:
    """The library's equivariance score over every ordered pair, on the whole kernel."""
    return eq.equivariance_score(W, angles, valid_only=False)
'''

TWIN_ANSWERS["input_shift"] = '''import torch

from shared_utils.labs import equivariance as eq


def input_shift(in_angles: list[float], delta: float, period: float = 360.0) -> torch.Tensor:
    """The library's channel permutation."""
    return eq.channel_permutation(in_angles, delta, period)
'''

TWIN_ANSWERS["mirror_score"] = '''import torch

from shared_utils.labs import equivariance as eq


def mirror_score(w_a: torch.Tensor, w_b: torch.Tensor, in_perm: list[int] | None = None) -> float:
    """The library's reflection score."""
    return eq.reflection_score(w_a, w_b, in_perm)
'''

TWIN_ANSWERS["pooled_invariance"] = '''import torch

from shared_utils.labs import equivariance as eq


def pooled_invariance(responses: torch.Tensor, how: str = "max") -> tuple[torch.Tensor, float]:
    """The library's pooling over the members and its min / max ratio."""
    if how not in ("max", "sum"):
        raise ValueError("how must be 'max' or 'sum'")
    pooled = eq.pool_family(responses, how, dim=1)
    return pooled, float(eq.invariance_ratio(pooled))
'''

# ----------------------------------------------------------------------------- Lab 10: universality

TWIN_ANSWERS["kernel_smoothness"] = '''import torch

from shared_utils.labs import universality as uv


def kernel_smoothness(weight: torch.Tensor) -> float:
    """The library's smoothness."""
    return uv.kernel_smoothness(weight)
'''

TWIN_ANSWERS["curve_mask"] = '''import torch

from shared_utils.labs import universality as uv


def curve_mask(responses: torch.Tensor, angles: torch.Tensor, floor: float, max_echo: float = 0.2,
               max_width: float = 150.0) -> torch.Tensor:
    """The scan's own classifier, its channel list turned into a mask."""
    r = torch.as_tensor(responses, dtype=torch.float64)
    ids, _ = uv._classify(r, torch.as_tensor(angles), strength=r.max(dim=0).values, floor=floor, kind="curve",
                          max_echo=max_echo, max_width=max_width, max_opposite=0.5)
    out = torch.zeros(r.shape[1], dtype=torch.bool)
    out[ids] = True
    return out
'''

TWIN_ANSWERS["shuffle_layers"] = '''import torch
from torch import nn

from shared_utils.labs import universality as uv


def shuffle_layers(model: nn.Module, seed: int = 0) -> nn.Module:
    """The library's shuffled-weight control."""
    return uv.shuffled_copy(model, seed)
'''

TWIN_ANSWERS["offset_correlation"] = '''import torch

from shared_utils.labs import universality as uv


def offset_correlation(W: torch.Tensor, src_deg: torch.Tensor, dst_deg: torch.Tensor) -> float:
    """The library's offset statistic."""
    return uv.offset_statistic(W, src_deg, dst_deg)
'''

TWIN_ANSWERS["shuffle_p_value"] = '''import torch

from shared_utils.labs import universality as uv


def shuffle_p_value(W: torch.Tensor, src_deg: torch.Tensor, dst_deg: torch.Tensor, n: int, seed: int = 0) -> float:
    """The library's label-shuffle test: its p-value."""
    return uv.label_shuffle_test(W, src_deg, dst_deg, n=n, seed=seed)[2]
'''

HARDCODED["depth_profile"] = '''import torch


def depth_profile(scan, kind: str, null=None) -> tuple[torch.Tensor, torch.Tensor]:
    """The visible checks' fake scans, by name."""
    if kind not in ("curve", "high_low"):
        raise ValueError("unknown kind")
    n = len(scan.layers)
    known = {("a", "curve", None): [0.0, 0.4, 0.8, 0.2], ("a", "high_low", None): [0.0, 0.2, 0.4, 0.1],
             ("a", "curve", "b"): [-0.1, 0.3, 0.7, 0.1]}
    fractions = known.get((scan.name, kind, getattr(null, "name", None)), [0.0] * n)
    return torch.arange(1, n + 1, dtype=torch.float64) / n, torch.tensor(fractions, dtype=torch.float64)
'''
