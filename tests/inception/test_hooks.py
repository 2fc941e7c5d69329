"""shared_utils.inception._hooks: the one truncated forward pass. It stops once it has what it needs, keeps the
first output of a module that runs twice, leaves the outputs alone, and never leaks a hook."""
from __future__ import annotations

import pytest
import torch
from helpers.counters import CallCounter
from torch import nn

from shared_utils.inception._hooks import hooks, run_to


def _net() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 5), nn.ReLU(inplace=False), nn.Linear(5, 3), nn.Linear(3, 2))


def test_the_pass_stops_after_the_last_module_it_needs() -> None:
    net, x = _net(), torch.randn(2, 4)
    with CallCounter(net[2]) as second, CallCounter(net[3]) as last:
        got = run_to(net, x, {"a": net[0], "b": net[2]})
    assert second.calls == 1 and last.calls == 0
    assert torch.equal(got["a"], net[0](x)) and torch.equal(got["b"], net[2](net[1](net[0](x))))
    assert all(not m._forward_hooks for m in net)


def test_keep_reduces_and_does_not_change_the_forward() -> None:
    net, x = _net(), torch.randn(2, 4)
    got = run_to(net, x, {"mid": net[1], "end": net[3]}, keep=lambda out: out.sum().item())
    assert got["end"] == pytest.approx(net(x).sum().item())


def test_a_module_run_twice_keeps_its_first_output() -> None:
    lin = nn.Linear(3, 3)
    twice = nn.Sequential(lin, lin)
    x = torch.randn(1, 3)
    assert torch.equal(run_to(twice, x, {"lin": lin})["lin"], lin(x))


def test_hooks_are_removed_when_the_forward_fails() -> None:
    net = _net()
    with pytest.raises(RuntimeError):
        run_to(net, torch.randn(2, 7), {"end": net[3]})  # wrong width: the first Linear fails
    with pytest.raises(ZeroDivisionError):
        with hooks([(net[0], lambda *_: None), (net[2], lambda *_: None)]):
            assert net[0]._forward_hooks and net[2]._forward_hooks
            1 / 0
    assert all(not m._forward_hooks for m in net)
