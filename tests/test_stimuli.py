"""Synthetic stimuli: geometry against independent references, rotation consistency, vectorisation."""
from __future__ import annotations

import math

import pytest
import torch

from shared_utils import stimuli as st


def _reference_curve_points(theta: float, r: float, width: float = 90.0, dx: float = 0.0, dy: float = 0.0,
                            arm: float = 200.0, spacing: float = 0.02) -> torch.Tensor:
    """Dense points on the rounded corner, built from its description: arc + tangent arms (y up)."""
    t, b = math.radians(theta), math.radians(width / 2)
    cx, cy = dx - r * math.cos(t), dy - r * math.sin(t)  # circle centre, r behind the apex
    pts = []
    if r > 0:
        n = max(2, int(r * 2 * b / spacing))
        phi = torch.linspace(t - b, t + b, n, dtype=torch.float64)
        pts.append(torch.stack([cx + r * torch.cos(phi), cy + r * torch.sin(phi)], 1))
    for sign in (1, -1):
        end_angle = t + sign * b
        ex, ey = cx + r * math.cos(end_angle), cy + r * math.sin(end_angle)
        # tangent at the arc end, pointing away from the arc
        tx, ty = -sign * math.sin(end_angle), sign * math.cos(end_angle)
        s = torch.arange(0, arm, spacing, dtype=torch.float64)
        pts.append(torch.stack([ex + s * tx, ey + s * ty], 1))
    return torch.cat(pts)


def _pixel_points(size: int) -> torch.Tensor:
    c = (size - 1) / 2
    rows, cols = torch.meshgrid(torch.arange(size, dtype=torch.float64), torch.arange(size, dtype=torch.float64),
                                indexing="ij")
    return torch.stack([(cols - c).reshape(-1), (c - rows).reshape(-1)], 1)


@pytest.mark.parametrize("theta,r,width,pos", [(0, 10, 90, (0, 0)), (37, 6, 90, (3, -2)), (200, 0, 90, (0, 0)),
                                               (300, 8, 60, (0, 0)), (123, 5, 150, (-4, 1))])
def test_curve_distance_matches_dense_reference(theta, r, width, pos):
    size = 40
    d = st.curve_distance(theta, r, size=size, angular_width=width, position=pos, signed=False, dtype=torch.float64)
    pts = _reference_curve_points(theta, r, width, *pos)
    ref = torch.cdist(_pixel_points(size), pts).min(1).values.reshape(size, size)
    assert (d[0] - ref).abs().max() < 0.03


def test_point_at_radius_from_centre_lies_on_the_arc():
    size, r, theta = 96, 30.0, 50.0
    img = st.curve(theta, r, size=size, thickness=3.0)[0, 0]  # black line on white
    t = math.radians(theta)
    cx, cy = -r * math.cos(t), -r * math.sin(t)
    c = (size - 1) / 2
    for phi in torch.linspace(t - math.pi / 4 + 0.05, t + math.pi / 4 - 0.05, 9).tolist():
        x, y = cx + r * math.cos(phi), cy + r * math.sin(phi)
        col, row = round(x + c), round(c - y)
        assert img[row, col] < 0.01, "a pixel on the arc should be fully covered"
        x2, y2 = cx + (r + 6) * math.cos(phi), cy + (r + 6) * math.sin(phi)
        assert img[round(c - y2), round(x2 + c)] > 0.99, "6 px outside the arc is background"
    # the apex is at the image centre (an odd size puts a pixel centre exactly there)
    assert float(st.curve_distance(theta, r, size=97, signed=False)[0, 48, 48]) < 1e-4


def test_line_area_scales_with_thickness():
    size = 64
    for th in (1.0, 2.0, 3.0, 5.5):
        # a horizontal line spans the image: coverage integrates to exactly thickness x size
        area = (1 - st.line(0.0, size=size, thickness=th)[0, 0]).sum()
        assert abs(float(area) - th * size) < 1e-3
    a2 = (1 - st.curve(30, 20, size=size, thickness=2.0)[0, 0]).sum()
    a4 = (1 - st.curve(30, 20, size=size, thickness=4.0)[0, 0]).sum()
    assert abs(float(a4 / a2) - 2.0) < 0.06


def test_radius_changes_geometry():
    size, c = 97, 48  # odd: pixel (48, 48) is the image centre, x = col - 48, y = 48 - row
    for r in (5, 10, 20):
        d = st.curve_distance(0.0, float(r), size=size)[0]
        assert abs(float(d[c, c])) < 1e-4  # the apex stays at the centre for every radius
        assert abs(float(d[c, c - r]) + r) < 1e-4  # the circle's centre: r behind, on the concave side
        # 2r behind the apex the nearest points are on the arms (the circle's back is not drawn): (1 + 1/sqrt 2) r
        assert abs(float(d[c, c - 2 * r]) + (1 + math.sqrt(0.5)) * r) < 1e-3
    # r = 0 is a right-angled corner: a point k px behind the apex is k*sin(45) from both arms
    corner = st.curve_distance(0.0, 0.0, size=size, dtype=torch.float64)[0]
    for k in (5, 10, 20):
        assert abs(float(corner[c, c - k]) + k * math.sin(math.pi / 4)) < 1e-6


def test_fill_paints_the_concave_side():
    size = 64
    img = st.curve(0.0, 15.0, size=size, fill=True)[0, 0]  # inside = foreground (black)
    c = size // 2
    assert img[c, c - 10] < 0.01  # 15 px behind the apex lies the circle's centre: inside
    assert img[c, c + 8] > 0.99  # ahead of the apex: outside


def test_90_degree_steps_are_exact_rotations():
    theta = 17.0

    def turn(p: tuple[float, float], k: int) -> tuple[float, float]:  # the position turns with the image
        a = math.radians(90 * k)
        return (round(p[0] * math.cos(a) - p[1] * math.sin(a), 9), round(p[0] * math.sin(a) + p[1] * math.cos(a), 9))

    for fn in (lambda a, k: st.curve(a, 12.0, size=33, thickness=2.5, position=turn((3.0, -1.0), k)),
               lambda a, k: st.line(a, size=33, length=20, position=turn((0.0, 2.0), k)),
               lambda a, k: st.edge(a, size=33, position=turn((1.5, 0.0), k)),
               lambda a, k: st.high_low(a, size=33, kind="noise")):
        base = fn(theta, 0)[0]
        for k in (1, 2, 3):
            turned = fn(theta + 90 * k, k)[0]
            assert (turned - torch.rot90(base, k, [-2, -1])).abs().max() < 1e-4


def test_curve_at_theta_is_curve_at_zero_rotated():
    size = 64
    mask = st.circle_mask(size) > 0.999
    base = st.curve(0.0, 20.0, size=size, thickness=3.0)
    for theta in (30.0, 135.0, 250.0):
        drawn = st.curve(theta, 20.0, size=size, thickness=3.0)[0]
        spun = st.rotate(base[0], [theta], fill=1.0)[0]
        err = (drawn - spun).abs()[:, mask].mean()
        wrong = (drawn - base[0]).abs()[:, mask].mean()
        assert err < 0.01 and wrong > 5 * err


def test_rotate_direction_masks_and_shapes():
    g = torch.Generator().manual_seed(0)
    imgs = torch.rand(2, 3, 16, 16, generator=g)
    out = st.rotate(imgs, [0.0, 90.0, 360.0], mask=False)
    assert out.shape == (2, 3, 3, 16, 16)
    assert (out[:, 0] - imgs).abs().max() < 1e-5
    assert (out[:, 2] - imgs).abs().max() < 1e-5
    assert (out[:, 1] - torch.rot90(imgs, 1, [-2, -1])).abs().max() < 1e-5  # counter-clockwise on screen
    masked = st.rotate(imgs[0], [45.0], fill=0.25)
    assert masked.shape == (1, 3, 16, 16)
    assert torch.allclose(masked[0, :, 0, 0], torch.full((3,), 0.25))  # corner = fill
    inner = st.circle_mask(16) > 0.999
    ref = st.rotate(imgs[0], [45.0], mask=False)[0]
    assert torch.allclose(masked[0][:, inner], ref[:, inner], atol=1e-6)


def test_edge_foreground_lies_towards_orientation():
    size = 65
    x, y = st.pixel_coords(size, dtype=torch.float64)
    for theta in (0.0, 70.0, 225.0):
        w = 1 - st.edge(theta, size=size, dtype=torch.float64)[0, 0]  # foreground black
        assert abs(float(w.mean()) - 0.5) < 0.01
        w = w * st.circle_mask(size, dtype=torch.float64)  # a disc, so the centroid is not biased by corners
        angle = math.degrees(math.atan2(float((w * y).sum()), float((w * x).sum())))
        assert abs((angle - theta + 180) % 360 - 180) < 1.0
    assert torch.allclose(st.edge(10.0, size=20) + st.edge(190.0, size=20), torch.ones(1, 3, 20, 20), atol=1e-6)


def _hf_energy(img: torch.Tensor) -> torch.Tensor:
    g = img[0, 0]
    lap = (4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:]).abs()
    return torch.nn.functional.pad(lap, (1, 1, 1, 1))


@pytest.mark.parametrize("kind", ["grating", "noise"])
def test_high_low_sides_swap_at_180(kind):
    size = 64
    x, y = st.pixel_coords(size)
    for theta in (0.0, 40.0, 290.0):
        a, b = st.high_low([theta, theta + 180.0], size=size, kind=kind, high_period=3.0, low_period=18.0)
        t = math.radians(theta)
        u = x * math.cos(t) + y * math.sin(t)
        plus, minus = u > 4, u < -4
        ea, eb = _hf_energy(a[None]), _hf_energy(b[None])
        assert ea[plus].mean() > 3 * ea[minus].mean()  # high frequency on the side theta points to
        assert eb[minus].mean() > 3 * eb[plus].mean()  # ... and on the other side at theta + 180
        assert (b - torch.rot90(a, 2, [-2, -1])).abs().max() < 1e-4
    flat = st.high_low(0.0, size=size, low_period=None)[0, 0]
    assert float(flat[:, : size // 2 - 2].std()) < 1e-6


def test_vectorised_equals_per_image_loop():
    o = torch.tensor([0.0, 33.0, 91.0, 250.0])
    r = torch.tensor([0.0, 5.0, 12.0, 30.0])
    th = torch.tensor([1.0, 2.0, 3.0, 4.5])
    pos = torch.tensor([[0.0, 0.0], [2.0, -3.0], [-1.5, 4.0], [0.0, 1.0]])
    batch = st.curve(o, r, size=48, thickness=th, position=pos, foreground=(1.0, 0.0, 0.0), background=0.2)
    loop = torch.cat([st.curve(float(o[i]), float(r[i]), size=48, thickness=float(th[i]),
                               position=(float(pos[i, 0]), float(pos[i, 1])), foreground=(1.0, 0.0, 0.0),
                               background=0.2) for i in range(4)])
    assert (batch - loop).abs().max() < 1e-5
    sweep = st.curve_sweep([0.0, 45.0, 300.0], [0.0, 10.0], size=32, chunk=2)
    assert sweep.shape == (2, 3, 3, 32, 32)
    assert torch.allclose(sweep, st.curve_sweep([0.0, 45.0, 300.0], [0.0, 10.0], size=32, chunk=None))
    for i, rad in enumerate([0.0, 10.0]):
        for j, ang in enumerate([0.0, 45.0, 300.0]):
            assert (sweep[i, j] - st.curve(ang, rad, size=32)[0]).abs().max() < 1e-5
    lines = st.line(o, size=32, thickness=2.0)
    assert all((lines[i] - st.line(float(o[i]), size=32, thickness=2.0)[0]).abs().max() < 1e-5 for i in range(4))
    hl = st.high_low(o, size=32, kind="noise")
    assert all((hl[i] - st.high_low(float(o[i]), size=32, kind="noise")[0]).abs().max() < 1e-5 for i in range(4))


def test_outputs_are_images_in_unit_range():
    for img in (st.curve([0, 90], 10, size=24), st.line(5, size=24), st.edge([0, 1, 2], size=24),
                st.high_low(0, size=24, contrast=3.0)):
        assert img.ndim == 4 and img.shape[1] == 3 and img.shape[-1] == 24
        assert float(img.min()) >= 0 and float(img.max()) <= 1


def test_bad_input_messages():
    with pytest.raises(ValueError, match="radius"):
        st.curve(0, -1)
    with pytest.raises(ValueError, match="same N"):
        st.curve([0, 1, 2], [1, 2])
    with pytest.raises(ValueError, match="angular_width"):
        st.curve(0, 5, angular_width=200)
    with pytest.raises(ValueError, match="Nyquist"):
        st.high_low(0, high_period=1.5)
    with pytest.raises(ValueError, match="kind"):
        st.high_low(0, kind="stripes")
    with pytest.raises(ValueError, match="square"):
        st.rotate(torch.zeros(1, 3, 8, 9), [0])
    with pytest.raises(ValueError, match="foreground"):
        st.curve(0, 5, size=8, foreground=(2, 0, 0))
    with pytest.raises(ValueError, match="size"):
        st.curve(0, 5, size=1)


def test_benchmark_smoke(capsys):
    from benchmarks.bench_stimuli import main

    result = main(["--quick", "--repeats", "1"])
    assert result["max_diff"] < 1e-5 and result["images"] == 72
    assert result["vectorised_s"] > 0 and result["loop_s"] > 0
    assert "speed-up" in capsys.readouterr().out
