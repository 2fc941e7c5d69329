"""The one place that knows lucent's defects (docs/environment.md, docs/libraries.md §A.2).

* kornia 0.4.1 (lucent's pin) warns at import (``torch.jit.script`` deprecation): silenced here once.
* ``render_vis`` adds ~138 forward hooks to InceptionV1 on every call and never removes them:
  :func:`no_leaked_hooks` restores every module's hooks after the block, also on error.
* lucent defaults to ``redirected_ReLU=True``, which changes gradients: the course builds its
  model with plain ReLUs unless feature visualisation asks otherwise (see model.py).
* lucent 0.1.8 creates its image parameterisation and transform tensors on ``cuda:0`` whenever CUDA
  exists, which breaks a model on the CPU or on another GPU: :func:`lucent_on` moves them to the
  model's device for the duration of a block (one block at a time, so two threads never mix devices).
* lucent's InceptionV1 computes its local response norms with ``F.local_response_norm``, which
  pads and pools a 5-D copy of the activations and is the slowest op of the early network on a CPU.
  :func:`fast_kernels` swaps in :func:`fast_lrn` (the same sums, as shifted slices) while a block
  runs, and :func:`fast_input` makes inputs channels-last, the layout the CPU and GPU convolution
  kernels prefer. Values equal lucent's to float32 round-off (tests/test_lucent.py).

Everything else in the course imports lucent through this module.
"""
from __future__ import annotations

import contextlib
import sys
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

__all__ = ["no_leaked_hooks", "hook_count", "objectives", "param", "render", "transform",
           "fast_kernels", "fast_input", "fast_lrn", "lucent_on", "FAST_KERNELS"]

#: Use :func:`fast_lrn` and channels-last inputs (tests switch this off to compare with lucent bit for bit).
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


# ----------------------------------------------------------------------------- faster kernels

_swap_lock = threading.Lock()
_swap_users: dict[str, int] = {}


def fast_lrn(x: torch.Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> torch.Tensor:
    """``F.local_response_norm`` for (N, C, H, W), summing the channel window as ``size`` shifted slices.

    ``b_c = a_c / (k + alpha/size * sum_{c' in window(c)} a_c'^2)^beta``; the window is
    ``c - size//2 .. c + (size-1)//2``, clipped at the ends (zero padding), as in torch. With
    channels-last input the slices are along the innermost dimension: a few cheap additions instead
    of torch's padded 5-D average pool.
    """
    if x.dim() != 4 or size < 1:
        return F.local_response_norm(x, size, alpha, beta, k)
    c = x.shape[1]
    squares = F.pad((x * x).permute(0, 2, 3, 1), (size // 2, (size - 1) // 2))  # (N, H, W, C + size - 1)
    total = squares[..., :c]
    for i in range(1, size):
        total = total + squares[..., i:i + c]
    d = total.permute(0, 3, 1, 2) * (alpha / size) + k
    return x * (torch.rsqrt(d) if beta == 0.5 else d.pow(-beta))


class _FastFunctional:
    """``torch.nn.functional`` with :func:`fast_lrn`; everything else passes through."""

    local_response_norm = staticmethod(fast_lrn)

    def __getattr__(self, name: str):
        return getattr(F, name)


@contextlib.contextmanager
def fast_kernels(model: nn.Module) -> Iterator[None]:
    """While inside, lucent's model code uses :func:`fast_lrn` (its forward calls ``F.local_response_norm``).

    Safe across threads and when nested: the module is patched by the first block to enter and
    restored by the last one to leave. Models not built by lucent are left alone.
    """
    name = type(model).__module__
    module = sys.modules.get(name)
    if not FAST_KERNELS or module is None or not name.startswith("lucent.") or not isinstance(
            getattr(module, "F", None), (type(F), _FastFunctional)):
        yield
        return
    with _swap_lock:
        if _swap_users.get(name, 0) == 0:
            module.F = _FastFunctional()  # type: ignore[attr-defined]
        _swap_users[name] = _swap_users.get(name, 0) + 1
    try:
        yield
    finally:
        with _swap_lock:
            _swap_users[name] -= 1
            if _swap_users[name] == 0:
                module.F = F  # type: ignore[attr-defined]


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
