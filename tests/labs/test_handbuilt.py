"""The hand-built curve network, unit swaps/ablations in InceptionV1, and top-k accuracy (shared_utils.labs.handbuilt)."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from shared_utils.labs import handbuilt as hb
from shared_utils import stimuli, tuning
from shared_utils.inception._lucent import hook_count
from shared_utils.activations import capture

SIZE = 120  # 15 x 15 cells at stride 8: an odd grid, so the centre cell sits exactly on the stimulus apex
ANGLES = torch.arange(0, 360, 10.0)


def _curves(angles: torch.Tensor) -> torch.Tensor:
    return stimuli.curve_sweep(angles, [60.0], size=SIZE)


def _circ(a: torch.Tensor | float) -> torch.Tensor:
    return torch.remainder(torch.as_tensor(a, dtype=torch.float64) + 180.0, 360.0) - 180.0


@pytest.fixture(scope="module")
def family_curves() -> list[tuning.TuningCurve]:
    net = hb.CurveNet(orientations=8)  # 0, 45, ..., 315
    return tuning.tuning_curve(net, list(range(8)), _curves, ANGLES)


# ----------------------------------------------------------------------------- kernels


def test_line_kernel_geometry() -> None:
    k = hb.line_kernel(30.0, 9)
    assert abs(float(k.sum())) < 1e-5  # zero mean: blind to uniform light
    assert torch.allclose(k, hb.line_kernel(210.0, 9), atol=1e-6)  # a line has period 180
    # a rotation by 90 degrees on screen is exactly rot90 (counter-clockwise as displayed)
    assert torch.allclose(torch.rot90(hb.line_kernel(15.0, 9), 1, (0, 1)), hb.line_kernel(105.0, 9), atol=1e-6)
    # its strongest response to rendered bars is to the bar along its own orientation
    bars = 1.0 - stimuli.line(torch.arange(0, 180, 15.0), size=9, thickness=1.5)[:, 0]  # ink = 1
    resp = (bars * hb.line_kernel(60.0, 9)).sum((-1, -2))
    assert int(resp.argmax()) * 15 == 60


def test_arc_points_against_circle_geometry() -> None:
    theta, r = 35.0, 4.0
    x, y, tangent = hb.arc_points(theta, r, span=90.0, n=7)
    t = math.radians(theta)
    cx, cy = -r * math.cos(t), -r * math.sin(t)  # circle centre, radius behind the apex
    assert torch.allclose(torch.hypot(x - cx, y - cy), torch.full_like(x, r), atol=1e-9)
    assert abs(float(x[3])) < 1e-9 and abs(float(y[3])) < 1e-9  # apex at the origin
    # the tangent is perpendicular to the radius at each point
    ang = torch.atan2(y - cy, x - cx)
    expected = torch.remainder(torch.rad2deg(ang) + 90.0, 180.0)
    assert torch.allclose(_circ(2 * (tangent - expected)) / 2, torch.zeros_like(tangent), atol=1e-6)
    assert float(torch.rad2deg(ang[-1] - ang[0])) == pytest.approx(90.0)


def test_place_along_arc_is_a_rotated_family() -> None:
    lines = [0.0, 45.0, 90.0, 135.0]
    a = hb.place_along_arc(10.0, lines, 3.0, 9)
    b = hb.place_along_arc(100.0, lines, 3.0, 9)
    # rotating the unit by 90 degrees = rotating the kernel by 90 and moving every line channel 90 degrees on
    assert torch.allclose(torch.rot90(a, 1, (1, 2)).roll(2, 0), b, atol=1e-6)
    assert float(a.sum()) == pytest.approx(1.0, abs=1e-5) and bool((a >= 0).all())
    fam = hb.rotated_copies(hb.place_along_arc, [10.0, 100.0], line_angles=lines, radius=3.0, size=9)
    assert torch.allclose(fam[1], b)


def test_curve_mixing_profile() -> None:
    early = [15.0 * i for i in range(24)]
    m = hb.curve_mixing([0.0, 90.0], early)
    assert m.shape == (2, 24)
    assert int(m[0].argmax()) == 0 and int(m[0].argmin()) == 12  # excite the same, inhibit the opposite
    assert abs(float(m[0, 6])) < 0.01 * float(m[0, 0]) and abs(float(m[0, 18])) < 0.01 * float(m[0, 0])  # 90 deg: ~0
    assert float(m[0].sum()) == pytest.approx(1.0 - 1.5, abs=1e-4)  # excitation totals 1, inhibition beta
    assert torch.allclose(m[1], m[0].roll(6))  # rotated copy


# ----------------------------------------------------------------------------- tuning of the network


def test_each_unit_has_one_orientation_peak(family_curves: list[tuning.TuningCurve]) -> None:
    assert all(tuning.n_peaks(c) == 1 for c in family_curves)
    widths = tuning.tuning_width(family_curves)
    assert bool((widths > 20).all() and (widths < 90).all())


def test_rotated_copies_peak_at_rotated_orientations(family_curves: list[tuning.TuningCurve]) -> None:
    prefs = tuning.preferred_orientation(family_curves)
    shifts = _circ(prefs - prefs[0])
    rotations = _circ(torch.arange(8) * 45.0)
    assert float(_circ(shifts - rotations).abs().max()) <= 5.0, (shifts, rotations)
    assert abs(float(_circ(prefs[0]))) <= 5.0  # unit 0 prefers 0 degrees in the stimuli's convention


def test_response_180_degrees_away_is_small(family_curves: list[tuning.TuningCurve]) -> None:
    assert float(tuning.response_at(family_curves, 180.0).max()) < 0.05
    assert float(tuning.echo(family_curves).max()) < 0.1


def test_inhibition_is_what_removes_the_echo() -> None:
    """Early curves (lines along the arc, excitation only) have an echo; without inhibition the curves keep it."""
    net = hb.CurveNet(orientations=[0.0, 90.0])
    early = tuning.tuning_curve(lambda x: net.stages(x)["early"], [0, 6], _curves, ANGLES)
    assert float(tuning.echo(early).min()) > 0.15
    no_inh = hb.CurveNet(orientations=[0.0, 90.0], beta=0.0)
    echo_off = tuning.echo(tuning.tuning_curve(no_inh, [0, 1], _curves, ANGLES))
    echo_on = tuning.echo(tuning.tuning_curve(net, [0, 1], _curves, ANGLES))
    assert float(echo_off.min()) > 0.15 and float(echo_on.max()) < 0.1


def test_curvenet_shapes_and_custom_kernels() -> None:
    net = hb.CurveNet(orientations=[0.0, 30.0])
    x = torch.rand(2, 3, 64, 48)
    st = net.stages(x)
    assert st["lines"].shape == (2, 16, 8, 6) and st["early"].shape == (2, 24, 8, 6) and st["curves"].shape == (2, 2, 8, 6)
    assert torch.equal(net(x), st["curves"])
    same = hb.CurveNet(orientations=[0.0, 30.0], line_kernels=net.lines.weight[:, 0], early_kernels=net.early.weight,
                       mixing=net.curves.weight[:, :, 0, 0])
    assert torch.equal(same(x), net(x))
    with pytest.raises(ValueError, match="mixing"):
        hb.CurveNet(orientations=[0.0], mixing=torch.zeros(2, 24))
    with pytest.raises(ValueError, match="N, 3, H, W"):
        net(torch.rand(2, 1, 64, 64))


def test_match_gain() -> None:
    gen = torch.Generator().manual_seed(0)
    real = torch.rand(4, 3, 5, 5, generator=gen) * torch.tensor([1.0, 10.0, 100.0]).view(1, 3, 1, 1)
    fake = torch.rand(4, 3, 5, 5, generator=gen)
    g = hb.match_gain(real, fake)
    scaled = fake * g.view(1, 3, 1, 1)
    assert torch.allclose(scaled.transpose(0, 1).reshape(3, -1).std(1), real.transpose(0, 1).reshape(3, -1).std(1),
                          rtol=1e-4)
    with pytest.raises(ValueError, match="0 on every"):
        hb.match_gain(real, torch.zeros_like(fake))


# ----------------------------------------------------------------------------- swaps and ablations


def _snapshot(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_swap_and_ablation_leave_the_model_unchanged_and_replace_exactly(model: torch.nn.Module) -> None:
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    before = _snapshot(model)
    hooks = hook_count(model)
    ref = capture(model, x, "mixed3b")["mixed3b"]
    ref_pre = capture(model, x, "mixed3b", pre_relu=True)["mixed3b"]
    units = list(hb.CURVES_3B) + [5, 200]  # curves (5x5 branch) plus a 1x1 and a 3x3 unit
    values = torch.randn(2, len(units), 8, 8, generator=torch.Generator().manual_seed(2))
    swapped = hb.swap_units(model, units, values)
    ablated = hb.ablate_units(model, hb.CURVES_3B)
    net = hb.CurveNet(orientations=[36.0 * i for i in range(10)])
    with_net = hb.swap_units(model, hb.CURVES_3B, net)

    got = capture(swapped, x, "mixed3b")["mixed3b"]
    got_pre = capture(swapped, x, "mixed3b", pre_relu=True)["mixed3b"]
    others = [c for c in range(480) if c not in units]
    assert torch.equal(got_pre[:, units], values)  # before the ReLU: exactly the replacement
    assert torch.equal(got[:, units], F.relu(values))  # after it: the branch's ReLU still applies
    assert torch.equal(got[:, others], ref[:, others]) and torch.equal(got_pre[:, others], ref_pre[:, others])

    abl = capture(ablated, x, "mixed3b")["mixed3b"]
    curves = list(hb.CURVES_3B)
    assert bool((abl[:, curves] == 0).all())
    rest = [c for c in range(480) if c not in curves]
    assert torch.equal(abl[:, rest], ref[:, rest])

    got_net = capture(with_net, x, "mixed3b")["mixed3b"]
    assert torch.allclose(got_net[:, curves], net(x), atol=1e-5, rtol=1e-5)
    assert torch.equal(got_net[:, rest], ref[:, rest])

    # a later layer changes (the edit propagates), and the original is bitwise unchanged
    assert not torch.equal(capture(ablated, x, "mixed4a")["mixed4a"], capture(model, x, "mixed4a")["mixed4a"])
    after = model.state_dict()
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    assert hook_count(model) == hooks
    assert torch.equal(capture(model, x, "mixed3b")["mixed3b"], ref)
    assert any("ablated" in e for e in ablated.circuit_edits)


def test_swap_errors(model: torch.nn.Module) -> None:
    x = torch.rand(1, 3, 64, 64)
    bad = hb.swap_units(model, hb.CURVES_3B, torch.zeros(2, 10, 8, 8))  # batch of 2, run on 1 image
    with pytest.raises(ValueError, match="replacement"):
        capture(bad, x, "mixed3b")
    with pytest.raises(ValueError, match="one channel per unit"):
        hb.swap_units(model, hb.CURVES_3B, torch.zeros(1, 3, 8, 8))
    with pytest.raises(ValueError, match="one layer"):
        hb.swap_units(model, ["3b:379", "4a:10"], None)
    with pytest.raises(TypeError):
        hb.swap_units(model, hb.CURVES_3B, "zeros")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- accuracy


def test_topk_accuracy_against_brute_force() -> None:
    gen = torch.Generator().manual_seed(3)
    logits = torch.randn(50, 20, generator=gen)
    targets = torch.randint(0, 20, (50,), generator=gen)
    for k in (1, 2, 5, 20):
        hits = 0
        for row, t in zip(logits.tolist(), targets.tolist()):
            rank = sum(1 for v in row if v > row[t])  # how many classes beat the target
            hits += rank < k
        assert hb.topk_accuracy(logits, targets, k) == pytest.approx(hits / 50)
    assert hb.topk_accuracy(logits, logits.argmax(1), 1) == 1.0
    assert hb.topk_agreement(logits, logits, 1) == 1.0
    shuffled = logits[:, torch.randperm(20, generator=gen)]
    brute = sum(int(r.argmax()) in s.topk(3).indices.tolist() for r, s in zip(logits, shuffled)) / 50
    assert hb.topk_agreement(logits, shuffled, 3) == pytest.approx(brute)
    with pytest.raises(ValueError):
        hb.topk_accuracy(logits, targets, 0)
    with pytest.raises(ValueError):
        hb.topk_accuracy(logits, torch.full((50,), 20), 5)


def test_predict_matches_forward(model: torch.nn.Module) -> None:
    from shared_utils.activations import forward_logits

    x = torch.rand(3, 3, 224, 224)  # the classifier's 7x7 average pool needs 224 px
    out = hb.predict(model, x, batch_size=2, progress=False)
    assert out.shape == (3, 1008)
    assert torch.allclose(out, forward_logits(model, x), atol=1e-4)

