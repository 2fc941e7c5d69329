"""Receptive fields (checked against input gradients), top-k examples (checked against a per-image
brute force) and crops (checked on coordinate-coded images)."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers.counters import CallCounter
from torch import nn

from shared_utils.activations import ChannelStats, capture
from shared_utils.dataset_examples import (ReceptiveField, dataset_examples, example_crops, example_images,
                                           receptive_field, top_examples)
from shared_utils.inception.names import UnknownLayerError


class _AvgPool(nn.Module):
    """Drop-in for lucent's MaxPool2dLayer that passes gradient to every pixel of its window."""

    def forward(self, x, kernel_size=(3, 3), stride=(1, 1), padding=0, ceil_mode=False):  # noqa: ANN001
        return F.avg_pool2d(torch.nan_to_num(x, neginf=0.0), kernel_size, stride, padding, ceil_mode)


@pytest.fixture(scope="module")
def smooth_model(model):
    """The stand-in with identity ReLUs and average pools: same geometry, no gradient dropped."""
    m = copy.deepcopy(model)
    for name, child in list(m.named_children()):
        kind = type(child).__name__
        if kind == "MaxPool2dLayer":
            setattr(m, name, _AvgPool())
        elif "Relu" in kind or "ReLU" in kind:
            setattr(m, name, nn.Identity())
    return m


def _gradient_support(model: nn.Module, layer: str, size: int, row: int, col: int) -> torch.Tensor:
    x = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(0)).requires_grad_(True)
    out = capture(model, x, layer, grad=True)[layer]
    out[0, :, row, col].sum().backward()
    return x.grad[0].abs().sum(0) > 0  # (size, size)


# (layer, input size, row, col): positions whose whole field lies inside the image
CASES = [("conv2d0", 32, 5, 6), ("maxpool0", 32, 3, 4), ("conv2d2", 48, 5, 6), ("maxpool1", 48, 3, 2),
         ("mixed3a", 96, 6, 5), ("mixed3b_3x3", 128, 8, 7), ("mixed3b", 128, 8, 9), ("mixed4a", 224, 7, 6)]


@pytest.mark.parametrize("layer, size, row, col", CASES)
def test_receptive_field_matches_input_gradient(smooth_model, layer: str, size: int, row: int, col: int) -> None:
    top, left, bottom, right = receptive_field(layer).box(row, col)
    assert 0 <= top and bottom <= size and 0 <= left and right <= size, "test case must fit in the image"
    support = _gradient_support(smooth_model, layer, size, row, col)
    rows = torch.nonzero(support.any(1)).flatten()
    cols = torch.nonzero(support.any(0)).flatten()
    # non-zero only inside the box, and reaching all four of its edges
    assert (int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1) == (top, bottom, left, right)


def test_receptive_field_contains_gradient_of_the_real_architecture(model) -> None:
    """With the model's own max-pools and ReLUs the gradient can only be sparser, never outside."""
    for layer, size, row, col in [("mixed3b", 128, 8, 9), ("conv2d2", 48, 5, 6)]:
        top, left, bottom, right = receptive_field(layer).box(row, col)
        support = _gradient_support(model, layer, size, row, col)
        assert support.any()
        outside = support.clone()
        outside[top:bottom, left:right] = False
        assert not outside.any()


def test_receptive_field_box_is_clipped_to_the_image() -> None:
    rf = receptive_field("mixed3b")
    top, left, bottom, right = rf.box(0, 27)
    assert top < 0 and right > 224
    assert rf.box(0, 27, 224) == (0, left, bottom, 224)
    assert receptive_field("3b") == receptive_field("mixed3b_5x5")  # the layer's field is its widest branch's
    with pytest.raises(UnknownLayerError):
        receptive_field("mixed3z")


def test_grid_size_agrees_with_the_field(model) -> None:
    """The last grid position's field still starts inside the image (else the grid would be larger)."""
    for layer in ["conv2d0", "conv2d2", "mixed3a", "mixed3b", "mixed4a"]:
        size = 96
        grid = capture(model, torch.rand(1, 3, size, size), layer)[layer].shape[-1]
        rf = receptive_field(layer)
        assert rf.start + (grid - 1) * rf.jump < size
        assert rf.start + grid * rf.jump + rf.size > size  # one more position would read past the padding


@pytest.fixture(scope="module")
def small_sample(sample):
    return sample.subset(list(range(0, 1000, 50)))  # 20 photos


def test_top_k_matches_brute_force_per_image(model, small_sample) -> None:
    units = ["3b:379", "conv2d2:5", "mixed3a:100"]
    with CallCounter(model) as forward:
        ex = dataset_examples(model, small_sample, units, k=5, image_size=64, pre_relu=True,
                              batch_size=len(small_sample), progress=False)
    assert forward.calls == 1  # ONE pass for all layers
    assert list(ex) == ["3b:379", "conv2d2:5", "3a:100"]  # keys: the short ids, in the order asked
    for spec, layer, ch in [("3b:379", "mixed3b", 379), ("conv2d2:5", "conv2d2", 5), ("3a:100", "mixed3a", 100)]:
        best, where = [], []
        for i in range(len(small_sample)):  # brute force: one photo at a time, full map, own argmax
            a = capture(model, small_sample.image(i, 64)[None], layer, pre_relu=True)[layer][0, ch]
            best.append(float(a.max()))
            flat = int(a.flatten().argmax())
            where.append((flat // a.shape[1], flat % a.shape[1]))
        order = sorted(range(len(best)), key=lambda i: -best[i])[:5]
        e = ex[spec]
        assert e.indices.tolist() == order
        np.testing.assert_allclose(e.values, [best[i] for i in order], rtol=1e-4)
        assert [tuple(p) for p in e.positions.tolist()] == [where[i] for i in order]
        assert e.labels == [small_sample.labels[i] for i in order]
        rf = receptive_field(layer)
        assert [tuple(b) for b in e.boxes.tolist()] == [rf.box(r, c, 64) for r, c in e.positions.tolist()]
        assert "UNTRAINED" in e.model_label


def test_cached_pass_is_reused(model, small_sample, tmp_path) -> None:
    args = dict(k=3, image_size=48, cache=tmp_path, progress=False)
    first = dataset_examples(model, small_sample, "3b:379", **args)
    with CallCounter(model) as forward:
        again = dataset_examples(model, small_sample, "3b:379", **args)
    assert forward.calls == 0
    assert np.array_equal(first["3b:379"].indices, again["3b:379"].indices)


class _CoordSample:
    """Photos whose pixels encode their own coordinates: red = row / S, green = col / S, blue = photo / 10."""

    labels = ["a", "b", "c", "d"]

    def __len__(self) -> int:
        return 4

    def batch(self, indices, size):  # noqa: ANN001
        r = torch.arange(size, dtype=torch.float32)[:, None].expand(size, size) / size
        c = torch.arange(size, dtype=torch.float32)[None, :].expand(size, size) / size
        return torch.stack([torch.stack([r, c, torch.full_like(r, i / 10)]) for i in indices])


def _stats(layer: str, positions: list[tuple[int, int]], maxima: list[float], size: int, channels: int) -> ChannelStats:
    n = len(positions)
    mx = torch.zeros(n, channels)
    mx[:, 7] = torch.tensor(maxima)
    argmax = torch.zeros(n, channels, 2, dtype=torch.long)
    argmax[:, 7] = torch.tensor(positions)
    return ChannelStats(layer, mx, argmax, mx.clone(), (size // 8, size // 8), size)


def test_crops_have_the_field_shape_and_location() -> None:
    size = 224
    stats = _stats("mixed3b", [(0, 0), (13, 14), (27, 27), (5, 20)], [1.0, 4.0, 3.0, 2.0], size, 480)
    ex = top_examples(stats, "3b:7", k=4, labels=_CoordSample.labels)
    assert ex.indices.tolist() == [1, 2, 3, 0] and ex.labels == ["b", "c", "d", "a"]
    crops = example_crops(_CoordSample(), ex, fill=0.25)
    rf = receptive_field("mixed3b")
    assert crops.shape == (4, rf.size, rf.size, 3)
    for crop, idx, (row, col), box in zip(crops, ex.indices, ex.positions, ex.boxes):
        top, left = rf.start + row * rf.jump, rf.start + col * rf.jump
        ys, xs = np.arange(top, top + rf.size), np.arange(left, left + rf.size)
        inside = ((ys >= 0) & (ys < size))[:, None] & ((xs >= 0) & (xs < size))[None, :]
        np.testing.assert_allclose(crop[..., 0][inside], np.broadcast_to(ys[:, None] / size, inside.shape)[inside])
        np.testing.assert_allclose(crop[..., 1][inside], np.broadcast_to(xs[None, :] / size, inside.shape)[inside])
        np.testing.assert_allclose(crop[..., 2][inside], idx / 10, rtol=1e-6)
        assert np.all(crop[~inside] == 0.25)
        # the clipped box is exactly the in-image part of the field
        ins_rows, ins_cols = ys[(ys >= 0) & (ys < size)], xs[(xs >= 0) & (xs < size)]
        assert tuple(box) == (ins_rows[0], ins_cols[0], ins_rows[-1] + 1, ins_cols[-1] + 1)
    images = example_images(_CoordSample(), ex)
    assert images.shape == (4, size, size, 3)
    np.testing.assert_allclose(images[0, 10, 20], [10 / size, 20 / size, 0.1])


def test_top_examples_rejects_bad_input() -> None:
    stats = _stats("mixed3b", [(1, 1)] * 3, [1.0, 2.0, 3.0], 224, 480)
    with pytest.raises(ValueError, match="mixed3b"):
        top_examples(stats, "3a:7", k=2)
    with pytest.raises(ValueError, match="k must be"):
        top_examples(stats, "3b:7", k=4)
    with pytest.raises(UnknownLayerError):
        top_examples(stats, "3q:7", k=2)
    assert isinstance(receptive_field("conv2d1"), ReceptiveField)


def test_dataset_examples_grid_is_captioned(model) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from shared_utils.plot.features import show_dataset_examples

    stats = _stats("mixed3b", [(0, 0), (13, 14), (27, 27), (5, 20)], [1.0, 4.0, 3.0, 2.0], 224, 480)
    ex = {"3b:7": top_examples(stats, "3b:7", k=3, labels=_CoordSample.labels, model=model)}
    fig = show_dataset_examples(ex, _CoordSample())
    try:
        grid = [ax for ax in fig.axes if ax.get_images()]
        assert len(grid) == 6  # 3 crops + 3 photos
        assert grid[0].get_xlabel() == "b\n4" and grid[1].get_xlabel() == "c\n3"
        assert grid[0].get_images()[0].get_array().shape[:2] == (91, 91)
        boxes = [p for ax in grid[3:] for p in ax.patches]
        assert len(boxes) == 3 and boxes[0].get_width() == ex["3b:7"].boxes[0][3] - ex["3b:7"].boxes[0][1]
        heading = fig._suptitle.get_text()
        assert "3b:7" in heading and "UNTRAINED" in heading
        assert len([ax for ax in show_dataset_examples(ex["3b:7"], _CoordSample(), show="crops").axes
                    if ax.get_images()]) == 3
        with pytest.raises(ValueError, match="show"):
            show_dataset_examples(ex, _CoordSample(), show="all")
    finally:
        plt.close("all")
