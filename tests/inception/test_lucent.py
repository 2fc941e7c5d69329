"""The thin layer over lucent's defects: Lucid's LRN, faster kernels equal to torch's, thread safety.

References: TensorFlow's documented LRN formula in NumPy (values and a hand-derived gradient),
``torch.nn.functional.local_response_norm`` (what lucent's InceptionV1 calls), and a plain full
forward with torch's own kernels.
"""
from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from shared_utils.inception import _lucent
from shared_utils.activations import capture
from shared_utils.inception.model import load_inceptionv1, preprocess, weights_digest, weights_label


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


# ----------------------------------------------------------------------------- Lucid's LRN
# Reference: TensorFlow's documented formula for tf.nn.local_response_normalization, written in NumPy:
#   sqr_sum[d] = sum(x[d - r : d + r + 1] ** 2)      (channels, clipped at the ends)
#   out[d]     = x[d] / (bias + alpha * sqr_sum[d]) ** beta
# with the inception5h graph's values r = 5, alpha = 1e-4, beta = 0.5, bias = 2.

TF = dict(r=5, alpha=9.99999974738e-05, beta=0.5, bias=2.0)


def _tf_lrn_np(x: np.ndarray, r: int, alpha: float, beta: float, bias: float) -> tuple[np.ndarray, np.ndarray]:
    """TF's LRN over axis 1 of an (N, C, H, W) array, and D = bias + alpha * sqr_sum."""
    c = x.shape[1]
    sqr_sum = np.zeros_like(x)
    for d in range(c):
        lo, hi = max(0, d - r), min(c, d + r + 1)
        sqr_sum[:, d] = (x[:, lo:hi] ** 2).sum(axis=1)
    D = bias + alpha * sqr_sum
    return x / D ** beta, D


def _tf_lrn_vjp_np(x: np.ndarray, g: np.ndarray, r: int, alpha: float, beta: float, bias: float) -> np.ndarray:
    """Gradient of sum(g * out) with respect to x, derived by hand:
    d out_d / d x_i = [i == d] D_d^-beta - 2 alpha beta x_d x_i D_d^(-beta-1) [|i - d| <= r]."""
    _, D = _tf_lrn_np(x, r, alpha, beta, bias)
    c = x.shape[1]
    t = g * x * D ** (-beta - 1)
    grad = g * D ** -beta
    for i in range(c):
        lo, hi = max(0, i - r), min(c, i + r + 1)
        grad[:, i] -= 2 * alpha * beta * x[:, i] * t[:, lo:hi].sum(axis=1)
    return grad


@pytest.mark.parametrize("channels", [64, 192, 11, 7, 1])  # conv2d0's and conv2d2's widths; fewer than the window
@pytest.mark.parametrize("fast", [True, False])
def test_lucid_lrn_is_tensorflows_formula(channels: int, fast: bool, monkeypatch) -> None:
    """Values and gradients equal the NumPy reference, first and last channels included."""
    monkeypatch.setattr(_lucent, "FAST_KERNELS", fast)
    gen = torch.Generator().manual_seed(channels)
    # activations of the size the early layers have (up to a few hundred): the window sums matter
    x = (60 * torch.randn(2, channels, 5, 4, generator=gen, dtype=torch.float64)).requires_grad_(True)
    got = _lucent.lucid_lrn(x)
    want, _ = _tf_lrn_np(x.detach().numpy(), **TF)
    np.testing.assert_allclose(got.detach().numpy(), want, rtol=1e-12, atol=1e-12)
    g = torch.randn(got.shape, generator=gen, dtype=torch.float64)
    (grad,) = torch.autograd.grad(got, x, g)
    np.testing.assert_allclose(grad.numpy(), _tf_lrn_vjp_np(x.detach().numpy(), g.numpy(), **TF), rtol=1e-9, atol=1e-12)
    edges = [0, channels - 1]
    np.testing.assert_allclose(got.detach().numpy()[:, edges], want[:, edges], rtol=1e-12)


def test_the_reference_tells_lucents_lrn_apart() -> None:
    """The NumPy reference is not satisfied by lucent's parameters: the test above can fail."""
    x = 60 * torch.randn(2, 64, 5, 4, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    want, _ = _tf_lrn_np(x.numpy(), **TF)
    lucent = F.local_response_norm(x, **_lucent.LUCENT_LRN).numpy()
    assert not np.allclose(lucent, want, rtol=1e-3), "lucent's LRN must differ from TF's"
    assert np.abs(lucent - want).max() > 0.1 * np.abs(want).max()
    # torch's exact equivalent of TF's LRN: size 2r+1, alpha multiplied by the window, k = bias
    torch_equivalent = F.local_response_norm(x, size=11, alpha=11 * TF["alpha"], beta=0.5, k=2.0).numpy()
    np.testing.assert_allclose(torch_equivalent, want, rtol=1e-12)


class _Stop(Exception):
    pass


def _lrn_io(model: torch.nn.Module, x: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(input, output) of both LRNs of a whole forward: maxpool0 -> conv2d1's conv, conv2d2 -> maxpool1."""
    seen: dict[str, torch.Tensor] = {}

    def out(name):
        return lambda _m, _i, o: seen.__setitem__(name, o.detach().clone())

    def inp(name):
        return lambda _m, i: seen.__setitem__(name, i[0].detach().clone())

    def stop(_m, i):
        seen["lrn1 out padded"] = i[0].detach().clone()
        raise _Stop

    hooks = [model.maxpool0.register_forward_hook(out("lrn0 in")),
             model.conv2d1_pre_relu_conv.register_forward_pre_hook(inp("lrn0 out")),
             model.conv2d2.register_forward_hook(out("lrn1 in")),
             model.maxpool1.register_forward_pre_hook(stop)]
    try:
        with torch.no_grad():
            model(_lucent.fast_input(preprocess(x)))
    except _Stop:
        pass
    finally:
        for h in hooks:
            h.remove()
    lrn1_out = seen["lrn1 out padded"][..., :-1, :-1]  # lucent pads by one row/column of -inf before the pool
    return [(seen["lrn0 in"], seen["lrn0 out"]), (seen["lrn1 in"], lrn1_out)]


def test_course_model_computes_lucids_lrn_in_both_layers(model) -> None:
    """The model every notebook uses: both LRNs of a real forward pass follow TF's formula."""
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    for i, (a, b) in enumerate(_lrn_io(model, x)):
        want, _ = _tf_lrn_np(a.double().numpy(), **TF)
        np.testing.assert_allclose(b.double().numpy(), want, rtol=2e-5, atol=1e-5 * np.abs(want).max(),
                                   err_msg=f"localresponsenorm{i}")


def test_lucents_lrn_only_on_request_and_lucents_own_model_untouched(model) -> None:
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    compare = load_inceptionv1("untrained", device="cpu", lrn="lucent")
    raw = _lucent._LUCENT_INCEPTION.InceptionV1(pretrained=False, redirected_ReLU=False).eval()
    raw.load_state_dict(model.state_dict())
    for m in (compare, raw):
        for i, (a, b) in enumerate(_lrn_io(m, x)):
            want = F.local_response_norm(a, **_lucent.LUCENT_LRN)
            torch.testing.assert_close(b, want, rtol=1e-5, atol=1e-5 * float(want.abs().max()))
            assert not torch.allclose(b, _lucent.lucid_lrn(a), rtol=1e-3), "lucent's values differ from Lucid's"
    assert "lucent's LRN" in weights_label(compare) and "lucent" not in weights_label(model)
    assert weights_digest(compare) != weights_digest(model), "cache keys must change with the LRN"
    with pytest.raises(ValueError, match="lrn must be one of"):
        load_inceptionv1("untrained", lrn="torch")


def test_lrn_mode_is_per_model_in_concurrent_threads(model) -> None:
    """A lucent-LRN model running in one thread never changes what the course model computes in another."""
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(4))
    compare = load_inceptionv1("untrained", device="cpu", lrn="lucent")
    want = {"lucid": capture(model, x, "conv2d2")["conv2d2"], "lucent": capture(compare, x, "conv2d2")["conv2d2"]}
    got: dict[str, list[torch.Tensor]] = {"lucid": [], "lucent": []}
    start = threading.Barrier(2)

    def run(name: str, m: torch.nn.Module) -> None:
        start.wait(5)
        for _ in range(4):
            got[name].append(capture(m, x, "conv2d2")["conv2d2"])

    threads = [threading.Thread(target=run, args=("lucid", model)), threading.Thread(target=run, args=("lucent", compare))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for name in want:
        assert len(got[name]) == 4
        for value in got[name]:
            torch.testing.assert_close(value, want[name])
    assert not torch.allclose(want["lucid"], want["lucent"])


def test_fast_kernels_give_the_plain_forward(model, monkeypatch) -> None:
    """The whole network with the fast kernels (LRN, channels-last) equals torch's own kernels."""
    x = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(3))
    with monkeypatch.context() as plain:
        plain.setattr(_lucent, "FAST_KERNELS", False)
        want = capture(model, x, ["conv2d2", "mixed3b", "mixed5b"])
    got = capture(model, x, ["conv2d2", "mixed3b", "mixed5b"])
    for name, a in want.items():
        assert got[name].is_contiguous(), "capture hands out ordinary (contiguous) tensors"
        torch.testing.assert_close(got[name], a, rtol=1e-4, atol=1e-5 * float(a.abs().max()))


def test_fast_input_leaves_other_layouts_alone(monkeypatch) -> None:
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
