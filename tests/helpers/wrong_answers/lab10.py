"""Lab 10 (universality in a trained VGG16): likely wrong answers and the hints they must get."""
from __future__ import annotations

from . import Wrong

_SMOOTH = '''def kernel_smoothness(weight: torch.Tensor) -> float:
    w = torch.as_tensor(weight).detach().double().cpu()
{check}
{centre}
{pairs}
    return float(torch.corrcoef(torch.stack([first, second]))[0, 1])
'''
_CHECK = '''    if w.ndim != 4 or w.shape[-1] < 2 or w.shape[-2] < 2:
        raise ValueError("expected (out, in, k, k) with k >= 2")'''
_CENTRE = "    w = w - w.mean(dim=(-1, -2), keepdim=True)"
_PAIRS = '''    first = torch.cat([w[..., :, :-1].flatten(), w[..., :-1, :].flatten()])
    second = torch.cat([w[..., :, 1:].flatten(), w[..., 1:, :].flatten()])'''


def _smooth(check: str = _CHECK, centre: str = _CENTRE, pairs: str = _PAIRS) -> str:
    return _SMOOTH.format(check=check, centre=centre, pairs=pairs)


_MASK = '''from shared_utils.tuning import TuningCurve, echo, n_peaks, tuning_width


def curve_mask(responses: torch.Tensor, angles: torch.Tensor, floor: float, max_echo: float = 0.2,
               max_width: float = 150.0) -> torch.Tensor:
    r = torch.as_tensor(responses, dtype=torch.float64)
    peak = r.max(dim=0).values
    out = torch.zeros(r.shape[1], dtype=torch.bool)
    strong = torch.nonzero({strong}).flatten()
    if len(strong) == 0:
        return out
    curves = [TuningCurve(angles, r[:, c], f"channel {{int(c)}}", "scan") for c in strong.tolist()]
    ok = {ok}
{ret}
'''
_OK = '(n_peaks(curves) == 1) & (echo(curves) < max_echo) & (tuning_width(curves, method="total") < max_width)'
_RET = "    out[strong] = ok\n    return out"


def _mask(strong: str = "(peak > 0) & (peak >= floor)", ok: str = _OK, ret: str = _RET) -> str:
    return _MASK.format(strong=strong, ok=ok, ret=ret)


_DEPTH = '''def depth_profile(scan: uv.ModelScan, kind: str, null: "uv.ModelScan | None" = None) -> tuple[torch.Tensor, torch.Tensor]:
{check}
    def fractions(s):
        return torch.tensor([{frac} for x in s.layers], dtype=torch.float64)

    depths = torch.tensor([{depth} for i, x in enumerate(scan.layers)], dtype=torch.float64)
    out = fractions(scan)
    if null is not None:
        if [x.name for x in null.layers] != [x.name for x in scan.layers]:
            raise ValueError("the null scan must cover the same layers")
        out = {minus}
    return depths, out
'''


def _depth(check: str = '''    if kind not in ("curve", "high_low"):
        raise ValueError(kind)
''', frac: str = "len(getattr(x, kind)) / x.channels", depth: str = "x.depth",
           minus: str = "out - fractions(null)") -> str:
    return _DEPTH.format(check=check, frac=frac, depth=depth, minus=minus)


_SHUFFLE = '''import copy

from torch import nn


def shuffle_layers(model: nn.Module, seed: int = 0) -> nn.Module:
    out = {copy}
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in out.{walk}():
            if isinstance(m, nn.Conv2d):
                w = m.weight
{weight}
{bias}
    return out
'''
_W_ALL = "                m.weight.copy_(w.flatten()[torch.randperm(w.numel(), generator=gen)].view_as(w))"
_B_ALL = '''                if m.bias is not None:
                    m.bias.copy_(m.bias[torch.randperm(m.bias.numel(), generator=gen)])'''


def _shuffle(copy: str = "copy.deepcopy(model)", walk: str = "modules", weight: str = _W_ALL, bias: str = _B_ALL) -> str:
    return _SHUFFLE.format(copy=copy, walk=walk, weight=weight, bias=bias)


_OFFSET = '''def offset_correlation(W: torch.Tensor, src_deg: torch.Tensor, dst_deg: torch.Tensor) -> float:
    w = torch.as_tensor(W, dtype=torch.float64)
    s = torch.as_tensor(src_deg, dtype=torch.float64).flatten()
    d = torch.as_tensor(dst_deg, dtype=torch.float64).flatten()
{check}
    c = {cos}
    return {stat}
'''
_O_CHECK = '''    if w.shape != (len(d), len(s)):
        raise ValueError("W must be (len(dst_deg), len(src_deg))")'''


def _offset(check: str = _O_CHECK, cos: str = "torch.cos(torch.deg2rad(d[:, None] - s[None, :]))",
            stat: str = "float(torch.corrcoef(torch.stack([w.flatten(), c.flatten()]))[0, 1])") -> str:
    return _OFFSET.format(check=check, cos=cos, stat=stat)


_P = '''def shuffle_p_value(W: torch.Tensor, src_deg: torch.Tensor, dst_deg: torch.Tensor, n: int, seed: int = 0) -> float:
    s = torch.as_tensor(src_deg, dtype=torch.float64).flatten()
    observed = offset_correlation(W, s, dst_deg)
    gen = torch.Generator().manual_seed(seed)
    null = []
    for _ in range(n):
{draw}
        null.append(offset_correlation(W, s[perm], dst_deg))
    null = torch.tensor(null)
    return {ret}
'''
_DRAW = "        perm = torch.randperm(len(s), generator=gen)"


def _p(draw: str = _DRAW, ret: str = "(1 + int((null >= observed).sum())) / (1 + n)") -> str:
    return _P.format(draw=draw, ret=ret)


WRONG: dict[str, list[Wrong]] = {
    "kernel_smoothness": [
        Wrong(_smooth(pairs='''    first = w[..., :, :-1].flatten()
    second = w[..., :, 1:].flatten()'''), "pool horizontal AND vertical neighbour pairs", "horizontal pairs only"),
        Wrong(_smooth(centre=""), "remove each kernel's own mean before pairing neighbours", "keeps the kernels' means"),
        Wrong(_smooth(pairs='''    flat = w.flatten()
    first, second = flat[:-1], flat[1:]'''), "only with its right or lower neighbour in the same kernel",
              "pairs consecutive entries of the flattened tensor"),
        Wrong(_smooth(check=""), "check the number of dimensions yourself", "no ValueError at all"),
        Wrong(_smooth(check='''    if w.ndim != 4:
        raise ValueError("expected (out, in, k, k)")'''), "k >= 2 too", "no ValueError for 1x1 kernels"),
    ],
    "curve_mask": [
        Wrong(_mask(ok='(n_peaks(curves) == 1) & (echo(curves) < 0.2) & (tuning_width(curves, method="total") < 150.0)'),
              "compare with max_echo and max_width, not with the default numbers", "the default numbers hard-coded"),
        Wrong(_mask(strong="peak > 0"), "peak >= floor", "ignores the floor"),
        Wrong(_mask(ret="    return ok"), "not left out", "one entry per strong channel only"),
        Wrong(_mask(ok='(echo(curves) < max_echo) & (tuning_width(curves, method="total") < max_width)'),
              "a curve has exactly one lobe", "does not count the peaks"),
    ],
    "depth_profile": [
        Wrong(_depth(frac="float(len(getattr(x, kind)))"), "divide by the layer's channels", "counts, not fractions"),
        Wrong(_depth(minus="fractions(null) - out"), "the scan's fractions minus the null's", "the null minus the scan"),
        Wrong(_depth(check="", frac="len(x.curve if kind == 'curve' else x.high_low) / x.channels"),
              "raise a ValueError for any kind other than", "no ValueError for an unknown kind"),
        Wrong(_depth(depth="i / len(scan.layers)"), "use each layer's own depth", "depth index / n, off by one"),
    ],
    "shuffle_layers": [
        Wrong(_shuffle(bias=""), "permute each conv layer's bias as well", "leaves the bias unshuffled"),
        Wrong(_shuffle(copy="model"), "copy.deepcopy(model) first", "shuffles the original in place"),
        Wrong(_shuffle(weight='''                for k in range(w.shape[0]):
                    w[k].copy_(w[k].flatten()[torch.randperm(w[k].numel(), generator=gen)].view_as(w[k]))'''),
              "not each kernel on its own", "shuffles inside each kernel"),
        Wrong(_shuffle(weight="                m.weight.copy_(w[torch.randperm(w.shape[0], generator=gen)])"),
              "nor whole kernels", "permutes whole kernels only"),
        Wrong(_shuffle(walk="children"), "go through model.modules()", "top-level layers only"),
    ],
    "offset_correlation": [
        Wrong(_offset(cos="torch.cos(d[:, None] - s[None, :])"), "the angles are in degrees", "cosine of degrees"),
        Wrong(_offset(cos="torch.cos(torch.deg2rad(d[None, :] - s[:, None]))"),
              "pair W[i, j] with cos(dst[i] - src[j])", "the offsets' matrix transposed (n_src, n_dst)"),
        Wrong(_offset(check=""), "raise ValueError unless W is (len(dst_deg), len(src_deg))", "no shape check"),
        Wrong(_offset(stat="float(torch.nn.functional.cosine_similarity(w.flatten(), c.flatten(), dim=0))"),
              "subtracts both means first", "a cosine similarity, not a correlation"),
    ],
    "shuffle_p_value": [
        Wrong(_p(ret="int((null >= observed).sum()) / n"), "add 1 to both", "no + 1"),
        Wrong(_p(ret="(1 + int((null <= observed).sum())) / (1 + n)"), "few shuffles should reach it",
              "counts the shuffles below the observed value"),
        Wrong(_p(ret="(1 + int((null > observed).sum())) / (1 + n)"), "count ties too", "strict >: ties not counted"),
        Wrong(_p(draw='''        gen = torch.Generator().manual_seed(seed)
        perm = torch.randperm(len(s), generator=gen)'''), "seeded once", "reseeds for every shuffle"),
    ],
}
