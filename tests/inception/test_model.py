"""Model loading: real-weights path (cache, hash check, clear offline error), untrained stand-in, preprocessing."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from shared_utils.inception import model as m


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


# ----------------------------------------------------------------------------- files that are not InceptionV1's weights


def _write_not_torch(kind: str, path: Path) -> None:
    import pickle
    import zipfile

    if kind == "random bytes":
        path.write_bytes(torch.randint(0, 256, (1000,), generator=torch.Generator().manual_seed(0),
                                       dtype=torch.uint8).numpy().tobytes())
    elif kind == "text":
        path.write_text("these are not weights\n")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "zip":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("notes/readme.txt", "a zip, but not torch.save's")
    elif kind == "pickle":
        path.write_bytes(pickle.dumps({"conv2d0_pre_relu_conv.weight": [1.0, 2.0]}))


def _sentences_about_weights_only(text: str) -> list[str]:
    import re

    return [s for s in re.split(r"(?<=[.!?])\s+", text) if "weights_only" in s]


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("kind", ["random bytes", "text", "empty", "zip", "pickle"])
def test_not_a_torch_file_is_refused_without_the_weights_only_false_advice(tmp_path: Path, kind: str) -> None:
    """torch's own error advises re-running with weights_only=False: never passed on for an unknown file."""
    import traceback

    path = tmp_path / "inception5h.pth"
    _write_not_torch(kind, path)
    with pytest.raises(m.WeightsUnavailableError) as err:
        m.load_inceptionv1(path, verify=False)
    text = str(err.value)
    assert "is not a PyTorch weights file of InceptionV1" in text and str(path) in text
    assert m.WEIGHTS_URL in text, "says where to get the right file"
    assert err.value.__cause__ is not None, "raised from torch's error"
    # the only mention of weights_only is the warning never to do it
    about = _sentences_about_weights_only(text)
    assert about and all("Never" in s for s in about), about
    # and torch's advice is not in the traceback either (the cause keeps only what torch found)
    full = "".join(traceback.format_exception(err.value))
    for advice in ("Re-running", "will likely succeed", "add_safe_globals", "safe_globals("):
        assert advice not in full, advice


def test_a_whole_pickled_model_is_refused_and_named(tmp_path: Path) -> None:
    path = tmp_path / "model.pth"
    torch.save(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3)), path)  # the whole model, not its state_dict
    with pytest.raises(m.WeightsUnavailableError) as err:
        m.load_inceptionv1(path, verify=False)
    text = str(err.value)
    assert "torch.nn.modules.container.Sequential" in text and "torch.save(model.state_dict())" in text
    assert all("Never" in s for s in _sentences_about_weights_only(text)) and m.WEIGHTS_URL in text


def _wrong_model_file(kind: str, path: Path) -> None:
    if kind == "sequential":
        torch.save(torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(), torch.nn.Linear(8, 2)).state_dict(),
                   path)
    elif kind == "resnet18":
        import torchvision

        torch.save(torchvision.models.resnet18(weights=None).state_dict(), path)
    elif kind == "wrong shapes":
        state = m.load_inceptionv1("untrained").state_dict()
        state["conv2d0_pre_relu_conv.weight"] = torch.zeros(10, 3, 7, 7)
        state["softmax2_pre_activation_matmul.weight"] = torch.zeros(1000, 1024)
        torch.save(state, path)
    elif kind == "list":
        torch.save([torch.zeros(3), torch.ones(2)], path)
    elif kind == "tensor":
        torch.save(torch.zeros(64, 3, 7, 7), path)
    elif kind == "checkpoint":
        torch.save({"state_dict": m.load_inceptionv1("untrained").state_dict(), "epoch": 3}, path)


@pytest.mark.parametrize("kind, holds", [
    ("sequential", ["'0.weight' (8, 3, 3, 3)", "Missing from the file: 116", "not in InceptionV1: 4"]),
    ("resnet18", ["'conv1.weight' (64, 3, 7, 7)", "Missing from the file: 116", "not in InceptionV1: 122"]),
    ("wrong shapes", ["Wrong shape: 2", "'conv2d0_pre_relu_conv.weight': file (10, 3, 7, 7), InceptionV1 (64, 3, 7, 7)",
                      "'softmax2_pre_activation_matmul.weight': file (1000, 1024), InceptionV1 (1008, 1024)"]),
    ("list", ["it holds a list, not a state dict"]),
    ("tensor", ["it holds a Tensor of shape (64, 3, 7, 7), not a state dict"]),
    ("checkpoint", ["'state_dict' (OrderedDict, not a tensor)", "training checkpoint"]),
])
def test_weights_of_another_model_say_what_the_file_holds(tmp_path: Path, kind: str, holds: list[str]) -> None:
    path = tmp_path / f"{kind}.pth"
    _wrong_model_file(kind, path)
    with pytest.raises(m.WeightsUnavailableError) as err:
        m.load_inceptionv1(path, verify=False)
    text = str(err.value)
    assert f"{path} does not hold InceptionV1's weights" in text
    assert "InceptionV1 needs a state dict of 116 named tensors, e.g. 'conv2d0_pre_relu_conv.weight' (64, 3, 7, 7)" in text
    for piece in holds:
        assert piece in text, (piece, text)
    assert m.WEIGHTS_URL in text


def test_the_right_state_dict_still_loads(tmp_path: Path) -> None:
    donor = m.load_inceptionv1("untrained", seed=7)
    path = tmp_path / "converted.pth"
    torch.save(donor.state_dict(), path)
    loaded = m.load_inceptionv1(path, verify=False)
    assert torch.equal(loaded.mixed5b_1x1_pre_relu_conv.weight, donor.mixed5b_1x1_pre_relu_conv.weight)
