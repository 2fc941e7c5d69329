"""Data: the ImageNet sample and circuits files, local or downloaded (with checks) into the cache."""
from __future__ import annotations

import hashlib
import http.server
import json
import threading
from pathlib import Path

import pytest
import torch

from shared_utils import data


def test_sample_from_local_folder(sample) -> None:
    assert len(sample) == 1000
    assert sample.classes == list(range(1000))
    assert sample.labels[0] == "tench" and sample.wnids[0] == "n01440764"
    x = sample.batch([0, 999], 64)
    assert x.shape == (2, 3, 64, 64) and 0 <= x.min() and x.max() <= 1
    assert sample.find("golden retriever")
    assert len(data.imagenet_sample(sample.paths[0].parent, n=10)) == 10


def test_manifest_matches_the_offline_copy(shared_data: Path) -> None:
    """Every photo we would download has the SHA-256 of the copy the tests use."""
    manifest = data._imagenet_manifest()
    folder = shared_data / "imagenet-sample"
    assert sorted(manifest) == sorted(p.name for p in folder.glob("*.JPEG"))
    for name in sorted(manifest)[::97]:
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == manifest[name]


def test_circuits_manifest_covers_the_offline_files(circuits_root: Path) -> None:
    manifest = data._circuits_manifest()
    for name, entry in manifest.items():
        local = circuits_root / name
        assert local.exists(), name
        assert entry["url"].startswith("https://raw.githubusercontent.com/distillpub/")
        if "note" not in entry:  # verbatim copies: same bytes as the public source
            assert hashlib.sha256(local.read_bytes()).hexdigest() == entry["sha256"], name


def test_load_image_is_a_centre_crop(tmp_path: Path) -> None:
    from PIL import Image

    arr = torch.zeros(40, 80, 3, dtype=torch.uint8)
    arr[:, 20:60] = 255  # white centre band as wide as the crop
    Image.fromarray(arr.numpy()).save(tmp_path / "x.png")
    img = data.load_image(tmp_path / "x.png", size=20)
    assert img.shape == (3, 20, 20)
    assert img[:, :, 1:-1].min() > 0.99, "the crop keeps the centre band, resized 2x down"


def test_taxonomy_parses_loose_json_and_covers_layers(circuits_root: Path) -> None:
    for layer, n in {"conv2d0": 64, "conv2d1": 64, "conv2d2": 192, "mixed3a": 256, "mixed3b": 480}.items():
        groups = data.taxonomy(layer, circuits_root)
        units = [u for g in groups for u in g.units]
        assert sorted(units) == list(range(n)), layer
    curves = next(g for g in data.taxonomy("3b", circuits_root) if g.name == "Curves")
    assert set(curves.units) == {379, 406, 385, 343, 342, 388, 324, 340, 330, 349}
    assert data._loose_json('[{"a": [1, 2,],},]') == [{"a": [1, 2]}]


def test_unknown_file_suggests_names() -> None:
    with pytest.raises(data.DataUnavailableError, match="radial_mixed3b"):
        data.circuits_path("curve_detectors/radial_mixed3c.json")


def test_env_var_points_at_local_data(monkeypatch: pytest.MonkeyPatch, shared_data: Path, tmp_path: Path) -> None:
    monkeypatch.setenv("ZOOM_IN_DATA", str(shared_data))
    assert data.circuits_path("taxonomy/mixed3a.json") == shared_data / "circuits" / "taxonomy" / "mixed3a.json"
    monkeypatch.setenv("ZOOM_IN_DATA", str(tmp_path))
    with pytest.raises(data.DataUnavailableError, match="ZOOM_IN_DATA"):
        data.imagenet_sample()


@pytest.fixture()
def fake_github(tmp_path: Path, shared_data: Path):
    """A local HTTP server laid out like raw.githubusercontent.com, serving a few real files."""
    root = tmp_path / "srv"
    manifest = data._circuits_manifest()
    for name in ["taxonomy/conv2d0.json", "high_low/units_tuning.json"]:
        url_path = manifest[name]["url"].split("raw.githubusercontent.com/")[1]
        (root / url_path).parent.mkdir(parents=True, exist_ok=True)
        (root / url_path).write_bytes((shared_data / "circuits" / name).read_bytes())
    photos = sorted(data._imagenet_manifest())[:3]
    base = root / data.IMAGENET_SAMPLE_REPO / data.IMAGENET_SAMPLE_COMMIT
    base.mkdir(parents=True)
    for name in photos:
        (base / name).write_bytes((shared_data / "imagenet-sample" / name).read_bytes())
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(root), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", photos
    server.shutdown()


def test_download_into_cache_with_checks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake_github) -> None:
    base, photos = fake_github
    monkeypatch.delenv("ZOOM_IN_DATA", raising=False)
    monkeypatch.setenv("ZOOM_IN_CACHE", str(tmp_path / "cache"))
    real_download = data.download

    def via_local(url: str, dest: Path, **kw):
        return real_download(url.replace("https://raw.githubusercontent.com/", base), dest, **kw)

    monkeypatch.setattr(data, "download", via_local)
    all_photos, all_files = data._imagenet_manifest(), data._circuits_manifest()
    path = data.circuits_path("taxonomy/conv2d0.json", progress=False)
    assert path.is_relative_to(tmp_path / "cache") and json.loads(path.read_text().replace(",\n]", "]")) is not None
    # the photos: only those in our fake server exist, so the rest fail with advice, and what came stays cached
    monkeypatch.setattr(data, "_imagenet_manifest", lambda: {n: all_photos[n] for n in photos})
    sample = data.imagenet_sample(progress=False)
    assert [p.name for p in sample.paths] == photos
    # a corrupted file in transit is rejected
    monkeypatch.setattr(data, "_circuits_manifest",
                        lambda: {"high_low/units_tuning.json": {"url": all_files["high_low/units_tuning.json"]["url"],
                                                                "sha256": "0" * 64}})
    with pytest.raises(data.DataUnavailableError, match="SHA-256"):
        data.circuits_path("high_low/units_tuning.json", progress=False)
    assert not (tmp_path / "cache" / "circuits" / "high_low" / "units_tuning.json").exists()


def test_offline_download_fails_with_advice(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ZOOM_IN_DATA", raising=False)
    monkeypatch.setenv("ZOOM_IN_CACHE", str(tmp_path))
    real_download = data.download
    monkeypatch.setattr(data, "download", lambda url, dest, **kw: real_download("http://127.0.0.1:9/x", dest, **kw))
    with pytest.raises(data.DataUnavailableError, match="root="):
        data.circuits_path("taxonomy/conv2d1.json", progress=False)


def test_reachable_and_a_download_from_nowhere(fake_github, tmp_path: Path) -> None:
    """A server that answers is reachable; a closed port is not, and a download from it fails fast and clean."""
    import time

    from shared_utils import _download

    base, _ = fake_github
    assert _download.reachable(base, timeout=5)
    assert _download.reachable((tmp_path / "x").as_uri(), timeout=5), "file: URLs are local"
    closed = "http://127.0.0.1:9/nothing.json"  # the discard port: nothing listens there
    assert not _download.reachable(closed, timeout=5)
    t0 = time.monotonic()
    with pytest.raises(_download.DownloadError, match="cannot be reached"):
        _download.download(closed, tmp_path / "got" / "nothing.json", progress=False, timeout=2)
    assert time.monotonic() - t0 < 10
    got = tmp_path / "got"
    assert not got.exists() or not list(got.iterdir()), "no partial file is left behind"


# ----------------------------------------------------------------------------- an install without its manifests


@pytest.fixture
def _fresh_manifests():
    """Manifest readers are cached: start and end with empty caches so nothing leaks to other tests."""
    from shared_utils.data import labels

    readers = [data._imagenet_manifest, data._circuits_manifest, labels._manifest_entry]
    for r in readers:
        r.cache_clear()
    yield
    for r in readers:
        r.cache_clear()


def _installed_without_manifests(monkeypatch: pytest.MonkeyPatch, package_dir: Path) -> None:
    """``importlib.resources.files('shared_utils')`` answers ``package_dir``, as in a wheel built without them."""
    import importlib.resources

    monkeypatch.setattr(importlib.resources, "files", lambda _package: package_dir)


def _assert_reinstall_advice(text: str, name: str) -> None:
    assert f"manifests/{name}" in text, text
    assert "pip install --force-reinstall --no-deps zoom-in-course" in text, text


@pytest.mark.parametrize("name, read", [
    ("circuits.json", lambda: data.circuits_path("curve_detectors/radial_mixed3b.json")),
    ("imagenet_sample.sha256", lambda: data._imagenet_manifest()),
    ("inceptionv1_labels.json", lambda: __import__("shared_utils.data.labels", fromlist=["_"])._manifest_entry()),
])
def test_missing_manifest_says_the_install_is_incomplete(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                         _fresh_manifests, name: str, read) -> None:
    _installed_without_manifests(monkeypatch, tmp_path)  # an empty package folder
    with pytest.raises(data.IncompleteInstallError) as err:
        read()
    text = str(err.value)
    _assert_reinstall_advice(text, name)
    assert "the install is incomplete" in text
    assert isinstance(err.value, data.DataUnavailableError) and isinstance(err.value.__cause__, FileNotFoundError)


def test_damaged_manifest_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, _fresh_manifests) -> None:
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "circuits.json").write_text('{"version": 1}')
    _installed_without_manifests(monkeypatch, tmp_path)
    with pytest.raises(data.IncompleteInstallError, match=r"circuits\.json is damaged .*'files' table") as err:
        data.circuits_path("curve_detectors/radial_mixed3b.json")
    _assert_reinstall_advice(str(err.value), "circuits.json")
    assert isinstance(err.value.__cause__, KeyError)
