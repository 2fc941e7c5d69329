"""The thin layer over lucent's defects: faster kernels equal torch's, and global swaps are thread-safe.

References: ``torch.nn.functional.local_response_norm`` (what lucent's InceptionV1 calls) and a plain
full forward of the model with lucent's own kernels.
"""
from __future__ import annotations

import sys
import threading

import pytest
import torch
import torch.nn.functional as F

from shared_utils import _lucent
from shared_utils.activations import capture
from shared_utils.model import preprocess


@pytest.mark.parametrize("channels, size, beta", [
    (64, 9, 0.5), (192, 9, 0.5),  # lucent's InceptionV1: size 9, beta 0.5
    (64, 5, 0.75), (7, 5, 0.75), (3, 5, 0.5), (10, 4, 0.75), (16, 1, 0.75), (5, 9, 0.6)])
def test_fast_lrn_equals_torch(channels: int, size: int, beta: float) -> None:
    """Same values and gradients as torch's LRN, also for even windows and fewer channels than the window."""
    gen = torch.Generator().manual_seed(channels * 10 + size)
    x = (20 * torch.randn(2, channels, 6, 5, generator=gen, dtype=torch.float64)).requires_grad_(True)
    args = dict(size=size, alpha=1e-2, beta=beta, k=2.0)  # a large alpha: the window sums matter
    want = F.local_response_norm(x, **args)
    got = _lucent.fast_lrn(x, **args)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
    g = torch.randn(want.shape, generator=gen, dtype=torch.float64)
    (want_grad,) = torch.autograd.grad(want, x, g)
    (got_grad,) = torch.autograd.grad(got, x, g)
    torch.testing.assert_close(got_grad, want_grad, rtol=1e-10, atol=1e-12)


def test_fast_lrn_channels_last_and_other_ranks() -> None:
    x = torch.rand(1, 32, 9, 9).contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(_lucent.fast_lrn(x, 5), F.local_response_norm(x, 5))
    three = torch.rand(2, 8, 11)  # not 4-D: torch's own
    torch.testing.assert_close(_lucent.fast_lrn(three, 3), F.local_response_norm(three, 3))


def test_fast_kernels_give_the_plain_forward(model, monkeypatch) -> None:
    """The whole network with the fast kernels (LRN, channels-last) equals lucent's plain forward."""
    x = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(3))
    with monkeypatch.context() as plain:
        plain.setattr(_lucent, "FAST_KERNELS", False)
        want = capture(model, x, ["conv2d2", "mixed3b", "mixed5b"])
    got = capture(model, x, ["conv2d2", "mixed3b", "mixed5b"])
    for name, a in want.items():
        assert got[name].is_contiguous(), "capture hands out ordinary (contiguous) tensors"
        torch.testing.assert_close(got[name], a, rtol=1e-4, atol=1e-5 * float(a.abs().max()))


def _lucent_module(model) -> object:
    return sys.modules[type(model).__module__]


def test_fast_kernels_restore_lucent_when_nested_or_failing(model) -> None:
    module = _lucent_module(model)
    assert module.F is F
    with _lucent.fast_kernels(model):
        assert module.F.local_response_norm is _lucent.fast_lrn
        with _lucent.fast_kernels(model):
            pass
        assert module.F.local_response_norm is _lucent.fast_lrn, "the inner block must not restore early"
    assert module.F is F
    with pytest.raises(RuntimeError):
        with _lucent.fast_kernels(model):
            raise RuntimeError("boom")
    assert module.F is F


def test_fast_kernels_overlapping_threads(model) -> None:
    """Thread A enters, B enters, A leaves (B still inside: still fast), B leaves: restored."""
    module = _lucent_module(model)
    a_in, b_in, a_out, b_may_leave = (threading.Event() for _ in range(4))
    seen: dict[str, object] = {}

    def thread_a() -> None:
        with _lucent.fast_kernels(model):
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def thread_b() -> None:
        a_in.wait(5)
        with _lucent.fast_kernels(model):
            b_in.set()
            a_out.wait(5)
            seen["while B inside, after A left"] = module.F.local_response_norm
            b_may_leave.wait(5)

    threads = [threading.Thread(target=thread_a), threading.Thread(target=thread_b)]
    for t in threads:
        t.start()
    a_out.wait(5)
    b_may_leave.set()
    for t in threads:
        t.join(10)
    assert seen["while B inside, after A left"] is _lucent.fast_lrn
    assert module.F is F


def test_fast_kernels_leave_other_models_alone(monkeypatch) -> None:
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3))
    module = sys.modules[type(net).__module__]
    before = getattr(module, "F", None)
    with _lucent.fast_kernels(net):
        assert getattr(module, "F", None) is before
    monkeypatch.setattr(_lucent, "FAST_KERNELS", False)
    x = torch.rand(1, 3, 4, 4)
    assert _lucent.fast_input(x) is x


def test_lucent_on_lets_one_thread_at_a_time_move_lucent() -> None:
    """A second thread's block waits until the first has put lucent's device back."""
    before = _lucent.param.spatial.device
    inside, second_started = threading.Event(), threading.Event()
    order: list[str] = []

    def first() -> None:
        with _lucent.lucent_on(torch.device("meta")):
            inside.set()
            second_started.wait(5)
            order.append(f"first still inside, lucent on {_lucent.param.spatial.device}")
            order.append("first leaving")

    def second() -> None:
        inside.wait(5)
        second_started.set()
        with _lucent.lucent_on(torch.device("cpu")):
            order.append(f"second inside, lucent on {_lucent.param.spatial.device}")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert order == ["first still inside, lucent on meta", "first leaving", "second inside, lucent on cpu"]
    assert _lucent.param.spatial.device == before


def test_preprocess_then_fast_input_is_a_layout_change_only() -> None:
    x = torch.rand(2, 3, 8, 8)
    y = _lucent.fast_input(preprocess(x))
    assert y.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(y, preprocess(x))
