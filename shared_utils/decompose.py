"""Factor weights into a few interpretable pieces: NMF, one-sided NMF, SVD of |W|, taxonomy labels.

What a student does with it (docs/science.md §4.2, §6.2, §7, §9):

Usage::

    e = expanded_weights(model, "maxpool1", hf_lf_units)      # (15, 192, 5, 5)
    f = one_sided_nmf(e, 2)                                    # HF / LF factors of conv2d2
    f.channel[0].topk(5)                                       # the conv2d2 units of factor 0 (>= 0)
    f.coefficients.shape                                       # (15, 2, 5, 5): signed spatial maps
    s = svd_abs(direct_weights(model, "conv2d0", "conv2d1"))   # |W| of the first two layers
    plus, minus = singular_groups(s, 1, side="in")             # split by sign on vector 1 (the second)
    labels = taxonomy_labels("conv2d0")                        # 'Gabor Filters', 'Color Contrast', ...

**Axes.** Every function factors over one *channel* axis (default: the input-channel axis
``-3`` of a (..., C, H, W) weight tensor, or the last axis of a 2-D matrix). The result has
``channel`` factors ``(k, C)`` and ``coefficients`` shaped like the input with the channel axis
replaced by ``k``, so ``coefficients x channel`` (contracted over ``k``) rebuilds the input.

**One-sided NMF** (the articles' trick, science.md §9): channel factors are non-negative,
coefficients are signed. Like Lucid's notebook it runs ordinary NMF on the positive and negative
parts stacked on top of each other, then subtracts the two halves of the coefficients. It is
exact when no channel vector mixes excitation and inhibition of the same factor.

Everything is deterministic: scikit-learn's NMF with NNDSVDa initialisation and ``random_state=seed``;
factors are sorted by how much of the input they explain and each channel factor has unit L2 norm.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

__all__ = [
    "Factorisation",
    "nmf",
    "one_sided_nmf",
    "SVDResult",
    "svd_abs",
    "singular_order",
    "singular_groups",
    "taxonomy_labels",
]


@dataclass(frozen=True)
class Factorisation:
    """``input ~= contract(coefficients, channel)`` over the factor axis.

    ``channel``: (k, C), non-negative, unit L2 rows, factor 0 explains the most.
    ``coefficients``: the input's shape with the channel axis (``channel_dim``) replaced by k.
    ``relative_error``: ||input - reconstruction|| / ||input|| (Frobenius).
    """

    channel: torch.Tensor
    coefficients: torch.Tensor
    channel_dim: int
    relative_error: float

    def reconstruct(self) -> torch.Tensor:
        coeff = torch.movedim(self.coefficients, self.channel_dim, -1)
        return torch.movedim(coeff @ self.channel, -1, self.channel_dim)


def _as_numpy(x: "torch.Tensor | np.ndarray") -> tuple[np.ndarray, torch.dtype]:
    if isinstance(x, torch.Tensor):
        dtype = x.dtype if x.is_floating_point() else torch.float32
        return x.detach().to("cpu", torch.float64).numpy(), dtype
    arr = np.asarray(x, dtype=np.float64)
    return arr, torch.float32


def _channel_dim(ndim: int, channel_dim: int | None) -> int:
    if ndim < 2:
        raise ValueError(f"need at least a 2-D matrix to factor, got {ndim}-D")
    cd = (-3 if ndim >= 3 else -1) if channel_dim is None else channel_dim
    if not -ndim <= cd < ndim:
        raise ValueError(f"channel_dim {cd} is out of range for a {ndim}-D tensor")
    return cd % ndim


def _fit_nmf(x2d: np.ndarray, k: int, seed: int, max_iter: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.decomposition import NMF

    if not isinstance(k, int) or k < 1:
        raise ValueError(f"n_factors must be a positive int, got {k!r}")
    if k > min(x2d.shape):
        raise ValueError(f"n_factors={k} is more than the matrix allows ({x2d.shape[0]}x{x2d.shape[1]})")
    model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=max_iter, tol=1e-6)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Maximum number of iterations.*")
        a = model.fit_transform(x2d)
    return a, model.components_


def _normalise(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit-norm channel factors, sorted by the size of their contribution ||a_j|| ||b_j||."""
    norms = np.linalg.norm(b, axis=1)
    safe = np.where(norms > 0, norms, 1.0)
    b = b / safe[:, None]
    a = a * safe[None, :]
    order = np.argsort(-np.linalg.norm(a, axis=0), kind="stable")
    return a[:, order], b[order]


def _finish(x: np.ndarray, a: np.ndarray, b: np.ndarray, cd: int, dtype: torch.dtype) -> Factorisation:
    moved_shape = np.moveaxis(x, cd, -1).shape
    coeff = np.moveaxis(a.reshape(*moved_shape[:-1], a.shape[1]), -1, cd)
    recon = (a @ b).reshape(moved_shape)
    err = np.linalg.norm(recon - np.moveaxis(x, cd, -1)) / max(np.linalg.norm(x), 1e-300)
    return Factorisation(
        channel=torch.from_numpy(np.ascontiguousarray(b)).to(dtype),
        coefficients=torch.from_numpy(np.ascontiguousarray(coeff)).to(dtype),
        channel_dim=cd,
        relative_error=float(err),
    )


def nmf(
    x: "torch.Tensor | np.ndarray",
    n_factors: int,
    *,
    channel_dim: int | None = None,
    seed: int = 0,
    max_iter: int = 2000,
) -> Factorisation:
    """Plain NMF of a non-negative tensor (e.g. ``W.abs()`` or ``W.clamp(min=0)``).

    Both ``channel`` and ``coefficients`` are >= 0. For signed weights use :func:`one_sided_nmf`.
    """
    arr, dtype = _as_numpy(x)
    if np.any(arr < 0):
        raise ValueError(
            "plain NMF needs non-negative input; this has negative entries. Use one_sided_nmf(W, k) for "
            "signed weights, or nmf(W.abs(), k) to factor connection strengths."
        )
    cd = _channel_dim(arr.ndim, channel_dim)
    x2d = np.moveaxis(arr, cd, -1).reshape(-1, arr.shape[cd])
    a, b = _normalise(*_fit_nmf(x2d, n_factors, seed, max_iter))
    return _finish(arr, a, b, cd, dtype)


def one_sided_nmf(
    w: "torch.Tensor | np.ndarray",
    n_factors: int,
    *,
    channel_dim: int | None = None,
    seed: int = 0,
    max_iter: int = 2000,
) -> Factorisation:
    """NMF with non-negative channel factors and signed coefficients (science.md §9).

    Runs NMF on ``[max(X, 0); max(-X, 0)]`` (positive and negative parts as separate rows) and
    returns coefficients ``positive half - negative half``. ``X`` is ``w`` with its channel axis
    last, flattened to rows; e.g. expanded weights (units, C, 5, 5) give one row per unit and
    position, and ``coefficients`` (units, k, 5, 5) are each factor's signed spatial map per unit.
    """
    arr, dtype = _as_numpy(w)
    cd = _channel_dim(arr.ndim, channel_dim)
    x2d = np.moveaxis(arr, cd, -1).reshape(-1, arr.shape[cd])
    stacked = np.concatenate([np.maximum(x2d, 0), np.maximum(-x2d, 0)], axis=0)
    a2, b = _fit_nmf(stacked, n_factors, seed, max_iter)
    n = x2d.shape[0]
    a, b = _normalise(a2[:n] - a2[n:], b)
    return _finish(arr, a, b, cd, dtype)


# ----------------------------------------------------------------------------- SVD of |W|


@dataclass(frozen=True)
class SVDResult:
    """SVD of ``|W|`` arranged as (out units, in units): ``|W| ~= out_vectors @ diag(s) @ in_vectors.T``.

    ``in_vectors`` (n_in, r) place the *input* layer's units (the article's left singular
    vectors, science.md §6.2), ``out_vectors`` (n_out, r) the output layer's. Signs are fixed so
    each in-vector sums to >= 0.
    """

    in_vectors: torch.Tensor
    out_vectors: torch.Tensor
    singular_values: torch.Tensor
    matrix: torch.Tensor  # the (n_out, n_in) matrix that was decomposed


def svd_abs(w: "torch.Tensor | np.ndarray", *, center: bool = False) -> SVDResult:
    """SVD of the element-wise absolute weights, so excitation and inhibition count alike.

    ``w`` is (n_out, n_in) or a conv kernel (n_out, n_in, k, k), whose |W| is summed over space
    (a 1x1 conv like conv2d1's is just its 64x64 matrix). ``center=True`` subtracts each output
    unit's mean over input units first (a PCA of the input units, as Lucid's notebook sorts
    conv2d0 by the first PCA component of |conv2d1_w|).
    """
    t = torch.as_tensor(w).detach().to("cpu", torch.float64)
    if t.ndim == 4:
        t = t.abs().sum(dim=(-1, -2))
    elif t.ndim == 2:
        t = t.abs()
    else:
        raise ValueError(f"expected (n_out, n_in) or (n_out, n_in, k, k) weights, got shape {tuple(t.shape)}")
    m = t - t.mean(dim=1, keepdim=True) if center else t
    u, s, vh = torch.linalg.svd(m, full_matrices=False)
    v = vh.T
    sums = v.sum(dim=0)
    flip = torch.where(sums.abs() > 1e-12, torch.sign(sums),
                       torch.sign(v.gather(0, v.abs().argmax(dim=0, keepdim=True))[0]))
    flip = torch.where(flip == 0, torch.ones_like(flip), flip)
    return SVDResult(in_vectors=v * flip, out_vectors=u * flip, singular_values=s, matrix=t)


def _vector(result: SVDResult, component: int, side: Literal["in", "out"]) -> torch.Tensor:
    if side not in ("in", "out"):
        raise ValueError(f"side must be 'in' (input units) or 'out' (output units), got {side!r}")
    vecs = result.in_vectors if side == "in" else result.out_vectors
    if not 0 <= component < vecs.shape[1]:
        raise ValueError(f"component must be in 0..{vecs.shape[1] - 1}, got {component}")
    return vecs[:, component]


def singular_order(result: SVDResult, component: int = 0, side: Literal["in", "out"] = "in") -> torch.Tensor:
    """Unit indices sorted by their loading on singular vector ``component`` (largest first)."""
    return torch.argsort(_vector(result, component, side), descending=True, stable=True)


def singular_groups(
    result: SVDResult, component: int = 1, side: Literal["in", "out"] = "in"
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(positive, negative)`` unit indices by the sign of their loading on ``component`` (0-based).

    Component 0, the first singular vector, of |W| has one sign for every unit (roughly the average
    connection strength), so a split *by sign* needs component 1 (the second) or later, or a centred
    SVD (``svd_abs(w, center=True)``). The article's colour vs black-and-white separation lies along
    its first singular vector, "Singular Vector 0", in its figures of the tf-slim and Places365
    InceptionV1s, not Lucid's (science.md §6.2). Component-0 loadings of |W| share one sign, so such
    a separation is in their *size*: look for it by ranking units with :func:`singular_order`
    (component 0), not with this function.
    """
    v = _vector(result, component, side)
    return torch.nonzero(v >= 0).flatten(), torch.nonzero(v < 0).flatten()


# ----------------------------------------------------------------------------- taxonomy labels


def taxonomy_labels(
    layer: str, root: "str | os.PathLike[str] | None" = None, *, strict: bool = True, unlabelled: str = "(unlabelled)"
) -> list[str]:
    """The Early Vision group name of every channel of ``layer`` (science.md §7).

    For conv2d0..mixed3b every channel is in exactly one group. The mixed4a-4d files are partial
    working notes with overlaps and gaps: read them with ``strict=False`` (the first group listing
    a channel wins; channels in no group get ``unlabelled``).
    """
    from .data import taxonomy
    from .inception.names import layer_channels, resolve_layer

    canonical = resolve_layer(layer)
    n = layer_channels(canonical)
    labels: list[str | None] = [None] * n
    dupes: list[int] = []
    outside: list[int] = []
    for group in taxonomy(canonical, root=root):
        for u in group.units:
            if not 0 <= u < n:
                outside.append(u)
            elif labels[u] is None:
                labels[u] = group.name
            else:
                dupes.append(u)
    missing = [i for i, lab in enumerate(labels) if lab is None]
    if strict and (dupes or missing or outside):
        raise ValueError(
            f"the {canonical} taxonomy does not label every channel exactly once: "
            f"{len(dupes)} listed twice (e.g. {sorted(set(dupes))[:5]}), {len(missing)} missing "
            f"(e.g. {missing[:5]}), {len(outside)} out of range. The mixed4a-4d files are partial notes "
            "(science.md §7.1): pass strict=False to read them anyway."
        )
    return [lab if lab is not None else unlabelled for lab in labels]
