"""Hand-built curve detectors, and swapping units of InceptionV1 for them (Lab 8, docs/science.md §3.2).

*Curve Circuits* (Cammarata et al. 2021) ends by setting a network's weights by hand, without
training, so that its units detect curves (the "artificial artificial neural network", AANN), and
by swapping those units into InceptionV1 in place of the ten mixed3b curve detectors. A student
does the same with this module::

    net = CurveNet()                                   # lines -> early curves -> curves, 24 orientations
    tc = tuning_curve(net, [0, 6], stimuli_fn)           # the course's tuning tools work on it
    lines, early, curves = net.stages(images01).values()
    swapped = swap_units(model, CURVES_3B, CurveNet(orientations=peaks))   # a copy; model untouched
    ablated = ablate_units(model, CURVES_3B)
    topk_accuracy(predict(swapped, sample), labels.sample_targets(sample), k=5)

**The network** (:class:`CurveNet`), grayscale and three stages, each built from a formula:

1. *lines*: the image is averaged to grey, pooled 4x4, and filtered with oriented line detectors
   (:func:`line_kernel`, a second derivative of a Gaussian across the line, ``n_lines`` orientations
   over 180°); the absolute value makes them respond to dark and bright lines alike. Then a 2x2
   pool: the curve stages run on a grid with stride 8, like InceptionV1's mixed3b (28x28 at 224 px).
2. *early curves*: line detectors placed along an arc whose tangent they follow
   (:func:`arc_points`, :func:`place_along_arc`), excitation only. Like the real 3a early curves
   they respond a little to the opposite curve too (an *echo*, science.md §2.3).
3. *curves*: each curve unit is excited by early curves of similar orientation and inhibited by
   early curves of the opposite orientation (:func:`curve_mixing`), the structure the article found
   between 3a and 3b and built into the AANN (science.md §3.1-3.2). That removes the echo.

Every stage is a family of rotated copies (:func:`rotated_copies`): one formula, evaluated at
each orientation. Angles follow :mod:`shared_utils.stimuli`: degrees, counter-clockwise on screen,
0° = the curve's convex side points right. Kernel coordinates: x right, y up, the kernel's centre
is the unit's position (PyTorch's conv is a correlation, so weight at offset (x, y) reads the
input at the unit's position plus (x, y)).

**Swaps and ablations** (:func:`swap_units`, :func:`ablate_units`) return an edited deep copy of
InceptionV1 (:func:`shared_utils.weights.edited_copy`); the model you pass in is never modified. A
forward hook on each affected branch's pre-ReLU conv (``mixed3b_5x5_pre_relu_conv`` for the curves)
overwrites the chosen channels, so the branch's ReLU, the concatenation, every later layer and
:func:`shared_utils.activations.capture` (pre- and post-ReLU) all see the new values.

**Accuracy on the ImageNet sample** needs the mapping from the sample's classes to InceptionV1's
1008 outputs: :func:`shared_utils.data.labels.sample_targets` (lucent's pinned class list, downloaded once;
offline it raises :class:`shared_utils.data.labels.LabelsUnavailableError`). :func:`topk_agreement` (how
often the intact model's top-1 class stays in the edited model's top-k) needs no labels at all.
"""
from __future__ import annotations

import math
from typing import Callable, Iterable, Sequence, Union

import torch
import torch.nn.functional as F
from torch import nn

from .._geometry import angles as _angles, pixel_coords
from .._progress import bar
from ..device import budget, model_device
from ..inception.names import LAYERS, Unit, branch_of, parse_unit

__all__ = [
    "CURVES_3B",
    "line_kernel",
    "arc_points",
    "place_along_arc",
    "rotated_copies",
    "curve_mixing",
    "CurveNet",
    "swap_units",
    "ablate_units",
    "match_gain",
    "predict",
    "topk_accuracy",
    "topk_agreement",
    "ARTICLE_TOP5",
]

#: The ten mixed3b curve detectors (docs/science.md §2.1), all in mixed3b_5x5.
CURVES_3B: tuple[int, ...] = (379, 406, 385, 343, 342, 388, 324, 340, 330, 349)

#: The article's ablation (docs/science.md §3.2): top-5 accuracy on 2,000 ImageNet validation images.
ARTICLE_TOP5 = {"intact": 0.886, "curves removed": 0.863, "hand-built curves": 0.876}

Angles = Union[float, Sequence[float], torch.Tensor]


# ============================================================================ kernels


def _grid(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Kernel coordinates (x right, y up) in cells from the centre, float64 (size, size)."""
    if not isinstance(size, int) or size < 1 or size % 2 == 0:
        raise ValueError(f"kernel size must be an odd positive int (so the unit sits on its centre), got {size!r}")
    return pixel_coords(size, dtype=torch.float64, minimum=1)


def line_kernel(angle: float, size: int = 7, *, sigma: float = 1.0, length: float = 2.0) -> torch.Tensor:
    """An oriented line detector (size, size): a bar along ``angle`` degrees with negative flanks.

    The profile across the line is the (negated, normalised) second derivative of a Gaussian,
    ``(1 - v²/σ²) exp(-v²/2σ²)``, where ``v`` is the distance across the line; along the line it
    falls off as ``exp(-u²/2·length²)``. The mean is subtracted, so a uniform image gives 0.
    Period 180°: ``line_kernel(a)`` and ``line_kernel(a + 180)`` are the same kernel.
    """
    if sigma <= 0 or length <= 0:
        raise ValueError(f"sigma and length must be > 0 cells, got sigma={sigma}, length={length}")
    x, y = _grid(size)
    t = math.radians(float(angle))
    u = x * math.cos(t) + y * math.sin(t)  # along the line
    v = -x * math.sin(t) + y * math.cos(t)  # across it
    k = (1 - v**2 / sigma**2) * torch.exp(-(v**2) / (2 * sigma**2)) * torch.exp(-(u**2) / (2 * length**2))
    return (k - k.mean()).float()


def arc_points(orientation: float, radius: float, *, span: float = 120.0,
               n: int = 25) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``n`` points along an arc whose apex is the origin and whose convex side points along ``orientation``.

    The circle's centre is ``radius`` behind the apex, at ``-radius·(cos θ, sin θ)``; the points
    cover ``span`` degrees of the circle, symmetric about the apex. Returns ``(x, y, tangent)``:
    coordinates (x right, y up, same units as ``radius``) and the tangent's orientation in degrees
    in [0, 180) (a line's orientation; the apex's tangent is ``θ + 90``).
    """
    if radius <= 0:
        raise ValueError(f"radius must be > 0, got {radius}")
    if not 0 < span <= 360:
        raise ValueError(f"span must be in (0, 360] degrees, got {span}")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    phi = torch.linspace(-span / 2, span / 2, n, dtype=torch.float64) if n > 1 else torch.zeros(1, dtype=torch.float64)
    theta = math.radians(float(orientation))
    a = theta + torch.deg2rad(phi)
    x = radius * (torch.cos(a) - math.cos(theta))
    y = radius * (torch.sin(a) - math.sin(theta))
    tangent = torch.remainder(float(orientation) + phi + 90.0, 180.0)
    return x, y, tangent


def place_along_arc(orientation: float, line_angles: Angles, radius: float, size: int, *, span: float = 120.0,
                    n: int = 25, position_sigma: float = 0.8, kappa: float = 4.0) -> torch.Tensor:
    """Weights (L, size, size) from ``L`` line detectors to one early-curve unit: lines along the arc's tangent.

    For each point ``p`` of :func:`arc_points` with tangent ``τ``, the line channel of orientation
    ``ℓ`` gets ``exp(-|q - p|² / 2σ²) · exp(κ (cos 2(ℓ - τ) - 1))`` at kernel position ``q``: a blob
    at the point, strongest for the line channel that follows the tangent (the factor 2 makes it
    180°-periodic, like a line). Summed over the points and scaled to sum to 1. Excitation only.
    """
    x, y = _grid(size)
    px, py, tau = arc_points(orientation, radius, span=span, n=n)
    la = _angles(line_angles, "line_angles")
    d2 = (x[None] - px[:, None, None]) ** 2 + (y[None] - py[:, None, None]) ** 2  # (n, S, S)
    where = torch.exp(-d2 / (2 * position_sigma**2))
    match = torch.exp(kappa * (torch.cos(torch.deg2rad(2 * (la[:, None] - tau[None]))) - 1))  # (L, n)
    w = torch.einsum("ln,nij->lij", match, where)
    return (w / w.sum()).float()


def rotated_copies(make: Callable[..., torch.Tensor], orientations: Angles, **kwargs: object) -> torch.Tensor:
    """``torch.stack([make(θ, **kwargs) for θ in orientations])``: one family, one copy per orientation."""
    return torch.stack([make(float(t), **kwargs) for t in _angles(orientations, "orientations")])


def curve_mixing(out_orientations: Angles, early_orientations: Angles, *, kappa: float = 6.0,
                 inhibition_power: float = 2.0, beta: float = 1.5) -> torch.Tensor:
    """Weights (n_out, n_early) from early curves to curves: excite similar, inhibit opposite orientations.

    With ``Δ`` the orientation of the early curve minus the curve's, the weight is
    ``E(Δ) / ΣE - β · I(Δ) / ΣI`` where ``E = exp(κ (cos Δ - 1))`` (peaks at Δ = 0) and
    ``I = max(0, -cos Δ)^p`` (peaks at 180°, zero for |Δ| <= 90°, so curves 90° apart neither help
    nor hurt). The sums run over the early family, so each curve's excitation totals 1 and its
    inhibition ``β``.
    """
    out = _angles(out_orientations, "out_orientations")
    early = _angles(early_orientations, "early_orientations")
    delta = torch.deg2rad(early[None, :] - out[:, None])
    exc = torch.exp(kappa * (torch.cos(delta) - 1))
    inh = torch.relu(-torch.cos(delta)) ** inhibition_power
    inh_sum = inh.sum(1, keepdim=True)
    inh = torch.where(inh_sum > 0, inh / inh_sum.clamp(min=1e-300), inh)
    return (exc / exc.sum(1, keepdim=True) - beta * inh).float()


# ============================================================================ the network


def _evenly(n: int, period: float) -> list[float]:
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"the number of orientations must be a positive int, got {n!r}")
    return [period * i / n for i in range(n)]


class CurveNet(nn.Module):
    """A hand-set, untrained curve-detector network: image -> lines -> early curves -> curves.

    Args:
        orientations: the curve units' preferred orientations (degrees), or their number (evenly
            spaced from 0°). Default 24 units, 15° apart, like the AANN (science.md §3.2).
        n_lines / n_early: sizes of the line family (over 180°) and the early-curve family (over 360°).
        radius: the arc radius, in input pixels, that the early curves are built for (3b curves
            like about 60 px at 224 px, science.md §2.2).
        span: degrees of arc covered by each early curve's line detectors.
        line_kernels: (n_lines, k, k) to use instead of :func:`line_kernel` (e.g. your own);
            their orientations are still taken as evenly spaced over 180°.
        early_kernels: (n_early, n_lines, s, s) instead of :func:`place_along_arc`.
        mixing: (n_out, n_early) instead of :func:`curve_mixing`.
        other keyword arguments: the formulas' parameters (see the functions above).

    ``forward(images01)`` takes (N, 3, H, W) pixels in [0, 1] and returns the curve units,
    (N, n_out, H // 8, W // 8), multiplied by the per-unit buffer ``gain`` (1 unless calibrated with
    :func:`match_gain`). :meth:`stages` returns every stage.
    """

    stride = 8

    def __init__(
        self,
        orientations: "int | Angles" = 24,
        *,
        n_lines: int = 16,
        n_early: int = 24,
        radius: float = 60.0,
        span: float = 120.0,
        line_size: int = 7,
        line_sigma: float = 1.0,
        line_length: float = 2.0,
        position_sigma: float = 0.8,
        line_kappa: float = 4.0,
        kappa: float = 6.0,
        inhibition_power: float = 2.0,
        beta: float = 1.5,
        line_kernels: torch.Tensor | None = None,
        early_kernels: torch.Tensor | None = None,
        mixing: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        outs = _evenly(orientations, 360.0) if isinstance(orientations, int) else _angles(orientations).tolist()
        self.orientations = [float(t) for t in outs]
        self.line_orientations = _evenly(n_lines, 180.0)
        self.early_orientations = _evenly(n_early, 360.0)
        self.radius = float(radius)

        if line_kernels is None:
            line_kernels = rotated_copies(line_kernel, self.line_orientations, size=line_size, sigma=line_sigma,
                                          length=line_length)
        lk = torch.as_tensor(line_kernels, dtype=torch.float32)
        if lk.ndim != 3 or lk.shape[0] != n_lines or lk.shape[-1] != lk.shape[-2] or lk.shape[-1] % 2 == 0:
            raise ValueError(f"line_kernels must be (n_lines={n_lines}, k, k) with odd k, got {tuple(lk.shape)}")

        r_cells = self.radius / self.stride
        size = 2 * math.ceil(r_cells * 1.1) + 1
        if early_kernels is None:
            early_kernels = rotated_copies(place_along_arc, self.early_orientations, line_angles=self.line_orientations,
                                           radius=r_cells, size=size, span=span, position_sigma=position_sigma,
                                           kappa=line_kappa)
        ek = torch.as_tensor(early_kernels, dtype=torch.float32)
        if ek.ndim != 4 or ek.shape[:2] != (n_early, n_lines) or ek.shape[-1] != ek.shape[-2] or ek.shape[-1] % 2 == 0:
            raise ValueError(f"early_kernels must be (n_early={n_early}, n_lines={n_lines}, s, s) with odd s, "
                             f"got {tuple(ek.shape)}")

        if mixing is None:
            mixing = curve_mixing(self.orientations, self.early_orientations, kappa=kappa,
                                  inhibition_power=inhibition_power, beta=beta)
        mx = torch.as_tensor(mixing, dtype=torch.float32)
        if mx.shape != (len(self.orientations), n_early):
            raise ValueError(f"mixing must be (n_out={len(self.orientations)}, n_early={n_early}), got {tuple(mx.shape)}")

        self.lines = nn.Conv2d(1, n_lines, lk.shape[-1], padding=lk.shape[-1] // 2, bias=False)
        self.early = nn.Conv2d(n_lines, n_early, ek.shape[-1], padding=ek.shape[-1] // 2, bias=False)
        self.curves = nn.Conv2d(n_early, len(self.orientations), 1, bias=False)
        with torch.no_grad():
            self.lines.weight.copy_(lk[:, None])
            self.early.weight.copy_(ek)
            self.curves.weight.copy_(mx[:, :, None, None])
        self.register_buffer("gain", torch.ones(len(self.orientations)))
        self.requires_grad_(False)
        self.eval()

    def stages(self, images01: torch.Tensor) -> dict[str, torch.Tensor]:
        """``{"lines": (N, L, H/8, W/8), "early": (N, n_early, ...), "curves": (N, n_out, ...)}`` (curves with gain)."""
        if images01.ndim != 4 or images01.shape[1] != 3:
            raise ValueError(f"expected images (N, 3, H, W) with pixels in [0, 1], got shape {tuple(images01.shape)}")
        if min(images01.shape[-2:]) < self.stride:
            raise ValueError(f"images must be at least {self.stride} pixels on a side, got {tuple(images01.shape[-2:])}")
        w = self.lines.weight
        grey = F.avg_pool2d(images01.to(w.device, w.dtype).mean(1, keepdim=True), 4)
        lines = F.avg_pool2d(self.lines(grey).abs(), 2)
        early = F.relu(self.early(lines))
        curves = F.relu(self.curves(early)) * self.gain.view(1, -1, 1, 1)
        return {"lines": lines, "early": early, "curves": curves}

    def forward(self, images01: torch.Tensor) -> torch.Tensor:
        return self.stages(images01)["curves"]

    def extra_repr(self) -> str:
        return (f"{len(self.orientations)} curve units, {len(self.early_orientations)} early curves, "
                f"{len(self.line_orientations)} lines, radius {self.radius:g} px, stride {self.stride}")


def match_gain(real: torch.Tensor, replacement: torch.Tensor) -> torch.Tensor:
    """Per-unit gain (U,) making ``gain * replacement`` as spread out as ``real``: ratio of standard deviations.

    Both are activations (N, U, H, W) of U paired units on the same images (e.g. the real 3b curves
    after their ReLU and a :class:`CurveNet`). The article names activation scaling as one reason its
    swapped-in curves fell short (science.md §3.2); set ``net.gain = match_gain(...)`` before swapping.
    """
    if real.ndim != 4 or real.shape[:2] != replacement.shape[:2]:
        raise ValueError(f"real and replacement must both be (N, U, H, W) with the same N and U; got "
                         f"{tuple(real.shape)} and {tuple(replacement.shape)}")
    s_real = real.detach().double().transpose(0, 1).reshape(real.shape[1], -1).std(1)
    s_rep = replacement.detach().double().transpose(0, 1).reshape(replacement.shape[1], -1).std(1)
    if bool((s_rep == 0).any()):
        dead = torch.nonzero(s_rep == 0).flatten().tolist()
        raise ValueError(f"replacement units {dead} are 0 on every image and position; show them images "
                         "with curves (or more images) before matching their gain")
    return (s_real / s_rep).float().cpu()


# ============================================================================ swaps and ablations


Replacement = Union[torch.Tensor, Callable[[torch.Tensor], torch.Tensor], None]


def _branch_groups(units: "Iterable[int | str | Unit]") -> tuple[str, dict[str, list[tuple[int, int]]]]:
    """Parse units (ints = mixed3b channels); group them by branch as (position in the list, local channel)."""
    parsed: list[Unit] = []
    for u in units:
        parsed.append(parse_unit(f"mixed3b:{u}") if isinstance(u, int) and not isinstance(u, bool) else parse_unit(u))
    if not parsed:
        raise ValueError("give at least one unit to swap, e.g. CURVES_3B")
    layers = {u.layer for u in parsed}
    if len(layers) != 1:
        raise ValueError(f"swap units of one layer at a time (got {sorted(layers)})")
    layer = layers.pop()
    if not LAYERS.get(layer) or not LAYERS[layer].branches:
        raise ValueError(f"{layer} is not a mixed layer; swap_units works on mixed layers (e.g. mixed3b)")
    if len({u.channel for u in parsed}) != len(parsed):
        raise ValueError("the same unit appears twice in units")
    groups: dict[str, list[tuple[int, int]]] = {}
    for pos, u in enumerate(parsed):
        b = branch_of(u)
        groups.setdefault(b.branch, []).append((pos, b.local))
    return layer, groups


def swap_units(model: nn.Module, units: "Iterable[int | str | Unit]", replacement: Replacement,
               *, description: str | None = None) -> nn.Module:
    """A copy of InceptionV1 in which ``units`` take the values of ``replacement``; ``model`` is untouched.

    Args:
        units: units of one mixed layer, e.g. :data:`CURVES_3B` (plain ints are mixed3b channels).
        replacement: what the units become, written *before* their branch's ReLU (so negative values
            end up 0 in the layer's output, exactly as for a real unit):

            * a tensor (N, U, H, W): fixed values, for a batch of exactly N images;
            * a callable, e.g. a :class:`CurveNet`: it gets the images in [0, 1] that the copy is
              run on and returns (N, U, H, W), unit ``i`` of it replacing ``units[i]``;
            * ``None``: zeros (an ablation, see :func:`ablate_units`).
        description: recorded in the copy's ``circuit_edits`` list.

    The spatial size must match the layer's (28x28 for mixed3b at 224 px; :class:`CurveNet` gives
    that for any input side divisible by 8).
    """
    from ..weights import edited_copy

    layer, groups = _branch_groups(units)
    n_units = sum(len(g) for g in groups.values())
    if isinstance(replacement, torch.Tensor):
        if replacement.ndim != 4 or replacement.shape[1] != n_units:
            raise ValueError(f"a replacement tensor must be (N, {n_units}, H, W), one channel per unit; "
                             f"got {tuple(replacement.shape)}")
    elif replacement is not None and not callable(replacement):
        raise TypeError("replacement must be a tensor (N, U, H, W), a callable (e.g. a CurveNet) or None")

    new = edited_copy(model)
    if isinstance(replacement, nn.Module):
        replacement = _moved_copy(replacement, new)
    state: dict[str, torch.Tensor] = {}

    def keep_images(_m: nn.Module, args: tuple) -> None:
        state.clear()
        state["x"] = args[0]

    def values(out: torch.Tensor) -> torch.Tensor | None:
        if replacement is None:
            return None
        if "values" not in state:
            if isinstance(replacement, torch.Tensor):
                v = replacement
            else:
                x = state.get("x")
                if x is None:
                    raise RuntimeError("the swapped model did not see its input images; call it like the original")
                with torch.no_grad():
                    v = replacement((x.detach() + 117.0) / 255.0)  # undo preprocess(): pixels in [0, 1]
            state["values"] = v
        v = state["values"]
        if v.ndim != 4 or v.shape[0] != out.shape[0] or v.shape[1] != n_units or v.shape[-2:] != out.shape[-2:]:
            raise ValueError(
                f"the replacement is {tuple(v.shape)} but {layer} needs ({out.shape[0]}, {n_units}, "
                f"{out.shape[-2]}, {out.shape[-1]}) for this batch; use a replacement of that shape (a CurveNet "
                "gives H/8 x W/8 for images whose side is divisible by 8)"
            )
        return v

    def make_hook(pairs: list[tuple[int, int]]) -> Callable:
        cols = [p for p, _ in pairs]
        local = torch.as_tensor([c for _, c in pairs])

        def hook(_m: nn.Module, _args: tuple, out: torch.Tensor) -> torch.Tensor:
            v = values(out)
            out = out.clone()
            idx = local.to(out.device)
            if v is None:
                out[:, idx] = 0.0
            else:
                out[:, idx] = v[:, cols].to(device=out.device, dtype=out.dtype)
            return out

        return hook

    new.register_forward_pre_hook(keep_images)
    for branch, pairs in groups.items():
        getattr(new, f"{branch}_pre_relu_conv").register_forward_hook(make_hook(pairs))
    what = description or ("zeroed" if replacement is None else
                           "fixed tensor" if isinstance(replacement, torch.Tensor) else type(replacement).__name__)
    ids = [f"{layer.replace('mixed', '')}:{u}" for u in _channels(layer, groups)]
    new.circuit_edits.append(f"swapped {', '.join(ids)}: {what}")  # type: ignore[attr-defined]
    return new


def _channels(layer: str, groups: dict[str, list[tuple[int, int]]]) -> list[int]:
    out: list[tuple[int, int]] = []
    for branch, pairs in groups.items():
        start = LAYERS[layer].branches[branch.split("_", 1)[1]][0]
        out.extend((pos, start + local) for pos, local in pairs)
    return [c for _, c in sorted(out)]


def _moved_copy(module: nn.Module, model: nn.Module) -> nn.Module:
    """A copy of the replacement module on the model's device (the caller's module stays where it is)."""
    import copy

    device = model_device(model)
    return copy.deepcopy(module).to(device)


def ablate_units(model: nn.Module, units: "Iterable[int | str | Unit]") -> nn.Module:
    """A copy of ``model`` with ``units`` set to 0 (before their ReLU, so 0 after it); ``model`` is untouched."""
    return swap_units(model, units, None, description="ablated (set to 0)")


# ============================================================================ predictions and accuracy


def predict(model: nn.Module, images: object, *, image_size: int = 224, batch_size: "int | None" = None,
            progress: bool = True) -> torch.Tensor:
    """InceptionV1's 1008 logits (N, 1008) for an :class:`~shared_utils.data.ImageSample` or a tensor (N, 3, S, S).

    ``batch_size`` images per forward pass (default: the device's budget).
    """
    from ..activations import forward_logits, image_source

    n, _, get = image_source(images, image_size)

    device = model_device(model)
    batch_size = budget(device).batch_size if batch_size is None else batch_size
    parts = []
    for start in bar(range(0, n, batch_size), desc="predictions", progress=progress):
        idx = list(range(start, min(start + batch_size, n)))
        parts.append(forward_logits(model, get(idx).to(device)).cpu())
    if not parts:
        raise ValueError("no images to predict")
    return torch.cat(parts)


def _check_logits(logits: torch.Tensor, k: int) -> None:
    if logits.ndim != 2:
        raise ValueError(f"logits must be (N, classes), got shape {tuple(logits.shape)}")
    if not isinstance(k, int) or not 1 <= k <= logits.shape[1]:
        raise ValueError(f"k must be an int in 1..{logits.shape[1]}, got {k!r}")


def topk_accuracy(logits: torch.Tensor, targets: "torch.Tensor | Sequence[int]", k: int = 5) -> float:
    """Fraction of rows whose target class is among the ``k`` largest logits (ties: ``torch.topk``'s order)."""
    _check_logits(logits, k)
    t = torch.as_tensor(targets, dtype=torch.long).reshape(-1)
    if t.shape[0] != logits.shape[0]:
        raise ValueError(f"{logits.shape[0]} rows of logits but {t.shape[0]} targets")
    if bool(((t < 0) | (t >= logits.shape[1])).any()):
        raise ValueError(f"targets must be class indices in 0..{logits.shape[1] - 1}")
    top = logits.topk(k, dim=1).indices
    return float((top == t.to(top.device)[:, None]).any(dim=1).double().mean())


def topk_agreement(reference: torch.Tensor, logits: torch.Tensor, k: int = 5) -> float:
    """Fraction of images whose ``reference`` top-1 class is in the top-``k`` of ``logits`` (needs no labels).

    ``topk_agreement(intact, intact)`` is 1; an edit that changes nothing downstream keeps it at 1.
    """
    if reference.shape != logits.shape:
        raise ValueError(f"reference {tuple(reference.shape)} and logits {tuple(logits.shape)} must have one shape")
    return topk_accuracy(logits, reference.argmax(dim=1), k)
