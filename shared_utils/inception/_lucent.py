"""The one place that knows lucent's defects (torch-lucent 0.1.8, its last release, 2021;
https://github.com/greentfrapp/lucent).

* kornia 0.4.1 (lucent's pin) warns at import (``torch.jit.script`` deprecation): silenced here once.
* ``render_vis`` adds ~138 forward hooks to InceptionV1 on every call and never removes them:
  :func:`no_leaked_hooks` restores every module's hooks after the block, also on error.
* lucent defaults to ``redirected_ReLU=True``, which changes gradients: the course builds its
  model with plain ReLUs unless feature visualisation asks otherwise (see model.py).
* lucent 0.1.8 creates its image parameterisation and transform tensors on ``cuda:0`` whenever CUDA
  exists (greentfrapp/lucent#40), which breaks a model on the CPU or on another GPU:
  :func:`lucent_on` moves them to the model's device for the duration of a block (one block at a
  time, so two threads never mix devices).
* **lucent's InceptionV1 gets both local response norms wrong** (lucent issue/PR #51, open since 2024).
  Its forward calls ``F.local_response_norm(x, size=9, alpha=1e-4, beta=0.5, k=1)``; the TensorFlow
  graph the weights come from ("inception5h") has ``depth_radius=5, alpha=1e-4, beta=0.5, bias=2``:
  TF sums the squares of the 11 channels ``d-5 .. d+5`` and does not divide alpha by the window, so
  ``out = x / (2 + 1e-4 * sum)**0.5``. (PyTorch's equivalent is ``size=11, alpha=11e-4, k=2``, as
  captum.optim uses.) With the real weights every activation from ``conv2d1`` on differs from the
  articles' model. The course's model (:func:`build_inceptionv1`) computes Lucid's LRN
  (:func:`lucid_lrn`); lucent's values stay reachable only as ``lrn="lucent"``, for comparison.
  A model built by lucent itself is left exactly as lucent makes it.
* Speed: the LRN sums its channel window as shifted slices (:func:`fast_lrn`, :func:`lucid_lrn`)
  instead of torch's padded 5-D average pool, the slowest op of the early network on a CPU, and
  :func:`fast_input` makes inputs channels-last, the layout the convolution kernels prefer. Values
  equal torch's formula to float32 round-off (tests/inception/test_lucent.py).

Everything else in the course imports lucent through this module.
"""
from __future__ import annotations

import contextlib
import contextvars
import importlib
import threading
import warnings
from collections import OrderedDict
from typing import Iterator

import torch
import torch.nn.functional as F
from torch import nn

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import kornia  # noqa: F401
    import lucent  # noqa: F401
    from lucent.optvis import objectives, param, render, transform  # noqa: F401

__all__ = ["no_leaked_hooks", "hook_count", "objectives", "param", "render", "transform", "InceptionV1",
           "build_inceptionv1", "lrn_of", "lucid_lrn", "fast_lrn", "fast_input", "lucent_on", "FAST_KERNELS",
           "LUCID_LRN", "LUCENT_LRN", "LRN_MODES"]

#: Shifted-slice LRN sums and channels-last inputs (tests switch this off to compare with torch's own kernels).
FAST_KERNELS = True


def hook_count(model: nn.Module) -> int:
    """Total forward (pre-)hooks on a model and its submodules."""
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


@contextlib.contextmanager
def no_leaked_hooks(model: nn.Module) -> Iterator[None]:
    """Whatever hooks code inside the block adds to ``model`` are gone when it ends."""
    saved = {m: (OrderedDict(m._forward_hooks), OrderedDict(m._forward_pre_hooks)) for m in model.modules()}
    try:
        yield
    finally:
        for m, (fwd, pre) in saved.items():
            m._forward_hooks.clear()
            m._forward_hooks.update(fwd)
            m._forward_pre_hooks.clear()
            m._forward_pre_hooks.update(pre)


# ----------------------------------------------------------------------------- local response norms

#: Lucid's LRN, read off the "inception5h" TF graph's LocalResponseNormalization nodes (both layers).
LUCID_LRN = {"depth_radius": 5, "alpha": 9.99999974738e-05, "beta": 0.5, "bias": 2.0}
#: What lucent 0.1.8's forward passes to ``F.local_response_norm`` (both layers): torch's
#: ``size, alpha, beta, k``. Kept only so ``lrn="lucent"`` can reproduce lucent for comparison.
LUCENT_LRN = {"size": 9, "alpha": 9.99999974738e-05, "beta": 0.5, "k": 1.0}
#: The choices for ``build_inceptionv1(lrn=...)``.
LRN_MODES = ("lucid", "lucent")

_lrn_mode: "contextvars.ContextVar[str | None]" = contextvars.ContextVar("zoom_in_lrn_mode", default=None)


def _window_sum(squares: torch.Tensor, before: int, after: int) -> torch.Tensor:
    """Sum over the channel window ``c - before .. c + after`` (zero padding), as shifted slices."""
    c = squares.shape[1]
    padded = F.pad(squares.permute(0, 2, 3, 1), (before, after))  # (N, H, W, C + window - 1)
    total = padded[..., :c]
    for i in range(1, before + after + 1):
        total = total + padded[..., i:i + c]
    return total.permute(0, 3, 1, 2)


def fast_lrn(x: torch.Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> torch.Tensor:
    """``F.local_response_norm`` for (N, C, H, W), summing the channel window as ``size`` shifted slices.

    ``b_c = a_c / (k + alpha/size * sum_{c' in window(c)} a_c'^2)^beta``; the window is
    ``c - size//2 .. c + (size-1)//2``, clipped at the ends (zero padding), as in torch. With
    channels-last input the slices are along the innermost dimension: a few cheap additions instead
    of torch's padded 5-D average pool.
    """
    if x.dim() != 4 or size < 1 or not FAST_KERNELS:
        return F.local_response_norm(x, size, alpha, beta, k)
    d = _window_sum(x * x, size // 2, (size - 1) // 2) * (alpha / size) + k
    return x * (torch.rsqrt(d) if beta == 0.5 else d.pow(-beta))


def lucid_lrn(x: torch.Tensor, depth_radius: int = 5, alpha: float = LUCID_LRN["alpha"], beta: float = 0.5,
              bias: float = 2.0) -> torch.Tensor:
    """TensorFlow's ``tf.nn.local_response_normalization``, which Lucid's InceptionV1 uses.

    ``sqr_sum[d] = sum(x[d - r : d + r + 1] ** 2)`` over channels (clipped at the ends) and
    ``out = x / (bias + alpha * sqr_sum) ** beta``: alpha is *not* divided by the window, unlike
    torch's ``F.local_response_norm`` (whose exact equivalent is ``size=2r+1, alpha=alpha*(2r+1), k=bias``).
    """
    if x.dim() != 4 or not FAST_KERNELS:
        n = 2 * depth_radius + 1
        return F.local_response_norm(x, n, alpha * n, beta, bias)
    d = _window_sum(x * x, depth_radius, depth_radius) * alpha + bias
    return x * (torch.rsqrt(d) if beta == 0.5 else d.pow(-beta))


class _InceptionFunctional:
    """``torch.nn.functional`` as lucent's InceptionV1 module sees it; only the LRN is intercepted.

    Inside the forward of a model from :func:`build_inceptionv1` (which sets the mode), the LRN is
    Lucid's (or lucent's, with ``lrn="lucent"``); anywhere else it is torch's, so a model built by
    lucent itself computes exactly what lucent computes.
    """

    @staticmethod
    def local_response_norm(x: torch.Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                            k: float = 1.0) -> torch.Tensor:
        mode = _lrn_mode.get()
        if mode is None:
            return F.local_response_norm(x, size, alpha, beta, k)
        if (size, beta, k) != (LUCENT_LRN["size"], LUCENT_LRN["beta"], LUCENT_LRN["k"]) or abs(alpha - 1e-4) > 1e-9:
            raise RuntimeError(
                f"lucent's InceptionV1 called local_response_norm(size={size}, alpha={alpha}, beta={beta}, k={k}), "
                f"not the parameters the course corrects ({LUCENT_LRN}): this lucent version is not the 0.1.8 "
                "the course was built for. Install torch-lucent==0.1.8 (see requirements.txt).")
        if mode == "lucid":
            return lucid_lrn(x, **LUCID_LRN)
        return fast_lrn(x, size, alpha, beta, k)

    def __getattr__(self, name: str):
        return getattr(F, name)


# lucent's InceptionV1 module reads ``F`` at call time: give it one whose LRN follows the mode above.
_LUCENT_INCEPTION = importlib.import_module("lucent.modelzoo.inceptionv1.InceptionV1")
if type(_LUCENT_INCEPTION.F).__name__ != "_InceptionFunctional" and _LUCENT_INCEPTION.F is not F:  # pragma: no cover
    raise ImportError("lucent.modelzoo.inceptionv1.InceptionV1.F is not torch.nn.functional: something else "
                      "has patched lucent's InceptionV1; the course cannot guarantee Lucid's LRN.")
_LUCENT_INCEPTION.F = _InceptionFunctional()


class InceptionV1(_LUCENT_INCEPTION.InceptionV1):  # type: ignore[misc, name-defined]
    """lucent's InceptionV1 port, computing its two local response norms as Lucid's graph does.

    ``lrn="lucent"`` keeps lucent 0.1.8's (wrong) LRN parameters, for comparison only.
    """

    def __init__(self, *, redirected_relu: bool = False, lrn: str = "lucid") -> None:
        if lrn not in LRN_MODES:
            raise ValueError(f"lrn must be one of {LRN_MODES} ('lucid' is the real model; 'lucent' reproduces "
                             f"lucent 0.1.8's wrong LRN for comparison), not {lrn!r}")
        super().__init__(pretrained=False, redirected_ReLU=redirected_relu)
        self.lrn = lrn

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        token = _lrn_mode.set(self.lrn)
        try:
            return super().forward(x)
        finally:
            _lrn_mode.reset(token)


def build_inceptionv1(*, redirected_relu: bool = False, lrn: str = "lucid") -> nn.Module:
    """A randomly initialised InceptionV1 with Lucid's LRN (``lrn="lucent"``: lucent's, for comparison)."""
    return InceptionV1(redirected_relu=redirected_relu, lrn=lrn)


def lrn_of(model: nn.Module) -> str:
    """``"lucid"`` or ``"lucent"`` for a course model; ``"lucent"`` for lucent's own (uncorrected) model."""
    return getattr(model, "lrn", "lucent")


def fast_input(x: torch.Tensor) -> torch.Tensor:
    """``x`` in channels-last layout on a CPU or CUDA device (unchanged elsewhere or with FAST_KERNELS off)."""
    if FAST_KERNELS and x.dim() == 4 and x.device.type in ("cpu", "cuda"):
        return x.contiguous(memory_format=torch.channels_last)
    return x


# ----------------------------------------------------------------------------- lucent's device

_device_lock = threading.RLock()


@contextlib.contextmanager
def lucent_on(device: torch.device) -> Iterator[None]:
    """Make lucent's parameterisation and transforms create their tensors on ``device``.

    The block holds a lock, so a second thread (the neuron explorer rendering in the background)
    waits for it instead of finding lucent pointed at another device.
    """
    with _device_lock:
        spatial, color, tf = param.spatial, param.color, transform
        saved = (spatial.device, tf.device, color._linear_decorrelate_color)
        matrix = torch.tensor(color.color_correlation_normalized.T, device=device)

        def decorrelate(t: torch.Tensor) -> torch.Tensor:
            return (t.permute(0, 2, 3, 1) @ matrix).permute(0, 3, 1, 2)

        spatial.device = tf.device = device
        color._linear_decorrelate_color = decorrelate
        try:
            yield
        finally:
            spatial.device, tf.device, color._linear_decorrelate_color = saved
