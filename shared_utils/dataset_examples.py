"""Dataset examples: the photos, and the patches of them, that excite a unit most.

Usage::

    ex = dataset_examples(model, sample, ["3b:379", "3b:406"], k=9)  # ONE activation pass for all units
    e = ex["3b:379"]
    e.indices, e.values, e.labels        # top-k photos of the sample, strongest first
    e.positions, e.boxes                 # where in the layer's grid, and which pixels that position sees
    crops = example_crops(sample, e)     # (k, 91, 91, 3): the receptive-field patch of each example
    receptive_field("mixed3b")           # ReceptiveField(size=91, jump=8, start=-38)

What a student does with it: compare a unit's feature visualisation with the real images it
responds to (docs/science.md §2.2, §4.3), and check a label ("curve detector") against the crops
that actually drive it.

Each image's score is the unit's spatial maximum, from one batched, cached pass of
:func:`shared_utils.activations.channel_stats` (which also records where the maximum is). A crop is
the receptive field of that position: the input pixels that can influence it, computed from the
architecture (kernel sizes, strides and paddings; :func:`receptive_field`). For a mixed layer the
field is the layer's largest one, through its 5x5 branch, so units of one layer share a crop size.
Parts of a field that fall outside the photo (the padding) are filled with grey in the crops and
clipped in ``boxes``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .inception._arch import OPS
from .activations import ChannelStats, channel_stats
from .inception.model import WeightsInfo, weights_info
from .inception.names import Unit, parse_units, resolve_layer

__all__ = ["ReceptiveField", "receptive_field", "TopExamples", "top_examples", "dataset_examples",
           "example_images", "example_crops"]


@dataclass(frozen=True)
class ReceptiveField:
    """Which input pixels a layer position sees.

    Position ``(row, col)`` of the layer's grid sees input rows ``start + row*jump`` up to
    ``start + row*jump + size`` (exclusive), and the same for columns. ``start`` is negative when
    the field of position 0 begins in the padding.
    """

    size: int  # side of the field, input pixels
    jump: int  # input pixels between neighbouring grid positions (product of the strides)
    start: int  # first input pixel of position 0's field

    def box(self, row: int, col: int, image_size: "int | None" = None) -> tuple[int, int, int, int]:
        """``(top, left, bottom, right)`` pixels (bottom/right exclusive), clipped to the image if its size is given."""
        top, left = self.start + row * self.jump, self.start + col * self.jump
        bottom, right = top + self.size, left + self.size
        if image_size is None:
            return top, left, bottom, right
        clip = lambda v: max(0, min(image_size, v))  # noqa: E731
        return clip(top), clip(left), clip(bottom), clip(right)


def _grow(rf: ReceptiveField, kernel: int, stride: int, pad_before: int) -> ReceptiveField:
    """The field after one conv/pool with this kernel, stride and leading padding."""
    return ReceptiveField(rf.size + (kernel - 1) * rf.jump, rf.jump * stride, rf.start - pad_before * rf.jump)


def _field_table() -> dict[str, ReceptiveField]:
    """Every layer's field, op by op through the architecture table (shared_utils/inception/_arch.py)."""
    table = {"input": ReceptiveField(1, 1, 0)}
    for op in OPS[1:]:
        if op.kind == "cat":  # every branch is centred on the same position: the layer's field is the largest
            table[op.name] = max((table[p] for p in op.parents), key=lambda f: f.size)
        else:
            table[op.name] = _grow(table[op.parents[0]], op.kernel, op.stride, op.pad[0])
    # the input and the blocks' inner max-pools are not layers a unit is named in
    return {name: rf for name, rf in table.items() if name != "input" and not name.endswith("_pool")}


_FIELDS = _field_table()


def receptive_field(layer: str) -> ReceptiveField:
    """Receptive field of a layer, branch, bottleneck or pool (pre- and post-ReLU are the same).

    >>> receptive_field("conv2d0")
    ReceptiveField(size=7, jump=2, start=-2)
    """
    return _FIELDS[resolve_layer(layer)]


@dataclass
class TopExamples:
    """The ``k`` photos of a sample on which ``unit`` reaches its highest spatial maximum.

    ``indices[i]`` is a photo of the sample (strongest first), ``values[i]`` the unit's maximum on
    it, ``positions[i]`` the (row, col) of that maximum in the layer's grid and ``boxes[i]`` the
    (top, left, bottom, right) pixels its receptive field covers inside the photo.
    """

    unit: Unit
    indices: np.ndarray  # (k,) int
    values: np.ndarray  # (k,) float
    positions: np.ndarray  # (k, 2) int
    boxes: np.ndarray  # (k, 4) int, clipped to the image
    labels: list[str]  # class name of each photo
    field: ReceptiveField
    image_size: int
    pre_relu: bool
    weights: "WeightsInfo | None" = None  # the model's provenance, if known

    @property
    def model_label(self) -> str:
        """The model's label ('UNTRAINED ...' for the stand-in); empty if unknown."""
        return self.weights.label if self.weights is not None else ""

    def __len__(self) -> int:
        return len(self.indices)


def top_examples(
    stats: ChannelStats,
    unit: "str | Unit",
    k: int = 9,
    *,
    labels: "Sequence[str] | None" = None,
    pre_relu: bool = False,
    model: "nn.Module | None" = None,
) -> TopExamples:
    """Top-``k`` examples of ``unit`` from statistics already computed by ``channel_stats``.

    ``labels`` are the class names of the photos the statistics cover (``sample.labels``);
    ``pre_relu`` says how the statistics were computed; ``model`` (the one that computed them)
    labels the result, so that figures can say when it is the untrained stand-in.
    """
    u = parse_units([unit])[0]
    if resolve_layer(stats.layer) != u.layer:
        raise ValueError(f"these statistics are for {stats.layer}, but {u} is in {u.layer}")
    n = stats.max.shape[0]
    if not isinstance(k, int) or not 1 <= k <= n:
        raise ValueError(f"k must be between 1 and the number of images ({n}), got {k!r}")
    scores = stats.max[:, u.channel].float()
    order = torch.sort(scores, descending=True, stable=True).indices[:k]  # ties: lower index first
    positions = stats.argmax[order, u.channel].long()
    field = receptive_field(u.layer)
    boxes = [field.box(int(r), int(c), stats.image_size) for r, c in positions.tolist()]
    return TopExamples(
        unit=u,
        indices=order.numpy().astype(np.int64),
        values=scores[order].numpy(),
        positions=positions.numpy().astype(np.int64),
        boxes=np.asarray(boxes, dtype=np.int64).reshape(-1, 4),
        labels=[labels[i] for i in order.tolist()] if labels is not None else [""] * k,
        field=field,
        image_size=stats.image_size,
        pre_relu=pre_relu,
        weights=weights_info(model) if model is not None else None,
    )


def dataset_examples(
    model: nn.Module,
    sample: object,
    units: "str | Iterable[str | Unit]",
    *,
    k: int = 9,
    image_size: int = 224,
    pre_relu: bool = False,
    cache: "str | Path | None" = None,
    batch_size: "int | None" = None,
    progress: bool = True,
) -> dict[str, TopExamples]:
    """Top-``k`` photos of ``sample`` for every unit, from ONE activation pass over the sample.

    Args:
        sample: an :class:`~shared_utils.data.ImageSample` (e.g. ``imagenet_sample()``); or a folder, a
            list of image paths or an :class:`~shared_utils.data.folders.ImageFolder`, which take the streaming
            pass of :func:`~shared_utils.data.folders.folder_stats` (memory flat in the number of photos).
        units: ``"3b:379 3b:406"`` or a list of ids; the layers they need are computed together.
        pre_relu: rank by the value before the ReLU (no ties at 0 for weak units).
        cache: a directory for the activation statistics (shared with ``channel_stats``).
        batch_size: images per forward pass (default: the device's budget).

    Returns:
        ``{unit id ('3b:379'): TopExamples}`` in the order given.
    """
    parsed = parse_units(units)
    if not parsed:
        raise ValueError("give at least one unit, e.g. dataset_examples(model, sample, '3b:379')")
    layers = list(dict.fromkeys(u.layer for u in parsed))
    from .data import folders as _folders  # imported here: it imports this module

    if _folders.is_folder_source(sample):
        streamed = _folders.folder_stats(model, sample, layers, k=k, image_size=image_size, pre_relu=pre_relu,
                                         batch_size=batch_size, cache=cache, progress=progress)
        return {u.short: streamed.top_examples(u, k) for u in parsed}
    stats = channel_stats(model, sample, layers, image_size=image_size, batch_size=batch_size, pre_relu=pre_relu,
                          cache=cache, progress=progress)
    labels = list(getattr(sample, "labels", [""] * len(sample)))  # type: ignore[arg-type]
    return {u.short: top_examples(stats[u.layer], u, k, labels=labels, pre_relu=pre_relu, model=model)
            for u in parsed}


def example_images(sample: object, examples: TopExamples) -> np.ndarray:
    """The whole photos, (k, S, S, 3) in [0, 1], exactly as the activation pass saw them."""
    batch = sample.batch(examples.indices.tolist(), examples.image_size)  # type: ignore[attr-defined]
    return batch.permute(0, 2, 3, 1).cpu().numpy()


def example_crops(sample: object, examples: TopExamples, *, fill: float = 0.5) -> np.ndarray:
    """Receptive-field patches, (k, F, F, 3) with F the field size; pixels outside the photo are ``fill``."""
    images = sample.batch(examples.indices.tolist(), examples.image_size)  # type: ignore[attr-defined]
    rf = examples.field
    margin = rf.size
    padded = F.pad(images, (margin,) * 4, value=fill)
    crops = []
    for img, (row, col) in zip(padded, examples.positions.tolist()):
        top, left, _, _ = rf.box(row, col)
        crops.append(img[:, top + margin: top + margin + rf.size, left + margin: left + margin + rf.size])
    return torch.stack(crops).permute(0, 2, 3, 1).cpu().numpy()
