"""Synthetic stimuli for tuning curves: curves, lines, edges, high-low frequency images, rotations.

A student draws whole sweeps at once and feeds them to a model::

    imgs = curve_sweep(range(0, 360, 2), radii=[20, 40, 60])   # (3, 180, 3, 224, 224) in [0, 1]
    edges = edge(torch.arange(0, 360, 5.0))                    # (72, 3, 224, 224)
    hl = high_low([0, 180])                                    # texture on opposite sides
    spun = rotate(photo, torch.arange(0, 360, 10.0))           # (36, 3, 224, 224)

Every function returns float images ``(N, 3, S, S)`` with pixels in [0, 1]. Parameters accept a
number, a list or a 1-D tensor, and broadcast against each other, so a sweep is computed by **batched
tensor expressions over many images at once**, never a Python loop per image (curves go in
cache-sized chunks of images with reused buffers: about 2x faster than one call per image on a CPU
at 224 px, see benchmarks/bench_stimuli.py). Shapes are drawn from the (signed) distance to the shape
with a 1-pixel linear anti-aliasing ramp, so thin lines do not flicker as they turn.

**Angle convention** (all functions): angles are in degrees, counter-clockwise **as seen on the
screen**, 0° pointing right (+x). So 90° points up, towards row 0.

* :func:`curve`: the orientation is the direction in which the curve's convex side (the apex of its
  arc) points. A curve at 0° looks like ``)`` (bulging right), at 90° like ``∩``. The apex sits at the
  image centre (plus ``position``) for every radius; the circle's centre is ``radius`` pixels behind it.
* :func:`line`: the direction of the bar (0° horizontal, 90° vertical; θ and θ+180° are the same image).
* :func:`edge` and :func:`high_low`: the direction of the normal pointing into the foreground /
  high-frequency side, so θ and θ+180° swap the two sides.

The Circuits articles do not document their angle convention (docs/science.md §14: Lucid's renderer
adds an internal +90°, and two of the articles' data files differ by 180°). So only **relative**
angles (order, spacing, width, echo at +180°) transfer between this renderer and the articles' data.

The curve is the articles' "rounded corner" (docs/science.md §2.2): two straight arms joined by a
circular arc of ``radius`` pixels spanning ``angular_width`` degrees; ``radius=0`` gives a sharp
corner whose angle is ``180 - angular_width`` (a right angle by default).
"""
from __future__ import annotations

import math
from typing import Sequence, Union

import torch
import torch.nn.functional as F

from ._geometry import pixel_coords

__all__ = ["curve", "curve_sweep", "curve_distance", "line", "edge", "high_low", "rotate", "circle_mask",
           "pixel_coords"]

Number = Union[float, int]
Param = Union[Number, Sequence[Number], torch.Tensor]
Colour = Union[Number, Sequence[Number]]


# ----------------------------------------------------------------------------- helpers


def _params(*values: Param, device: "torch.device | str | None" = None) -> list[torch.Tensor]:
    """Numbers / lists / tensors -> float64 1-D tensors broadcast to a common length N."""
    out = []
    for v in values:
        t = torch.as_tensor(v, dtype=torch.float64)
        if t.ndim > 1:
            raise ValueError(f"stimulus parameters must be numbers or 1-D, got shape {tuple(t.shape)}")
        if t.numel() == 0:
            raise ValueError("a stimulus parameter is empty; give at least one value")
        out.append(t.reshape(-1).to("cpu"))
    try:
        out = list(torch.broadcast_tensors(*out))
    except RuntimeError as exc:
        lengths = [len(t) for t in out]
        raise ValueError(
            f"stimulus parameters have lengths {lengths}; each must have length 1 or the same N "
            "(use curve_sweep for an orientation x radius grid)"
        ) from exc
    return [t.to(device) if device is not None else t for t in out]


def _position(position: "Sequence[Param] | torch.Tensor") -> tuple[Param, Param]:
    if isinstance(position, torch.Tensor) and position.ndim == 2:
        if position.shape[1] != 2:
            raise ValueError(f"position must be (dx, dy) or an (N, 2) tensor, got shape {tuple(position.shape)}")
        return position[:, 0], position[:, 1]
    if len(position) != 2:  # type: ignore[arg-type]
        raise ValueError(f"position must be (dx, dy) in pixels (y up), got {position!r}")
    return position[0], position[1]  # type: ignore[index]


def _rgb(colour: Colour, name: str) -> torch.Tensor:
    t = torch.as_tensor(colour, dtype=torch.float32).reshape(-1)
    if t.numel() == 1:
        t = t.repeat(3)
    if t.numel() != 3 or bool(((t < 0) | (t > 1)).any()):
        raise ValueError(f"{name} must be a grey level or an (r, g, b) triple in [0, 1], got {colour!r}")
    return t


def _paint(alpha: torch.Tensor, foreground: Colour, background: Colour) -> torch.Tensor:
    """(N, S, S) coverage in [0, 1] -> (N, 3, S, S) image: background + alpha * (foreground - background)."""
    fg = _rgb(foreground, "foreground").to(alpha.device, alpha.dtype)
    bg = _rgb(background, "background").to(alpha.device, alpha.dtype)
    return bg.view(1, 3, 1, 1) + alpha.unsqueeze(1) * (fg - bg).view(1, 3, 1, 1)


def _stroke(distance: torch.Tensor, thickness: torch.Tensor) -> torch.Tensor:
    """Coverage of a stroke ``thickness`` px wide around distance 0, with a 1-px linear ramp.

    For thickness >= 1 the coverage integrates to exactly ``thickness`` across a straight stroke.
    """
    return (thickness / 2 + 0.5 - distance).clamp_(0.0, 1.0)


def _local(size: int, theta_deg: torch.Tensor, dx: torch.Tensor, dy: torch.Tensor,
           device: "torch.device | str | None", dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Coordinates (N, S, S) in a frame whose +x axis points along ``theta`` and whose origin is (dx, dy)."""
    x, y = pixel_coords(size, device, dtype)
    rad = torch.deg2rad(theta_deg)
    c64, s64 = torch.cos(rad), torch.sin(rad)
    c = c64.to(device=x.device, dtype=dtype).view(-1, 1, 1)
    s = s64.to(device=x.device, dtype=dtype).view(-1, 1, 1)
    off_u = (dx * c64 + dy * s64).to(device=x.device, dtype=dtype).view(-1, 1, 1)
    off_v = (-dx * s64 + dy * c64).to(device=x.device, dtype=dtype).view(-1, 1, 1)
    u = torch.addcmul(y * s, x, c).sub_(off_u)  # (x - dx) cos + (y - dy) sin
    v = torch.addcmul(y * c, x, -s).sub_(off_v)  # -(x - dx) sin + (y - dy) cos
    return u, v


def _check_size(size: int) -> None:
    if not isinstance(size, int) or size < 2:
        raise ValueError(f"size must be an int >= 2 (pixels per side), got {size!r}")


# ----------------------------------------------------------------------------- curves


class _Scratch:
    """Reusable (n, S, S) work buffers for curves.

    Every elementwise step writes into one of these (``out=`` / in-place), so a sweep allocates its
    memory once instead of once per operation; fresh multi-megabyte tensors cost page faults that can
    dominate the arithmetic on a CPU.
    """

    def __init__(self, n: int, size: int, device: "torch.device | str | None", dtype: torch.dtype) -> None:
        self.f = [torch.empty(n, size, size, device=device, dtype=dtype) for _ in range(5)]
        self.b = [torch.empty(n, size, size, device=device, dtype=torch.bool) for _ in range(3)]

    def take(self, n: int) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        return [t[:n] for t in self.f], [t[:n] for t in self.b]


def _curve_params(orientation: Param, radius: Param, angular_width: Param,
                  position: "Sequence[Param] | torch.Tensor", arm_length: "Param | None",
                  thickness: Param) -> list[torch.Tensor]:
    """Checked, broadcast float64 parameters: theta, r, width, dx, dy, thickness[, arm_length]."""
    px, py = _position(position)
    values = [orientation, radius, angular_width, px, py, thickness]
    if arm_length is not None:
        values.append(arm_length)
    out = _params(*values)
    r, width, th = out[1], out[2], out[5]
    if bool((r < 0).any()):
        raise ValueError("radius must be >= 0 pixels (0 draws a sharp corner)")
    if bool(((width <= 0) | (width > 180)).any()):
        raise ValueError("angular_width must be in (0, 180] degrees (90 = the articles' quarter-circle curves)")
    if bool((th <= 0).any()):
        raise ValueError("thickness must be > 0 pixels")
    if arm_length is not None and bool((out[6] < 0).any()):
        raise ValueError("arm_length must be >= 0 pixels (or None for arms reaching the image edge)")
    return out


def _curve_field(size: int, p: list[torch.Tensor], mode: str, scratch: _Scratch,
                 device: "torch.device | str | None", dtype: torch.dtype) -> torch.Tensor:
    """Distance ("unsigned"), signed distance ("signed") or coverage ("line" / "fill") of n curves, (n, S, S).

    Work in the frame of the circle's centre, with the mirror-symmetric half folded over (|v|): points
    in the arc's wedge are nearest to the arc, all others to the straight arm that leaves the arc's end
    along its tangent. The result lives in a scratch buffer.
    """
    theta, r, width, dx, dy, th = p[:6]
    length = p[6] if len(p) > 6 else None
    n = len(theta)
    (U, V, H, T, W), (M, A, B) = scratch.take(n)
    x, y = pixel_coords(size, device, dtype)
    dev = x.device

    def col(t: torch.Tensor) -> torch.Tensor:
        return t.to(device=dev, dtype=dtype).view(-1, 1, 1)

    rad = torch.deg2rad(theta)
    c64, s64 = torch.cos(rad), torch.sin(rad)
    cx, cy = dx - r * c64, dy - r * s64  # the circle's centre sits `r` behind the apex
    c, s = col(c64), col(s64)
    torch.mul(x, c, out=U).addcmul_(y.expand_as(U), s).sub_(col(cx * c64 + cy * s64))  # along the orientation
    torch.mul(y, c, out=V).addcmul_(x.expand_as(V), -s).sub_(col(cy * c64 - cx * s64)).abs_()  # |across|
    beta = torch.deg2rad(width / 2)
    rr, cb, sb = col(r), col(torch.cos(beta)), col(torch.sin(beta))
    torch.mul(U, sb, out=W).addcmul_(V, -cb)
    torch.ge(W, 0, out=M)  # in the arc's wedge: |angle| <= beta  <=>  u sin b - v cos b >= 0
    torch.hypot(U, V, out=H)
    signed = mode in ("signed", "fill")
    if signed:
        torch.lt(H, rr, out=A)  # inside the circle
    # The arm leaves the arc's end e = r (cos b, sin b) along d = (-sin b, cos b); its outer normal is (cos b, sin b).
    U.sub_(rr * cb)
    V.sub_(rr * sb)
    if signed:
        torch.mul(U, cb, out=W).addcmul_(V, sb)
        torch.lt(W, 0, out=B)  # behind the arm's line
        torch.where(M, A, B, out=A)  # concave side
    torch.mul(V, cb, out=T).addcmul_(U, -sb).clamp_(min=0.0)  # position along the arm
    if length is not None:
        torch.minimum(T, col(length), out=T)
    U.addcmul_(T, sb)
    V.addcmul_(T, -cb)
    torch.hypot(U, V, out=T)  # distance to the arm
    H.sub_(rr).abs_()  # distance to the arc
    torch.where(M, H, T, out=H)
    if mode == "unsigned":
        return H
    if mode == "signed":
        torch.neg(H, out=W)
        return torch.where(A, W, H, out=H)
    if mode == "fill":  # coverage of the concave side, 1-px ramp across the curve
        torch.neg(H, out=W)
        torch.where(A, H, W, out=H)  # = -signed distance
        return H.add_(0.5).clamp_(0.0, 1.0)
    return H.neg_().add_(col(th / 2 + 0.5)).clamp_(0.0, 1.0)  # "line": see _stroke


def _auto_chunk(size: int, device: "torch.device | str | None") -> int:
    """Images per batched expression: about 0.5 M pixels on a CPU (the buffers stay in cache), 16 M on a GPU.

    Measured on a 2-core CPU: chunks of 10-40 images at 112 px run steadily; 80+ images ran 5-25x slower.
    """
    dev = torch.device(device) if device is not None else torch.device("cpu")
    budget = 2**24 if dev.type != "cpu" else 2**19
    return max(1, budget // (size * size))


def curve_distance(
    orientation: Param,
    radius: Param = 40.0,
    *,
    size: int = 224,
    angular_width: Param = 90.0,
    position: "Sequence[Param] | torch.Tensor" = (0.0, 0.0),
    arm_length: "Param | None" = None,
    signed: bool = True,
    device: "torch.device | str | None" = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Distance (N, S, S), in pixels, to the rounded-corner curve; with ``signed``, negative on the concave side.

    The geometry behind :func:`curve` (see its docstring for the parameters).
    """
    _check_size(size)
    p = _curve_params(orientation, radius, angular_width, position, arm_length, 1.0)
    scratch = _Scratch(len(p[0]), size, device, dtype)
    return _curve_field(size, p, "signed" if signed else "unsigned", scratch, device, dtype)


def _draw_curves(size: int, p: list[torch.Tensor], fill: bool, foreground: Colour, background: Colour,
                 out: torch.Tensor, chunk: int, device: "torch.device | str | None", dtype: torch.dtype) -> torch.Tensor:
    """Paint n curves into ``out`` (n, 3, S, S), ``chunk`` images per batched expression."""
    n = len(p[0])
    fg = _rgb(foreground, "foreground").to(out.device, dtype).view(1, 3, 1, 1)
    bg = _rgb(background, "background").to(out.device, dtype).view(1, 3, 1, 1)
    step = max(1, min(chunk, n))
    scratch = _Scratch(step, size, device, dtype)
    for i in range(0, n, step):  # a loop over chunks of many images, never over single images
        part = [t[i:i + step] for t in p]
        alpha = _curve_field(size, part, "fill" if fill else "line", scratch, device, dtype)
        torch.addcmul(bg, alpha.unsqueeze(1), fg - bg, out=out[i:i + step])
    return out


def curve(
    orientation: Param,
    radius: Param = 40.0,
    *,
    size: int = 224,
    thickness: Param = 3.0,
    angular_width: Param = 90.0,
    position: "Sequence[Param] | torch.Tensor" = (0.0, 0.0),
    arm_length: "Param | None" = None,
    fill: bool = False,
    foreground: Colour = 0.0,
    background: Colour = 1.0,
    chunk: int | None = None,
    device: "torch.device | str | None" = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Rounded-corner curves (N, 3, S, S): two straight arms joined by an arc, like the articles' stimuli.

    Args:
        orientation: degrees, counter-clockwise on screen, 0 = the convex side points right.
        radius: arc radius in pixels; 0 gives a sharp corner. The Curve Detectors article finds 3b curve
            units prefer radii around 60 px at 224 px (docs/science.md §2.2).
        thickness: line width in pixels (>= 1 for an accurate area).
        angular_width: degrees spanned by the arc (90 = quarter circle, arms at a right angle).
        position: ``(dx, dy)`` offset of the apex from the image centre, pixels, y up; or an (N, 2) tensor.
        arm_length: length of each straight arm in pixels; ``None`` = to the image edge.
        fill: paint the concave side (the region holding the circle's centre) instead of a line.
        foreground / background: grey level or (r, g, b) in [0, 1]: the line (or fill) and the rest.
        chunk: images per batched expression (memory / cache); default about 0.5 M pixels on a CPU.

    ``orientation``, ``radius``, ``thickness``, ``angular_width``, ``arm_length`` and the position
    components broadcast to N images, drawn as batched tensor expressions (no loop per image).
    """
    _check_size(size)
    p = _curve_params(orientation, radius, angular_width, position, arm_length, thickness)
    out = torch.empty(len(p[0]), 3, size, size, device=device, dtype=dtype)
    return _draw_curves(size, p, fill, foreground, background, out,
                        chunk or _auto_chunk(size, out.device), device, dtype)


def curve_sweep(
    orientations: Param,
    radii: Param = (20.0, 40.0, 60.0, 80.0, 100.0),
    *,
    chunk: int | None = None,
    **kwargs: object,
) -> torch.Tensor:
    """Every orientation at every radius: a (R, O, 3, S, S) tensor (radius-major); ``kwargs`` go to :func:`curve`.

    ``kwargs`` must be the same for every image (numbers, colours, a single ``(dx, dy)``); for
    per-image values call :func:`curve` directly. ``chunk`` as in :func:`curve`.
    """
    (o,) = _params(orientations)
    (r,) = _params(radii)
    rr, oo = torch.meshgrid(r, o, indexing="ij")
    out = curve(oo.reshape(-1), rr.reshape(-1), chunk=chunk, **kwargs)  # type: ignore[arg-type]
    return out.view(len(r), len(o), *out.shape[1:])


# ----------------------------------------------------------------------------- lines and edges


def line(
    orientation: Param,
    *,
    size: int = 224,
    thickness: Param = 3.0,
    length: "Param | None" = None,
    position: "Sequence[Param] | torch.Tensor" = (0.0, 0.0),
    foreground: Colour = 0.0,
    background: Colour = 1.0,
    device: "torch.device | str | None" = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Straight bars (N, 3, S, S) through the centre (+ ``position``) along ``orientation`` degrees.

    ``length`` in pixels gives a bar with round caps; ``None`` crosses the whole image.
    """
    _check_size(size)
    px, py = _position(position)
    theta, th, dx, dy = _params(orientation, thickness, px, py)
    if bool((th <= 0).any()):
        raise ValueError("thickness must be > 0 pixels")
    along, across = _local(size, theta, dx, dy, device, dtype)
    dist = across.abs()
    if length is not None:
        (ln,) = _params(length)
        over = (along.abs() - ln.to(device=along.device, dtype=dtype).view(-1, 1, 1) / 2).clamp(min=0.0)
        dist = torch.hypot(dist, over)
    return _paint(_stroke(dist, th.to(device=dist.device, dtype=dtype).view(-1, 1, 1)), foreground, background)


def edge(
    orientation: Param,
    *,
    size: int = 224,
    position: "Sequence[Param] | torch.Tensor" = (0.0, 0.0),
    foreground: Colour = 0.0,
    background: Colour = 1.0,
    device: "torch.device | str | None" = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Half-plane steps (N, 3, S, S): ``foreground`` on the side the direction ``orientation`` points to.

    The boundary passes through the centre (+ ``position``); θ and θ+180° swap the colours.
    """
    _check_size(size)
    px, py = _position(position)
    theta, dx, dy = _params(orientation, px, py)
    normal, _ = _local(size, theta, dx, dy, device, dtype)
    return _paint((0.5 + normal).clamp(0.0, 1.0), foreground, background)


# ----------------------------------------------------------------------------- high-low frequency


def _texture(u: torch.Tensor, v: torch.Tensor, period: float, kind: str, seed: int, n_waves: int) -> torch.Tensor:
    """Unit-variance texture of the given period, in the stimulus frame (so it turns with the stimulus)."""
    k = 2 * math.pi / period
    if kind == "grating":  # orthogonal cosines (a plaid), as in the frequency-edges article's factor stimuli
        return torch.cos(k * u) + torch.cos(k * v)
    gen = torch.Generator().manual_seed(seed)
    phi = torch.rand(n_waves, generator=gen, dtype=torch.float64) * 2 * math.pi
    psi = torch.rand(n_waves, generator=gen, dtype=torch.float64) * 2 * math.pi
    freq = k * (0.8 + 0.45 * torch.rand(n_waves, generator=gen, dtype=torch.float64))
    kx, ky = (freq * torch.cos(phi)).tolist(), (freq * torch.sin(phi)).tolist()
    # Sum of random-direction waves: band-limited, roughly isotropic noise. Each wave is drawn for all
    # images at once (a loop over the few waves, never over images, keeps memory at one image batch).
    total = torch.zeros_like(u)
    for a, b, c in zip(kx, ky, psi.tolist()):
        total += torch.cos(a * u + b * v + c)
    return total * math.sqrt(2.0 / n_waves)


def high_low(
    orientation: Param,
    *,
    size: int = 224,
    high_period: float = 4.0,
    low_period: float | None = 24.0,
    kind: str = "grating",
    contrast: float = 1.0,
    position: "Sequence[Param] | torch.Tensor" = (0.0, 0.0),
    seed: int = 0,
    n_waves: int = 24,
    device: "torch.device | str | None" = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Two-region images (N, 3, S, S): high-frequency texture on one side, low-frequency on the other.

    The boundary is a line through the centre (+ ``position``); the high-frequency side is the one the
    direction ``orientation`` points to, so θ and θ+180° swap the sides (docs/science.md §4.2). The
    whole image is a rigid rotation of the 0° image: the textures turn with the boundary.

    Args:
        high_period / low_period: wavelengths in pixels (``high_period >= 2``); their ratio is the
            articles' frequency ratio. ``low_period=None`` makes the low side flat grey.
        kind: ``"grating"`` (two orthogonal cosines) or ``"noise"`` (seeded band-limited noise).
        contrast: 1 maps the texture's +-2 standard deviations to [0, 1] (values are clipped).
    """
    _check_size(size)
    if kind not in ("grating", "noise"):
        raise ValueError(f"kind must be 'grating' or 'noise', got {kind!r}")
    if high_period < 2:
        raise ValueError(f"high_period must be >= 2 pixels (the Nyquist limit), got {high_period}")
    if low_period is not None and low_period <= high_period:
        raise ValueError(f"low_period ({low_period}) must be longer than high_period ({high_period}), or None")
    px, py = _position(position)
    theta, dx, dy = _params(orientation, px, py)
    u, v = _local(size, theta, dx, dy, device, dtype)
    hi = _texture(u, v, high_period, kind, seed, n_waves)
    lo = _texture(u, v, low_period, kind, seed + 1, n_waves) if low_period is not None else torch.zeros_like(u)
    alpha = (0.5 + u).clamp(0.0, 1.0)
    grey = (0.5 + 0.25 * contrast * (lo + alpha * (hi - lo))).clamp(0.0, 1.0)
    return grey.unsqueeze(1).expand(-1, 3, -1, -1).contiguous()


# ----------------------------------------------------------------------------- rotation


def circle_mask(size: int, device: "torch.device | str | None" = None, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(S, S) anti-aliased disc of radius S/2: 1 inside, 0 in the corners."""
    x, y = pixel_coords(size, device, dtype)
    return (size / 2 - torch.hypot(x, y) + 0.5).clamp(0.0, 1.0)


def rotate(
    images: torch.Tensor,
    angles: Param,
    *,
    mask: bool = True,
    fill: "Colour | None" = None,
    mode: str = "bilinear",
) -> torch.Tensor:
    """Rotate images counter-clockwise (on screen) about their centre by each angle, in one batched call.

    Args:
        images: (3, S, S) or (N, 3, S, S) in [0, 1] (square).
        angles: A angles in degrees.
        mask: keep only the inscribed disc (anti-aliased), so no rotation shows the source's corners
            or empty padding; the rest is ``fill``.
        fill: grey level or (r, g, b) for the masked/padded area; default each image's mean colour.
        mode: ``"bilinear"`` or ``"nearest"`` (``grid_sample`` modes).

    Returns:
        (A, 3, S, S) for a single image, else (N, A, 3, S, S).
    """
    single = images.ndim == 3
    x = images.unsqueeze(0) if single else images
    if x.ndim != 4 or x.shape[1] != 3 or x.shape[2] != x.shape[3]:
        raise ValueError(f"images must be (3, S, S) or (N, 3, S, S) and square, got {tuple(images.shape)}")
    n, _, s, _ = x.shape
    (a,) = _params(angles)
    rad = torch.deg2rad(a)
    c, sn = torch.cos(rad), torch.sin(rad)
    # affine_grid maps output coords (x right, y down) to input coords; this is R(-angle) in y-up coords.
    theta = torch.stack([torch.stack([c, -sn, torch.zeros_like(c)], -1),
                         torch.stack([sn, c, torch.zeros_like(c)], -1)], -2).to(x.device, x.dtype)
    k = len(a)
    if fill is None:
        fill_t = x.mean(dim=(2, 3), keepdim=True)  # (N, 3, 1, 1)
    else:
        fill_t = _rgb(fill, "fill").to(x.device, x.dtype).view(1, 3, 1, 1).expand(n, 3, 1, 1)
    src = (x - fill_t).unsqueeze(1).expand(n, k, 3, s, s).reshape(n * k, 3, s, s)
    grid = F.affine_grid(theta.repeat(n, 1, 1), [n * k, 3, s, s], align_corners=False)
    out = F.grid_sample(src, grid, mode=mode, padding_mode="zeros", align_corners=False)
    if mask:
        out = out * circle_mask(s, x.device, x.dtype)
    out = out.view(n, k, 3, s, s) + fill_t.unsqueeze(1)
    if bool(x.min() >= 0) and bool(x.max() <= 1) and bool((fill_t >= 0).all()) and bool((fill_t <= 1).all()):
        out.clamp_(0.0, 1.0)  # only float rounding can leave [0, 1] here
    return out[0] if single else out
