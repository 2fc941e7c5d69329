"""Finding detectors by stimulus tuning in any conv net (shared_utils.universality), on planted networks."""
from __future__ import annotations

import urllib.error

import pytest
import torch
from torch import nn

from shared_utils import universality as uv
from shared_utils.handbuilt import CurveNet

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


def test_planted_high_low_detectors_are_found_in_the_right_layer() -> None:
    scan = uv.scan_model(PlantedHighLow(), transform=None, size=96, angles=ANGLES, radii=[30.0], progress=False)
    conv1, conv2 = scan.layers
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
