"""The one place that knows lucent's defects (docs/environment.md, docs/libraries.md §A.2).

* kornia 0.4.1 (lucent's pin) warns at import (``torch.jit.script`` deprecation): silenced here once.
* ``render_vis`` adds ~138 forward hooks to InceptionV1 on every call and never removes them:
  :func:`no_leaked_hooks` restores every module's hooks after the block, also on error.
* lucent defaults to ``redirected_ReLU=True``, which changes gradients: the course builds its
  model with plain ReLUs unless feature visualisation asks otherwise (see model.py).

Everything else in the course imports lucent through this module.
"""
from __future__ import annotations

import contextlib
import warnings
from collections import OrderedDict
from typing import Iterator

from torch import nn

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import kornia  # noqa: F401
    import lucent  # noqa: F401
    from lucent.optvis import objectives, param, render, transform  # noqa: F401

__all__ = ["no_leaked_hooks", "hook_count", "objectives", "param", "render", "transform"]


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
