"""The linearised InceptionV1: a bias-free conv/avg-pool/concat network between any two layers.

:func:`inception_graph` builds it from the architecture table (:mod:`shared_utils.inception._arch`)
and the model's own conv kernels: ReLU -> identity, max-pool -> average pool, no local response
norms, no biases (docs/science.md §9). :class:`LinearGraph` runs it forward between two nodes and
takes its Jacobian, which is what :func:`shared_utils.weights.expanded_weights` reads. It is a
generic network, so small hand-made ones (a few :class:`LinearOp`) check the idea on paper-sized
examples. Lucent's model object is read, never modified.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ._arch import OPS as _ARCH
from .names import UnknownLayerError, resolve_layer

__all__ = ["LinearOp", "LinearGraph", "inception_graph", "linearised_forward"]



@dataclass(frozen=True)
class LinearOp:
    """One node of a bias-free linear conv network.

    ``kind``:
      * ``"input"``: a source with ``channels`` channels;
      * ``"conv"``: ``F.conv2d`` of the single parent with ``weights[name]`` (out, in, k, k), no bias;
      * ``"pool"``: average pool ``kernel`` x ``kernel`` (zero padding, divisor ``kernel**2``);
      * ``"cat"``: channel concatenation of the parents, in order.

    ``pad`` is ``(before, after)``, the same for rows and columns; ``None`` means ``k // 2`` each
    side ("same" padding for odd kernels).
    """

    name: str
    kind: Literal["input", "conv", "pool", "cat"]
    parents: tuple[str, ...] = ()
    kernel: int = 1
    stride: int = 1
    pad: tuple[int, int] | None = None
    channels: int | None = None


@dataclass(frozen=True)
class _Geometry:
    """Where the source positions that feed destination position ``i`` lie: ``stride * i + offset``."""

    stride: int
    lo: int  # first source position in the receptive field
    hi: int  # last source position in the receptive field
    centre: int  # source position under the destination unit (window centre)


class LinearGraph:
    """A bias-free linear network (convs, average pools, concatenations) as a DAG of :class:`LinearOp`.

    ``ops`` must be in topological order (parents first). ``weights`` maps each conv's name to its
    (out, in, k, k) kernel. :meth:`forward` runs the part of the network between two nodes,
    :meth:`jacobian` gives expanded weights between them.
    """

    def __init__(self, ops: Sequence[LinearOp], weights: Mapping[str, torch.Tensor]):
        self.ops: dict[str, LinearOp] = {}
        self.weights = dict(weights)
        self.channels: dict[str, int] = {}
        self.children: dict[str, list[str]] = {}
        for op in ops:
            if op.name in self.ops:
                raise ValueError(f"two ops are called {op.name!r}")
            for p in op.parents:
                if p not in self.ops:
                    raise ValueError(f"{op.name!r} reads {p!r}, which is not defined before it")
            self.ops[op.name] = op
            self.children[op.name] = []
            for p in op.parents:
                self.children[p].append(op.name)
            self.channels[op.name] = self._channels_of(op)

    def _channels_of(self, op: LinearOp) -> int:
        if op.kind == "input":
            if op.parents or op.channels is None:
                raise ValueError(f"input {op.name!r} needs channels= and no parents")
            return op.channels
        if op.kind == "cat":
            if not op.parents:
                raise ValueError(f"cat {op.name!r} needs parents")
            return sum(self.channels[p] for p in op.parents)
        if len(op.parents) != 1:
            raise ValueError(f"{op.kind} {op.name!r} needs exactly one parent, got {op.parents}")
        c_in = self.channels[op.parents[0]]
        if op.kind == "pool":
            return c_in
        if op.kind == "conv":
            w = self.weights.get(op.name)
            if w is None or w.ndim != 4 or w.shape[2] != w.shape[3]:
                raise ValueError(f"conv {op.name!r} needs a square (out, in, k, k) kernel in weights")
            if w.shape[1] != c_in:
                raise ValueError(f"conv {op.name!r} has {w.shape[1]} input channels but {op.parents[0]!r} has {c_in}")
            return int(w.shape[0])
        raise ValueError(f"unknown op kind {op.kind!r} for {op.name!r}")

    # ------------------------------------------------------------------ structure
    def kernel_stride_pad(self, name: str) -> tuple[int, int, int, int]:
        op = self.ops[name]
        k = int(self.weights[name].shape[-1]) if op.kind == "conv" else op.kernel
        lo, hi = op.pad if op.pad is not None else (k // 2, k // 2)
        return k, op.stride, lo, hi

    def descendants(self, name: str) -> set[str]:
        seen, todo = {name}, [name]
        while todo:
            for c in self.children[todo.pop()]:
                if c not in seen:
                    seen.add(c)
                    todo.append(c)
        return seen

    def ancestors(self, name: str) -> set[str]:
        seen, todo = {name}, [name]
        while todo:
            for p in self.ops[todo.pop()].parents:
                if p not in seen:
                    seen.add(p)
                    todo.append(p)
        return seen

    def feeds(self, src: str, dst: str) -> bool:
        """True if ``dst`` depends on ``src`` (and they differ)."""
        return src != dst and dst in self.descendants(src)

    def _between(self, src: str, dst: str) -> list[str]:
        for n in (src, dst):
            if n not in self.ops:
                raise UnknownLayerError(f"{n!r} is not a node of this network; nodes: {', '.join(self.ops)}")
        if not self.feeds(src, dst):
            raise ValueError(
                f"{src!r} does not feed {dst!r}: weights go from an earlier layer to a later one "
                "(e.g. src='mixed3a', dst='3b:379')."
            )
        keep = self.descendants(src) & self.ancestors(dst)
        return [n for n in self.ops if n in keep]

    def geometry(self, src: str, dst: str) -> _Geometry:
        """Receptive field and centre of ``dst`` position ``i`` in ``src`` coordinates."""
        order = self._between(src, dst)
        geo: dict[str, tuple[int, int, int, int]] = {dst: (1, 0, 0, 0)}
        for name in reversed(order):
            if name == src:
                continue
            s_x, lo_x, hi_x, c_x = geo[name]
            op = self.ops[name]
            for p in op.parents:
                if p not in order:
                    continue
                if op.kind == "cat":
                    cand = (s_x, lo_x, hi_x, c_x)
                else:
                    k, s, p_lo, _ = self.kernel_stride_pad(name)
                    cand = (s * s_x, s * lo_x - p_lo, s * hi_x - p_lo + k - 1, s * c_x - p_lo + (k - 1) // 2)
                if p in geo:
                    old = geo[p]
                    if old[0] != cand[0] or old[3] != cand[3]:
                        raise ValueError(f"paths from {src!r} to {dst!r} disagree on stride/centre at {p!r}")
                    cand = (old[0], min(old[1], cand[1]), max(old[2], cand[2]), old[3])
                geo[p] = cand
        s, lo, hi, c = geo[src]
        return _Geometry(s, lo, hi, c)

    def min_input_size(self, dst: str, size: int = 1) -> int:
        """Smallest input side (pixels) for which ``dst`` has at least ``size`` positions per side.

        Inverts each op's output size ``(n + pad_before + pad_after - k) // stride + 1`` on every
        path from the input to ``dst``. For InceptionV1: 2 px for conv2d0, 32 px for mixed5b,
        224 px for ``size=7`` at mixed5b (the classifier's 7x7 average pool).
        """
        if dst not in self.ops:
            raise KeyError(f"no node {dst!r} in this graph")
        need = {dst: size}
        for name in reversed(list(self.ops)):
            if name not in need or self.ops[name].kind == "input":
                continue
            op, n = self.ops[name], need[name]
            if op.kind == "cat":
                want = n
            else:
                k, s, p_lo, p_hi = self.kernel_stride_pad(name)
                want = (n - 1) * s + k - p_lo - p_hi
            for p in op.parents:
                need[p] = max(need.get(p, 1), want, 1)
        return max(n for name, n in need.items() if self.ops[name].kind == "input")

    # ------------------------------------------------------------------ computation
    def forward(self, x: torch.Tensor, src: str, dst: str) -> torch.Tensor:
        """Run the linear network from node ``src`` (value ``x``, (N, C, H, W)) to node ``dst``.

        Nodes that do not depend on ``src`` contribute zeros (biases are off).
        """
        order = self._between(src, dst)
        if x.ndim != 4 or x.shape[1] != self.channels[src]:
            raise ValueError(f"{src!r} values must be (N, {self.channels[src]}, H, W), got {tuple(x.shape)}")
        values: dict[str, torch.Tensor] = {src: x}
        for name in order[1:]:
            op = self.ops[name]
            if op.kind == "cat":
                present = [values[p] for p in op.parents if p in values]
                ref = present[0]
                parts = [
                    values[p] if p in values else ref.new_zeros(ref.shape[0], self.channels[p], *ref.shape[2:])
                    for p in op.parents
                ]
                values[name] = torch.cat(parts, dim=1)
                continue
            v = values[op.parents[0]]
            k, s, p_lo, p_hi = self.kernel_stride_pad(name)
            v = F.pad(v, (p_lo, p_hi, p_lo, p_hi))
            if op.kind == "conv":
                w = self.weights[name].to(device=v.device, dtype=v.dtype)
                values[name] = F.conv2d(v, w, stride=s)
            else:
                values[name] = F.avg_pool2d(v, k, stride=s)
        return values[dst]

    def jacobian(
        self,
        src: str,
        dst: str,
        dst_channels: Sequence[int],
        *,
        window: int = 5,
        src_channels: Sequence[int] | None = None,
        chunk: int = 128,
        device: "torch.device | str | None" = None,
        dtype: torch.dtype | None = None,
    ) -> torch.Tensor:
        """Expanded weights ``(len(dst_channels), n_src, window, window)``.

        Entry ``[o, c, a, b]`` is d(dst channel o at a position i) / d(src channel c at position
        ``centre(i) + (a, b) - window // 2``): one backward pass per destination unit, batched.
        The source patch is made large enough that no zero padding inside the network touches
        the receptive field, so the answer is the same as deep inside a large image.
        """
        _check_window(window)
        geo = self.geometry(src, dst)
        half = window // 2
        left = min(geo.lo, geo.centre - half)
        right = max(geo.hi, geo.centre + half)
        i = max(0, math.ceil(-left / geo.stride))
        size = geo.stride * i + right + 1
        c_src = self.channels[src]
        some_w = next(iter(self.weights.values()), None)
        device = device if device is not None else (some_w.device if some_w is not None else "cpu")
        dtype = dtype if dtype is not None else (some_w.dtype if some_w is not None else torch.float32)
        with torch.no_grad():
            while True:  # the destination must have a position i (it does after at most a few steps)
                probe = self.forward(torch.zeros(1, c_src, size, size, device=device, dtype=dtype), src, dst)
                if probe.shape[-1] > i:
                    break
                size += geo.stride
        start = geo.stride * i + geo.centre - half
        cols = torch.as_tensor(list(range(c_src)) if src_channels is None else list(src_channels), device=device)
        rows = list(dst_channels)
        n_dst = self.channels[dst]
        bad = [r for r in rows if not 0 <= r < n_dst]
        if bad:
            raise IndexError(f"{dst!r} has {n_dst} channels; got {bad[:5]}")
        out = []
        # keep one batch of source patches under ~2**25 numbers (128 MB in float32)
        step = max(1, min(chunk, 2**25 // (c_src * size * size)))
        with torch.enable_grad():
            for a in range(0, len(rows), step):
                part = torch.as_tensor(rows[a:a + step], device=device)
                x = torch.zeros(len(part), c_src, size, size, device=device, dtype=dtype, requires_grad=True)
                y = self.forward(x, src, dst)
                picked = y[torch.arange(len(part), device=device), part, i, i].sum()
                (g,) = torch.autograd.grad(picked, x)
                out.append(g[:, cols, start:start + window, start:start + window])
        if not out:
            return torch.zeros(0, len(cols), window, window, device=device, dtype=dtype)
        return torch.cat(out).detach()


def _check_window(window: int) -> None:
    if not isinstance(window, int) or isinstance(window, bool) or window < 1 or window % 2 == 0:
        raise ValueError(f"window must be an odd positive int (the unit sits at its centre), got {window!r}")


# ============================================================================ InceptionV1 as a LinearGraph

def _inception_ops() -> list[LinearOp]:
    """The architecture table (shared_utils/inception/_arch.py) as linear ops: the LRNs are not in it, its
    max-pools become average pools (LinearOp's "pool")."""
    return [LinearOp(op.name, op.kind, op.parents, kernel=op.kernel, stride=op.stride, pad=op.pad,
                     channels=op.channels) for op in _ARCH]


_OPS = _inception_ops()


def inception_graph(model: nn.Module) -> LinearGraph:
    """The linearised InceptionV1 (ReLU -> identity, max-pool -> avg-pool, no LRN, no biases).

    It reads (does not copy, never modifies) the conv kernels of ``model``.
    """
    weights = {}
    for op in _OPS:
        if op.kind != "conv":
            continue
        conv = getattr(model, f"{op.name}_pre_relu_conv", None)
        if not isinstance(conv, nn.Conv2d):
            raise TypeError(
                f"the model has no conv '{op.name}_pre_relu_conv': expected lucent's InceptionV1 "
                "from shared_utils.inception.model.load_inceptionv1"
            )
        weights[op.name] = conv.weight.detach()
    return LinearGraph(_OPS, weights)


# ============================================================================ naming <-> graph nodes

def linearised_forward(model: nn.Module, x: torch.Tensor, src: str, dst: str) -> torch.Tensor:
    """Values of layer ``dst`` when layer ``src`` holds ``x``, in the linearised network.

    ``src``/``dst`` are graph nodes: ``'input'``, ``'conv2d2'``, ``'maxpool1'``, ``'mixed3a'``,
    ``'mixed3b_5x5_bottleneck'``, ``'mixed3b_5x5'``... ReLU is the identity, max-pool an average
    pool, LRN and biases are gone; so this is linear in ``x``.
    """
    g = inception_graph(model)
    s = "input" if src.strip().lower() == "input" else resolve_layer(src)
    return g.forward(x, s, resolve_layer(dst))
