"""The architecture table (shared_utils/inception/_arch.py) against lucent's model itself: every conv's
kernel, stride and padding, every pool's, and the blocks' wiring, read from the modules and from a
forward pass, so that the linearised graph, the receptive fields and featvis's branch forward (all
derived from the table) describe the network that actually runs."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from shared_utils.inception._arch import BLOCKS, OP, OPS, TRUNK, block_input
from shared_utils.inception.names import BRANCHES


def test_every_conv_of_the_table_is_the_models(model) -> None:
    convs = [op for op in OPS if op.kind == "conv"]
    assert len(convs) == 3 + 6 * len(BLOCKS)
    for op in convs:
        conv = getattr(model, f"{op.name}_pre_relu_conv")
        assert conv.kernel_size == (op.kernel, op.kernel), op.name
        assert conv.stride == (op.stride, op.stride), op.name
        assert conv.padding == (0, 0), op.name  # lucent pads with F.pad before the conv: the table holds it
        assert sum(op.pad) == op.kernel - 1 or op.stride > 1, op.name  # "same" size (conv2d0 halves it)


def test_the_tables_paddings_give_lucents_shapes(model) -> None:
    """Each op, applied as the table says to the model's own input of it, gives the output shape lucent's forward saw."""
    seen: dict[str, torch.Size] = {}
    hooks = [getattr(model, name).register_forward_hook(lambda _m, _i, out, name=name: seen.__setitem__(name, out.shape))
             for name in ["conv2d0", "maxpool0", "conv2d1", "conv2d2", "maxpool1", *TRUNK[6:]]
             if hasattr(model, name)]
    hooks += [getattr(model, f"{op.name}_pre_relu_conv").register_forward_hook(
        lambda _m, _i, out, name=op.name: seen.__setitem__(name, out.shape)) for op in OPS if op.kind == "conv"]
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, 224, 224))
    finally:
        for h in hooks:
            h.remove()
    side = {"input": 224}
    for op in OPS[1:]:
        if op.kind == "cat":
            assert len({side[p] for p in op.parents}) == 1, op.name
            side[op.name] = side[op.parents[0]]
        else:
            side[op.name] = (side[op.parents[0]] + sum(op.pad) - op.kernel) // op.stride + 1
        if op.name in seen:
            assert seen[op.name][-1] == side[op.name], (op.name, seen[op.name], side[op.name])
    assert side["mixed5b"] == 7 and side["mixed3b"] == 28


def test_blocks_are_wired_in_branch_order() -> None:
    for block in BLOCKS:
        assert OP[block].parents == tuple(f"{block}_{b}" for b in BRANCHES)
        assert block_input(block) == TRUNK[TRUNK.index(block) - 1]
    with pytest.raises(ValueError, match="not a mixed block"):
        block_input("conv2d2")


def test_a_pool_branch_computed_from_the_table_matches_the_forward(model) -> None:
    """mixed3b's pool_reduce branch rebuilt from the table (pad with -inf, pool, 1x1) equals the model's own."""
    got: dict[str, torch.Tensor] = {}
    h1 = model.mixed3a.register_forward_hook(lambda _m, _i, out: got.__setitem__("in", out))
    h2 = model.mixed3b_pool_reduce_pre_relu_conv.register_forward_hook(lambda _m, _i, out: got.__setitem__("out", out))
    try:
        with torch.no_grad():
            model(torch.rand(1, 3, 224, 224, generator=torch.Generator().manual_seed(0)))
    finally:
        h1.remove()
        h2.remove()
    pool = OP["mixed3b_pool"]
    b, a = pool.pad
    pooled = F.max_pool2d(F.pad(got["in"], (b, a, b, a), value=float("-inf")), pool.kernel, pool.stride)
    with torch.no_grad():
        mine = model.mixed3b_pool_reduce_pre_relu_conv(pooled)
    assert torch.equal(mine, got["out"])
