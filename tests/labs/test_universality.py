"""Finding detectors by stimulus tuning in any conv net (shared_utils.labs.universality), on planted networks."""
from __future__ import annotations

import urllib.error

import pytest
import torch
from torch import nn

from shared_utils.labs import universality as uv
from shared_utils.labs.handbuilt import CurveNet

ANGLES = range(0, 360, 15)


def _log_kernel(sigma: float, size: int) -> torch.Tensor:
    c = (size - 1) / 2
    ax = torch.arange(size, dtype=torch.float64) - c
    y, x = torch.meshgrid(ax, ax, indexing="ij")
    r2 = x**2 + y**2
    k = (1 - r2 / (2 * sigma**2)) * torch.exp(-r2 / (2 * sigma**2))
    return k - k.mean()


class PlantedHighLow(nn.Module):
    """conv1: fine and coarse texture-energy units (isotropic); conv2: fine texture on one side, coarse on the other.

    conv2 unit 0 prefers the fine side towards +x (0 degrees), unit 1 towards +y (90 degrees): the
    structure science.md §4.2 describes (the HF cluster excites on one side and inhibits on the other,
    the LF cluster the reverse).
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 21, padding=10, bias=False)
        self.conv2 = nn.Conv2d(4, 2, 15, padding=7, bias=False)
        hf, lf = _log_kernel(0.8, 21), _log_kernel(5.0, 21)
        lf = lf / lf.abs().sum() * hf.abs().sum()
        with torch.no_grad():
            self.conv1.weight.copy_(torch.stack([hf, -hf, lf, -lf]).float()[:, None].repeat(1, 3, 1, 1) / 3)
            ax = torch.arange(15.0) - 7
            y, x = torch.meshgrid(-ax, ax, indexing="ij")
            env = torch.exp(-(x**2 + y**2) / 32.0)
            for o, u in enumerate([x, y]):
                side = torch.tanh(u) * env
                self.conv2.weight[o] = torch.stack([side, side, -side, -side])
        self.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(torch.relu(self.conv1(x)))


@pytest.fixture(scope="module")
def curve_scan() -> uv.ModelScan:
    return uv.scan_model(CurveNet(orientations=6), name="curvenet", transform=None, size=120, angles=ANGLES,
                         radii=[60.0], progress=False)


def test_planted_curve_detectors_are_found_in_the_right_layer(curve_scan: uv.ModelScan) -> None:
    by_name = {s.name: s for s in curve_scan.layers}
    assert list(by_name) == ["lines", "early", "curves"]  # forward order
    assert [round(s.depth, 3) for s in curve_scan.layers] == [round(1 / 3, 3), round(2 / 3, 3), 1.0]
    assert by_name["curves"].curve == list(range(6))  # every hand-built curve unit
    pref = by_name["curves"].metrics["curve_preferred"]
    assert float(((pref - torch.arange(6) * 60.0 + 180) % 360 - 180).abs().max()) < 8  # at their own orientations
    assert by_name["lines"].curve == []  # lines look the same at 180 degrees: two peaks / echo 1
    assert by_name["early"].curve == []  # early curves have an echo (science.md §2.3)
    assert float(by_name["early"].metrics["curve_echo"].nanmedian()) > 0.2
    assert all(s.high_low == [] for s in curve_scan.layers)
    assert curve_scan.peak_depth("curve") == 1.0 and curve_scan.peak_depth("high_low") is None


def test_tuning_curves_match_the_scan(curve_scan: uv.ModelScan) -> None:
    from shared_utils.tuning import preferred_orientation

    curves = uv.tuning_curves(CurveNet(orientations=6), "curves", [1, 4], transform=None, size=120, angles=ANGLES,
                              radii=[60.0])
    got = preferred_orientation(curves)
    want = curve_scan.layers[2].metrics["curve_preferred"][[1, 4]]
    assert torch.allclose(got, want) and curves[0].unit == "curves 1"
    hl = uv.tuning_curves(PlantedHighLow(), "conv2", [1], kind="high_low", transform=None, size=96, angles=ANGLES)
    assert abs(float(preferred_orientation(hl[0])) - 90) < 8
    with pytest.raises(ValueError, match="no conv layer"):
        uv.tuning_curves(PlantedHighLow(), "conv9", [0])


@pytest.fixture(scope="module")
def planted_hl_scan() -> uv.ModelScan:
    return uv.scan_model(PlantedHighLow(), transform=None, size=96, angles=ANGLES, radii=[30.0], progress=False)


def test_planted_high_low_detectors_are_found_in_the_right_layer(planted_hl_scan: uv.ModelScan) -> None:
    conv1, conv2 = planted_hl_scan.layers
    assert conv2.high_low == [0, 1] and conv1.high_low == []
    assert conv2.curve == []
    # the preferred side: unit 0 responds most with the fine texture towards 0 degrees, unit 1 towards 90
    pref = conv2.metrics["hl_preferred"]
    assert abs(float(pref[0] + 180) % 360 - 180) < 8 and abs(float(pref[1]) - 90) < 8
    assert float(conv2.metrics["hl_opposite"][0]) < 0.5 and float(conv2.metrics["hl_boundary"][0]) > 0.5


def test_layer_selection_and_early_stop() -> None:
    net = CurveNet(orientations=4)
    calls = []
    net.curves.register_forward_hook(lambda *_: calls.append(1))
    scan = uv.scan_model(net, transform=None, size=64, angles=range(0, 360, 45), radii=[30.0], max_depth=0.5,
                         progress=False)
    assert [s.name for s in scan.layers] == ["lines"]
    assert len(calls) == 1  # only the first ordering pass reached the last layer: scanning stopped early
    scan = uv.scan_model(net, transform=None, size=64, angles=range(0, 360, 45), radii=[30.0], layers=["curves"],
                         progress=False)
    assert [s.name for s in scan.layers] == ["curves"] and scan.layers[0].index == 2
    with pytest.raises(ValueError, match="no conv layers"):
        uv.scan_model(net, transform=None, size=64, layers=["nope"], progress=False)
    assert "curves" in scan.table()


def test_conv_layers_read_after_batch_norm() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(inplace=True), nn.Conv2d(4, 2, 3))
    layers = uv.conv_layers(model)
    assert [(layer.name, layer.batch_norm) for layer in layers] == [("0", True), ("3", False)]
    assert layers[0].module is model[1]
    with pytest.raises(ValueError):
        uv.conv_layers(nn.Sequential(nn.ReLU()))


def test_offline_weights_fall_back_to_an_untrained_model(monkeypatch, tmp_path) -> None:
    import torchvision.models._api as api

    def offline(*_a, **_k):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(api, "load_state_dict_from_url", offline)
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))  # nothing cached
    monkeypatch.setattr(uv, "reachable", lambda url, timeout: True)  # the server answers, the download fails
    loaded = uv.load_torchvision("alexnet", progress=False)
    assert not loaded.trained and "weights unavailable" in loaded.note and "UNTRAINED" in loaded.note
    assert "URLError" in loaded.note
    monkeypatch.setattr(uv, "reachable", lambda url, timeout: False)  # no network at all: no download attempt
    monkeypatch.setattr(api, "load_state_dict_from_url", lambda *a, **k: pytest.fail("must not try to download"))
    loaded = uv.load_torchvision("alexnet", progress=False)
    assert not loaded.trained and "cannot be reached" in loaded.note
    assert not loaded.model.training and not any(p.requires_grad for p in loaded.model.parameters())
    with pytest.raises(ValueError, match="unknown model"):
        uv.load_torchvision("lenet")


def test_plot_depth_profile(curve_scan: uv.ModelScan) -> None:
    import matplotlib.pyplot as plt

    fig = uv.plot_depth_profile([curve_scan])
    line = fig.axes[0].lines[0]
    assert list(line.get_xdata()) == [s.depth for s in curve_scan.layers]
    assert list(line.get_ydata()) == [0.0, 0.0, 1.0]
    plt.close(fig)


# ----------------------------------------------------------------------------- controls (Lab 10)


def test_a_layer_that_ignores_its_input_passes_nothing() -> None:
    """Round-off is not tuning: a conv whose output is its bias plus 1e-7 of the input (a silent layer)
    passed the old, relative strength threshold; the floor relative to the layer's activation stops it."""
    net = nn.Sequential(nn.Conv2d(3, 16, 5, padding=2))
    with torch.no_grad():
        net[0].weight.copy_(1e-7 * torch.randn(16, 3, 5, 5, generator=torch.Generator().manual_seed(0)))
        net[0].bias.fill_(1.0)
    scan = uv.scan_model(net, transform=None, size=48, angles=ANGLES, radii=[12.0], progress=False)
    layer = scan.layers[0]
    assert layer.curve == [] and layer.high_low == []
    assert float(layer.metrics["largest"].max()) > 0.9  # the bias: large, but the same for every image
    assert float(layer.responses["curve"].max()) < 1e-5
    assert tuple(layer.responses["curve"].shape) == (len(ANGLES), 16)


def test_straight_and_texture_controls_are_measured(curve_scan: uv.ModelScan, planted_hl_scan: uv.ModelScan) -> None:
    curves = curve_scan.layers[2]
    assert float(curves.metrics["curve_straight"][curves.curve].max()) < 1.0  # curves beat lines and edges
    lines = curve_scan.layers[0]
    assert float(torch.nan_to_num(lines.metrics["curve_straight"], nan=0.0).max()) >= 1.0  # lines prefer a line
    conv2 = planted_hl_scan.layers[1]
    assert conv2.high_low == [0, 1]  # the planted detectors survive every control
    assert float(conv2.metrics["hl_edge"][[0, 1]].max()) < 1.0  # texture energy ignores a plain edge
    assert float(conv2.metrics["hl_texture_shift"][[0, 1]].max()) <= 15.0  # the same side with noise textures
    assert float(conv2.metrics["hl_texture_ratio"][[0, 1]].min()) >= 0.5
    assert planted_hl_scan.settings["max_edge"] == 1.0 and planted_hl_scan.settings["max_texture_shift"] == 30.0


def test_kernel_smoothness_and_shuffled_copy() -> None:
    ramp = torch.arange(3.0).repeat(3, 1)[None, None]
    assert abs(uv.kernel_smoothness(ramp) - 0.76) < 1e-9
    noise = torch.randn(300, 4, 3, 3, generator=torch.Generator().manual_seed(0))
    assert abs(uv.kernel_smoothness(noise) + 0.125) < 0.03
    with pytest.raises(ValueError):
        uv.kernel_smoothness(torch.zeros(3, 3))
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 5, 3))
    before = [p.detach().clone() for p in net.parameters()]
    mixed = uv.shuffled_copy(net, seed=1)
    for p, q, r in zip(net.parameters(), mixed.parameters(), before):
        assert torch.equal(p, r)  # the original is untouched
        assert torch.equal(p.flatten().sort().values, q.flatten().sort().values) and not torch.equal(p, q)
    assert all(torch.equal(a, b) for a, b in zip(uv.shuffled_copy(net, seed=1).parameters(), mixed.parameters()))


class _Family(nn.Module):
    """Two conv layers whose summed weights follow cos(dst angle - src angle) (equivariant) or noise."""

    def __init__(self, src_deg: torch.Tensor, dst_deg: torch.Tensor, equivariant: bool) -> None:
        super().__init__()
        self.a = nn.Conv2d(3, len(src_deg) + 2, 3)
        self.b = nn.Conv2d(len(src_deg) + 2, len(dst_deg) + 1, 3)
        with torch.no_grad():
            w = torch.randn(self.b.weight.shape, generator=torch.Generator().manual_seed(2)) * 0.01
            if equivariant:
                w[:len(dst_deg), :len(src_deg)] += torch.cos(torch.deg2rad(dst_deg[:, None] - src_deg[None, :]))[..., None, None] / 9
            self.b.weight.copy_(w)


def _fake_scan(src_deg: torch.Tensor, dst_deg: torch.Tensor) -> uv.ModelScan:
    """Channel c of each layer is curve-like with preferred angle deg[c]; one or two extra channels are not."""
    layers = []
    for i, (name, deg, ch) in enumerate([("a", src_deg, len(src_deg) + 2), ("b", dst_deg, len(dst_deg) + 1)]):
        pref = torch.full((ch,), float("nan"), dtype=torch.float64)
        pref[:len(deg)] = deg.double()
        layers.append(uv.LayerScan(name, i, 2, ch, list(range(len(deg))), [], {"curve_preferred": pref}))
    return uv.ModelScan("fake", "", layers)


def test_circuit_test_finds_a_planted_signature_and_not_noise() -> None:
    gen = torch.Generator().manual_seed(5)  # channels not in angle order: the test must sort them
    src = (torch.arange(12) * 30.0)[torch.randperm(12, generator=gen)]
    dst = (torch.arange(8) * 45.0 + 10.0)[torch.randperm(8, generator=gen)]
    scan = _fake_scan(src, dst)
    found = uv.circuit_test(_Family(src, dst, True), scan, "a", "b", n=300)
    assert found.statistic > 0.9 and found.p_value < 0.01
    assert found.src_deg.tolist() == sorted(src.tolist())  # ordered by preferred orientation
    centres, means = found.profile(45.0)
    assert float(means[centres == 0]) > 0 > float(means[centres == -180])
    noise = uv.circuit_test(_Family(src, dst, False), scan, "a", "b", n=300)
    assert noise.p_value > 0.05 and abs(noise.statistic) < 0.3
    obs, null, p = uv.label_shuffle_test(found.weights, found.src_deg, found.dst_deg, n=50, seed=0)
    loop = [uv.offset_statistic(found.weights, found.src_deg[torch.randperm(12, generator=g)], found.dst_deg)
            for g in [torch.Generator().manual_seed(0)] for _ in range(50)]
    assert torch.allclose(null, torch.tensor(loop, dtype=torch.float64), atol=1e-9)  # the vectorised null is the loop's
    with pytest.raises(ValueError, match="not directly connected"):
        uv.summed_weights(nn.Sequential(nn.Conv2d(3, 4, 3), nn.Conv2d(5, 2, 3)), "0", "1", [0], [0])
    with pytest.raises(ValueError, match="at least 2"):
        uv.circuit_test(_Family(src, dst, True), _fake_scan(src[:1], dst), "a", "b")


def test_peak_depth_against_a_null() -> None:
    def fake(counts):
        return uv.ModelScan("x", "", [uv.LayerScan(f"c{i}", i, len(counts), 10, list(range(c)), list(range(c)))
                                      for i, c in enumerate(counts)])

    trained, null = fake([5, 4, 1, 0]), fake([5, 0, 0, 0])
    assert trained.fractions("curve") == [0.5, 0.4, 0.1, 0.0]
    assert trained.peak_depth("curve") == 0.25 and trained.peak_depth("curve", null=null) == 0.5
    assert null.peak_depth("curve", null=null) is None
    with pytest.raises(ValueError, match="same layers"):
        trained.peak_depth("curve", null=fake([1, 1]))
