"""Weights between neurons: direct kernels, expanded weights, circuit views and weight edits.

What a student does with it (docs/science.md §3, §4.2, §5, §9, §13 C-F):

Usage::

    w = direct_weights(model, "conv2d1", "conv2d2:100")          # (64, 3, 3): the conv's own kernel
    e = expanded_weights(model, "mixed3a", "3b:379")             # (256, 5, 5): through the 5x5 bottleneck
    e = expanded_weights(model, "3a:147", "3b:379")              # (5, 5): one pair of neurons
    for c in top_inputs(model, "3b:379", k=10): print(c)          # "src -> dst  sum <signed>  L2 <norm>"
    edited = with_expanded_weights(model, curves_3b, "drop_negative", src=early_curves_3a)

**Direct weights** are a convolution's own kernel, for two layers that the network connects
directly: ``conv2d1 -> conv2d2``, ``mixed3a -> mixed3b_1x1``, a bottleneck -> its 3x3/5x5 conv.

**Expanded weights** (the articles' definition, science.md §9) connect layers that are *not*
adjacent: across a 1x1 bottleneck, across branches and pooling, across whole blocks. They are the
gradient of the destination unit at its centre position with respect to the source layer, on a
**linearised** copy of the network:

* ReLU -> identity, max-pool -> average pool (a 3x3 pool spreads 1/9 to each input), biases off;
* **local response normalisation is removed** (it sits after ``maxpool0`` and after ``conv2d2``);
  at the small activations where it is nearly linear it only rescales, and the articles' gradient
  definition ignores it too;
* the result is read over a ``window x window`` patch of the source layer centred on the
  destination unit (default 5, as in Lucid's weight notebook).

Where the layers really do interact linearly (a 1x1 bottleneck followed by a 5x5 conv, ignoring
the ReLU between them) this is *exactly* the product of the kernels; elsewhere it is the expected
gradient up to a constant (science.md §9). The linearised network is a small re-implementation of
InceptionV1's forward pass between any two named layers (:class:`LinearGraph`), built from the
model's own conv weights; lucent's model object is never modified. It is a generic bias-free
conv/avg-pool/concat network, so you can also build small hand-made ones to check your intuition.

**Edits** never touch the model you pass in: :func:`with_direct_weights` and
:func:`with_expanded_weights` return an edited deep copy. Expanded weights through a bottleneck
have no parameter of their own, so :func:`with_expanded_weights` rebuilds the chosen units as one
direct conv over their block's input from the (edited) expanded weights and swaps it in with a
forward hook on the copy. That rebuilt unit replaces the bottleneck ReLU by the identity: exact
in the linear part, an approximation elsewhere (the one behind the articles' expanded weights,
science.md §9; rebuilding the units this way is the course's route, §13.11).
Compare an edited rebuild with an *unedited* rebuild (``edit=None``), not with the original.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable, Literal, Sequence, Union

import torch
import torch.nn.functional as F
from torch import nn

from .inception._arch import OP, TRUNK, block_input as _block_input
from .inception.graph import LinearGraph, inception_graph
from .inception.names import (
    LAYERS,
    POOLS,
    Unit,
    UnknownLayerError,
    layer_channels,
    parse_unit,
    resolve_layer,
)

__all__ = [
    "direct_weights",
    "expanded_weights",
    "previous_layer",
    "next_layer",
    "Connection",
    "top_inputs",
    "top_outputs",
    "edited_copy",
    "with_direct_weights",
    "with_expanded_weights",
    "Edit",
]


# ============================================================================ the linear engine
@dataclass
class _Side:
    node: str  # graph node
    channels: list[int]  # channels in that node
    units: list[Unit]  # public neuron ids, one per channel
    single: bool  # a single unit was asked for (drop that axis)


def _pooled(layer: str) -> str | None:
    """``maxpool1`` -> ``conv2d2``: the layer a trunk pool pools (its channels are that layer's neurons)."""
    return POOLS[layer][0] if layer in POOLS else None


def _public_unit(node: str, channel: int) -> Unit:
    """The neuron id of channel ``channel`` of a graph node (pools report the pooled layer's id)."""
    if node in POOLS:
        return Unit(POOLS[node][0], channel)
    parent, _, branch = node.partition("_")
    if parent in LAYERS and branch in LAYERS[parent].branches:
        return Unit(parent, LAYERS[parent].branches[branch][0] + channel)
    return Unit(node, channel)


def _is_layer_name(spec: object) -> bool:
    if not isinstance(spec, str):
        return False
    if spec.strip().lower() == "input":
        return True
    try:
        resolve_layer(spec)
        return True
    except UnknownLayerError:
        return False


def _as_units(spec: object) -> tuple[list[Unit], bool]:
    """One unit (``single``) or a list of units; callers handle layer names first."""
    if isinstance(spec, (Unit, tuple, str)):
        return [_parse(spec)], True
    try:
        items = list(spec)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"expected a layer name, a unit like '3b:379', or a list of units; got {spec!r}") from None
    if not items:
        raise ValueError("the list of units is empty")
    return [_parse(s) for s in items], False


def _parse(spec: object) -> Unit:
    if isinstance(spec, str) and spec.strip().lower().startswith("input"):
        tail = spec.strip()[5:].lstrip(": ")
        if tail.isdigit() and int(tail) < 3:
            return Unit("input", int(tail))
    try:
        return parse_unit(spec)  # type: ignore[arg-type]
    except ValueError:
        if isinstance(spec, str):
            resolve_layer(spec.split(":")[0])  # raises UnknownLayerError with close matches
        raise


def _layer_side(name: str) -> _Side:
    canonical = "input" if name.strip().lower() == "input" else resolve_layer(name)
    n = 3 if canonical == "input" else layer_channels(canonical)
    return _Side(canonical, list(range(n)), [_public_unit(canonical, c) for c in range(n)], single=False)


def _src_side(spec: object) -> _Side:
    """The source of weights: a layer (all channels), one unit, or units of one layer."""
    if isinstance(spec, str) and _is_layer_name(spec):
        side = _layer_side(spec)
        parent, _, branch = side.node.partition("_")
        if parent in LAYERS and branch in LAYERS[parent].branches:  # a branch -> its slice of the concat
            a = LAYERS[parent].branches[branch][0]
            side = _Side(parent, [a + c for c in side.channels], side.units, False)
        return side
    units, single = _as_units(spec)
    layers = {u.layer for u in units}
    if len(layers) != 1:
        raise ValueError(f"source units must all be in one layer, got layers {sorted(layers)}")
    layer = layers.pop()
    return _Side(layer, [u.channel for u in units], [_public_unit(layer, u.channel) for u in units], single)


def _dst_groups(spec: object) -> tuple[list[tuple[str, int, Unit]], bool]:
    """Destination units as (graph node, channel in node, public id); mixed units go to their branch."""
    if isinstance(spec, str) and _is_layer_name(spec):
        node = "input" if spec.strip().lower() == "input" else resolve_layer(spec)
        if node == "input":
            raise ValueError("the input image has no weights into it; pick a later destination")
        parent, _, branch = node.partition("_")
        if parent in LAYERS and branch in LAYERS[parent].branches:
            a, b = LAYERS[parent].branches[branch]
            return [(node, c, Unit(parent, a + c)) for c in range(b - a)], False
        units, single = [Unit(node, c) for c in range(layer_channels(node))], False
    else:
        units, single = _as_units(spec)
    out = []
    for u in units:
        if u.layer == "input":
            raise ValueError("the input image has no weights into it; pick a later destination")
        if u.layer in LAYERS and LAYERS[u.layer].branches:
            for branch, (a, b) in LAYERS[u.layer].branches.items():
                if a <= u.channel < b:
                    out.append((f"{u.layer}_{branch}", u.channel - a, u))
        else:
            out.append((u.layer, u.channel, u))
    return out, single


def _squeeze(t: torch.Tensor, single_dst: bool, single_src: bool) -> torch.Tensor:
    """(n_dst, n_src, ...) -> drop the axis of a single unit, like integer indexing."""
    if single_dst:
        t = t[0]
        return t[0] if single_src else t
    return t[:, 0] if single_src else t


def _unsqueeze(t: torch.Tensor, single_dst: bool, single_src: bool) -> torch.Tensor:
    """Inverse of :func:`_squeeze`."""
    if single_src:
        t = t.unsqueeze(0 if single_dst else 1)
    return t.unsqueeze(0) if single_dst else t


# ============================================================================ public weights API




def direct_weights(model: nn.Module, src: object, dst: object) -> torch.Tensor:
    """The convolution kernel from ``src`` into ``dst`` when the network connects them directly.

    ``dst`` is a unit (``'3b:10'``), a list of units, or a layer/branch (``'mixed3b_1x1'``);
    ``src`` is the layer the conv reads, or units of it. A max-pool right before the conv keeps
    channels, so ``src`` may name the pooled layer (``'conv2d0'`` for conv2d1's kernel, which
    reads ``maxpool0``; ``'mixed3a'`` for a mixed3b pool_reduce unit).

    Returns ``(n_dst, n_src, k, k)``, without the ``n_dst`` axis for a single destination unit and
    without ``n_src`` for a single source unit. A copy: editing it changes nothing.

    Raises ValueError (pointing to :func:`expanded_weights`) if the layers are not adjacent.
    """
    g = inception_graph(model)
    s = _src_side(src)
    groups, single_dst = _dst_groups(dst)
    blocks, ks = [], set()
    for node, ch, unit in groups:
        reads = _conv_input(g, node, unit)
        allowed = {reads}
        if g.ops[reads].kind == "pool":
            allowed.add(g.ops[reads].parents[0])
        if s.node not in allowed:
            raise ValueError(
                f"{unit.short} is not directly connected to {s.node}: its convolution reads "
                f"{reads!r}. Use expanded_weights(model, {s.node!r}, {unit.short!r}) for weights "
                f"across layers, or src={reads!r} for the direct kernel."
            )
        w = g.weights[node]
        ks.add(w.shape[-1])
        blocks.append(w[ch][s.channels])
    if len(ks) > 1:
        raise ValueError(
            f"these units' convolutions have different kernel sizes {sorted(ks)}: ask for one branch "
            "at a time, or use expanded_weights with a common window"
        )
    return _squeeze(torch.stack(blocks).clone(), single_dst, s.single)


def _conv_input(g: LinearGraph, node: str, unit: Unit) -> str:
    op = g.ops.get(node)
    if op is None or op.kind != "conv":
        raise ValueError(f"{unit.short} is not the output of a convolution, so it has no direct kernel")
    return op.parents[0]


def expanded_weights(
    model: nn.Module,
    src: object,
    dst: object,
    *,
    window: int = 5,
    chunk: int = 128,
) -> torch.Tensor:
    """Expanded weights from ``src`` to ``dst`` on the linearised InceptionV1 (module docstring).

    Args:
        src: a layer (``'mixed3a'``, ``'maxpool1'``, ``'conv2d2'``, a branch, a bottleneck), one
            unit (``'3a:147'``) or a list of units of one layer.
        dst: a unit (``'3b:379'``), a list of units (any later layers), or a layer/branch.
        window: odd side of the source patch, centred on the destination unit (Lucid uses 5).
            A stride-2 pool in between makes the patch sit on the finer source grid; to follow
            Lucid's notebook for weights into mixed3a / mixed4a, start from the pool
            (``src='maxpool1'`` / ``'maxpool4'``, same channels as conv2d2 / mixed3b), as
            :func:`top_inputs` does by default.
        chunk: at most this many destination units per batched backward pass (fewer for large
            patches, so memory stays near 128 MB).

    Returns:
        ``(n_dst, n_src, window, window)``; the ``n_dst`` axis is dropped for a single ``dst``
        unit and ``n_src`` for a single ``src`` unit, so one pair gives ``(window, window)``.
        Red/positive = excitation, in the model's units of activation per activation.
    """
    g = inception_graph(model)
    s = _src_side(src)
    groups, single_dst = _dst_groups(dst)
    for node, _, unit in groups:
        if not g.feeds(s.node, node):
            raise ValueError(
                f"{s.node} does not feed {unit.short}: expanded weights go from an earlier layer to a "
                f"later one (e.g. expanded_weights(model, 'mixed3a', '3b:379'))."
            )
    out: torch.Tensor | None = None
    by_node: dict[str, list[int]] = {}
    for pos, (node, _, _) in enumerate(groups):
        by_node.setdefault(node, []).append(pos)
    for node, positions in by_node.items():
        chans = [groups[p][1] for p in positions]
        j = g.jacobian(s.node, node, chans, window=window, src_channels=s.channels, chunk=chunk)
        if out is None:
            out = j.new_zeros(len(groups), *j.shape[1:])
        out[torch.as_tensor(positions, device=j.device)] = j
    assert out is not None
    return _squeeze(out, single_dst, s.single)


# ============================================================================ circuit views


def previous_layer(layer: str) -> str:
    """The layer a unit's weights are read from by default: the input its conv(s) read.

    ``mixed3b -> mixed3a``, ``mixed3a -> maxpool1`` (Lucid's notebook uses the pooled layer, so
    the max-pool does not blur the weights), ``conv2d2 -> conv2d1``, ``mixed3b_5x5_bottleneck ->
    mixed3a``.
    """
    canonical = resolve_layer(layer)
    parent, _, rest = canonical.partition("_")
    if rest.endswith("bottleneck") or (parent in LAYERS and rest in LAYERS[parent].branches):
        canonical = parent
    if canonical not in TRUNK or canonical in POOLS:
        raise ValueError(f"{layer!r} is a pooling layer: it has no weights of its own")
    return TRUNK[TRUNK.index(canonical) - 1]


def next_layer(layer: str) -> tuple[str, str]:
    """``(weights read from, next conv layer)`` for a unit's outgoing weights.

    ``mixed3a -> ('mixed3a', 'mixed3b')``; ``conv2d2 -> ('maxpool1', 'mixed3a')`` (the pool keeps
    channels, as in Lucid's notebook); ``mixed3b_5x5_bottleneck -> (itself, 'mixed3b_5x5')``.
    """
    canonical = resolve_layer(layer)
    if canonical.endswith("_bottleneck"):
        return canonical, canonical[: -len("_bottleneck")]
    if canonical in POOLS or canonical not in TRUNK:
        raise ValueError(f"{layer!r} has no outgoing conv weights of its own; use its main layer")
    i = TRUNK.index(canonical)
    if i + 1 >= len(TRUNK):
        raise ValueError(f"{canonical} is the last mixed layer; its outputs go to the classifier")
    nxt = TRUNK[i + 1]
    if nxt in POOLS:
        return nxt, TRUNK[i + 2]
    return canonical, nxt


@dataclass(frozen=True)
class Connection:
    """One weight between two neurons, as the articles draw it.

    ``kernel`` is the (window, window) expanded weight (the direct kernel, zero-padded, if
    ``direct``); ``total`` its signed sum (> 0 excitatory), ``l2`` its L2 norm (strength, the
    ranking Lucid's notebook uses). ``via`` is the layer the weights were read from (a pool's
    channels keep the pooled layer's neuron ids).
    """

    src: Unit
    dst: Unit
    kernel: torch.Tensor
    total: float
    l2: float
    via: str
    direct: bool

    def __str__(self) -> str:
        return f"{self.src.short} -> {self.dst.short}  sum {self.total:+.4g}  L2 {self.l2:.4g}"


RankBy = Literal["l2", "sum", "-sum", "abs_sum"]


def _rank(kernels: torch.Tensor, by: str) -> torch.Tensor:
    total = kernels.sum(dim=(-1, -2))
    if by == "l2":
        key = kernels.flatten(-2).norm(dim=-1)
    elif by == "sum":
        key = total
    elif by == "-sum":
        key = -total
    elif by == "abs_sum":
        key = total.abs()
    else:
        raise ValueError(f"by must be 'l2' (strength), 'sum' (most excitatory), '-sum' (most inhibitory) or 'abs_sum'; got {by!r}")
    return torch.argsort(key, descending=True, stable=True)


def _is_direct(g: LinearGraph, src_node: str, dst_node: str) -> bool:
    op = g.ops[dst_node]
    if op.kind != "conv":
        return False
    reads = op.parents[0]
    return src_node == reads or (g.ops[reads].kind == "pool" and g.ops[reads].parents[0] == src_node)


def top_inputs(
    model: nn.Module,
    unit: object,
    src_layer: str | None = None,
    *,
    k: int = 10,
    by: RankBy = "l2",
    window: int | None = None,
) -> list[Connection]:
    """A unit's ``k`` strongest inputs from ``src_layer`` (default :func:`previous_layer`).

    ``window`` defaults to 5 (Lucid's notebook), or the kernel size of a larger direct kernel
    (conv2d0's 7x7), so that a direct kernel is never cropped.

    Ranked by ``by``: ``'l2'`` (L2 norm of each window x window kernel, as Lucid's notebook),
    ``'sum'`` (most excitatory first), ``'-sum'`` (most inhibitory first) or ``'abs_sum'``.
    Every :class:`Connection` carries both the signed sum and the L2 norm.
    """
    u = _parse(unit)
    src = src_layer if src_layer is not None else previous_layer(u.layer)
    s = _src_side(src)
    groups, _ = _dst_groups(u)
    g = inception_graph(model)
    direct = _is_direct(g, s.node, groups[0][0])
    if window is None:
        window = max(5, int(g.weights[groups[0][0]].shape[-1])) if direct else 5
    kernels = expanded_weights(model, src, u, window=window)  # (n_src, W, W)
    order = _rank(kernels, by)[:k]
    return [_connection(s.units[i], u, kernels[i], s.node, direct) for i in order.tolist()]


def top_outputs(
    model: nn.Module,
    unit: object,
    dst_layer: str | None = None,
    *,
    k: int = 10,
    by: RankBy = "l2",
    window: int = 5,
) -> list[Connection]:
    """A unit's ``k`` strongest outputs into ``dst_layer`` (default: the next conv layer).

    As in Lucid's notebook, the weights of a unit followed by a max-pool (``conv2d2``,
    ``mixed3b``, ...) are read from that pool, whose channels are the same neurons.
    """
    u = _parse(unit)
    if dst_layer is None:
        via, dst_layer = next_layer(u.layer)
    else:
        via = u.layer
        pooled_by = [p for p, (of, _, _) in POOLS.items() if of == u.layer]
        g = inception_graph(model)
        dst_nodes = {n for n, _, _ in _dst_groups(dst_layer)[0]}
        if pooled_by and all(g.feeds(pooled_by[0], n) for n in dst_nodes):
            via = pooled_by[0]
    dsts, _ = _dst_groups(dst_layer)
    kernels = expanded_weights(model, (via, u.channel) if via != u.layer else u,
                               [d for _, _, d in dsts], window=window)  # (n_dst, W, W)
    g = inception_graph(model)
    order = _rank(kernels, by)[:k]
    return [
        _connection(u, dsts[i][2], kernels[i], via, _is_direct(g, via, dsts[i][0]))
        for i in order.tolist()
    ]


def _connection(src: Unit, dst: Unit, kernel: torch.Tensor, via: str, direct: bool) -> Connection:
    return Connection(src, dst, kernel, float(kernel.sum()), float(kernel.norm()), via, direct)


# ============================================================================ editing

#: How to edit a block of weights: ``None`` (keep), ``"zero"``, ``"drop_negative"`` (negatives -> 0),
#: ``"drop_positive"``, ``"negate"``, a float (scale), a tensor (replacement, same shape as the
#: weights that :func:`direct_weights` / :func:`expanded_weights` return), or a function of them.
Edit = Union[None, str, float, torch.Tensor, Callable[[torch.Tensor], torch.Tensor]]


def _apply_edit(w: torch.Tensor, edit: Edit) -> torch.Tensor:
    if edit is None:
        return w
    if isinstance(edit, str):
        table = {
            "zero": lambda t: torch.zeros_like(t),
            "drop_negative": lambda t: t.clamp(min=0),
            "drop_positive": lambda t: t.clamp(max=0),
            "negate": lambda t: -t,
        }
        if edit not in table:
            raise ValueError(f"unknown edit {edit!r}; use one of {sorted(table)}, a float, a tensor or a function")
        return table[edit](w)
    if isinstance(edit, (int, float)) and not isinstance(edit, bool):
        return w * float(edit)
    if isinstance(edit, torch.Tensor):
        if edit.shape != w.shape:
            raise ValueError(f"replacement weights must have shape {tuple(w.shape)}, got {tuple(edit.shape)}")
        return edit.to(device=w.device, dtype=w.dtype)
    if callable(edit):
        new = edit(w)
        if not isinstance(new, torch.Tensor) or new.shape != w.shape:
            raise ValueError(f"the edit function must return a tensor of shape {tuple(w.shape)}")
        return new.to(device=w.device, dtype=w.dtype)
    raise TypeError(f"cannot use {edit!r} as an edit")


def edited_copy(model: nn.Module) -> nn.Module:
    """A deep copy of ``model`` to edit (parameters frozen, eval mode, same weights label).

    Its ``circuit_edits`` attribute lists the edits applied, in order.
    """
    new = copy.deepcopy(model)
    new.eval().requires_grad_(False)
    new.circuit_edits = list(getattr(model, "circuit_edits", []))  # type: ignore[attr-defined]
    return new


def with_direct_weights(model: nn.Module, src: object, dst: object, edit: Edit) -> nn.Module:
    """A copy of ``model`` whose direct conv weights from ``src`` into ``dst`` are edited.

    ``src``/``dst`` as in :func:`direct_weights`; ``edit`` as in :data:`Edit`, applied to exactly
    the tensor :func:`direct_weights` returns. ``model`` itself is left untouched.
    """
    current = direct_weights(model, src, dst)
    new_vals = _apply_edit(current, edit)
    s = _src_side(src)
    groups, single_dst = _dst_groups(dst)
    full = _unsqueeze(new_vals, single_dst, s.single)
    new = edited_copy(model)
    cols = torch.as_tensor(s.channels)
    with torch.no_grad():
        for row, (node, ch, _) in enumerate(groups):
            w = getattr(new, f"{node}_pre_relu_conv").weight
            w[ch, cols] = full[row].to(device=w.device, dtype=w.dtype)
    new.circuit_edits.append(  # type: ignore[attr-defined]
        f"direct weights {_describe(s.units)} -> {_describe([u for _, _, u in groups])}: {_edit_name(edit)}"
    )
    return new


def _describe(units: Sequence[Unit]) -> str:
    ids = [u.short for u in units]
    return ", ".join(ids) if len(ids) <= 6 else f"{', '.join(ids[:5])}, ... ({len(ids)} units)"


def _edit_name(edit: Edit) -> str:
    if edit is None or isinstance(edit, (str, int, float)):
        return repr(edit)
    return "replacement tensor" if isinstance(edit, torch.Tensor) else getattr(edit, "__name__", "function")


def with_expanded_weights(model: nn.Module, dst: object, edit: Edit = None, *, src: object = None) -> nn.Module:
    """A copy of ``model`` whose ``dst`` units are rebuilt from (edited) expanded weights.

    Each unit of ``dst`` (units of one branch of one mixed layer: 1x1, 3x3 or 5x5) becomes a
    single conv over its block's input (``mixed3a`` for mixed3b units) whose kernel is the expanded
    weight over the branch's full receptive field (k x k) and whose bias is the branch's bias plus
    the bottleneck bias carried through the kxk conv. So the rebuilt pre-ReLU value is exactly
    ``conv_k(bottleneck_pre_relu(x)) + bias``: the bottleneck ReLU is replaced by the identity
    (the approximation behind the articles' expanded weights, science.md §9). The copy computes it
    with forward hooks, so pre-ReLU and post-ReLU captures, feature visualisation and gradients all see it.

    Args:
        dst: units of one branch, e.g. the ten 3b curve units (all in ``mixed3b_5x5``).
        edit: applied to the weights from ``src`` to ``dst``, shaped as
            ``expanded_weights(model, src, dst, window=k)``; ``None`` rebuilds without editing
            (the fair baseline for an edited rebuild).
        src: units (or the layer) of the block input whose weights are edited; default all.

    Pool-branch units go through a max-pool, which a rebuild would turn into an average: edit
    their 1x1 weights with :func:`with_direct_weights` instead.
    """
    groups, single_dst = _dst_groups(dst)
    nodes = {n for n, _, _ in groups}
    if len(nodes) != 1:
        raise ValueError(f"rebuild one branch at a time (got {sorted(nodes)}); call again on the returned copy")
    node = nodes.pop()
    block, _, branch = node.partition("_")
    if block not in LAYERS or branch not in ("1x1", "3x3", "5x5"):
        if branch == "pool_reduce":
            raise ValueError(
                "pool_reduce units read a max-pool; rebuilding them would turn it into an average. "
                "Edit their 1x1 weights with with_direct_weights(model, src, dst, edit) instead."
            )
        raise ValueError(f"with_expanded_weights rebuilds units of a mixed layer's 1x1/3x3/5x5 branch, not {node}")
    block_in = _block_input(block)
    k = OP[node].kernel
    dst_units = [u for _, _, u in groups]
    full = expanded_weights(model, block_in, dst_units, window=k)  # (n, C_in, k, k)
    s = _src_side(src if src is not None else block_in)
    if s.node == _pooled(block_in):
        s = _Side(block_in, s.channels, s.units, s.single)
    if s.node != block_in:
        raise ValueError(f"{block} units are rebuilt over their block input {block_in!r}; src must be in it, got {s.node!r}")
    cols = torch.as_tensor(s.channels, device=full.device)
    sub = _squeeze(full[:, cols], single_dst, s.single)
    edited = _unsqueeze(_apply_edit(sub, edit), single_dst, s.single)
    kernel = full.clone()
    kernel[:, cols] = edited

    new = edited_copy(model)
    local = [ch for _, ch, _ in groups]
    conv_out = getattr(new, f"{node}_pre_relu_conv")
    bias = conv_out.bias.detach()[local].clone() if conv_out.bias is not None else torch.zeros(len(local))
    stash_module = getattr(new, f"{node}_pre_relu_conv" if branch == "1x1" else f"{node}_bottleneck_pre_relu_conv")
    if branch == "1x1":
        bottleneck_bias, w_k = None, None
    else:
        bn = getattr(new, f"{node}_bottleneck_pre_relu_conv")
        bottleneck_bias = bn.bias.detach().clone() if bn.bias is not None else None
        w_k = conv_out.weight.detach()[local].clone()
    stash: dict[str, torch.Tensor] = {}
    bias_maps: dict[tuple, torch.Tensor] = {}
    index = torch.as_tensor(local)

    def keep_input(_m: nn.Module, args: tuple) -> None:
        stash["x"] = args[0]

    def replace(_m: nn.Module, _args: tuple, out: torch.Tensor) -> torch.Tensor:
        x = stash.pop("x", None)
        if x is None:
            raise RuntimeError("the rebuilt units did not see their block input; was the forward pass re-ordered?")
        kk = kernel.to(device=x.device, dtype=x.dtype)
        rebuilt = F.conv2d(F.pad(x, (k // 2,) * 4), kk) + bias.to(x).view(1, -1, 1, 1)
        if bottleneck_bias is not None and w_k is not None:
            key = (x.shape[-2], x.shape[-1], x.device, x.dtype)
            if key not in bias_maps:
                const = bottleneck_bias.to(x).view(1, -1, 1, 1).expand(1, -1, *x.shape[-2:])
                bias_maps[key] = F.conv2d(F.pad(const, (k // 2,) * 4), w_k.to(x))
            rebuilt = rebuilt + bias_maps[key]
        out = out.clone()
        out[:, index.to(out.device)] = rebuilt.to(out.dtype)
        return out

    stash_module.register_forward_pre_hook(keep_input)
    conv_out.register_forward_hook(replace)
    new.circuit_edits.append(  # type: ignore[attr-defined]
        f"rebuilt {_describe(dst_units)} as one {k}x{k} conv over {block_in} from expanded weights "
        f"(bottleneck ReLU -> identity); edit {_edit_name(edit)} on inputs {_describe(s.units)}"
    )
    return new

