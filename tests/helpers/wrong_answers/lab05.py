"""Lab 5 (dogs and cars): likely wrong answers and the hints they must get."""
from __future__ import annotations

from . import Wrong

_XOR = '''import torch


def xor_pattern(summed: torch.Tensor, src_sides: list[str], dst_sides: list[str]) -> tuple[float, float]:
    summed = torch.as_tensor(summed, dtype=torch.float64)
{shape}    if any(s not in ("L", "R") for s in list(src_sides) + list(dst_sides)):
        raise ValueError("every side must be 'L' or 'R'")
    src = torch.tensor([s == "L" for s in src_sides])
    dst = torch.tensor([s == "L" for s in dst_sides])
    same = {same}
    same_pos = {same_pos} if same.any() else float("nan")
    cross_neg = {cross_neg} if (~same).any() else float("nan")
    return same_pos, cross_neg
'''
_XOR_RIGHT = dict(shape=('    if summed.shape != (len(dst_sides), len(src_sides)):\n'
                         '        raise ValueError("summed must be (len(dst_sides), len(src_sides))")\n'),
                  same="dst[:, None] == src[None, :]", same_pos="float((summed[same] > 0).double().mean())",
                  cross_neg="float((summed[~same] < 0).double().mean())")


def _xor(**change: str) -> str:
    return _XOR.format(**{**_XOR_RIGHT, **change})


_MIRROR = '''import torch


def mirror_similarity(a: torch.Tensor, b: torch.Tensor) -> tuple[float, float]:
    a = torch.as_tensor(a, dtype=torch.float64)
    b = torch.as_tensor(b, dtype=torch.float64)
{zero}
    def cos(x: torch.Tensor, y: torch.Tensor) -> float:
        return {cos}

    return {ret}
'''
_MIRROR_RIGHT = dict(zero='    if not a.any() or not b.any():\n        raise ValueError("a kernel is all zeros")\n',
                     cos="float((x * y).sum() / (x.norm() * y.norm()))",
                     ret="cos(torch.flip(a, dims=[-1]), b), cos(a, b)")


def _mirror(**change: str) -> str:
    return _MIRROR.format(**{**_MIRROR_RIGHT, **change})


_CENTRE = '''import torch


def vertical_centre(kernel: torch.Tensor, sign: int = 1) -> float:
    k = torch.as_tensor(kernel, dtype=torch.float64)
    mass = {mass}
    total = mass.sum()
{empty}    rows = torch.arange(len(mass), dtype=torch.float64)
    return {ret}
'''
_CENTRE_RIGHT = dict(mass="(sign * k).clamp(min=0).sum(dim=-1)  # per row",
                     empty='    if total <= 0:\n        raise ValueError("no weight of that sign")\n',
                     ret="float((rows * mass).sum() / total - (k.shape[-2] - 1) / 2)")


def _centre(**change: str) -> str:
    return _CENTRE.format(**{**_CENTRE_RIGHT, **change})


_RANK = '''import torch


def rank_and_margin(values: torch.Tensor, index: int) -> tuple[int, float]:
    v = torch.as_tensor(values, dtype=torch.float64).flatten()
    med = torch.median(v)
    mad = {mad}
{zero}    rank = {rank}
    return rank, float((v[index] - med) / mad)
'''
_RANK_RIGHT = dict(mad="torch.median((v - med).abs())",
                   zero='    if mad <= 0:\n        raise ValueError("the MAD is 0")\n',
                   rank="int((v > v[index]).sum()) + 1")


def _rank(**change: str) -> str:
    return _RANK.format(**{**_RANK_RIGHT, **change})


_OVERLAP = '''import torch


def max_overlap(vectors: torch.Tensor) -> float:
    v = torch.as_tensor(vectors, dtype=torch.float64)
{few}    norms = v.norm(dim=1)
    if bool((norms == 0).any()):
        raise ValueError("a row is all zeros")
    u = {u}
    cos = {cos}
{diag}    return float(cos.max())
'''
_OVERLAP_RIGHT = dict(few=('    if v.ndim != 2 or v.shape[0] < 2:\n'
                           '        raise ValueError("need two rows or more")\n'),
                      u="v / norms[:, None]", cos="(u @ u.T).abs()", diag="    cos.fill_diagonal_(0.0)\n")


def _overlap(**change: str) -> str:
    return _OVERLAP.format(**{**_OVERLAP_RIGHT, **change})


_ABLATION = '''import torch

from shared_utils.activations import capture_units


def ablation_drop(model, images01: torch.Tensor, layer: str, channels, unit: str) -> float:
    def mean_response() -> float:
        with torch.no_grad():
            return float(capture_units(model, images01, [unit]{reduce})[:, 0].mean())

    intact = mean_response()
    if intact <= 0:
        raise ValueError("the unit does not fire on these images")
    index = torch.as_tensor(list(channels), dtype=torch.long)

    def zero_channels(_module, _inputs, output):
        out = output.clone()
        out[:, index.to(out.device)] = 0.0
        return out

    handle = dict(model.named_modules())[layer].register_forward_hook(zero_channels)
{measure}
    return {ret}
'''
_ABLATION_RIGHT = dict(reduce=', reduce="max"', measure="    try:\n        ablated = mean_response()\n    finally:\n        handle.remove()",
                       ret="1.0 - ablated / intact")


def _ablation(**change: str) -> str:
    return _ABLATION.format(**{**_ABLATION_RIGHT, **change})


WRONG: dict[str, list[Wrong]] = {
    "xor_pattern": [
        Wrong(_xor(same_pos="float((summed[same] >= 0).double().mean())",
                   cross_neg="float((summed[~same] <= 0).double().mean())"),
              "a weight of exactly 0 neither excites nor inhibits", "counts a zero weight as excitation and inhibition"),
        Wrong(_xor(same_pos="float((summed > 0).logical_and(same).double().mean())",
                   cross_neg="float((summed < 0).logical_and(~same).double().mean())"),
              "each fraction is over its own group of pairs", "divides by all pairs, not by the pairs of its group"),
        Wrong(_xor(same="src[:, None] == dst[None, :]"), "rows are destinations (dst_sides), columns are sources",
              "rows and columns mixed up in the same-side mask"),
        Wrong(_xor(shape=""), "raise ValueError unless summed is (len(dst_sides), len(src_sides))",
              "no ValueError when the lengths do not match"),
    ],
    "mirror_similarity": [
        Wrong(_mirror(ret="cos(torch.flip(a, dims=[0]), b), cos(a, b)"), "flip the columns",
              "flips up-down (rows) instead of left-right"),
        Wrong(_mirror(ret="cos(a, b), cos(torch.flip(a, dims=[-1]), b)"), "the mirrored cosine first",
              "returns (plain, mirrored)"),
        Wrong(_mirror(cos="float((x * y).sum())"), "cosine = <x, y> / (|x| |y|)", "dot product, not normalised"),
        Wrong(_mirror(zero=""), "an all-zero kernel has no direction", "no ValueError for an all-zero kernel"),
    ],
    "vertical_centre": [
        Wrong(_centre(ret="float((rows * mass).sum() / total)"), "then subtract the middle row",
              "forgets to subtract the middle row"),
        Wrong(_centre(ret="float((k.shape[-2] - 1) / 2 - (rows * mass).sum() / total)"), "row 0 is 2 rows above row 2",
              "sign flipped: above the middle comes out positive"),
        Wrong(_centre(mass="(sign * k).clamp(min=0).sum(dim=0)  # per row"), "sum over the columns",
              "sums over the rows (dim=0): a centre in columns"),
        Wrong(_centre(mass="k.clamp(min=0).sum(dim=-1)  # per row"), "for sign=-1 use the negative weights",
              "ignores sign: always the positive part"),
        Wrong(_centre(empty=""), "no weight of that sign: raise ValueError", "no ValueError when there is no such weight"),
    ],
    "rank_and_margin": [
        Wrong(_rank(rank="int((v < v[index]).sum()) + 1"), "the largest has rank 1", "ranks from the smallest"),
        Wrong(_rank(rank="int((v > v[index]).sum())"), "1 + the number of values larger", "0-based rank"),
        Wrong(_rank(mad="v.std()"), "not the standard deviation", "standard deviation instead of the MAD"),
        Wrong(_rank(zero=""), "a MAD of 0: raise ValueError", "no ValueError when the MAD is 0"),
    ],
    "max_overlap": [
        Wrong(_overlap(diag=""), "ignore each row's similarity with itself", "keeps the diagonal (each row with itself)"),
        Wrong(_overlap(cos="u @ u.T"), "take |cosine|",
              "no absolute value"),
        Wrong(_overlap(u="v"), "a cosine, not the dot product", "dot product, not normalised"),
        Wrong(_overlap(few=""), "one row has no pair: raise ValueError", "no ValueError for a single row"),
    ],
    "dog_parts": [
        Wrong('''PART_OPTIONS = {
    "a": "dog eyes",
    "b": "dog snouts and noses",
    "c": "fur",
    "d": "tongues",
    "e": "dog heads facing left or right (4a:222, 234, 235, 308)",
    "f": "car wheels",
    "g": "text and letters",
    "h": "sky: smooth blue gradients",
}
expected_parts = {"a", "b", "c", "d"}
''', "DogMerge: the oriented heads", "leaves out the oriented heads of mixed4a", hidden=True),
        Wrong('''PART_OPTIONS = {
    "a": "dog eyes",
    "b": "dog snouts and noses",
    "c": "fur",
    "d": "tongues",
    "e": "dog heads facing left or right (4a:222, 234, 235, 308)",
    "f": "car wheels",
    "g": "text and letters",
    "h": "sky: smooth blue gradients",
}
expected_parts = ["a", "b", "c", "d", "e"]
''', 'e.g. expected_parts = {"a", "h"}', "a list, not a set"),
    ],
    "ablation_drop": [
        Wrong(_ablation(reduce=""), "(reduce='max')", "the centre position (the default), not the spatial max"),
        Wrong(_ablation(ret="ablated / intact"), "the drop is 1 - mean(ablated) / mean(intact)",
              "returns the ratio left, not the drop"),
        Wrong(_ablation(measure="    ablated = mean_response()"), "handle.remove() in finally",
              "never removes the hook"),
    ],
}
