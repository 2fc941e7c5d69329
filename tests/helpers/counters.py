"""Counting forward calls in tests: how many times a module ran inside a ``with`` block."""
from __future__ import annotations

import torch


class CallCounter:
    """Counts calls of ``module`` (a forward pre-hook) while the ``with`` block runs; removes its hook on exit."""

    def __init__(self, module: torch.nn.Module):
        self.module, self.calls = module, 0

    def __enter__(self) -> "CallCounter":
        self.handle = self.module.register_forward_pre_hook(lambda *_: setattr(self, "calls", self.calls + 1))
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.remove()
