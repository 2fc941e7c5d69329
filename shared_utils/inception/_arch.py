"""InceptionV1's architecture, as lucent's forward computes it, in one table.

Every op of the network up to ``mixed5b``: its kind, what feeds it, its kernel, stride and padding.
The linearised graph (:func:`shared_utils.inception.graph.inception_graph`), the receptive fields of
:mod:`shared_utils.dataset_examples` and featvis's branch-by-branch forward are all derived from
:data:`OPS`; nothing else writes InceptionV1's paddings, pools or branch order down.

Conventions: ``pad`` is ``(before, after)``, the same for rows and columns (lucent pads ``conv2d0``
by 2 before and 3 after, its stride-2 max-pools by 0 and 1, "same" convs by ``k // 2``); a pool is a
max-pool in the real network (padded with ``-inf``) and an average pool in the linearised one; the
local response norms after ``maxpool0`` and ``conv2d2`` are not ops (they are not linear, and the
linearised graph leaves them out).

>>> OP["mixed3b_5x5"]
Op(name='mixed3b_5x5', kind='conv', parents=('mixed3b_5x5_bottleneck',), kernel=5, stride=1, pad=(2, 2), channels=None)
>>> block_input("mixed4a")
'maxpool4'
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .names import BRANCHES

__all__ = ["Op", "OPS", "OP", "TRUNK", "BLOCKS", "block_input"]

#: The main chain of InceptionV1 (pools included), in network order.
TRUNK: tuple[str, ...] = (
    "input", "conv2d0", "maxpool0", "conv2d1", "conv2d2", "maxpool1", "mixed3a", "mixed3b", "maxpool4",
    "mixed4a", "mixed4b", "mixed4c", "mixed4d", "mixed4e", "maxpool10", "mixed5a", "mixed5b",
)
#: The mixed (inception) blocks, in order.
BLOCKS: tuple[str, ...] = tuple(name for name in TRUNK if name.startswith("mixed"))


@dataclass(frozen=True)
class Op:
    """One op: ``input`` (``channels`` channels), ``conv``, ``pool`` or ``cat`` (channels of the parents, in order)."""

    name: str
    kind: Literal["input", "conv", "pool", "cat"]
    parents: tuple[str, ...] = ()
    kernel: int = 1
    stride: int = 1
    pad: tuple[int, int] = (0, 0)
    channels: "int | None" = None


def _stride2_pool(name: str, parent: str) -> Op:
    return Op(name, "pool", (parent,), kernel=3, stride=2, pad=(0, 1))


def _block(m: str, prev: str) -> list[Op]:
    return [
        Op(f"{m}_1x1", "conv", (prev,)),
        Op(f"{m}_3x3_bottleneck", "conv", (prev,)),
        Op(f"{m}_3x3", "conv", (f"{m}_3x3_bottleneck",), kernel=3, pad=(1, 1)),
        Op(f"{m}_5x5_bottleneck", "conv", (prev,)),
        Op(f"{m}_5x5", "conv", (f"{m}_5x5_bottleneck",), kernel=5, pad=(2, 2)),
        Op(f"{m}_pool", "pool", (prev,), kernel=3, stride=1, pad=(1, 1)),
        Op(f"{m}_pool_reduce", "conv", (f"{m}_pool",)),
        Op(m, "cat", tuple(f"{m}_{b}" for b in BRANCHES)),
    ]


def _build() -> tuple[Op, ...]:
    ops = [
        Op("input", "input", channels=3),
        Op("conv2d0", "conv", ("input",), kernel=7, stride=2, pad=(2, 3)),
        _stride2_pool("maxpool0", "conv2d0"),
        Op("conv2d1", "conv", ("maxpool0",)),  # after the first LRN
        Op("conv2d2", "conv", ("conv2d1",), kernel=3, pad=(1, 1)),
        _stride2_pool("maxpool1", "conv2d2"),  # after the second LRN
    ]
    prev = "maxpool1"
    for name in TRUNK[6:]:
        ops += [_stride2_pool(name, prev)] if name.startswith("maxpool") else _block(name, prev)
        prev = name
    return tuple(ops)


#: Every op, parents first.
OPS: tuple[Op, ...] = _build()
#: The ops by name.
OP: dict[str, Op] = {op.name: op for op in OPS}


def block_input(block: str) -> str:
    """The layer that feeds the mixed block ``block`` (``'mixed3b'`` -> ``'mixed3a'``)."""
    if block not in BLOCKS:
        raise ValueError(f"{block!r} is not a mixed block of InceptionV1: one of {', '.join(BLOCKS)}")
    return OP[f"{block}_1x1"].parents[0]
