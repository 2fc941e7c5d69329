"""Equivariance in weights: rotate, mirror and hue-shift kernels, score families, pool them into invariance.

Many features come in families of rotated, mirrored or hue-shifted copies, and the weights between
two such families repeat one pattern, transformed (*Naturally Occurring Equivariance*, Olah et al.
2020; docs/science.md §8). A student measures that with plain tensors, no model needed::

    fam = kernel_family("curve", angles=range(0, 360, 36), size=7)          # (10, 7, 7)
    equivariance_score(fam, angles=range(0, 360, 36))                       # ~1: rotated copies
    equivariance_score(fam[torch.randperm(10)], angles=range(0, 360, 36))   # low: order broken
    W = equivariant_weights(out_angles, in_angles)                         # (n_out, n_in, 7, 7)
    equivariance_score(W, out_angles, in_angles)                           # family -> family
    reflection_score(w_left, w_right)                                       # mirror images?
    invariance_ratio(pool_family(centre_responses(fam, lines), "max"))     # equivariant -> invariant

and then on InceptionV1's expanded weights (:func:`shared_utils.weights.expanded_weights`) or the
Curve Circuits AANN weights (``curve_circuits/aann_weights_3a_to_3b.json``).

**Conventions.** A kernel is a tensor ``(..., k, k)`` whose last two axes are rows (downwards) and
columns, like an image. Angles are degrees, **counter-clockwise as seen on the screen**, 0° pointing
right: the convention of :mod:`shared_utils.stimuli`. A family of ``n`` units has angles ``θ_i``
(its units' preferred orientations); only *differences* of angles matter here, so any offset
convention works, but the *direction* matters: if a family's angles run clockwise, negate them.

**The rotation-equivariance score** (:func:`equivariance_score`). For units ``r`` and ``i`` of a
family with angles ``θ``, equivariance predicts unit ``i``'s weights from unit ``r``'s:
rotate them spatially by ``Δ = θ_i - θ_r`` and, if the inputs are themselves a family with angles
``φ`` (family -> family weights ``W[out, in, k, k]``), move each input channel's kernel to the input
unit ``Δ`` further round (:func:`channel_permutation`; the nearest angle, so evenly spaced families
with a common step permute exactly). The score is the **mean cosine similarity** between prediction
and truth over all ordered pairs ``r != i`` (or over ``i != reference`` for one reference unit):

* 1 = every unit is exactly the rotated copy of every other; ~0 for unrelated (random) kernels;
* independent of the weights' global scale (and of each unit's own scale: it compares *shapes*);
* rotations by multiples of 90° are exact (``torch.rot90``); other angles rotate by bilinear
  interpolation about the kernel centre, and only pixels whose source lies inside the kernel are
  compared (``valid_only``), so a perfectly equivariant 5x5 family scores a little below 1.

Compare a score with :func:`null_scores` (the same weights with the units' angles shuffled) before
calling it high. :func:`reflection_score` does the same for a mirror pair, :func:`hue_equivariance_score`
for colour weights rotated around the grey axis, :func:`offset_score` for summed weights that depend
only on the angle (or hue) offset between two units (the AANN's "kernel sums depend only on the
orientation offset", docs/science.md §3.2).

**Equivariance -> invariance.** Pooling (max or sum) an equivariant family's responses gives a unit
whose response does not change when the stimulus rotates (:func:`pool_family`, :func:`invariance_ratio`);
:func:`invariant_weights` builds the same unit as weights (one kernel per family member, rotated
with it) and :func:`transpose_weights` turns invariant -> equivariant weights into
equivariant -> invariant ones and back (the transpose of a convolution).
"""
from __future__ import annotations

import math
from typing import Literal, Sequence, Union

import torch
import torch.nn.functional as F

from .._geometry import angles as _angles, circular_distance, pixel_coords
from .._progress import bar

__all__ = [
    "Angles",
    "circular_distance",
    "rotate_kernel",
    "flip_kernel",
    "cosine",
    "oriented_kernel",
    "kernel_family",
    "equivariant_weights",
    "channel_permutation",
    "predict_rotated",
    "equivariance_matrix",
    "equivariance_score",
    "null_scores",
    "best_rotation",
    "mirror_permutation",
    "reflection_score",
    "mirror_matrix",
    "mirror_pairs",
    "hue_rotation_matrix",
    "rotate_hue",
    "hue_angle",
    "hue_to_rgb",
    "hue_discs",
    "hue_equivariance_score",
    "offset_profile",
    "offset_score",
    "centre_responses",
    "pool_family",
    "invariance_ratio",
    "invariant_weights",
    "transpose_weights",
]

Angles = Union[float, int, Sequence[float], torch.Tensor]
Direction = Literal["left-right", "up-down"]


# ============================================================================ small helpers


def _check_square(w: torch.Tensor, what: str = "kernel") -> None:
    if not isinstance(w, torch.Tensor):
        raise TypeError(f"{what} must be a torch.Tensor, got {type(w).__name__}")
    if w.ndim < 2 or w.shape[-1] != w.shape[-2]:
        raise ValueError(f"{what} must be (..., k, k) with square spatial axes last, got shape {tuple(w.shape)}")


def _float(w: torch.Tensor) -> torch.Tensor:
    return w if w.is_floating_point() else w.float()


def cosine(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor | None = None) -> float:
    """Cosine similarity of two tensors of the same shape, flattened; 0 if either is all zeros.

    ``mask`` (broadcastable to their shape) keeps only the entries where it is nonzero.
    """
    if a.shape != b.shape:
        raise ValueError(f"cosine needs two tensors of the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    a, b = _float(a).double(), _float(b).double()
    if mask is not None:
        m = mask.to(a.dtype).expand_as(a)
        a, b = a * m, b * m
    na, nb = a.norm(), b.norm()
    if float(na) == 0.0 or float(nb) == 0.0:
        return 0.0
    return float((a * b).sum() / (na * nb))


def _cos_rows(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Cosine of each row (P, D) of ``a`` with the same row of ``b``; 0 for zero rows."""
    na, nb = a.norm(dim=1), b.norm(dim=1)
    denom = na * nb
    return torch.where(denom > 0, (a * b).sum(1) / torch.where(denom > 0, denom, torch.ones_like(denom)),
                       torch.zeros_like(denom))


# ============================================================================ rotating and flipping kernels


def _rotate_interp(x: torch.Tensor, angles: torch.Tensor, mode: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate each (C, k, k) item of ``x`` (P, C, k, k) counter-clockwise by ``angles`` (P,) degrees.

    Returns the rotated kernels and a (P, 1, k, k) mask: 1 where the source point lies inside the
    kernel (so the interpolated value is fully defined), 0 where it fell off the edge (filled with 0).
    """
    p, c, k, _ = x.shape
    rad = torch.deg2rad(angles.to(torch.float64))
    cs, sn = torch.cos(rad), torch.sin(rad)
    zero = torch.zeros_like(cs)
    # grid (x right, y down): output point -> source point = R(-angle) in y-up coordinates
    theta = torch.stack([torch.stack([cs, -sn, zero], -1), torch.stack([sn, cs, zero], -1)], -2)
    grid = F.affine_grid(theta.to(x.dtype if x.dtype == torch.float64 else torch.float32), [p, c, k, k],
                         align_corners=True)
    out = F.grid_sample(x.to(grid.dtype), grid, mode=mode, padding_mode="zeros", align_corners=True).to(x.dtype)
    tol = 1e-6
    valid = ((grid.abs() <= 1 + tol).all(-1)).unsqueeze(1).to(x.dtype)
    return out, valid


def _rotate_batch(x: torch.Tensor, angles: torch.Tensor, mode: str = "bilinear") -> tuple[torch.Tensor, torch.Tensor]:
    """(P, C, k, k) kernels, (P,) angles -> rotated kernels and validity masks (P, 1, k, k).

    Each angle is split into a multiple of 90° (exact, ``torch.rot90``) and a remainder in
    [-45°, 45°] (interpolated), which keeps interpolation blur and edge losses as small as possible.
    """
    quarter = torch.round(angles / 90.0)
    rest = angles - 90.0 * quarter
    quarter = torch.remainder(quarter, 4).long()
    out = x.clone()
    for q in (1, 2, 3):
        sel = quarter == q
        if bool(sel.any()):
            out[sel] = torch.rot90(x[sel], q, dims=(-2, -1))
    valid = torch.ones(x.shape[0], 1, *x.shape[-2:], dtype=x.dtype, device=x.device)
    turn = rest.abs() > 1e-9
    if bool(turn.any()):
        rotated, mask = _rotate_interp(out[turn], rest[turn].to(x.device), mode)
        out[turn] = rotated
        valid[turn] = mask
    return out, valid


def rotate_kernel(w: torch.Tensor, angle: Angles, *, mode: str = "bilinear",
                  return_mask: bool = False) -> "torch.Tensor | tuple[torch.Tensor, torch.Tensor]":
    """Rotate the spatial pattern of ``w`` (..., k, k) counter-clockwise (on screen) about its centre.

    Args:
        w: kernels ``(..., k, k)``; every leading axis (input channels, units) turns together.
        angle: degrees. A number gives the same shape as ``w``; a list/1-D tensor of ``A`` angles
            gives ``(A, *w.shape)``, one rotated copy per angle (a whole family in one call).
        mode: ``"bilinear"`` or ``"bicubic"`` interpolation for angles that are not multiples of 90°
            (multiples of 90° are always exact).
        return_mask: also return a mask (same leading shape, ``(..., 1 or C, k, k)`` broadcastable) that is
            1 where the rotated value is fully defined and 0 where its source fell outside the kernel.
    """
    _check_square(w)
    if mode not in ("bilinear", "bicubic"):
        raise ValueError(f"mode must be 'bilinear' or 'bicubic', got {mode!r}")
    scalar = isinstance(angle, (int, float)) or (isinstance(angle, torch.Tensor) and angle.ndim == 0)
    a = _angles(angle)
    x = _float(w)
    k = x.shape[-1]
    lead = x.shape[:-2]
    flat = x.reshape(1, -1, k, k).expand(len(a), -1, k, k)
    out, valid = _rotate_batch(flat, a.to(x.device), mode)
    out = out.reshape(len(a), *lead, k, k)
    valid = valid.reshape(len(a), *([1] * len(lead)), k, k)
    if scalar:
        out, valid = out[0], valid[0]
    return (out, valid) if return_mask else out


def flip_kernel(w: torch.Tensor, direction: Direction = "left-right") -> torch.Tensor:
    """Mirror kernels ``(..., k, k)``: ``"left-right"`` (x -> -x, columns reversed) or ``"up-down"``."""
    _check_square(w)
    if direction == "left-right":
        return torch.flip(w, dims=(-1,))
    if direction == "up-down":
        return torch.flip(w, dims=(-2,))
    raise ValueError(f"direction must be 'left-right' or 'up-down', got {direction!r}")


def _mirror_angle(theta: torch.Tensor, direction: Direction) -> torch.Tensor:
    if direction == "left-right":
        return 180.0 - theta
    if direction == "up-down":
        return -theta
    raise ValueError(f"direction must be 'left-right' or 'up-down', got {direction!r}")


# ============================================================================ constructed families


def oriented_kernel(angle: float, size: int = 7, kind: str = "line", *, width: float = 1.0,
                    envelope: float | None = None, radius: float | None = None,
                    position: tuple[float, float] = (0.0, 0.0)) -> torch.Tensor:
    """A hand-made oriented kernel ``(size, size)``, drawn analytically at any angle (no interpolation).

    ``kind``:

    * ``"line"``: a bar along ``angle`` (positive) with negative flanks; period 180°;
    * ``"edge"``: positive on the side ``angle`` points to, negative on the other; period 360°;
    * ``"curve"``: an arc whose convex side points along ``angle`` (as :func:`shared_utils.stimuli.curve`),
      apex at the centre, of ``radius`` pixels (default ``size / 2``); period 360°.

    ``width`` is the stroke's scale in pixels, ``envelope`` the std of the Gaussian window (default
    ``size / 3``), ``position`` shifts the pattern (pixels, x right, y up). Because the pattern is a
    formula of the rotated coordinates, ``oriented_kernel(a + d)`` is the exact rotation by ``d``
    of ``oriented_kernel(a)`` when ``position`` is zero: a known-answer equivariant family.
    """
    if not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be a positive int (pixels), got {size!r}")
    if width <= 0:
        raise ValueError(f"width must be > 0 pixels, got {width}")
    xx, yy = pixel_coords(size, dtype=torch.float64, minimum=1)  # y up
    x, y = xx - position[0], yy - position[1]
    t = math.radians(float(angle))
    u = x * math.cos(t) + y * math.sin(t)  # along the angle
    v = -x * math.sin(t) + y * math.cos(t)  # across it
    env = torch.exp(-(xx**2 + yy**2) / (2 * (envelope if envelope is not None else size / 3) ** 2))
    if kind == "line":
        d = v
    elif kind == "edge":
        return ((u / width) * torch.exp(-(u**2) / (2 * width**2)) * env).float()
    elif kind == "curve":
        r = radius if radius is not None else size / 2
        d = torch.hypot(u + r, v) - r  # distance to a circle of radius r whose apex is at the origin
    else:
        raise ValueError(f"kind must be 'line', 'edge' or 'curve', got {kind!r}")
    profile = (1 - d**2 / width**2) * torch.exp(-(d**2) / (2 * width**2))
    return (profile * env).float()


def kernel_family(kind: str, angles: Angles, size: int = 7, **kwargs: float) -> torch.Tensor:
    """``(n, size, size)``: :func:`oriented_kernel` at each angle, a known-answer equivariant family."""
    return torch.stack([oriented_kernel(float(a), size, kind, **kwargs) for a in _angles(angles)])  # type: ignore[arg-type]


def equivariant_weights(out_angles: Angles, in_angles: Angles, size: int = 7, *, in_period: float = 360.0,
                        kind: str = "curve", distance: float = 1.5) -> torch.Tensor:
    """Known-answer family -> family weights ``(n_out, n_in, size, size)``, drawn analytically.

    The kernel from input unit ``j`` (angle ``φ_j``) to output unit ``i`` (angle ``θ_i``) is an
    :func:`oriented_kernel` of ``kind`` at angle ``φ_j``, centred ``distance`` pixels from the kernel
    centre in direction ``θ_i + 60°`` (off-axis, so the weights have no mirror symmetry), times
    ``cos(2π (φ_j - θ_i) / in_period)`` (similar orientations excite, opposite ones inhibit).
    Use ``kind="line"`` with ``in_period=180`` and ``"curve"``/``"edge"`` with 360. Everything depends
    on angles only through rotations and the offset ``φ_j - θ_i``, so rotating everything by ``Δ`` maps
    the weights onto themselves: exactly equivariant, built without :func:`rotate_kernel`.
    """
    th, ph = _angles(out_angles, "out_angles"), _angles(in_angles, "in_angles")
    out = torch.empty(len(th), len(ph), size, size)
    for i, a in enumerate(th.tolist()):
        pos = (distance * math.cos(math.radians(a + 60)), distance * math.sin(math.radians(a + 60)))
        for j, b in enumerate(ph.tolist()):
            amp = math.cos(2 * math.pi * (b - a) / in_period)
            out[i, j] = amp * oriented_kernel(b, size, kind, position=pos)
    return out


# ============================================================================ rotation equivariance


def channel_permutation(in_angles: Angles, delta: float, period: float = 360.0) -> torch.Tensor:
    """Where each input channel's kernel comes from when the whole picture turns by ``delta`` degrees.

    Returns ``src`` (LongTensor, one entry per input unit): after a rotation by ``delta``, input unit
    ``j`` plays the role that unit ``src[j]`` played before, i.e. ``src[j]`` is the unit whose angle is
    closest to ``in_angles[j] - delta`` (mod ``period``: 360° for curves, 180° for lines). For an evenly
    spaced family whose step divides ``delta`` this is a cyclic shift.
    """
    phi = _angles(in_angles, "in_angles")
    want = phi - float(delta)
    d = torch.remainder(want.unsqueeze(1) - phi.unsqueeze(0), period)
    d = torch.minimum(d, period - d)
    return d.argmin(dim=1)


def _family(W: torch.Tensor, angles: Angles,
            in_angles: Angles | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    if not isinstance(W, torch.Tensor):
        raise TypeError(f"weights must be a torch.Tensor, got {type(W).__name__}")
    if W.ndim not in (3, 4) or W.shape[-1] != W.shape[-2]:
        raise ValueError(
            "weights must be (n_units, k, k) for one input or (n_units, n_inputs, k, k) for many inputs, "
            f"with square kernels; got shape {tuple(W.shape)}"
        )
    th = _angles(angles, "angles")
    if len(th) != W.shape[0]:
        raise ValueError(f"got {len(th)} angles for {W.shape[0]} units: give one angle per unit (axis 0 of the weights)")
    if W.shape[0] < 2:
        raise ValueError("a family needs at least 2 units to compare")
    phi = None
    if in_angles is not None:
        phi = _angles(in_angles, "in_angles")
        if W.ndim != 4:
            raise ValueError("in_angles needs family -> family weights (n_out, n_in, k, k); these have no input axis")
        if len(phi) != W.shape[1]:
            raise ValueError(f"got {len(phi)} in_angles for {W.shape[1]} input channels (axis 1 of the weights)")
    if not bool(torch.isfinite(W).all()):
        raise ValueError("the weights contain NaN or inf")
    return _float(W).detach().double().cpu(), th, phi


def predict_rotated(w_ref: torch.Tensor, delta: float, in_angles: Angles | None = None, *, in_period: float = 360.0,
                    mode: str = "bilinear") -> torch.Tensor:
    """Equivariance's prediction for the unit ``delta`` degrees further round than the one with weights ``w_ref``.

    ``w_ref`` is ``(k, k)``, or ``(n_in, k, k)``; with ``in_angles`` the input channels are a family too and
    are moved by :func:`channel_permutation` as well as rotated.
    """
    _check_square(w_ref, "w_ref")
    out = rotate_kernel(w_ref, float(delta), mode=mode)
    if in_angles is not None:
        if w_ref.ndim != 3:
            raise ValueError(f"in_angles needs w_ref of shape (n_in, k, k), got {tuple(w_ref.shape)}")
        phi = _angles(in_angles, "in_angles")
        if len(phi) != w_ref.shape[0]:
            raise ValueError(f"got {len(phi)} in_angles for {w_ref.shape[0]} input channels")
        out = out[channel_permutation(phi, delta, in_period).to(out.device)]
    return out


def _pair_cosines(W: torch.Tensor, th: torch.Tensor, phi: torch.Tensor | None, pairs: torch.Tensor,
                  in_period: float, mode: str, valid_only: bool) -> torch.Tensor:
    """cos(W[i], prediction from W[r]) for each (r, i) row of ``pairs``, in one batched rotation."""
    r, i = pairs[:, 0], pairs[:, 1]
    delta = th[i] - th[r]
    x = W[r]
    if x.ndim == 3:
        x = x.unsqueeze(1)  # (P, 1, k, k)
    rotated, valid = _rotate_batch(x, delta, mode)
    if phi is not None:
        d = torch.remainder((phi.view(1, -1, 1) - delta.view(-1, 1, 1)) - phi.view(1, 1, -1), in_period)
        src = torch.minimum(d, in_period - d).argmin(dim=2)  # (P, n_in)
        rotated = torch.gather(rotated, 1, src[:, :, None, None].expand_as(rotated))
    target = W[i] if W[i].ndim == 4 else W[i].unsqueeze(1)
    if valid_only:
        rotated, target = rotated * valid, target * valid
    return _cos_rows(rotated.flatten(1), target.flatten(1))


def equivariance_matrix(W: torch.Tensor, angles: Angles, in_angles: Angles | None = None, *,
                        in_period: float = 360.0, mode: str = "bilinear", valid_only: bool = True) -> torch.Tensor:
    """``S[r, i]``: cosine between unit ``i``'s weights and the prediction from unit ``r``'s (diagonal 1).

    Args:
        W: ``(n, k, k)`` (one input, e.g. an invariant unit feeding an equivariant family) or
            ``(n, n_in, k, k)``: the weights into unit ``i`` of the family are ``W[i]``.
        angles: the family's angles θ_i (degrees, counter-clockwise), one per unit.
        in_angles: the input family's angles, when the inputs are an equivariant family too (their
            channels are then moved round with the rotation); ``None`` keeps the input channels in place
            (invariant inputs, or a single input).
        in_period: 360 for inputs like curves and edges, 180 for lines.
        mode / valid_only: see :func:`rotate_kernel` and the module docstring.
    """
    Wd, th, phi = _family(W, angles, in_angles)
    n = Wd.shape[0]
    rr, ii = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
    pairs = torch.stack([rr.reshape(-1), ii.reshape(-1)], 1)
    return _pair_cosines(Wd, th, phi, pairs, in_period, mode, valid_only).reshape(n, n)


def equivariance_score(W: torch.Tensor, angles: Angles, in_angles: Angles | None = None, *,
                       reference: int | None = None, in_period: float = 360.0, mode: str = "bilinear",
                       valid_only: bool = True) -> float:
    """How well rotating one unit's weights predicts the others': mean cosine over pairs (module docstring).

    ``reference=None`` averages over every ordered pair ``r != i``; an int uses only that unit as the
    template (``i != reference``). Arguments as in :func:`equivariance_matrix`. 1 = perfect; near 0 for
    unrelated kernels; the same for ``c * W`` (any ``c > 0``).
    """
    Wd, th, phi = _family(W, angles, in_angles)
    n = Wd.shape[0]
    if reference is not None:
        if not isinstance(reference, int) or not 0 <= reference < n:
            raise IndexError(f"reference must be a unit index 0..{n - 1}, got {reference!r}")
        others = torch.tensor([i for i in range(n) if i != reference])
        pairs = torch.stack([torch.full_like(others, reference), others], 1)
    else:
        rr, ii = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
        off = rr != ii
        pairs = torch.stack([rr[off], ii[off]], 1)
    return float(_pair_cosines(Wd, th, phi, pairs, in_period, mode, valid_only).mean())


def null_scores(W: torch.Tensor, angles: Angles, in_angles: Angles | None = None, *, n: int = 100, seed: int = 0,
                in_period: float = 360.0, mode: str = "bilinear", progress: bool = True) -> torch.Tensor:
    """Scores of the same weights with the angles shuffled among the units (``n`` shuffles, seeded).

    The output family's angles are permuted, and independently the input family's: what
    :func:`equivariance_score` gives when the weights are real but their order carries no rotation.
    A real equivariant family should beat (almost) all of them. For an evenly spaced family a
    cyclic relabelling keeps every angle difference, so it scores like the truth: with ``n`` units
    about ``1 / n!`` of the shuffles per family are such relabellings (negligible from n = 6 on;
    with 4 units expect a few shuffles to reach the true score). ``progress`` shows a bar over the
    shuffles (:mod:`shared_utils._progress`).
    """
    _, th, phi = _family(W, angles, in_angles)
    gen = torch.Generator().manual_seed(seed)
    out = []
    for _ in bar(range(n), desc="shuffled scores", progress=progress):
        a = th[torch.randperm(len(th), generator=gen)]
        b = phi[torch.randperm(len(phi), generator=gen)] if phi is not None else None
        out.append(equivariance_score(W, a, b, in_period=in_period, mode=mode))
    return torch.tensor(out, dtype=torch.float64)


def best_rotation(a: torch.Tensor, b: torch.Tensor, angles: Angles = tuple(range(0, 360, 5)), *,
                  mode: str = "bilinear") -> tuple[float, float]:
    """``(angle, cosine)``: the rotation of kernel(s) ``a`` that best matches ``b`` (same shape).

    Use it to estimate how far round one unit is from another when their angles are unknown (no
    channel permutation: for weights from invariant inputs or a single input).
    """
    _check_square(a, "a")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    cand = _angles(angles)
    rotated, valid = rotate_kernel(_float(a).double(), cand, mode=mode, return_mask=True)
    target = _float(b).double().unsqueeze(0).expand_as(rotated)
    cos = _cos_rows((rotated * valid).flatten(1), (target * valid).flatten(1))
    k = int(cos.argmax())
    return float(cand[k]), float(cos[k])


# ============================================================================ reflection


def mirror_permutation(in_angles: Angles, period: float = 360.0, direction: Direction = "left-right") -> torch.Tensor:
    """For mirrored inputs: ``src[j]`` = the input unit whose mirror image is unit ``j``.

    A left-right mirror turns a direction θ into 180° - θ (up-down: -θ); the unit with the closest
    angle (mod ``period``) is taken. Use it with :func:`reflection_score` when the inputs are an
    oriented family.
    """
    phi = _angles(in_angles, "in_angles")
    want = _mirror_angle(phi, direction)
    d = torch.remainder(want.unsqueeze(1) - phi.unsqueeze(0), period)
    return torch.minimum(d, period - d).argmin(dim=1)


def _mirror_prediction(w: torch.Tensor, in_perm: "Sequence[int] | torch.Tensor | None", direction: Direction) -> torch.Tensor:
    out = flip_kernel(w, direction)
    if in_perm is not None:
        perm = torch.as_tensor(in_perm, dtype=torch.long)
        if w.ndim < 3 or perm.shape != (w.shape[-3],):
            raise ValueError(
                f"in_perm must have one entry per input channel (axis -3 of shape {tuple(w.shape)}), got {tuple(perm.shape)}"
            )
        out = out.index_select(-3, perm.to(out.device))
    return out


def reflection_score(w_a: torch.Tensor, w_b: torch.Tensor, in_perm: "Sequence[int] | torch.Tensor | None" = None, *,
                     direction: Direction = "left-right") -> float:
    """Cosine between ``w_b`` and the mirror image of ``w_a`` (1 = exact mirror pair).

    ``w_a``/``w_b``: ``(k, k)`` or ``(n_in, k, k)`` kernels of two units. If the inputs have mirror partners
    of their own (oriented inputs; fur 3b:404 <-> 3b:303 in the dog-head circuit), ``in_perm[j]`` is the
    input whose mirror is ``j`` (:func:`mirror_permutation`); the mirrored kernel takes channel ``j`` from it.
    Compare with ``cosine(w_a, w_b)``: a mirror pair is closer mirrored than as it is (docs/science.md §13.20).
    """
    _check_square(w_a, "w_a")
    if w_a.shape != w_b.shape:
        raise ValueError(f"w_a and w_b must have the same shape, got {tuple(w_a.shape)} and {tuple(w_b.shape)}")
    return cosine(_mirror_prediction(_float(w_a), in_perm, direction), _float(w_b))


def mirror_matrix(W: torch.Tensor, in_perm: "Sequence[int] | torch.Tensor | None" = None, *,
                  direction: Direction = "left-right") -> torch.Tensor:
    """``M[a, b] = reflection_score(W[a], W[b])`` for units ``W`` of shape ``(n, k, k)`` or ``(n, n_in, k, k)``."""
    _check_square(W, "W")
    if W.ndim not in (3, 4):
        raise ValueError(f"W must be (n, k, k) or (n, n_in, k, k), got shape {tuple(W.shape)}")
    X = _float(W).double()
    mir = _mirror_prediction(X, in_perm, direction).flatten(1)
    flat = X.flatten(1)
    norms = mir.norm(dim=1, keepdim=True) * flat.norm(dim=1).unsqueeze(0)
    dots = mir @ flat.T
    return torch.where(norms > 0, dots / torch.where(norms > 0, norms, torch.ones_like(norms)), torch.zeros_like(dots))


def mirror_pairs(W: torch.Tensor, in_perm: "Sequence[int] | torch.Tensor | None" = None, *, threshold: float = 0.5,
                 direction: Direction = "left-right") -> list[tuple[int, int, float]]:
    """Units that are each other's best mirror partner (excluding themselves), with score >= ``threshold``.

    Returns ``(a, b, score)`` with ``a < b``, best first. The score is the mean of ``M[a, b]`` and
    ``M[b, a]`` from :func:`mirror_matrix`.
    """
    M = mirror_matrix(W, in_perm, direction=direction)
    n = M.shape[0]
    if n < 2:
        return []
    sym = (M + M.T) / 2
    sym.fill_diagonal_(-math.inf)
    best = sym.argmax(dim=1)
    found = []
    for a in range(n):
        b = int(best[a])
        if a < b and int(best[b]) == a and float(sym[a, b]) >= threshold:
            found.append((a, b, float(sym[a, b])))
    return sorted(found, key=lambda t: -t[2])


# ============================================================================ hue


_E1 = torch.tensor([2.0, -1.0, -1.0], dtype=torch.float64) / math.sqrt(6)  # towards red
_E2 = torch.tensor([0.0, 1.0, -1.0], dtype=torch.float64) / math.sqrt(2)  # green minus blue
_GREY = torch.ones(3, dtype=torch.float64) / math.sqrt(3)


def hue_rotation_matrix(angle: float) -> torch.Tensor:
    """``(3, 3)`` rotation of RGB vectors about the grey axis by ``angle`` degrees (red -> yellow -> green).

    It keeps brightness (the grey component) and saturation and turns the hue: 120° maps pure red to
    pure green, green to blue, blue to red. It is orthogonal, so it rotates a unit's RGB *weights*
    exactly as it rotates the colours they prefer.
    """
    t = math.radians(float(angle))
    k = _GREY
    kx = torch.tensor([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]], dtype=torch.float64)
    return torch.eye(3, dtype=torch.float64) + math.sin(t) * kx + (1 - math.cos(t)) * (kx @ kx)


def rotate_hue(w: torch.Tensor, angle: float, channel_dim: int = -3) -> torch.Tensor:
    """Rotate the RGB axis (size 3, at ``channel_dim``) of weights or colours by ``angle`` degrees of hue."""
    if w.shape[channel_dim] != 3:
        raise ValueError(f"axis {channel_dim} of shape {tuple(w.shape)} is not RGB (size 3); pass channel_dim=")
    x = _float(w)
    m = hue_rotation_matrix(angle).to(device=x.device, dtype=x.dtype)
    moved = x.movedim(channel_dim, -1)
    return (moved @ m.T).movedim(-1, channel_dim)


def hue_angle(rgb: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Hue (degrees in [0, 360)) of RGB vectors along ``dim``: red 0°, yellow 60°, green 120°, blue 240°.

    Measured in the plane orthogonal to grey, so it works for signed weight vectors too (a weight
    vector's hue is the colour that excites it most). Grey vectors have no hue (returns 0).
    """
    if rgb.shape[dim] != 3:
        raise ValueError(f"axis {dim} of shape {tuple(rgb.shape)} is not RGB (size 3)")
    x = _float(rgb).double().movedim(dim, -1)
    a, b = x @ _E1.to(x.device), x @ _E2.to(x.device)
    return torch.remainder(torch.rad2deg(torch.atan2(b, a)), 360.0)


def hue_to_rgb(hues: Angles, chroma: float = 1.0) -> torch.Tensor:
    """``(n, 3)`` colours around the hue circle, all at mean 0.5 (equal grey level) and in [0, 1].

    ``hue_angle(hue_to_rgb(h)) == h``; ``chroma`` in (0, 1] scales the saturation.
    """
    if not 0 < chroma <= 1:
        raise ValueError(f"chroma must be in (0, 1], got {chroma}")
    h = torch.deg2rad(_angles(hues, "hues"))
    amp = 0.5 * chroma / math.sqrt(2 / 3)  # the largest component of a unit chroma vector is sqrt(2/3)
    vec = torch.cos(h)[:, None] * _E1 + torch.sin(h)[:, None] * _E2
    return (0.5 + amp * vec).clamp(0.0, 1.0).float()


def hue_discs(hues: Angles, size: int = 64, radius: float | None = None, *, chroma: float = 1.0,
              background: float = 0.5) -> torch.Tensor:
    """Images ``(n, 3, size, size)`` in [0, 1]: a disc of each hue (anti-aliased) on a grey background.

    Stimuli for colour centre-surround units; ``radius`` defaults to ``size / 6`` pixels.
    """
    if not isinstance(size, int) or size < 2:
        raise ValueError(f"size must be an int >= 2 (pixels), got {size!r}")
    r = radius if radius is not None else size / 6
    xx, yy = pixel_coords(size)
    alpha = (r - torch.hypot(xx, yy) + 0.5).clamp(0.0, 1.0)
    colours = hue_to_rgb(hues, chroma)  # (n, 3)
    return background + alpha * (colours[:, :, None, None] - background)


def hue_equivariance_score(W: torch.Tensor, hues: Angles, *, channel_dim: int = 1) -> float:
    """Mean cosine between each unit's RGB weights and another unit's, hue-rotated by their hue difference.

    ``W`` is ``(n, 3, ...)`` (RGB at ``channel_dim``, e.g. conv2d0 kernels ``(n, 3, 7, 7)``, or ``(n, 3)``
    colour vectors), ``hues`` the units' hues in degrees. 1 = the family is one kernel rotated round the
    hue circle; scale-free like :func:`equivariance_score`.
    """
    h = _angles(hues, "hues")
    if not isinstance(W, torch.Tensor) or W.ndim < 2 or W.shape[0] != len(h):
        raise ValueError(f"W must be (n_units, ...) with one hue per unit; got shape {tuple(getattr(W, 'shape', ()))} "
                         f"and {len(h)} hues")
    if len(h) < 2:
        raise ValueError("a family needs at least 2 units to compare")
    X = _float(W).double()
    cd = channel_dim if channel_dim >= 0 else X.ndim + channel_dim
    if X.shape[cd] != 3:
        raise ValueError(f"axis {channel_dim} of W (shape {tuple(W.shape)}) is not RGB (size 3)")
    cos = []
    for r in range(len(h)):
        for i in range(len(h)):
            if r != i:
                pred = rotate_hue(X[r], float(h[i] - h[r]), channel_dim=cd - 1)
                cos.append(cosine(pred, X[i]))
    return float(sum(cos) / len(cos))


# ============================================================================ weights that depend on the offset


def _offsets(M: torch.Tensor, out_angles: Angles, in_angles: Angles, period: float) -> torch.Tensor:
    th, ph = _angles(out_angles, "out_angles"), _angles(in_angles, "in_angles")
    if M.ndim != 2 or M.shape != (len(th), len(ph)):
        raise ValueError(f"M must be (n_out={len(th)}, n_in={len(ph)}): one number per pair; got shape {tuple(M.shape)}")
    return torch.remainder(ph.unsqueeze(0) - th.unsqueeze(1), period)


def offset_profile(M: torch.Tensor, out_angles: Angles, in_angles: Angles, *, period: float = 360.0,
                   bins: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``(offsets, mean)``: the average of ``M[i, j]`` (e.g. summed kernels) per angle offset ``φ_j - θ_i``.

    ``bins=None`` groups exactly equal offsets (evenly spaced families with a common step, like the
    AANN's 24 curves 15° apart); otherwise ``bins`` equal bins around the circle, the first centred on 0.
    Empty bins are left out.
    """
    Md = _float(M).double().cpu()
    off = _offsets(Md, out_angles, in_angles, period)
    key, centres = _offset_keys(off, period, bins, Md.numel())
    sums = torch.zeros(len(centres), dtype=torch.float64).index_add_(0, key.reshape(-1), Md.reshape(-1))
    ones = torch.ones(Md.numel(), dtype=torch.float64)
    counts = torch.zeros(len(centres), dtype=torch.float64).index_add_(0, key.reshape(-1), ones)
    keep = counts > 0
    return centres[keep], (sums / counts.clamp(min=1))[keep]


def _offset_keys(off: torch.Tensor, period: float, bins: int | None, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    if bins is None:
        rounded = torch.round(off * 1e6) / 1e6
        rounded = torch.where(rounded >= period, rounded - period, rounded)
        centres, key = torch.unique(rounded, return_inverse=True)
        if len(centres) * 2 > n:
            raise ValueError(
                f"{len(centres)} distinct offsets for {n} weights: the angles are not evenly spaced with a common "
                "step, so pass bins= (e.g. bins=12 for 30° bins)"
            )
        return key, centres
    if not isinstance(bins, int) or bins < 2:
        raise ValueError(f"bins must be an int >= 2, got {bins!r}")
    width = period / bins
    key = torch.remainder(torch.floor(off / width + 0.5), bins).long()
    return key, torch.arange(bins, dtype=torch.float64) * width


def offset_score(M: torch.Tensor, out_angles: Angles, in_angles: Angles, *, period: float = 360.0,
                 bins: int | None = None) -> float:
    """R²: the fraction of the variance of ``M`` explained by a function of the offset alone.

    ``1 - Σ (M - profile(offset))² / Σ (M - mean M)²`` with the profile of :func:`offset_profile`. 1 =
    the weight depends only on how far round the two units are from each other (a circulant
    matrix: "same hue excites, near hue inhibits", or the AANN's curve sums); near 0 for unrelated
    weights (for ``b`` offset groups and ``N`` weights, chance gives about ``(b - 1) / (N - 1)``).
    """
    Md = _float(M).double().cpu()
    off = _offsets(Md, out_angles, in_angles, period)
    key, centres = _offset_keys(off, period, bins, Md.numel())
    flat, k = Md.reshape(-1), key.reshape(-1)
    sums = torch.zeros(len(centres), dtype=torch.float64).index_add_(0, k, flat)
    counts = torch.zeros(len(centres), dtype=torch.float64).index_add_(0, k, torch.ones_like(flat))
    fitted = (sums / counts.clamp(min=1))[k]
    total = ((flat - flat.mean()) ** 2).sum()
    if float(total) == 0.0:
        raise ValueError("M is constant: there is no variance to explain")
    return float(1 - ((flat - fitted) ** 2).sum() / total)


# ============================================================================ equivariance -> invariance


def centre_responses(kernels: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """``(N, n)``: each kernel's dot product with the centre ``k x k`` patch of each image.

    ``kernels`` ``(n, C, k, k)`` with ``images`` ``(N, C, H, W)``; or ``(n, k, k)`` with ``(N, H, W)`` or
    ``(N, C, H, W)`` (then the image's channels are averaged to grey first). A unit of a one-layer
    network, read at the centre: enough to test a family on rotated stimuli without a model.
    """
    _check_square(kernels, "kernels")
    if kernels.ndim == 3:
        kernels = kernels.unsqueeze(1)
        if images.ndim == 4:
            images = images.mean(1, keepdim=True)
        elif images.ndim == 3:
            images = images.unsqueeze(1)
    if kernels.ndim != 4 or images.ndim != 4 or images.shape[1] != kernels.shape[1]:
        raise ValueError(f"kernels {tuple(kernels.shape)} and images {tuple(images.shape)} do not match: "
                         "use (n, C, k, k) with (N, C, H, W), or (n, k, k) with (N, H, W)")
    k = kernels.shape[-1]
    h, w = images.shape[-2:]
    if h < k or w < k:
        raise ValueError(f"images ({h}x{w}) are smaller than the kernels ({k}x{k})")
    top, left = (h - k) // 2, (w - k) // 2
    patch = _float(images)[..., top:top + k, left:left + k]
    return torch.einsum("nchw,uchw->nu", patch, _float(kernels).to(patch.dtype))


def pool_family(responses: torch.Tensor, how: str = "max", dim: int = -1) -> torch.Tensor:
    """Pool a family's responses over its members (axis ``dim``): ``"max"``, ``"sum"``, ``"mean"`` or ``"rms"``.

    If the family is equivariant (rotating the stimulus only permutes its members' responses), the
    pooled value does not change: an invariant unit built from an equivariant family.
    """
    if how == "max":
        return responses.amax(dim)
    if how == "sum":
        return responses.sum(dim)
    if how == "mean":
        return responses.mean(dim)
    if how == "rms":
        return responses.pow(2).mean(dim).sqrt()
    raise ValueError(f"how must be 'max', 'sum', 'mean' or 'rms', got {how!r}")


def invariance_ratio(responses: torch.Tensor, dim: int = 0) -> "float | torch.Tensor":
    """``min / max`` of responses over stimulus rotations (axis ``dim``): 1 = perfectly invariant.

    A 1-D input gives a float, otherwise one ratio per remaining entry. The maximum must be > 0.
    """
    r = _float(responses)
    hi, lo = r.amax(dim), r.amin(dim)
    if bool((hi <= 0).any()):
        raise ValueError("the largest response is <= 0, so min/max is undefined (rectify or pick a responsive unit)")
    ratio = lo / hi
    return float(ratio) if ratio.ndim == 0 else ratio


def invariant_weights(kernel: torch.Tensor, angles: Angles, *, mode: str = "bilinear") -> torch.Tensor:
    """``(1, n, k, k)``: weights from an equivariant family (member ``i`` at ``angles[i]``) into one invariant unit.

    Member ``i`` gets ``kernel`` rotated by ``angles[i]``: rotating the stimulus moves activity to the
    next member *and* rotates its map, so the unit sees the same pattern (exactly, for 90° steps).
    The dog-head "union" (4a oriented heads -> 4b:418) is the mirror version of this (docs/science.md §5).
    """
    _check_square(kernel)
    if kernel.ndim != 2:
        raise ValueError(f"kernel must be one (k, k) kernel, got shape {tuple(kernel.shape)}")
    return rotate_kernel(kernel, _angles(angles), mode=mode).unsqueeze(0)


def transpose_weights(W: torch.Tensor) -> torch.Tensor:
    """The transpose of conv weights ``(n_out, n_in, k, k)`` -> ``(n_in, n_out, k, k)``.

    Inputs and outputs swap and each kernel turns by 180° (the adjoint of a convolution correlates
    with the flipped kernel). The transpose of invariant -> equivariant weights (one unit feeding a
    rotated family, like the HF/LF factors -> 3a HF/LF detectors) is equivariant -> invariant weights,
    and vice versa (docs/science.md §8, "the same weight pattern transposed").
    """
    _check_square(W, "W")
    if W.ndim != 4:
        raise ValueError(f"W must be conv weights (n_out, n_in, k, k), got shape {tuple(W.shape)}")
    return torch.rot90(W.transpose(0, 1), 2, dims=(-2, -1))
