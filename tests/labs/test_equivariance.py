"""shared_utils.labs.equivariance on constructed families where the answer is known (no model, no trained weights).

References are independent of the code under test: ``torch.rot90`` by hand, kernels drawn analytically
at each angle (:func:`oriented_kernel` is a formula of rotated coordinates), ``conv_transpose2d``,
two-layer conv networks run on rotated inputs, the rendered line stimuli of ``shared_utils.stimuli``,
and the Curve Circuits AANN weights, whose structure docs/science.md §3.2 and §13.13 describe.
"""
from __future__ import annotations

import json
import math

import pytest
import torch
import torch.nn.functional as F

from shared_utils.labs import equivariance as eq
from shared_utils.stimuli import line, rotate

torch.set_num_threads(max(1, min(2, torch.get_num_threads())))

TEN = [36.0 * i for i in range(10)]
EIGHT = [45.0 * i for i in range(8)]


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ----------------------------------------------------------------------------- rotating and flipping


def test_rotate_90_is_counter_clockwise_on_screen_and_exact() -> None:
    k = torch.zeros(5, 5)
    k[2, 4] = 1.0  # right of centre
    up = eq.rotate_kernel(k, 90)
    assert up[0, 2] == 1 and up.sum() == 1  # now above the centre (row 0)
    w = torch.randn(3, 4, 7, 7, generator=_gen())
    for q in range(-3, 5):
        assert torch.equal(eq.rotate_kernel(w, 90 * q), torch.rot90(w, q, dims=(-2, -1)))


def test_interpolated_path_agrees_with_exact_quarter_turns() -> None:
    w = torch.randn(6, 2, 5, 5, generator=_gen(1), dtype=torch.float64)
    out, valid = eq._rotate_interp(w, torch.full((6,), 90.0, dtype=torch.float64), "bilinear")
    assert torch.allclose(out, torch.rot90(w, 1, dims=(-2, -1)), atol=1e-10)
    assert bool((valid == 1).all())


@pytest.mark.parametrize("kind", ["line", "edge", "curve"])
@pytest.mark.parametrize("angle", [15.0, 30.0, 60.0, 125.0])
def test_arbitrary_rotation_matches_the_analytic_kernel(kind: str, angle: float) -> None:
    base = eq.oriented_kernel(0.0, 9, kind)
    truth = eq.oriented_kernel(angle, 9, kind)
    rotated, valid = eq.rotate_kernel(base, angle, return_mask=True)
    assert eq.cosine(rotated, truth, mask=valid) > 0.97
    assert eq.cosine(base, truth) < 0.97  # the rotation did something


def test_rotate_kernel_family_shapes_and_errors() -> None:
    w = torch.randn(4, 5, 5, generator=_gen())
    assert eq.rotate_kernel(w, [0, 30, 90]).shape == (3, 4, 5, 5)
    assert eq.rotate_kernel(w, torch.tensor(30.0)).shape == (4, 5, 5)
    assert torch.equal(eq.rotate_kernel(w, [0, 90])[1], torch.rot90(w, 1, dims=(-2, -1)))
    with pytest.raises(ValueError, match="square"):
        eq.rotate_kernel(torch.zeros(3, 5, 4), 90)
    with pytest.raises(ValueError, match="mode"):
        eq.rotate_kernel(w, 30, mode="nearest")
    with pytest.raises(ValueError, match="empty"):
        eq.rotate_kernel(w, [])


def test_kernel_rotation_follows_the_stimulus_rotation_convention() -> None:
    """Rotating kernel and image by the same angle leaves the centre response unchanged."""
    img = torch.rand(1, 3, 33, 33, generator=_gen(2))
    kern = torch.randn(2, 3, 9, 9, generator=_gen(3))
    ref = eq.centre_responses(kern, img[0:1])
    for a in (90.0, 180.0, 270.0):
        spun = rotate(img, [a], mask=False)[0]  # (1, 3, S, S), stimuli.rotate: counter-clockwise on screen
        got = eq.centre_responses(eq.rotate_kernel(kern, a), spun)
        assert torch.allclose(got, ref, atol=1e-4), a
    # and the wrong direction does not
    spun = rotate(img, [90.0], mask=False)[0]
    assert not torch.allclose(eq.centre_responses(eq.rotate_kernel(kern, -90.0), spun), ref, atol=1e-2)


def test_line_kernel_prefers_the_line_stimulus_at_its_angle() -> None:
    stim = line(torch.arange(0, 180, 15.0), size=21, thickness=2.0, foreground=1.0, background=0.0)
    fam = eq.kernel_family("line", torch.arange(0, 180, 15.0), 9)
    resp = eq.centre_responses(fam, stim)  # (stimuli, units)
    assert torch.equal(resp.argmax(0), torch.arange(12))


def test_flip_kernel() -> None:
    w = torch.arange(25.0).reshape(5, 5)
    assert torch.equal(eq.flip_kernel(w)[:, 0], w[:, 4])
    assert torch.equal(eq.flip_kernel(w, "up-down")[0], w[4])
    with pytest.raises(ValueError, match="direction"):
        eq.flip_kernel(w, "diagonal")  # type: ignore[arg-type]


def test_cosine() -> None:
    a = torch.randn(3, 5, 5, generator=_gen())
    assert eq.cosine(a, 3 * a) == pytest.approx(1.0)
    assert eq.cosine(a, -a) == pytest.approx(-1.0)
    assert eq.cosine(a, torch.zeros_like(a)) == 0.0
    flat = a.flatten()
    assert eq.cosine(a, a.flip(0)) == pytest.approx(float(flat @ a.flip(0).flatten() / flat.norm() ** 2))
    with pytest.raises(ValueError, match="same shape"):
        eq.cosine(a, a[0])


# ----------------------------------------------------------------------------- the rotation-equivariance score


@pytest.mark.parametrize("kind,angles", [("curve", TEN), ("edge", TEN), ("line", [18.0 * i for i in range(10)])])
def test_rotated_family_scores_high_and_broken_families_low(kind: str, angles: list[float]) -> None:
    fam = eq.kernel_family(kind, angles, 7)
    good = eq.equivariance_score(fam, angles)
    assert good > 0.95
    assert eq.equivariance_score(torch.randn(10, 7, 7, generator=_gen()), angles) < 0.25
    shuffled = fam[torch.tensor([3, 7, 0, 9, 5, 1, 8, 2, 6, 4])]
    assert eq.equivariance_score(shuffled, angles) < good - 0.3
    null = eq.null_scores(fam, angles, n=30)
    assert float(null.max()) < good - 0.2
    assert eq.equivariance_score(fam, angles, mode="bicubic") > good  # a sharper interpolation does better


def test_exact_quarter_turn_family_scores_one() -> None:
    base = torch.randn(7, 7, generator=_gen(4))
    fam = torch.stack([torch.rot90(base, q, dims=(0, 1)) for q in range(4)])
    angles = [0.0, 90.0, 180.0, 270.0]
    assert eq.equivariance_score(fam, angles) == pytest.approx(1.0, abs=1e-9)
    assert (eq.equivariance_matrix(fam, angles) - 1).abs().max() < 1e-9
    # the direction matters: angles running clockwise do not fit a counter-clockwise family
    assert eq.equivariance_score(fam, [-a for a in angles]) < 0.5


def test_score_is_scale_free() -> None:
    fam = eq.kernel_family("curve", TEN, 7)
    noisy = fam + 0.05 * torch.randn(fam.shape, generator=_gen(5))
    s = eq.equivariance_score(noisy, TEN)
    assert eq.equivariance_score(1000.0 * noisy, TEN) == pytest.approx(s, abs=1e-9)
    assert eq.equivariance_score(1e-3 * noisy, TEN) == pytest.approx(s, abs=1e-9)
    per_unit = noisy * torch.linspace(0.5, 5, 10).view(-1, 1, 1)
    assert eq.equivariance_score(per_unit, TEN) == pytest.approx(s, abs=1e-9)  # compares shapes only


def test_reference_unit_option() -> None:
    fam = eq.kernel_family("edge", TEN, 7)
    assert eq.equivariance_score(fam, TEN, reference=3) > 0.95
    manual = eq.equivariance_matrix(fam, TEN)
    assert eq.equivariance_score(fam, TEN, reference=3) == pytest.approx(
        float(torch.cat([manual[3, :3], manual[3, 4:]]).mean()))
    with pytest.raises(IndexError):
        eq.equivariance_score(fam, TEN, reference=10)


def test_score_equals_mean_cosine_of_hand_rotations_at_quarter_turns() -> None:
    W = torch.randn(4, 3, 5, 5, generator=_gen(6))
    angles = [0.0, 90.0, 180.0, 270.0]
    vals = [eq.cosine(torch.rot90(W[r], i - r, dims=(-2, -1)), W[i]) for r in range(4) for i in range(4) if r != i]
    assert eq.equivariance_score(W, angles) == pytest.approx(sum(vals) / len(vals), abs=1e-9)


def test_channel_permutation() -> None:
    phi = [30.0 * j for j in range(12)]
    for steps in (0, 1, 5, -2):
        src = eq.channel_permutation(phi, 30.0 * steps)
        assert torch.equal(src, (torch.arange(12) - steps) % 12)
    lines = [22.5 * j for j in range(8)]  # lines wrap at 180
    assert torch.equal(eq.channel_permutation(lines, 45.0, period=180.0), (torch.arange(8) - 2) % 8)
    assert torch.equal(eq.channel_permutation(lines, 180.0, period=180.0), torch.arange(8))
    uneven = [0.0, 100.0, 170.0, 260.0]
    assert eq.channel_permutation(uneven, 95.0).tolist() == [3, 0, 1, 2]  # 0-95 -> 265 ~ 260, 100-95 -> 5 ~ 0, ...


def test_exact_family_to_family_with_cyclic_channels() -> None:
    """W[i, (j + i) % 4] = rot90(B[j], i): the textbook equivariant family -> family weights."""
    B = torch.randn(4, 5, 5, generator=_gen(7))
    W = torch.empty(4, 4, 5, 5)
    for i in range(4):
        for j in range(4):
            W[i, (j + i) % 4] = torch.rot90(B[j], i, dims=(0, 1))
    a = [0.0, 90.0, 180.0, 270.0]
    assert eq.equivariance_score(W, a, a) == pytest.approx(1.0, abs=1e-9)
    assert eq.equivariance_score(W, a) < 0.5  # without moving the input channels it does not fit
    pred = eq.predict_rotated(W[0], 90.0, a)
    assert torch.allclose(pred, W[1])


@pytest.mark.parametrize("out,inn,period,kind", [
    (EIGHT, EIGHT, 360.0, "curve"),
    (EIGHT, [22.5 * j for j in range(16)], 360.0, "edge"),
    (TEN, [18.0 * j for j in range(10)], 180.0, "line"),
])
def test_analytic_family_to_family_weights(out: list[float], inn: list[float], period: float, kind: str) -> None:
    W = eq.equivariant_weights(out, inn, 7, in_period=period, kind=kind)
    good = eq.equivariance_score(W, out, inn, in_period=period)
    assert good > 0.95
    assert eq.equivariance_score(W, [-a for a in out], [-a for a in inn], in_period=period) < 0.5
    assert float(eq.null_scores(W, out, inn, n=20, in_period=period).max()) < 0.5
    rnd = torch.randn(W.shape, generator=_gen(8))
    assert abs(eq.equivariance_score(rnd, out, inn, in_period=period)) < 0.2


def test_shape_errors_are_clear() -> None:
    W = torch.randn(4, 3, 5, 5)
    with pytest.raises(ValueError, match="one angle per unit"):
        eq.equivariance_score(W, [0, 90, 180])
    with pytest.raises(ValueError, match="in_angles"):
        eq.equivariance_score(W, [0, 90, 180, 270], [0, 90])
    with pytest.raises(ValueError, match="no input axis"):
        eq.equivariance_score(W[:, 0], [0, 90, 180, 270], [0, 90, 180])
    with pytest.raises(ValueError, match="square"):
        eq.equivariance_score(torch.randn(4, 3, 5, 4), [0, 90, 180, 270])
    with pytest.raises(ValueError, match="at least 2"):
        eq.equivariance_score(W[:1], [0])
    with pytest.raises(ValueError, match="NaN"):
        eq.equivariance_score(torch.full((4, 5, 5), float("nan")), [0, 90, 180, 270])
    with pytest.raises(TypeError):
        eq.equivariance_score(W.numpy(), [0, 90, 180, 270])  # type: ignore[arg-type]


def test_best_rotation_recovers_the_angle() -> None:
    a = eq.oriented_kernel(10.0, 9, "curve")
    b = eq.oriented_kernel(130.0, 9, "curve")
    angle, cos = eq.best_rotation(a, b)
    assert abs(angle - 120.0) <= 5 and cos > 0.95


# ----------------------------------------------------------------------------- the AANN: a real equivariant family


@pytest.fixture(scope="module")
def aann(circuits_root) -> torch.Tensor:
    data = json.loads((circuits_root / "curve_circuits" / "aann_weights_3a_to_3b.json").read_text())
    w = torch.tensor(data["weights"], dtype=torch.float64)  # [3a unit i][3b unit j] -> 5x5
    return w.transpose(0, 1)[:24, :24]  # (3b out, 3a in, 5, 5): the 24 curve units


def test_aann_curves_are_rotation_equivariant(aann: torch.Tensor) -> None:
    clockwise = [-15.0 * i for i in range(24)]
    counter = [15.0 * i for i in range(24)]
    good = eq.equivariance_score(aann, clockwise, clockwise)
    assert good > 0.95  # 24 copies 15 degrees apart (science.md §3.2)
    assert eq.equivariance_score(aann, counter, counter) < good - 0.2  # the unit index runs clockwise
    assert float(eq.null_scores(aann, clockwise, clockwise, n=10).max()) < 0.2
    assert eq.equivariance_score(aann, clockwise) < 0.5  # the input channels must move too


def test_aann_kernel_sums_depend_only_on_the_offset(aann: torch.Tensor) -> None:
    sums = aann.sum((-1, -2))
    angles = [-15.0 * i for i in range(24)]
    assert eq.offset_score(sums, angles, angles) > 0.95
    offsets, profile = eq.offset_profile(sums, angles, angles)
    assert len(offsets) == 24
    assert float(offsets[profile.argmax()]) == 0.0 and float(offsets[profile.argmin()]) == 180.0
    assert profile[0] == pytest.approx(5.8, abs=0.1) and float(profile.min()) == pytest.approx(-7.9, abs=0.1)
    assert abs(float(profile[offsets == 90.0])) < 0.5  # about 0 at 90 degrees (§13.13)


# ----------------------------------------------------------------------------- reflection


def test_mirror_pairs_are_found_among_distractors() -> None:
    W = torch.randn(7, 5, 5, generator=_gen(9))
    W[4] = eq.flip_kernel(W[1])
    W[6] = 2.0 * eq.flip_kernel(W[2])
    W[0] = eq.flip_kernel(W[0])  # self-symmetric? no: W[0] is replaced by its own mirror, still unpaired
    pairs = eq.mirror_pairs(W, threshold=0.9)
    assert [(a, b) for a, b, _ in pairs] in ([(1, 4), (2, 6)], [(2, 6), (1, 4)])
    assert eq.reflection_score(W[1], W[4]) == pytest.approx(1.0)
    assert eq.reflection_score(W[1], W[4]) > eq.cosine(W[1], W[4])
    assert abs(eq.reflection_score(W[1], W[3])) < 0.6


def test_reflection_with_mirrored_oriented_inputs() -> None:
    """Left unit: edge inputs at phi_j placed right of centre; right unit: the mirror-image circuit."""
    phi = [30.0 * j for j in range(12)]
    amp = lambda a: math.cos(math.radians(a - 40.0))  # noqa: E731  an arbitrary, asymmetric tuning
    left = torch.stack([amp(p) * eq.oriented_kernel(p, 7, "edge", position=(1.5, 0.8)) for p in phi])
    right = torch.stack([amp(180.0 - p) * eq.oriented_kernel(p, 7, "edge", position=(-1.5, 0.8)) for p in phi])
    perm = eq.mirror_permutation(phi)
    assert perm.tolist() == [(6 - j) % 12 for j in range(12)]  # 180 - 30 j
    assert eq.reflection_score(left, right, perm) == pytest.approx(1.0, abs=1e-5)
    assert eq.reflection_score(left, right) < 0.8  # mirroring space alone is not enough
    with pytest.raises(ValueError, match="in_perm"):
        eq.reflection_score(left, right, perm[:5])
    with pytest.raises(ValueError, match="same shape"):
        eq.reflection_score(left, right[:3])


# ----------------------------------------------------------------------------- hue


def test_hue_rotation_matrix() -> None:
    m = eq.hue_rotation_matrix(37.0)
    assert torch.allclose(m @ m.T, torch.eye(3, dtype=torch.float64), atol=1e-12)
    grey = torch.ones(3, dtype=torch.float64)
    assert torch.allclose(m @ grey, grey)
    red, green, blue = torch.eye(3, dtype=torch.float64)
    assert torch.allclose(eq.hue_rotation_matrix(120.0) @ red, green, atol=1e-12)
    assert torch.allclose(eq.hue_rotation_matrix(240.0) @ red, blue, atol=1e-12)
    assert torch.allclose(eq.hue_rotation_matrix(50.0) @ eq.hue_rotation_matrix(70.0), eq.hue_rotation_matrix(120.0))


def test_hue_angles_and_colours() -> None:
    hues = torch.arange(0, 360, 20.0)
    assert torch.allclose(eq.hue_angle(eq.hue_to_rgb(hues)), hues.double(), atol=1e-4)
    assert torch.allclose(eq.hue_angle(torch.eye(3)), torch.tensor([0.0, 120.0, 240.0], dtype=torch.float64), atol=1e-9)
    assert float(eq.hue_angle(torch.tensor([1.0, 1.0, 0.0]))) == pytest.approx(60.0)  # yellow
    rgb = eq.hue_to_rgb(hues)
    assert float(rgb.min()) >= 0 and float(rgb.max()) <= 1
    assert torch.allclose(rgb.mean(1), torch.full((18,), 0.5), atol=1e-6)
    discs = eq.hue_discs([0, 120], size=32)
    assert discs.shape == (2, 3, 32, 32)
    assert torch.allclose(discs[0, :, 16, 16], rgb[0]) and torch.allclose(discs[1, :, 0, 0], torch.full((3,), 0.5))
    # rotating a colour's hue moves its hue angle by the same amount
    w = torch.tensor([0.9, 0.2, 0.1])
    assert float(eq.hue_angle(eq.rotate_hue(w, 75.0, channel_dim=0))) == pytest.approx(float(eq.hue_angle(w)) + 75.0)


def test_hue_equivariance_score() -> None:
    base = torch.randn(3, 5, 5, generator=_gen(10))
    hues = [45.0 * i for i in range(8)]
    fam = torch.stack([torch.einsum("ab,bhw->ahw", eq.hue_rotation_matrix(h).float(), base) for h in hues])
    assert eq.hue_equivariance_score(fam, hues) == pytest.approx(1.0, abs=1e-6)
    assert eq.hue_equivariance_score(fam, [-h for h in hues]) < 0.6
    assert abs(eq.hue_equivariance_score(torch.randn(8, 3, 5, 5, generator=_gen(11)), hues)) < 0.2
    vecs = eq.hue_to_rgb(hues) - 0.5  # colour vectors (n, 3): a pure hue-rotation family
    assert eq.hue_equivariance_score(vecs, hues) == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError, match="RGB"):
        eq.hue_equivariance_score(torch.randn(8, 4, 5, 5), hues)


def test_offset_score_on_circulant_and_random_matrices() -> None:
    hues = [60.0 * i for i in range(6)]
    profile = torch.tensor([3.0, -2.0, -0.5, 0.1, -0.5, -2.0])  # same hue excites, near hue inhibits
    M = torch.stack([profile.roll(i) for i in range(6)])  # M[i, j] = profile[(j - i) % 6]
    assert eq.offset_score(M, hues, hues) == pytest.approx(1.0)
    offs, prof = eq.offset_profile(M, hues, hues)
    assert torch.allclose(prof, profile.double()) and torch.allclose(offs, torch.tensor(hues, dtype=torch.float64))
    assert eq.offset_score(5 * M + 2, hues, hues) == pytest.approx(1.0)
    scores = [eq.offset_score(torch.randn(6, 6, generator=_gen(s)), hues, hues) for s in range(20)]
    assert sum(scores) / 20 < 0.35  # chance is about (6 - 1) / (36 - 1) = 0.14
    uneven = [0.0, 50.0, 130.0, 170.0, 250.0, 300.0]
    with pytest.raises(ValueError, match="bins"):
        eq.offset_score(M, uneven, uneven)
    # uneven angles, a smooth function of the offset: binned offsets still explain it
    h = torch.tensor(uneven + [20.0, 95.0, 205.0, 330.0], dtype=torch.float64)
    smooth = torch.cos(torch.deg2rad(h[None, :] - h[:, None])) + 0.5 * torch.cos(2 * torch.deg2rad(h[None, :] - h[:, None]))
    assert eq.offset_score(smooth, h, h, bins=24) > 0.9
    assert eq.offset_score(torch.randn(10, 10, generator=_gen(99)), h, h, bins=24) < 0.5
    with pytest.raises(ValueError, match="n_out"):
        eq.offset_score(M[:4], hues, hues)


# ----------------------------------------------------------------------------- equivariance -> invariance


def test_pooling_a_line_family_is_invariant_to_stimulus_rotation() -> None:
    fam = eq.kernel_family("line", torch.arange(0, 180, 22.5), 9)
    stim = line(torch.arange(0, 360, 5.0), size=21, thickness=2.0, foreground=1.0, background=0.0)
    resp = eq.centre_responses(fam, stim).clamp(min=0)  # (72 stimuli, 8 units)
    each = eq.invariance_ratio(resp)
    assert float(each.max()) < 0.2  # every member is orientation-selective
    assert eq.invariance_ratio(eq.pool_family(resp, "max")) > 0.7
    assert eq.invariance_ratio(eq.pool_family(resp, "sum")) > 0.85
    single = eq.pool_family(resp[:, :1], "max")
    assert eq.invariance_ratio(single) < 0.2


def test_invariant_weights_give_an_exactly_invariant_two_layer_unit() -> None:
    f = torch.randn(7, 7, generator=_gen(12))
    v = torch.randn(5, 5, generator=_gen(13))
    quarter = [0.0, 90.0, 180.0, 270.0]
    family = torch.stack([torch.rot90(f, q, dims=(0, 1)) for q in range(4)]).unsqueeze(1)  # (4, 1, 7, 7)
    V = eq.invariant_weights(v, quarter)
    assert V.shape == (1, 4, 5, 5)
    x = torch.randn(1, 1, 31, 31, generator=_gen(14))

    def unit(img: torch.Tensor, weights: torch.Tensor) -> float:
        hidden = F.conv2d(img, family).relu()
        return float(F.conv2d(hidden, weights)[0, 0, 10, 10])  # the centre of the 21x21 map

    vals = [unit(torch.rot90(x, q, dims=(-2, -1)), V) for q in range(4)]
    assert max(vals) - min(vals) < 1e-3 * max(abs(v) for v in vals)
    other = torch.randn(1, 4, 5, 5, generator=_gen(15))
    vals = [unit(torch.rot90(x, q, dims=(-2, -1)), other) for q in range(4)]
    assert max(vals) - min(vals) > 0.1 * max(abs(v) for v in vals)  # unstructured weights are not invariant


def test_transpose_weights() -> None:
    W = torch.randn(3, 5, 7, 7, generator=_gen(16))
    T = eq.transpose_weights(W)
    assert T.shape == (5, 3, 7, 7)
    assert torch.equal(eq.transpose_weights(T), W)
    y = torch.randn(2, 3, 12, 12, generator=_gen(17))
    # conv with the transposed weights is PyTorch's transposed convolution (stride 1)
    assert torch.allclose(F.conv2d(y, T, padding=6), F.conv_transpose2d(y, W), atol=1e-4)
    # invariant -> equivariant: the transpose of an invariant unit's weights is a rotated family
    v = torch.randn(5, 5, generator=_gen(18))
    fam = eq.transpose_weights(eq.invariant_weights(v, [0, 90, 180, 270]))  # (4, 1, 5, 5)
    assert eq.equivariance_score(fam[:, 0], [0, 90, 180, 270]) == pytest.approx(1.0, abs=1e-9)
    with pytest.raises(ValueError, match="n_out, n_in"):
        eq.transpose_weights(W[0])


def test_pooling_and_ratio_errors() -> None:
    r = torch.rand(10, 4)
    assert torch.equal(eq.pool_family(r, "max"), r.amax(-1))
    assert torch.allclose(eq.pool_family(r, "rms"), r.pow(2).mean(-1).sqrt())
    with pytest.raises(ValueError, match="how"):
        eq.pool_family(r, "median")
    with pytest.raises(ValueError, match="<= 0"):
        eq.invariance_ratio(-r)
    with pytest.raises(ValueError, match="do not match"):
        eq.centre_responses(torch.randn(2, 3, 5, 5), torch.rand(1, 1, 9, 9))
