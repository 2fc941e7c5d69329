"""Tuning analysis: hand-built filters, analytic curves, the articles' data (docs/science.md §2.1, §2.3)."""
from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
from torch import nn

from shared_utils import stimuli as st
from shared_utils import tuning as tu

ANGLES = torch.arange(0, 360, 5.0)


class OrientedFilters(nn.Module):
    """Hand-built oriented filters on the grey image (no training): one output channel per angle.

    ``kind='edge'``: odd derivative-of-Gaussian, positive on the side the angle points to.
    ``kind='line'``: even centre-surround profile across a bar running along the angle.
    """

    def __init__(self, angles_deg: list[float], kind: str = "edge", size: int = 15) -> None:
        super().__init__()
        c = (size - 1) / 2
        rows, cols = torch.meshgrid(torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32),
                                    indexing="ij")
        x, y = cols - c, c - rows  # y up, as in the stimuli
        kernels = []
        for a in angles_deg:
            t = math.radians(a)
            u = x * math.cos(t) + y * math.sin(t)  # along the angle
            v = -x * math.sin(t) + y * math.cos(t)  # across it
            if kind == "edge":
                w = u * torch.exp(-(u**2 + v**2) / (2 * 3.0**2))
            else:
                w = (1 - v**2 / 1.5**2) * torch.exp(-(v**2) / (2 * 1.5**2)) * torch.exp(-(u**2) / (2 * 4.0**2))
            kernels.append(w - w.mean())
        self.weight = nn.Parameter(torch.stack(kernels)[:, None], requires_grad=False)

    def forward(self, images01: torch.Tensor) -> torch.Tensor:
        grey = images01.mean(1, keepdim=True) - 0.5
        return torch.relu(nn.functional.conv2d(grey, self.weight))


def _edges(a: torch.Tensor) -> torch.Tensor:
    return st.edge(a, size=31, foreground=1.0, background=0.0)


def _lines(a: torch.Tensor) -> torch.Tensor:
    return st.line(a, size=31, thickness=3.0, foreground=1.0, background=0.0)


def _circ_diff(a: float, b: float) -> float:
    return abs((a - b + 180.0) % 360.0 - 180.0)


def _curve(values: torch.Tensor, angles: torch.Tensor | None = None) -> tu.TuningCurve:
    n = len(values)
    ang = angles if angles is not None else torch.arange(n, dtype=torch.float64) * (360.0 / n)
    return tu.TuningCurve(ang, values, unit="test", source="analytic")


def _von_mises(mu: float, kappa: float, step: float) -> tu.TuningCurve:
    a = torch.arange(0, 360, step, dtype=torch.float64)
    return _curve(torch.exp(kappa * (torch.cos(torch.deg2rad(a - mu)) - 1)), a)


# ----------------------------------------------------------------------------- hand-built filters


def test_edge_filter_peaks_at_its_orientation():
    prefs = [30.0, 200.0, 312.0]
    curves = tu.tuning_curve(OrientedFilters(prefs), [0, 1, 2], _edges, ANGLES)
    for pref, tc in zip(prefs, curves):
        assert _circ_diff(tu.preferred_orientation(tc), pref) < 2.5
        assert tu.n_peaks(tc) == 1
        assert tu.response_at(tc, 180.0) < 0.05  # an odd filter is silent for the opposite polarity
        assert "custom model" in tc.note and tc.unit.startswith("channel")


def test_line_filter_has_two_opposite_peaks():
    tc = tu.tuning_curve(OrientedFilters([40.0], kind="line"), 0, _lines, ANGLES)
    assert tu.n_peaks(tc) == 2
    assert tu.echo(tc) > 0.95  # a line at 40 and at 220 degrees is the same image
    assert min(_circ_diff(tu.preferred_orientation(tc), p) for p in (40.0, 220.0)) < 2.5
    assert tu.response_at(tc, 90.0) < 0.05


def test_turning_the_filter_shifts_the_curve():
    base, turned = tu.tuning_curve(OrientedFilters([10.0, 70.0]), [0, 1],
                                   lambda a: st.curve_sweep(a, [6.0, 10.0], size=31, foreground=1.0, background=0.0),
                                   ANGLES)
    assert _circ_diff(tu.best_offset(turned, base), 60.0) <= 5.0
    assert abs(tu.tuning_width(turned) - tu.tuning_width(base)) < 6.0


def test_rotating_the_stimulus_shifts_the_curve():
    model = OrientedFilters([25.0])
    img = st.curve(0.0, 8.0, size=31, foreground=1.0, background=0.0)[0]
    a = tu.tuning_curve(model, 0, lambda ang: st.rotate(img, ang, fill=0.0), ANGLES)
    b = tu.tuning_curve(model, 0, lambda ang: st.rotate(torch.rot90(img, 1, [-2, -1]), ang, fill=0.0), ANGLES)
    # b(angle) = a(angle + 90): the 90-degree pre-rotation is a circular shift of 18 samples of 5 degrees
    assert torch.allclose(b.response, a.response.roll(-18), atol=1e-4 * a.peak)
    assert _circ_diff(tu.best_offset(b, a), -90.0) < 1e-6
    # drawing the curve at 30 degrees instead of rotating it gives the same curve shifted by -30
    c = tu.tuning_curve(model, 0, lambda ang: st.rotate(st.curve(30.0, 8.0, size=31, foreground=1.0,
                                                                 background=0.0)[0], ang, fill=0.0), ANGLES)
    assert _circ_diff(tu.best_offset(c, a), -30.0) <= 5.0


def test_sweep_responses_shape_and_max_over_radius():
    model = OrientedFilters([0.0, 90.0])
    fn = lambda a: st.curve_sweep(a, [0.0, 5.0, 12.0], size=31)  # noqa: E731
    grid = tu.sweep_responses(model, [0, 1], fn, ANGLES[:10], batch_size=4)
    assert grid.shape == (3, 10, 2)
    tc = tu.tuning_curve(model, [0, 1], fn, ANGLES, batch_size=7)
    full = tu.sweep_responses(model, [0, 1], fn, ANGLES)
    assert torch.allclose(tc[1].response, full[..., 1].amax(0).double())
    whole = tu.tuning_curve(model, 1, fn, ANGLES, positions=None)
    assert bool((whole.response >= tc[1].response - 1e-6).all())  # whole map >= centre


# ----------------------------------------------------------------------------- metrics on analytic curves


@pytest.mark.parametrize("mu,kappa,step", [(3.0, 8.0, 1.0), (181.3, 3.0, 0.5), (358.0, 20.0, 2.0)])
def test_width_of_von_mises_is_analytic(mu, kappa, step):
    tc = _von_mises(mu, kappa, step)
    fwhm = 2 * math.degrees(math.acos(1 + math.log(0.5) / kappa))
    assert abs(tu.tuning_width(tc) - fwhm) < 0.05 * step + 0.02 * fwhm / kappa
    assert abs(tu.tuning_width(tc, method="total") - fwhm) < 0.05 * step + 0.02 * fwhm / kappa
    assert _circ_diff(tu.preferred_orientation(tc), mu) < 0.05 * step
    assert _circ_diff(tu.preferred_orientation(tc, interpolate=False), round(mu / step) * step) < 1e-9


def test_width_of_gaussian_wraps_around_zero():
    sigma = 12.0
    a = torch.arange(0, 360, 1.0, dtype=torch.float64)
    d = torch.remainder(a - 2.0 + 180, 360) - 180  # peak at 2 degrees: half the bump lies below 360
    tc = _curve(torch.exp(-(d**2) / (2 * sigma**2)), a)
    assert abs(tu.tuning_width(tc) - 2 * math.sqrt(2 * math.log(2)) * sigma) < 0.1
    moved = _curve(tc.response.roll(180), a)
    assert abs(tu.tuning_width(tc) - tu.tuning_width(moved)) < 1e-9
    flat = _curve(torch.ones(36, dtype=torch.float64))
    assert tu.tuning_width(flat) == 360.0 and tu.n_peaks(flat) == 1


def test_echo_response_at_and_peaks():
    a = torch.arange(0, 360, 1.0, dtype=torch.float64)

    def bump(mu: float, h: float) -> torch.Tensor:
        d = torch.remainder(a - mu + 180, 360) - 180
        return h * torch.exp(-(d**2) / (2 * 8.0**2))

    near = _curve(bump(10, 1.0) + bump(210, 0.3), a)  # 20 degrees from the opposite angle
    far = _curve(bump(10, 1.0) + bump(250, 0.3), a)  # 60 degrees from it
    assert abs(tu.echo(near) - 0.3) < 1e-3
    assert abs(tu.echo(far) - 0.3 * math.exp(-(15**2) / 128)) < 1e-3  # only its tail reaches 180+45
    assert abs(tu.echo(far, window=65) - 0.3) < 1e-3
    assert abs(tu.response_at(near, 200.0) - 0.3) < 1e-3
    assert abs(tu.response_at(near, 180.0) - 0.3 * math.exp(-(20**2) / 128)) < 1e-3
    assert tu.n_peaks(near) == 1 and tu.n_peaks(near, level=0.2) == 2
    two = _curve(bump(10, 1.0) + bump(100, 0.8), a)
    assert tu.n_peaks(two) == 2
    lobe, total = tu.tuning_width(two), tu.tuning_width(two, method="total")
    assert total > 1.5 * lobe


def test_best_offset_and_reflection():
    tc = _von_mises(40.0, 4.0, 2.0)
    skew = _curve(tc.response + 0.5 * _von_mises(70.0, 10.0, 2.0).response, tc.angles_deg)
    assert _circ_diff(tu.best_offset(skew.shifted(100.0), skew), 100.0) < 1e-6
    mirrored = _curve(skew.at(-skew.angles_deg), skew.angles_deg)
    shift, reflected = tu.best_offset(mirrored, skew, reflect=True)
    assert reflected and _circ_diff(shift, 0.0) < 1e-6


def test_curve_validation():
    with pytest.raises(ValueError, match="full circle evenly"):
        tu.TuningCurve(torch.tensor([0.0, 10.0, 30.0]), torch.ones(3), unit="u", source="s")
    with pytest.raises(ValueError, match="peak"):
        tu.echo(_curve(torch.zeros(8, dtype=torch.float64)))
    with pytest.raises(ValueError, match="method"):
        tu.tuning_width(_von_mises(0, 2, 10), method="fwhm")
    with pytest.raises(ValueError, match="stimuli_fn"):
        tu.tuning_curve(OrientedFilters([0.0]), 0, lambda a: torch.zeros(3, 31, 31), ANGLES)


# ----------------------------------------------------------------------------- the articles' data


def test_article_summary_reproduces_science_doc(circuits_root):
    table = tu.article_summary(root=circuits_root)
    b, a, c2, a4 = table["mixed3b"], table["mixed3a"], table["conv2d2"], table["mixed4a"]
    # docs/science.md §2.3: mixed3b median echo 0.01, max 0.03, half-max width median 50 (28.5-68.5), ±90 <= 0.04
    assert b["n"] == 10 and round(b["echo_median"], 2) == 0.01 and round(b["echo_max"], 2) == 0.03
    assert abs(b["width_median"] - 50) <= 1.0 and abs(b["width_min"] - 28.5) <= 0.5 and abs(b["width_max"] - 68.5) <= 0.5
    assert b["r90_max"] <= 0.045 and b["r180_max"] <= 0.0125
    # mixed3a: echo median 0.22, max 0.53; width median 50 (40-150); ±90 max 0.44 (unit 163)
    assert round(a["echo_median"], 2) == 0.22 and round(a["echo_max"], 2) == 0.53
    assert abs(a["width_median"] - 50) <= 1.0 and abs(a["width_max"] - 150) <= 1.0
    assert round(a["r90_max"], 2) == 0.44 and a["r90_max_unit"] == "3a:163" and round(a["r90_median"], 2) == 0.0
    # conv2d2: echo median 0.36, max 0.88 (unit 63); mixed4a: echo 0.19 / 0.96, width median 112
    assert round(c2["echo_median"], 2) == 0.36 and round(c2["echo_max"], 2) == 0.88 and c2["echo_max_unit"] == "conv2d2:63"
    assert round(a4["echo_median"], 2) == 0.19 and round(a4["echo_max"], 2) == 0.96
    assert abs(a4["width_median"] - 112) <= 1.0 and round(a4["r90_median"], 2) == 0.23


def test_article_peaks_match_science_doc_table(circuits_root):
    # docs/science.md §2.1: argmax of the 720-point curves, 0.5 degree resolution
    expected = {342: 22.5, 388: 66.5, 324: 91.5, 340: 110, 330: 145, 349: 181, 379: 243, 406: 268.5, 385: 290,
                343: 358}
    curves = tu.article_curves("3b", units=list(expected), root=circuits_root)
    got = tu.preferred_orientation(curves, interpolate=False)
    assert torch.allclose(got, torch.tensor(list(expected.values()), dtype=torch.float64))
    assert [c.unit for c in curves] == [f"3b:{u}" for u in expected]
    broad = tu.article_curves("mixed3a", units=["3a:163"], root=circuits_root)[0]
    assert tu.preferred_orientation(broad, interpolate=False) == 87.0
    assert abs(tu.tuning_width(broad) - 150) <= 1.0


def test_article_loaders_other_files(circuits_root):
    lines = tu.article_curves("lines_mixed3a", root=circuits_root)
    assert len(lines) == 256 and all(len(c.response) == 360 for c in lines) and lines[5].unit == "3a:5"
    edit = tu.article_curves("echo_edit_unedited", units=["3b:379"], root=circuits_root)
    assert len(edit) == 1 and len(edit[0].response) == 720 and "article" in edit[0].source
    with pytest.raises(ValueError, match="no curve for"):
        tu.article_curves("mixed3b", units=[12], root=circuits_root)
    with pytest.raises(ValueError, match="No article tuning data"):
        tu.article_curves("mixed5b", root=circuits_root)


# ----------------------------------------------------------------------------- InceptionV1 (untrained stand-in)


def test_tuning_curve_on_inceptionv1_matches_direct_capture(model):
    from shared_utils.inception._lucent import hook_count
    from shared_utils.activations import capture

    angles = torch.arange(0, 360, 45.0)
    fn = lambda a: st.curve_sweep(a, [8.0, 16.0], size=64)  # noqa: E731
    before = hook_count(model)
    curves = tu.tuning_curve(model, ["3b:379", "mixed3a:81"], fn, angles, pre_relu=True, batch_size=3)
    assert hook_count(model) == before
    imgs = fn(angles).reshape(-1, 3, 64, 64)
    acts = capture(model, imgs, ["mixed3a", "mixed3b"], pre_relu=True)
    for tc, (layer, ch) in zip(curves, [("mixed3b", 379), ("mixed3a", 81)]):
        a = acts[layer][:, ch]  # (16, 8, 8) at 64 px: the centre of an even grid is rows/cols 3-4
        direct = a[:, 3:5, 3:5].flatten(1).amax(1).reshape(2, 8).amax(0)
        assert torch.allclose(tc.response, direct.double(), rtol=1e-5, atol=1e-4)
        assert "UNTRAINED" in tc.note
    assert curves[0].unit == "3b:379" and curves[1].unit == "3a:81"


def test_activation_distribution(model, sample):
    imgs = sample.batch([0, 1, 2], 64)
    dist = tu.activation_distribution(model, "3b:379", imgs, pre_relu=True, batch_size=2)
    from shared_utils.activations import capture

    ref = capture(model, imgs, "mixed3b", pre_relu=True)["mixed3b"][:, 379]
    assert dist.values.numel() == ref.numel()
    assert abs(dist.mean - float(ref.mean())) < 1e-3 * (1 + abs(dist.mean))
    assert abs(dist.fraction_positive - float((ref > 0).double().mean())) < 1e-9
    counts, edges = dist.histogram(bins=10)
    assert int(counts.sum()) == ref.numel() and len(edges) == 11
    assert abs(dist.sigmas(dist.mean + 2 * dist.std) - 2.0) < 1e-9
    mx = tu.activation_distribution(model, ["3b:379", "3a:81"], sample.subset([0, 1, 2]), spatial="max",
                                    image_size=64)
    assert torch.allclose(mx[0].values, ref.flatten(1).amax(1).double(), atol=1e-4)
    assert "UNTRAINED" in mx[1].note


# ----------------------------------------------------------------------------- plots


def test_plots_carry_ids_and_notes(circuits_root):
    import matplotlib.pyplot as plt

    from shared_utils.plot import tuning as pt

    ref = tu.article_curves("mixed3b", units=[379, 406], root=circuits_root)
    mine = [r.shifted(30.0) for r in ref]
    for c in mine:
        c.note = " [UNTRAINED stand-in: not the real model]"
    fig = pt.plot_tuning(mine, reference=ref, align=True)
    text = fig._suptitle.get_text()
    assert "3b:379" in text and "3b:406" in text and "UNTRAINED" in text
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("shifted +30" in t for t in legend)  # the article curve is moved onto yours
    plt.close(fig)
    fig = pt.plot_tuning(mine[0], reference=ref[0], kind="line", layout="side")
    assert len(fig.axes) == 2 and "article" in fig.axes[1].get_title()
    plt.close(fig)
    fig = pt.plot_tuning_grid(ref)
    assert len(fig.axes) == 2
    plt.close(fig)
    fig = pt.plot_stimulus_grid([0, 90, 180], radii=[0, 10], size=32)
    assert len(fig.axes) == 6
    plt.close(fig)
    with pytest.raises(ValueError, match="one reference per curve"):
        pt.plot_tuning(mine, reference=ref[:1])


def test_silent_curves_are_drawn_flat_and_labelled(circuits_root) -> None:
    """A unit that never fires (often so on the untrained stand-in) gets a flat grey line, not an error."""
    import dataclasses

    import matplotlib.pyplot as plt

    from shared_utils.plot import tuning as pt

    live = tu.article_curves("mixed3b", units=[379], root=circuits_root)[0]
    silent = dataclasses.replace(live, unit="3b:1", response=torch.zeros_like(live.response))
    with pytest.raises(ValueError, match="cannot be normalised"):
        silent.normalised()  # the maths still refuses; only the plot copes
    fig = pt.plot_tuning([live, silent], kind="line")
    lines = fig.axes[0].get_lines()
    assert float(np.max(lines[0].get_ydata())) == pytest.approx(1.0)
    assert not np.any(lines[1].get_ydata()) and lines[1].get_color() == "0.5"
    assert "silent" in fig.axes[0].get_legend().get_texts()[1].get_text()
    plt.close(fig)
    fig = pt.plot_tuning_grid([live, silent])
    assert "silent" in fig.axes[1].get_title() and "silent" not in fig.axes[0].get_title()
    plt.close(fig)


def test_article_curves_reads_every_echo_edit_condition(circuits_root) -> None:
    """The edited conditions are one group (a dict), the unedited one a list of groups."""
    from shared_utils.tuning import article_curves, echo

    for which in ("echo_edit_unedited", "echo_edit_early_curves_only", "echo_edit_early_curves_positive_only"):
        curves = article_curves(which, root=circuits_root)
        assert any(c.unit == "3b:379" for c in curves), which
    edited = {c.unit: c for c in article_curves("echo_edit_early_curves_positive_only", root=circuits_root)}
    unedited = {c.unit: c for c in article_curves("echo_edit_unedited", units=["3b:385"], root=circuits_root)}
    assert echo(edited["3b:385"]) > 0.5 > echo(unedited["3b:385"])  # science.md §3.1: 0.62 vs <= 0.01
