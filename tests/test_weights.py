"""Weights between neurons: the linearised network, expanded weights, circuit views, edits.

Every expected value is built independently of shared_utils.weights: by einsum / explicit kernel
composition from the conv parameters, by lucent's own forward pass with ReLU -> identity and
max-pool -> average pool, or analytically for small hand-made networks.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import pytest

from shared_utils import weights as W
from shared_utils.inception._lucent import hook_count
from shared_utils.activations import capture
from shared_utils.inception.graph import LinearGraph, LinearOp, linearised_forward

CURVES_3B = [379, 406, 385, 343, 342, 388, 324, 340, 330, 349]


# ----------------------------------------------------------------------------- independent references


def _w(model: nn.Module, conv: str) -> torch.Tensor:
    return getattr(model, f"{conv}_pre_relu_conv").weight.detach().double()


def block_kernels(model: nn.Module, block: str) -> torch.Tensor:
    """(C_out, C_in, 5, 5) linearised kernels of a whole mixed block over its input, by einsum."""
    one = _w(model, f"{block}_1x1")
    b3, k3 = _w(model, f"{block}_3x3_bottleneck")[:, :, 0, 0], _w(model, f"{block}_3x3")
    b5, k5 = _w(model, f"{block}_5x5_bottleneck")[:, :, 0, 0], _w(model, f"{block}_5x5")
    pr = _w(model, f"{block}_pool_reduce")[:, :, 0, 0]
    c_in = one.shape[1]
    parts = []
    k = torch.zeros(one.shape[0], c_in, 5, 5, dtype=torch.float64)
    k[:, :, 2, 2] = one[:, :, 0, 0]
    parts.append(k)
    k = torch.zeros(k3.shape[0], c_in, 5, 5, dtype=torch.float64)
    k[:, :, 1:4, 1:4] = torch.einsum("obhw,bi->oihw", k3, b3)
    parts.append(k)
    parts.append(torch.einsum("obhw,bi->oihw", k5, b5))
    k = torch.zeros(pr.shape[0], c_in, 5, 5, dtype=torch.float64)
    k[:, :, 1:4, 1:4] = (pr / 9.0)[:, :, None, None]
    parts.append(k)
    return torch.cat(parts)


def compose(outer: torch.Tensor, inner: torch.Tensor, stride: int = 1) -> torch.Tensor:
    """Kernel of ``outer`` applied after ``inner``: K[t] = sum_{stride*u + v = t} outer[u] @ inner[v].

    ``outer`` (O, M, a, a) lives on the grid of the middle layer, which is ``inner``'s output at
    ``stride``; ``inner`` (M, I, b, b). Both are centred; the result is centred, size stride*(a-1)+b.
    """
    a, b = outer.shape[-1], inner.shape[-1]
    size = stride * (a - 1) + b
    out = torch.zeros(outer.shape[0], inner.shape[1], size, size, dtype=torch.float64)
    for uy in range(a):
        for ux in range(a):
            contrib = torch.einsum("om,mihw->oihw", outer[:, :, uy, ux], inner)
            out[:, :, stride * uy:stride * uy + b, stride * ux:stride * ux + b] += contrib
    return out


def pad_to(k: torch.Tensor, size: int) -> torch.Tensor:
    p = (size - k.shape[-1]) // 2
    return F.pad(k, (p, p, p, p))


def crop(k: torch.Tensor, size: int) -> torch.Tensor:
    c = (k.shape[-1] - size) // 2
    return k[..., c:c + size, c:c + size]


def close(a: torch.Tensor, b: torch.Tensor, rtol: float = 1e-4) -> bool:
    a, b = a.double(), b.double()
    return torch.allclose(a, b, rtol=rtol, atol=rtol * float(b.abs().max()) + 1e-12)


# ----------------------------------------------------------------------------- the linearised graph


class _Stop(Exception):
    pass


class _AvgInsteadOfMax(nn.Module):
    """lucent's max-pool call signature, averaging instead (the -inf padding counts as 0)."""

    def forward(self, t, kernel_size=(3, 3), stride=(1, 1), padding=0, ceil_mode=False):
        return F.avg_pool2d(torch.nan_to_num(t, neginf=0.0), kernel_size, stride, padding, ceil_mode,
                            count_include_pad=True)


def test_linearised_forward_matches_lucent_graph_with_relu_identity_and_avg_pool(model):
    """lucent's own forward (ReLU -> identity, max -> avg, biases 0) from conv2d2 to mixed3b equals ours.

    The values are injected at maxpool1's input (after the LRN), so the comparison covers
    maxpool1, both mixed blocks with all their branches, concatenation order and all padding.
    """
    lin = W.edited_copy(model).double()
    for name, mod in list(lin.named_children()):
        if type(mod).__name__ in ("ReluLayer", "RedirectedReluLayer"):
            setattr(lin, name, nn.Identity())
        elif type(mod).__name__ == "MaxPool2dLayer":
            setattr(lin, name, _AvgInsteadOfMax())
        elif isinstance(mod, nn.Conv2d) and mod.bias is not None:
            with torch.no_grad():
                mod.bias.zero_()
    torch.manual_seed(0)
    x = torch.randn(1, 192, 24, 24, dtype=torch.float64)
    got: dict[str, torch.Tensor] = {}
    lin.maxpool1.register_forward_pre_hook(lambda m, args: (F.pad(x, (0, 1, 0, 1), value=float("-inf")),))

    def grab(_m, _i, out):
        got["mixed3b"] = out
        raise _Stop

    lin.mixed3b.register_forward_hook(grab)
    with pytest.raises(_Stop):
        lin(torch.zeros(1, 3, 96, 96, dtype=torch.float64))
    ours = linearised_forward(W.edited_copy(model).double(), x, "conv2d2", "mixed3b")
    assert ours.shape == got["mixed3b"].shape == (1, 480, 12, 12)
    assert close(ours, got["mixed3b"], 1e-10)


def test_expanded_weights_through_bottleneck_equal_kernel_product(model):
    """mixed3a -> mixed3b_5x5: exactly the 5x5 kernel times the 1x1 bottleneck (and the same for 3x3)."""
    w5 = model.mixed3b_5x5_pre_relu_conv.weight
    b5 = model.mixed3b_5x5_bottleneck_pre_relu_conv.weight[:, :, 0, 0]
    expected = torch.einsum("obhw,bi->oihw", w5, b5)
    got = W.expanded_weights(model, "mixed3a", "mixed3b_5x5")
    assert got.shape == (96, 256, 5, 5)
    assert close(got, expected)
    # one pair, and named units, give the same numbers
    pair = W.expanded_weights(model, "3a:147", "3b:379")
    assert pair.shape == (5, 5) and close(pair, expected[379 - 320, 147])
    one = W.expanded_weights(model, "mixed3a", "3b:379")
    assert one.shape == (256, 5, 5) and close(one, expected[59])
    # 3x3 branch, window 3
    w3 = model.mixed3b_3x3_pre_relu_conv.weight
    b3 = model.mixed3b_3x3_bottleneck_pre_relu_conv.weight[:, :, 0, 0]
    got3 = W.expanded_weights(model, "mixed3a", ["3b:128", "3b:200", "3b:319"], window=3)
    assert close(got3, torch.einsum("obhw,bi->oihw", w3, b3)[[0, 72, 191]])


def test_adjacent_layers_give_the_direct_kernel_zero_padded(model):
    k = model.conv2d2_pre_relu_conv.weight[100]
    e = W.expanded_weights(model, "conv2d1", "conv2d2:100")
    assert e.shape == (64, 5, 5)
    assert close(e, pad_to(k.double(), 5).float())
    assert torch.equal(W.direct_weights(model, "conv2d1", "conv2d2:100"), k)
    one = model.mixed3b_1x1_pre_relu_conv.weight[10, :, 0, 0]
    e1 = W.expanded_weights(model, "mixed3a", "3b:10")
    assert close(e1[:, 2, 2], one) and e1.abs().sum() == e1[:, 2, 2].abs().sum()


def test_pool_branch_is_its_1x1_weight_replicated_over_the_pool_window(model):
    w = model.mixed3b_pool_reduce_pre_relu_conv.weight[450 - 416, :, 0, 0]
    e = W.expanded_weights(model, "mixed3a", "3b:450")
    expected = torch.zeros(256, 5, 5)
    expected[:, 1:4, 1:4] = (w / 9)[:, None, None]
    assert close(e, expected)


def test_expanded_weights_across_a_whole_block_equal_composed_kernels(model):
    """maxpool1 -> mixed3b passes through all of mixed3a: compose the two blocks' kernels by hand."""
    units = [5, 130, 379, 450]  # one per branch of mixed3b
    k3a = block_kernels(model, "mixed3a")
    k3b = block_kernels(model, "mixed3b")[units]
    full = compose(k3b, k3a)  # (4, 192, 9, 9)
    got9 = W.expanded_weights(model, "maxpool1", [f"3b:{u}" for u in units], window=9)
    assert close(got9, full)
    got11 = W.expanded_weights(model, "maxpool1", [f"3b:{u}" for u in units], window=11)
    assert close(got11, pad_to(full, 11)) and got11[..., 0, :].abs().max() == 0
    got5 = W.expanded_weights(model, "maxpool1", "3b:379")
    assert close(got5, crop(full[2], 5))


def test_stride_two_pool_between_layers_puts_the_window_on_the_finer_grid(model):
    """conv2d2 -> mixed3a goes through maxpool1 (3x3, stride 2) linearised as an average."""
    units = [3, 100, 200, 240]
    k3a = block_kernels(model, "mixed3a")[units]
    box = torch.full((192, 192, 3, 3), 0.0, dtype=torch.float64)
    box[torch.arange(192), torch.arange(192)] = 1.0 / 9.0
    full = compose(k3a, box, stride=2)  # (4, 192, 11, 11)
    got = W.expanded_weights(model, "conv2d2", [f"3a:{u}" for u in units], window=11)
    assert close(got, full)
    # and via maxpool0 -> conv2d1 (direct 1x1), conv2d0 -> conv2d1 is that kernel / 9 on the pool box
    k = model.conv2d1_pre_relu_conv.weight[7, :, 0, 0]
    e = W.expanded_weights(model, "conv2d0", "conv2d1:7", window=3)
    assert close(e, (k / 9)[:, None, None].expand(64, 3, 3))
    assert torch.equal(W.direct_weights(model, "conv2d0", "conv2d1:7"), model.conv2d1_pre_relu_conv.weight[7])


# ----------------------------------------------------------------------------- hand-made networks


def _delta(k: int, dy: int, dx: int, value: float = 1.0, c_out: int = 1, c_in: int = 1) -> torch.Tensor:
    w = torch.zeros(c_out, c_in, k, k, dtype=torch.float64)
    w[..., k // 2 + dy, k // 2 + dx] = value
    return w


def test_hand_made_two_stacked_convs_compose_their_shifts():
    """Two shift kernels (2 at offset (-1,0), then 3 at offset (0,+1)): one weight 6 at (-1,+1)."""
    g = LinearGraph(
        [LinearOp("x", "input", channels=1), LinearOp("a", "conv", ("x",)), LinearOp("b", "conv", ("a",))],
        {"a": _delta(3, -1, 0, 2.0), "b": _delta(3, 0, 1, 3.0)},
    )
    e = g.jacobian("x", "b", [0], window=5)[0, 0]
    expected = torch.zeros(5, 5, dtype=torch.float64)
    expected[2 - 1, 2 + 1] = 6.0
    assert torch.equal(e, expected)


def test_hand_made_branch_and_concat():
    """Branch p copies channel 0 (1x1), branch q sums a 3x3 box of channel 1; a 1x1 conv mixes them."""
    p = torch.tensor([[1.0, 0.0]], dtype=torch.float64).view(1, 2, 1, 1)
    q = torch.zeros(1, 2, 3, 3, dtype=torch.float64)
    q[0, 1] = 1.0
    mix = torch.tensor([[2.0, -0.5]], dtype=torch.float64).view(1, 2, 1, 1)
    g = LinearGraph(
        [LinearOp("x", "input", channels=2), LinearOp("p", "conv", ("x",)), LinearOp("q", "conv", ("x",)),
         LinearOp("cat", "cat", ("p", "q")), LinearOp("out", "conv", ("cat",))],
        {"p": p, "q": q, "out": mix},
    )
    e = g.jacobian("x", "out", [0], window=5)[0]
    expected = torch.zeros(2, 5, 5, dtype=torch.float64)
    expected[0, 2, 2] = 2.0
    expected[1, 1:4, 1:4] = -0.5
    assert torch.equal(e, expected)
    # from the concat: the mixing weights themselves; from branch q only: q's channel, not p's
    assert torch.equal(g.jacobian("cat", "out", [0], window=1)[0, :, 0, 0], mix[0, :, 0, 0])
    assert torch.equal(g.jacobian("q", "out", [0], window=1)[0, 0, 0, 0], torch.tensor(-0.5, dtype=torch.float64))


def test_hand_made_average_pools():
    """A 3x3 stride-1 average pool then a 1x1 conv w: w/9 on the 3x3 box.

    A 3x3 stride-2 pool then a 3x3 conv of ones: per axis (pool 1/3 box) composed with a stride-2
    3-tap sum gives [1, 1, 2, 1, 2, 1, 1] / 3 (the overlapping pool windows count twice).
    """
    g = LinearGraph(
        [LinearOp("x", "input", channels=1), LinearOp("pool", "pool", ("x",), kernel=3, stride=1, pad=(1, 1)),
         LinearOp("out", "conv", ("pool",))],
        {"out": torch.full((1, 1, 1, 1), 4.5, dtype=torch.float64)},
    )
    e = g.jacobian("x", "out", [0], window=5)[0, 0]
    expected = torch.zeros(5, 5, dtype=torch.float64)
    expected[1:4, 1:4] = 0.5
    assert torch.allclose(e, expected)
    g2 = LinearGraph(
        [LinearOp("x", "input", channels=1), LinearOp("pool", "pool", ("x",), kernel=3, stride=2, pad=(0, 1)),
         LinearOp("out", "conv", ("pool",))],
        {"out": torch.ones(1, 1, 3, 3, dtype=torch.float64)},
    )
    prof = torch.tensor([1, 1, 2, 1, 2, 1, 1], dtype=torch.float64) / 3
    assert torch.allclose(g2.jacobian("x", "out", [0], window=7)[0, 0], torch.outer(prof, prof))
    assert torch.allclose(g2.jacobian("x", "out", [0], window=9)[0, 0], pad_to(torch.outer(prof, prof), 9))


def test_linear_graph_rejects_bad_networks_and_requests():
    with pytest.raises(ValueError, match="not defined before"):
        LinearGraph([LinearOp("a", "conv", ("x",))], {"a": torch.zeros(1, 1, 1, 1)})
    with pytest.raises(ValueError, match="input channels"):
        LinearGraph([LinearOp("x", "input", channels=2), LinearOp("a", "conv", ("x",))], {"a": torch.zeros(1, 3, 1, 1)})
    g = LinearGraph([LinearOp("x", "input", channels=1), LinearOp("a", "conv", ("x",))], {"a": torch.ones(1, 1, 1, 1)})
    with pytest.raises(ValueError, match="does not feed"):
        g.jacobian("a", "x", [0])
    with pytest.raises(ValueError, match="odd"):
        g.jacobian("x", "a", [0], window=4)


# ----------------------------------------------------------------------------- API errors


def test_direct_and_expanded_weights_explain_bad_requests(model):
    with pytest.raises(ValueError, match="expanded_weights"):
        W.direct_weights(model, "mixed3a", "3b:379")  # through the bottleneck
    with pytest.raises(ValueError, match="does not feed"):
        W.expanded_weights(model, "mixed3b", "3a:10")
    # a 1x1 unit and a pool-branch unit both read mixed3a (the pool keeps its channels)
    both = W.direct_weights(model, "mixed3a", ["3b:10", "3b:450"])
    assert both.shape == (2, 256, 1, 1)
    assert torch.equal(both[1], model.mixed3b_pool_reduce_pre_relu_conv.weight[450 - 416])
    with pytest.raises(KeyError, match="Did you mean"):
        W.expanded_weights(model, "mixd3a", "3b:379")
    w = W.direct_weights(model, "mixed3b_5x5_bottleneck", "3b:379")
    assert torch.equal(w, model.mixed3b_5x5_pre_relu_conv.weight[59])
    w.zero_()  # a copy: the model keeps its weights
    assert model.mixed3b_5x5_pre_relu_conv.weight[59].abs().sum() > 0


# ----------------------------------------------------------------------------- circuit views


def test_top_inputs_rank_kernels_like_an_independent_einsum(model):
    ref = block_kernels(model, "mixed3b")[379]  # (256, 5, 5) from mixed3a
    sums, l2 = ref.sum(dim=(1, 2)), ref.flatten(1).norm(dim=1)
    conns = W.top_inputs(model, "3b:379", k=10)
    assert [c.src.channel for c in conns] == torch.argsort(l2, descending=True)[:10].tolist()
    assert all(c.dst.short == "3b:379" and c.via == "mixed3a" and not c.direct for c in conns)
    for c in conns:
        assert abs(c.total - float(sums[c.src.channel])) < 1e-5 and abs(c.l2 - float(l2[c.src.channel])) < 1e-5
    exc = W.top_inputs(model, "3b:379", k=3, by="sum")
    inh = W.top_inputs(model, "3b:379", k=3, by="-sum")
    assert [c.src.channel for c in exc] == torch.argsort(sums, descending=True)[:3].tolist()
    assert [c.src.channel for c in inh] == torch.argsort(sums)[:3].tolist()
    assert exc[0].total > 0 > inh[0].total and "3a:" in str(exc[0]) and "sum" in str(exc[0])


def test_top_outputs_and_default_layers(model):
    ref = block_kernels(model, "mixed3b")[:, 147]  # weights from 3a:147 into every 3b unit
    l2 = ref.flatten(1).norm(dim=1)
    conns = W.top_outputs(model, "3a:147", k=5)
    assert [c.dst.channel for c in conns] == torch.argsort(l2, descending=True)[:5].tolist()
    assert all(c.src.short == "3a:147" for c in conns)
    # mixed3a reads maxpool1: inputs are named as conv2d2 neurons, read through the pool
    ins = W.top_inputs(model, "3a:5", k=2)
    assert ins[0].src.layer == "conv2d2" and ins[0].via == "maxpool1" and ins[0].direct
    outs = W.top_outputs(model, "conv2d2:5", k=2)
    assert outs[0].via == "maxpool1" and outs[0].dst.layer == "mixed3a"
    assert W.previous_layer("mixed3b") == "mixed3a" and W.previous_layer("mixed4a") == "maxpool4"
    assert W.next_layer("mixed3b") == ("maxpool4", "mixed4a")
    # conv2d0's 7x7 kernel is not cropped by the default window
    assert W.top_inputs(model, "conv2d0:3", k=1)[0].kernel.shape == (7, 7)


# ----------------------------------------------------------------------------- editing


def _snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _unchanged(model: nn.Module, snap: dict[str, torch.Tensor]) -> bool:
    now = model.state_dict()
    return now.keys() == snap.keys() and all(torch.equal(now[k], snap[k]) for k in snap)


def test_direct_weight_edits_change_only_the_chosen_weights_of_a_copy(model):
    snap, hooks = _snapshot(model), hook_count(model)
    src, dst = ["3a:147", "3a:81", "3a:2"], ["3b:10", "3b:11"]
    edited = W.with_direct_weights(model, src, dst, "drop_negative")
    before = model.mixed3b_1x1_pre_relu_conv.weight
    after = edited.mixed3b_1x1_pre_relu_conv.weight
    rows, cols = torch.tensor([10, 11]), torch.tensor([147, 81, 2])
    expected = before.clone()
    expected[rows[:, None], cols] = before[rows[:, None], cols].clamp(min=0)
    assert torch.equal(after, expected) and not torch.equal(after, before)
    zeroed = W.with_direct_weights(model, "3a:147", "3b:10", "zero")
    assert zeroed.mixed3b_1x1_pre_relu_conv.weight[10, 147].abs().sum() == 0
    replaced = W.with_direct_weights(model, "conv2d1", "conv2d2:100", torch.ones(64, 3, 3))
    assert torch.equal(replaced.conv2d2_pre_relu_conv.weight[100], torch.ones(64, 3, 3))
    assert _unchanged(model, snap) and hook_count(model) == hooks
    assert "drop_negative" in edited.circuit_edits[-1]


def test_rebuilt_units_are_exact_when_the_bottleneck_relu_is_inactive(model):
    """With the bottleneck bias pushed far positive its ReLU is the identity, so an unedited
    rebuild must reproduce the network's own mixed3b_5x5 exactly (float64)."""
    base = W.edited_copy(model).double()
    with torch.no_grad():
        base.mixed3b_5x5_bottleneck_pre_relu_conv.bias += 50.0
    torch.manual_seed(1)
    x = torch.rand(2, 3, 64, 64, dtype=torch.float64)
    units = [f"3b:{u}" for u in CURVES_3B]
    rebuilt = W.with_expanded_weights(base, units)
    a = capture(base, x, "mixed3b_5x5", pre_relu=True)["mixed3b_5x5"]
    b = capture(rebuilt, x, "mixed3b_5x5", pre_relu=True)["mixed3b_5x5"]
    assert close(b, a, 1e-9)
    assert (a[:, 0] != 0).any()


def test_expanded_weight_edit_through_the_bottleneck_matches_an_independent_conv(model):
    """Zero the negative 3a-early-curve -> 3b-curve expanded weights (science.md §13.11)."""
    snap, hooks = _snapshot(model), hook_count(model)
    torch.manual_seed(2)
    x = torch.rand(2, 3, 64, 64)
    early = ["3a:147", "3a:81", "3a:145", "3a:71"]
    units = [f"3b:{u}" for u in CURVES_3B]
    orig = capture(model, x, ["mixed3a", "mixed3b"])
    edited = W.with_expanded_weights(model, units, "drop_negative", src=early)
    got = capture(edited, x, ["mixed3b"], pre_relu=False)["mixed3b"]
    got_pre = capture(edited, x, "mixed3b_5x5", pre_relu=True)["mixed3b_5x5"]

    local = [u - 320 for u in CURVES_3B]
    w5, b5 = _w(model, "mixed3b_5x5")[local], model.mixed3b_5x5_pre_relu_conv.bias.double()[local]
    wb, bb = _w(model, "mixed3b_5x5_bottleneck")[:, :, 0, 0], model.mixed3b_5x5_bottleneck_pre_relu_conv.bias.double()
    kernel = torch.einsum("obhw,bi->oihw", w5, wb)
    cols = torch.tensor([147, 81, 145, 71])
    kernel[:, cols] = kernel[:, cols].clamp(min=0)
    a3a = orig["mixed3a"].double()
    bias_map = F.conv2d(F.pad(bb.view(1, -1, 1, 1).expand(1, -1, *a3a.shape[-2:]), (2, 2, 2, 2)), w5)
    expected = F.conv2d(F.pad(a3a, (2, 2, 2, 2)), kernel) + bias_map + b5.view(1, -1, 1, 1)
    assert close(got_pre[:, local], expected, 1e-4)
    assert close(got[:, CURVES_3B], expected.clamp(min=0), 1e-4)
    others = [c for c in range(480) if c not in CURVES_3B]
    assert torch.equal(got[:, others], orig["mixed3b"][:, others])
    # an unedited rebuild is the linear branch: 5x5(bottleneck_pre_relu) + bias, no bottleneck ReLU
    plain = capture(W.with_expanded_weights(model, units), x, "mixed3b_5x5", pre_relu=True)["mixed3b_5x5"]
    lin = F.conv2d(F.pad(F.conv2d(a3a, wb[:, :, None, None]) + bb.view(1, -1, 1, 1), (2, 2, 2, 2)), w5)
    assert close(plain[:, local], lin + b5.view(1, -1, 1, 1), 1e-4)
    # the original is untouched: parameters bitwise, hooks, outputs
    assert _unchanged(model, snap) and hook_count(model) == hooks
    assert torch.equal(capture(model, x, ["mixed3b"])["mixed3b"], orig["mixed3b"])
    # gradients flow through the rebuilt units (feature visualisation works on the copy)
    xg = x.clone().requires_grad_(True)
    capture(edited, xg, "mixed3b", grad=True)["mixed3b"][:, 379].sum().backward()
    assert xg.grad is not None and xg.grad.abs().sum() > 0


def test_expanded_edits_refuse_what_they_cannot_rebuild(model):
    with pytest.raises(ValueError, match="with_direct_weights"):
        W.with_expanded_weights(model, ["3b:450"], "zero")  # pool branch
    with pytest.raises(ValueError, match="one branch"):
        W.with_expanded_weights(model, ["3b:10", "3b:379"], "zero")
    with pytest.raises(ValueError, match="block input"):
        W.with_expanded_weights(model, ["3b:379"], "zero", src="conv2d2:5")
    with pytest.raises(ValueError, match="unknown edit"):
        W.with_expanded_weights(model, ["3b:379"], "remove")
