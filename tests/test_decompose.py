"""NMF, one-sided NMF, SVD of |W| and taxonomy labels, on constructed data with known answers."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from shared_utils.data import taxonomy
from shared_utils.decompose import (
    nmf,
    one_sided_nmf,
    singular_groups,
    singular_order,
    svd_abs,
    taxonomy_labels,
)
from shared_utils.weights import direct_weights


def _match(found: np.ndarray, planted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cosine similarity of each planted factor with its best match, and the matching permutation."""
    f = found / np.linalg.norm(found, axis=1, keepdims=True)
    p = planted / np.linalg.norm(planted, axis=1, keepdims=True)
    sim = p @ f.T
    perm = sim.argmax(axis=1)
    return sim[np.arange(len(p)), perm], perm


def _planted(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sparse non-negative A (60x3, with pure rows) and B (3x30): a uniquely identifiable A @ B."""
    rng = np.random.default_rng(seed)
    b = rng.uniform(0.2, 1, (3, 30)) * (rng.uniform(size=(3, 30)) < 0.5)
    a = rng.uniform(0, 1, (60, 3)) * (rng.uniform(size=(60, 3)) < 0.5)
    a[:3] = np.eye(3)
    return a, b


@pytest.mark.parametrize("seed", [0, 1])
def test_nmf_recovers_planted_non_negative_factors(seed):
    a, b = _planted(seed)
    f = nmf(torch.tensor(a @ b), 3)
    sims, perm = _match(f.channel.numpy(), b)
    assert len(set(perm.tolist())) == 3 and sims.min() > 0.999
    assert f.relative_error < 1e-3
    assert (f.channel >= 0).all() and (f.coefficients >= 0).all()
    assert torch.allclose(f.reconstruct(), torch.tensor(a @ b, dtype=f.coefficients.dtype), atol=1e-3)
    assert np.allclose(np.linalg.norm(f.channel.numpy(), axis=1), 1.0)
    # factor 0 explains the most
    sizes = np.linalg.norm(f.coefficients.numpy(), axis=0)
    assert np.all(np.diff(sizes) <= 1e-9)


def test_nmf_is_deterministic_and_refuses_signed_input():
    a, b = _planted(3)
    x = torch.tensor(a @ b)
    f1, f2 = nmf(x, 3, seed=7), nmf(x, 3, seed=7)
    assert torch.equal(f1.channel, f2.channel) and torch.equal(f1.coefficients, f2.coefficients)
    with pytest.raises(ValueError, match="one_sided_nmf"):
        nmf(x - 0.5, 2)
    with pytest.raises(ValueError, match="n_factors"):
        nmf(x, 0)


def test_one_sided_nmf_finds_two_channel_clusters_with_opposite_spatial_maps():
    """An HF/LF-like case (science.md §4.2): two disjoint clusters of input channels; every unit
    excites with one on one side and with the other on the opposite side."""
    rng = np.random.default_rng(0)
    n_units, c, size = 6, 40, 5
    clusters = np.zeros((2, c))
    clusters[0, :8] = rng.uniform(0.5, 1, 8)
    clusters[1, 20:28] = rng.uniform(0.5, 1, 8)
    maps = np.zeros((n_units, 2, size, size))
    for u in range(n_units):
        edge = np.tanh(np.cos(u) * (np.arange(size) - 2)[None, :] + np.sin(u) * (np.arange(size) - 2)[:, None])
        maps[u, 0], maps[u, 1] = edge, -edge
    w = np.einsum("ukhw,kc->uchw", maps, clusters)  # (units, C, 5, 5): channel axis -3
    f = one_sided_nmf(torch.tensor(w), 2)
    assert f.channel.shape == (2, c) and f.coefficients.shape == (n_units, 2, size, size)
    assert (f.channel >= 0).all() and (f.coefficients < 0).any()
    sims, perm = _match(f.channel.numpy(), clusters)
    assert sorted(perm.tolist()) == [0, 1] and sims.min() > 0.999
    coeff = f.coefficients.numpy()
    for u in range(n_units):
        r = np.corrcoef(coeff[u, 0].ravel(), coeff[u, 1].ravel())[0, 1]
        assert r < -0.99  # the two factors' spatial maps are opposite, as for HF vs LF
        planted = np.corrcoef(coeff[u, perm[0]].ravel(), maps[u, 0].ravel())[0, 1]
        assert planted > 0.999
    assert f.relative_error < 1e-3


def test_one_sided_nmf_on_a_plain_matrix_uses_the_last_axis():
    rng = np.random.default_rng(5)
    b = np.zeros((2, 12))
    b[0, :6], b[1, 6:] = 1.0, 2.0
    a = rng.normal(size=(30, 2))
    f = one_sided_nmf(a @ b, 2)
    assert f.channel.shape == (2, 12) and f.coefficients.shape == (30, 2)
    assert _match(f.channel.numpy(), b)[0].min() > 0.999
    assert np.allclose(f.reconstruct().numpy(), a @ b, atol=1e-3)


def _planted_blocks(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """|W| = 1 + 0.5 * s_out s_in^T (+ noise), with random signs on W: two groups on each side."""
    rng = np.random.default_rng(seed)
    s_in = np.where(rng.permutation(24) < 10, 1.0, -1.0)
    s_out = np.where(rng.permutation(16) < 9, 1.0, -1.0)
    mag = 1.0 + 0.5 * np.outer(s_out, s_in) + 0.05 * rng.uniform(size=(16, 24))
    return mag * rng.choice([-1.0, 1.0], size=mag.shape), s_in, s_out


def test_svd_of_abs_weights_separates_two_planted_groups():
    w, s_in, s_out = _planted_blocks(0)
    res = svd_abs(torch.tensor(w))
    assert torch.allclose(res.matrix, torch.tensor(np.abs(w)))
    rebuilt = res.out_vectors @ torch.diag(res.singular_values) @ res.in_vectors.T
    assert torch.allclose(rebuilt, res.matrix, atol=1e-10)
    assert (res.in_vectors[:, 0] > 0).all()  # the average strength: one sign for everyone
    pos, neg = singular_groups(res, 1, side="in")
    groups = {frozenset(pos.tolist()), frozenset(neg.tolist())}
    assert groups == {frozenset(np.flatnonzero(s_in > 0).tolist()), frozenset(np.flatnonzero(s_in < 0).tolist())}
    pos_o, _ = singular_groups(res, 1, side="out")
    assert set(pos_o.tolist()) in ({*np.flatnonzero(s_out > 0).tolist()}, {*np.flatnonzero(s_out < 0).tolist()})
    order = singular_order(res, 1, side="in").numpy()
    first = s_in[order[:10]] if s_in[order[0]] > 0 else s_in[order[-10:]]
    assert (first > 0).all()  # ordering puts one whole group at one end
    # a conv kernel: |W| is summed over space
    k = torch.tensor(w)[:, :, None, None].repeat(1, 1, 3, 3)
    assert torch.allclose(svd_abs(k).matrix, 9 * res.matrix)
    with pytest.raises(ValueError, match="side"):
        singular_order(res, 0, side="left")


def test_svd_abs_on_the_first_two_layers_of_the_stand_in(model):
    res = svd_abs(direct_weights(model, "conv2d0", "conv2d1"))
    w = model.conv2d1_pre_relu_conv.weight[:, :, 0, 0].double().abs()
    assert torch.allclose(res.matrix, w)
    assert res.in_vectors.shape == (64, 64) and torch.all(res.singular_values[:-1] >= res.singular_values[1:])
    centred = svd_abs(direct_weights(model, "conv2d0", "conv2d1"), center=True)
    assert centred.singular_values[0] < res.singular_values[0]


LAYERS_COMPLETE = {"conv2d0": 64, "conv2d1": 64, "conv2d2": 192, "mixed3a": 256, "mixed3b": 480}


@pytest.mark.parametrize("layer", list(LAYERS_COMPLETE))
def test_taxonomy_labels_cover_every_channel_exactly_once(layer, circuits_root):
    labels = taxonomy_labels(layer, root=circuits_root)
    assert len(labels) == LAYERS_COMPLETE[layer]
    groups = taxonomy(layer, root=circuits_root)
    listed = [u for g in groups for u in g.units]
    assert sorted(listed) == list(range(LAYERS_COMPLETE[layer]))  # raw file: each channel once
    for g in groups:
        assert all(labels[u] == g.name for u in g.units)


def test_taxonomy_labels_known_groups_and_partial_layers(circuits_root):
    labels0 = taxonomy_labels("conv2d0", root=circuits_root)
    assert labels0.count("Gabor Filters") == 28 and labels0.count("Color Contrast") == 27  # science.md §7.2
    assert taxonomy_labels("3b", root=circuits_root)[379] == "Curves"
    with pytest.raises(ValueError, match="strict=False"):
        taxonomy_labels("mixed4a", root=circuits_root)
    partial = taxonomy_labels("mixed4a", root=circuits_root, strict=False)
    assert len(partial) == 508 and "(unlabelled)" in partial


def test_taxonomy_labels_reject_a_file_listing_a_channel_twice(tmp_path):
    (tmp_path / "taxonomy").mkdir()
    groups = [{"name": "A", "units": list(range(40))}, {"name": "B", "units": list(range(39, 64))}]
    (tmp_path / "taxonomy" / "conv2d0.json").write_text(json.dumps(groups))
    with pytest.raises(ValueError, match="1 listed twice"):
        taxonomy_labels("conv2d0", root=tmp_path)
    labels = taxonomy_labels("conv2d0", root=tmp_path, strict=False)
    assert labels[39] == "A" and labels[63] == "B"
