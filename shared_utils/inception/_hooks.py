"""Forward hooks in one place: :func:`hooks` adds them for a ``with`` block and always removes them, and
:func:`run_to` records module outputs from a forward pass that stops as soon as it has them all.

Every truncated forward pass of the course (activations, feature visualisation, the scans of other
networks, verify) goes through :func:`run_to`.

>>> import torch
>>> net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
>>> out = run_to(net, torch.ones(1, 2), {"hidden": net[1]}, keep=lambda t: t.shape)
>>> out["hidden"], len(net[1]._forward_hooks)
(torch.Size([1, 3]), 0)
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Hashable, Iterable, Iterator, Mapping, TypeVar

import torch
from torch import nn

__all__ = ["hooks", "run_to", "StopForward"]

K = TypeVar("K", bound=Hashable)


class StopForward(Exception):
    """Raised from a hook once every output a pass needs has been seen: the rest of the forward is skipped."""


@contextmanager
def hooks(pairs: Iterable[tuple[nn.Module, Callable[..., Any]]]) -> Iterator[None]:
    """Forward hooks ``(module, hook)`` for the ``with`` block; removed on the way out, also on error.

    A hook that returns something other than None replaces the module's output (torch's rule): hooks
    that only record must return None.
    """
    handles = []
    try:
        for module, hook in pairs:
            handles.append(module.register_forward_hook(hook))
        yield
    finally:
        for handle in handles:
            handle.remove()


def run_to(model: nn.Module, x: Any, modules: "Mapping[K, nn.Module]", *,
           keep: "Callable[[torch.Tensor], Any]" = lambda out: out) -> "dict[K, Any]":
    """``{key: keep(output of modules[key])}`` from ``model(x)``, stopped once every module has run.

    A module that runs twice keeps its first output. Modules the forward never reaches are missing from
    the result (the caller says what that means). Gradient mode is the caller's (``torch.no_grad()``).
    """
    seen: dict[K, Any] = {}
    wanted = len(modules)

    def hook_for(key: K) -> Callable[..., None]:
        def hook(_module: nn.Module, _inputs: object, output: torch.Tensor) -> None:
            if key not in seen:
                seen[key] = keep(output)
            if len(seen) == wanted:
                raise StopForward

        return hook

    with hooks((module, hook_for(key)) for key, module in modules.items()):
        try:
            model(x)
        except StopForward:
            pass
    return seen
