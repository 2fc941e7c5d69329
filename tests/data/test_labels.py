"""InceptionV1's class list (shared_utils.data.labels): the mapping to the 1008 outputs, where the file is
looked for, the hash and structure checks, and the offline error. Never touches the network: the
shared copy comes through root= or ZOOM_IN_DATA, downloads from a local HTTP server."""
from __future__ import annotations

import hashlib
import http.server
import threading
from pathlib import Path

import pytest
import torch

from shared_utils import _download
from shared_utils.data import labels
from shared_utils.data import DataUnavailableError
from shared_utils.labs.handbuilt import topk_accuracy

PINNED_SHA256 = "e31abe887a0ab7caa5e28dcb9fe547a53720be32f6196a17bc3dcebfb8cd485e"
KIT_FOX, TENCH = "n02119789", "n01440764"


@pytest.fixture(scope="module")
def labels_dir(shared_data: Path) -> Path:
    return shared_data / "labels"


@pytest.fixture(scope="module")
def file_lines(labels_dir: Path) -> list[list[str]]:
    """The file's lines split into (synset, index, name), read here independently of the module."""
    return [line.split(" ", 2) for line in (labels_dir / labels.LABELS_FILE).read_text().splitlines()]


@pytest.fixture()
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No ZOOM_IN_DATA copy and an empty cache."""
    monkeypatch.setenv("ZOOM_IN_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("ZOOM_IN_CACHE", str(tmp_path / "cache"))
    return tmp_path


def test_manifest_pins_the_shared_copy(labels_dir: Path) -> None:
    entry = labels._manifest_entry()
    data = (labels_dir / labels.LABELS_FILE).read_bytes()
    assert entry["sha256"] == PINNED_SHA256 == hashlib.sha256(data).hexdigest()
    assert entry["size"] == len(data) == 24366
    assert entry["url"] == ("https://raw.githubusercontent.com/greentfrapp/lucent/"
                            f"{entry['commit']}/lucent/modelzoo/misc/old_imagenet_labels.txt")
    assert entry["commit"] == "6123386ceb1dd5830724d6519bb6d8eb9fc542a0"


def test_1008_outputs_background_first_then_the_file_in_order(labels_dir: Path, file_lines) -> None:
    classes = labels.inceptionv1_classes(root=labels_dir)
    assert len(classes) == labels.N_OUTPUTS == 1008
    assert [c.index for c in classes] == list(range(1008))
    assert classes[0].kind == "background" and classes[0].synset is None and classes[0].name is None
    assert classes[1].synset == file_lines[0][0] == KIT_FOX and classes[1].name == "kit fox"
    assert classes[1000].synset == file_lines[-1][0] and classes[1000].name == file_lines[-1][2] == "dumbbell"
    assert [c.synset for c in classes[1:1001]] == [row[0] for row in file_lines]
    assert all(c.kind == "class" for c in classes[1:1001])
    assert [c.index for c in classes if c.kind == "unused"] == list(range(1001, 1008)) == list(labels.UNUSED)
    assert labels.output_index(KIT_FOX, classes) == 1
    assert labels.output_index(file_lines[-1][0], classes) == 1000
    with pytest.raises(ValueError, match="not one of InceptionV1's 1000 classes"):
        labels.output_index("n00000000", classes)


def test_every_sample_photo_maps_to_its_own_line(sample, labels_dir: Path, file_lines) -> None:
    line_of = {row[0]: i for i, row in enumerate(file_lines, start=1)}  # 1-based line = output (0 = background)
    targets = labels.sample_targets(sample, labels.inceptionv1_classes(root=labels_dir))
    assert targets.shape == (1000,) and targets.dtype == torch.long
    assert sorted(targets.tolist()) == list(range(1, 1001)), "each photo a distinct class, none on 0 or 1001+"
    assert sample.wnids[0] == TENCH and int(targets[0]) == line_of[TENCH]
    oracle = torch.zeros(len(sample), labels.N_OUTPUTS)
    oracle[torch.arange(len(sample)), torch.tensor([line_of[w] for w in sample.wnids])] = 1.0
    assert topk_accuracy(oracle, targets, k=1) == 1.0, "a model that is always right scores 100 %"
    with pytest.raises(ValueError, match="no output for 1"):
        bad = labels.inceptionv1_classes(root=labels_dir)
        bad[int(targets[0])] = labels.OutputClass(int(targets[0]), None, None)
        labels.sample_targets(sample, bad)


def test_lookup_order_root_then_zoom_in_data_then_cache(monkeypatch, isolated: Path, labels_dir: Path) -> None:
    with pytest.raises(labels.LabelsUnavailableError, match="no old_imagenet_labels.txt in"):
        labels.labels_path(root=isolated)
    assert labels.labels_path(root=labels_dir) == labels_dir / labels.LABELS_FILE
    assert labels.labels_path(root=labels_dir / labels.LABELS_FILE) == labels_dir / labels.LABELS_FILE
    monkeypatch.setenv("ZOOM_IN_DATA", str(labels_dir.parent))
    assert labels.labels_path() == labels_dir / labels.LABELS_FILE
    monkeypatch.setenv("ZOOM_IN_DATA", str(isolated / "data"))  # no labels/ there: falls through to the cache
    cached = isolated / "cache" / "labels" / labels.LABELS_FILE
    cached.parent.mkdir(parents=True)
    cached.write_bytes((labels_dir / labels.LABELS_FILE).read_bytes())
    assert labels.labels_path() == cached
    assert labels.inceptionv1_classes()[1].synset == KIT_FOX


def _corrupt(src: Path, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(src.read_text().replace("kit fox", "kit cat"))
    return dest


@pytest.mark.parametrize("where", ["root", "ZOOM_IN_DATA", "cache"])
def test_a_wrong_hash_stops_with_which_file_both_hashes_and_the_fix(monkeypatch, isolated: Path,
                                                                    labels_dir: Path, where: str) -> None:
    src = labels_dir / labels.LABELS_FILE
    folder = {"root": isolated / "mine", "ZOOM_IN_DATA": isolated / "data" / "labels",
              "cache": isolated / "cache" / "labels"}[where]
    bad = _corrupt(src, folder / labels.LABELS_FILE)
    got = hashlib.sha256(bad.read_bytes()).hexdigest()
    with pytest.raises(labels.LabelsFileError) as info:
        labels.inceptionv1_classes(root=folder if where == "root" else None, progress=False)
    msg = str(info.value)
    assert str(bad) in msg and got in msg and PINNED_SHA256 in msg
    assert "Delete it" in msg and labels._manifest_entry()["url"] in msg
    assert not isinstance(info.value, labels.LabelsUnavailableError), "a bad file stops; it is not 'offline'"
    assert bad.exists(), "the user's file is left for them to look at"


def test_structure_check_names_the_problem(file_lines) -> None:
    good = ["%s %s %s" % tuple(row) for row in file_lines]
    assert len(labels._parse("\n".join(good) + "\n", "x")) == 1000
    shifted = [f"{s} {int(i) + 1} {n}" for s, i, n in file_lines]
    with pytest.raises(labels.LabelsFileError, match="line 1 has index 2"):
        labels._parse("\n".join(shifted), "shifted.txt")
    with pytest.raises(labels.LabelsFileError, match="999 lines instead of 1000"):
        labels._parse("\n".join(good[:999]), "short.txt")
    dup = good[:]
    dup[5] = f"{file_lines[0][0]} 6 {file_lines[5][2]}"
    with pytest.raises(labels.LabelsFileError, match=f"{file_lines[0][0]} on lines 1 and 6"):
        labels._parse("\n".join(dup), "dup.txt")
    with pytest.raises(labels.LabelsFileError, match="line 3 is not"):
        labels._parse("\n".join(good[:2] + ["n0211 3 fox"] + good[3:]), "bad.txt")


def test_offline_with_nothing_local_says_what_to_do(monkeypatch, isolated: Path) -> None:
    monkeypatch.setattr(_download, "reachable", lambda url, timeout: False)
    with pytest.raises(labels.LabelsUnavailableError) as info:
        labels.inceptionv1_classes(progress=False)
    msg = str(info.value)
    assert "cannot be reached" in msg and "root=" in msg and "ZOOM_IN_DATA/labels/" in msg
    assert "topk_agreement" in msg and PINNED_SHA256 in msg
    assert isinstance(info.value, DataUnavailableError), "run.py verify reports it as SKIPPED (data unavailable)"
    assert not list((isolated / "cache").rglob("*.part")), "nothing half-written is left in the cache"


@pytest.fixture()
def local_server(tmp_path: Path, labels_dir: Path):
    root = tmp_path / "srv"
    root.mkdir()
    (root / "good.txt").write_bytes((labels_dir / labels.LABELS_FILE).read_bytes())
    _corrupt(labels_dir / labels.LABELS_FILE, root / "bad.txt")
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(root), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_download_into_the_cache_once_with_the_hash_checked(monkeypatch, isolated: Path, local_server: str) -> None:
    entry = dict(labels._manifest_entry())
    monkeypatch.setattr(labels, "_manifest_entry", lambda: {**entry, "url": local_server + "bad.txt"})
    with pytest.raises(labels.LabelsUnavailableError, match="SHA-256"):
        labels.inceptionv1_classes(progress=False)
    cached = isolated / "cache" / "labels" / labels.LABELS_FILE
    assert not cached.exists() and not list(cached.parent.glob("*.part"))
    monkeypatch.setattr(labels, "_manifest_entry", lambda: {**entry, "url": local_server + "good.txt"})
    assert labels.inceptionv1_classes(progress=False)[1].synset == KIT_FOX
    assert cached.is_file() and hashlib.sha256(cached.read_bytes()).hexdigest() == PINNED_SHA256
    monkeypatch.setattr(_download, "reachable", lambda url, timeout: False)  # offline now: the cache is enough
    assert labels.labels_path() == cached
