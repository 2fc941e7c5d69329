"""Model loading: real-weights path (cache, hash check, clear offline error), untrained stand-in, preprocessing."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from shared_utils import model as m


def test_untrained_is_labelled_and_seeded() -> None:
    a = m.load_inceptionv1("untrained", seed=1)
    b = m.load_inceptionv1("untrained", seed=1)
    c = m.load_inceptionv1("untrained", seed=2)
    assert not m.is_trained(a) and "UNTRAINED" in m.weights_label(a)
    wa, wb, wc = (x.conv2d0_pre_relu_conv.weight for x in (a, b, c))
    assert torch.equal(wa, wb) and not torch.equal(wa, wc)
    assert not a.training and not any(p.requires_grad for p in a.parameters())


def test_untrained_does_not_disturb_the_global_rng() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    m.load_inceptionv1("untrained")
    assert torch.equal(torch.rand(3), expected)


def test_offline_without_cache_explains_what_to_do(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ZOOM_IN_CACHE", str(tmp_path))
    monkeypatch.setattr(m, "WEIGHTS_URL", "http://127.0.0.1:9/inception5h.pth")  # nothing listens there
    with pytest.raises(m.WeightsUnavailableError) as err:
        m.load_inceptionv1("pretrained")
    text = str(err.value)
    assert str(tmp_path / "weights" / "inception5h.pth") in text and "ZOOM_IN_WEIGHTS" in text
    assert not list((tmp_path / "weights").glob("*")), "no partial file is left behind"


def test_env_var_chooses_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOOM_IN_WEIGHTS", "untrained")
    assert not m.is_trained(m.load_inceptionv1())


def _save_weights(model: torch.nn.Module, path: Path) -> None:
    torch.save(model.state_dict(), path)


def test_local_file_is_hash_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    donor = m.load_inceptionv1("untrained", seed=5)
    path = tmp_path / "inception5h.pth"
    _save_weights(donor, path)
    with pytest.raises(m.WeightsUnavailableError, match="git blob id"):
        m.load_inceptionv1(path)  # not the published file
    # pretend this file is the published one: then it loads, as trained weights, bit for bit
    monkeypatch.setattr(m, "WEIGHTS_GIT_BLOB_SHA1", m.git_blob_sha1_of(path))
    loaded = m.load_inceptionv1(path)
    assert m.is_trained(loaded) and str(path) in m.weights_info(loaded).source
    assert torch.equal(loaded.mixed4c_5x5_pre_relu_conv.weight, donor.mixed4c_5x5_pre_relu_conv.weight)
    # a SHA-256 pin, once set, is what is checked
    monkeypatch.setattr(m, "WEIGHTS_SHA256", "0" * 64)
    with pytest.raises(m.WeightsUnavailableError, match="SHA-256"):
        m.load_inceptionv1(path)


def test_cached_file_is_used_without_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOOM_IN_CACHE", str(tmp_path))
    donor = m.load_inceptionv1("untrained", seed=7)
    cached = tmp_path / "weights" / "inception5h.pth"
    cached.parent.mkdir(parents=True)
    _save_weights(donor, cached)
    monkeypatch.setattr(m, "WEIGHTS_GIT_BLOB_SHA1", m.git_blob_sha1_of(cached))
    monkeypatch.setattr(m, "WEIGHTS_URL", "http://127.0.0.1:9/never-used")
    assert m.is_trained(m.load_inceptionv1("pretrained"))


def test_download_is_verified_and_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A served file lands in the cache only if its hash matches."""
    import http.server
    import threading

    donor = m.load_inceptionv1("untrained", seed=9)
    served = tmp_path / "srv" / "inception5h.pth"
    served.parent.mkdir()
    _save_weights(donor, served)
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(served.parent), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/inception5h.pth"
        monkeypatch.setattr(m, "WEIGHTS_URL", url)
        monkeypatch.setenv("ZOOM_IN_CACHE", str(tmp_path / "cache"))
        with pytest.raises(m.WeightsUnavailableError):
            m.load_inceptionv1("pretrained", progress=False)  # wrong hash: rejected
        assert not (tmp_path / "cache" / "weights" / "inception5h.pth").exists()
        monkeypatch.setattr(m, "WEIGHTS_GIT_BLOB_SHA1", m.git_blob_sha1_of(served))
        loaded = m.load_inceptionv1("pretrained", progress=False)
        assert m.is_trained(loaded) and (tmp_path / "cache" / "weights" / "inception5h.pth").exists()
    finally:
        server.shutdown()


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="inception5h.pth"):
        m.load_inceptionv1(tmp_path / "nope.pth")


def test_preprocess_range() -> None:
    x = torch.stack([torch.zeros(3, 4, 4), torch.ones(3, 4, 4)])
    y = m.preprocess(x)
    assert y.min().item() == -117 and y.max().item() == 138
    with pytest.raises(ValueError, match="N, 3, H, W"):
        m.preprocess(torch.zeros(3, 4, 4))


def test_redirected_relu_is_off_by_default() -> None:
    from lucent.modelzoo.inceptionv1 import helper_layers

    plain = m.load_inceptionv1("untrained")
    assert isinstance(plain.mixed3b, helper_layers.CatLayer)
    assert isinstance(plain.conv2d0, helper_layers.ReluLayer)
    redirected = m.load_inceptionv1("untrained", redirected_relu=True)
    assert isinstance(redirected.conv2d0, helper_layers.RedirectedReluLayer)


def test_device_override(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared_utils.device import get_device

    monkeypatch.setenv("ZOOM_IN_DEVICE", "cpu")
    assert get_device().type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="no CUDA GPU"):
            get_device("cuda")
    assert os.environ["ZOOM_IN_DEVICE"] == "cpu"
