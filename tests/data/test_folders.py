"""Streaming passes over image folders (shared_utils.data.folders): shards merged equal one pass, the
streamed top-k equals the all-in-memory dataset_examples, the state does not grow with the number of
photos, an interrupted pass resumes to the same result, ImageNet layout vs flat, and bad input.

Kept fast by design: small photos (SIZE px), layers up to mixed3a, batches of 32, and the 1000-photo
passes computed once per module (fixtures)."""
from __future__ import annotations

import copy
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from shared_utils.activations import channel_stats
from shared_utils.dataset_examples import dataset_examples, example_crops, example_images, top_examples
from shared_utils.data.folders import (BrokenImageError, FolderStats, ImageFolder, folder_stats, image_folder,
                                       merge_folder_stats)

SIZE = 48
LAYERS = ["conv2d2", "mixed3a"]
OPTS = dict(k=9, image_size=SIZE, batch_size=32, calibration=32, progress=False)


@pytest.fixture(scope="module", autouse=True)
def _one_thread(model):  # after the model fixture, which sets two threads
    """One intra-op thread: these small batches gain nothing from two, and on a busy 2-core machine two
    threads waiting on each other cost several times the CPU time (measured: 0.25 s vs 1.7 s per 200 photos)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def folder(shared_data: Path) -> ImageFolder:
    return image_folder(shared_data / "imagenet-sample")


@pytest.fixture(scope="module")
def one_pass(model, folder: ImageFolder) -> FolderStats:
    return folder_stats(model, folder, LAYERS, **OPTS)


@pytest.fixture(scope="module")
def merged(model, folder: ImageFolder) -> tuple[FolderStats, list[FolderStats]]:
    parts = [folder_stats(model, folder, LAYERS, shard=(k, 3), **OPTS) for k in (3, 1, 2)]  # any order
    return merge_folder_stats(parts), parts


EXACT = ("top_values", "top_index", "top_pos", "max_min", "max_max", "hist", "below", "above", "edges", "grid")
SUMS = ("mean_sum", "mean_sumsq", "max_sum", "max_sumsq")


def assert_same(a: FolderStats, b: FolderStats) -> None:
    assert a.meta == b.meta
    assert (a.position, a.count, a.skipped) == (b.position, b.count, b.skipped)
    assert list(a.state) == list(b.state)
    for layer in a.state:
        for name in EXACT:
            assert torch.equal(a.state[layer][name], b.state[layer][name]), (layer, name)
        for name in SUMS:
            torch.testing.assert_close(a.state[layer][name], b.state[layer][name], rtol=1e-12, atol=0)


def test_folder_lists_the_sample(folder: ImageFolder, sample) -> None:
    assert len(folder) == len(sample) == 1000
    assert folder.ids == sample.ids  # flat: sorted file names (SOURCE.md is not an image)
    assert set(folder.labels) == {""}
    assert folder.class_names == sample.labels  # read from '<wnid>_<class>.JPEG'
    torch.testing.assert_close(folder.batch([0, 7], SIZE), sample.batch([0, 7], SIZE), rtol=0, atol=0)


def test_three_shards_merged_equal_one_pass(one_pass: FolderStats, merged) -> None:
    whole, parts = merged
    assert [p.count for p in parts] == [333, 334, 333]  # shards 3, 1, 2 of 1000
    assert one_pass.count == 1000 and one_pass.complete
    for p in parts:  # each shard saw only its own photos
        idx = p.state["mixed3a"]["top_index"]
        assert (idx % 3 == p.shard[0] - 1).all()
    assert_same(whole, one_pass)
    # and the shards really differ from the whole (the comparison can fail)
    assert not torch.equal(parts[0].state["mixed3a"]["top_index"], one_pass.state["mixed3a"]["top_index"])


def test_top_k_is_ordered_by_value_then_lower_index(one_pass: FolderStats) -> None:
    for layer in LAYERS:
        st = one_pass.state[layer]
        v, i = st["top_values"].double(), st["top_index"]
        assert (v[:, :-1] >= v[:, 1:]).all()
        tied = v[:, :-1] == v[:, 1:]
        assert (i[:, :-1][tied] < i[:, 1:][tied]).all()
        assert (i >= 0).all() and (i < 1000).all()


def test_streamed_top_k_equals_dataset_examples(model, sample, one_pass: FolderStats) -> None:
    """The independent check: the existing all-in-memory path (per-photo maxima of all 1000, then a sort)."""
    ref = channel_stats(model, sample, LAYERS, image_size=SIZE, batch_size=32, progress=False)
    for layer in LAYERS:
        channels = ref[layer].max.shape[1]
        for c in range(channels):
            unit = f"{layer}:{c}"
            want = top_examples(ref[layer], unit, 9, labels=sample.labels, model=model)
            got = one_pass.top_examples(unit)
            np.testing.assert_array_equal(got.indices, want.indices, err_msg=unit)
            np.testing.assert_array_equal(got.values, want.values, err_msg=unit)
            np.testing.assert_array_equal(got.positions, want.positions, err_msg=unit)
            np.testing.assert_array_equal(got.boxes, want.boxes, err_msg=unit)
        assert got.labels == want.labels and got.field == want.field and got.model_label == want.model_label
        # statistics: of the per-photo spatial mean and maximum, over the 1000 photos
        s = one_pass.summary(layer)
        mean, mx = ref[layer].mean.double(), ref[layer].max.double()
        torch.testing.assert_close(s.mean, mean.mean(0), rtol=1e-9, atol=1e-12)
        torch.testing.assert_close(s.std, mean.std(0, unbiased=False), rtol=1e-6, atol=1e-9)
        torch.testing.assert_close(s.max_mean, mx.mean(0), rtol=1e-9, atol=1e-12)
        torch.testing.assert_close(s.max_std, mx.std(0, unbiased=False), rtol=1e-6, atol=1e-9)
        assert torch.equal(s.max_min, ref[layer].max.amin(0)) and torch.equal(s.max_max, ref[layer].max.amax(0))
        for c in range(0, channels, 17):  # histograms of the maxima, as numpy bins them
            d = one_pass.distribution(f"{layer}:{c}")
            values = ref[layer].max[:, c].double().numpy()
            counts, _ = np.histogram(values, d.edges)
            np.testing.assert_array_equal(d.counts, counts)
            assert d.below == (values < d.edges[0]).sum() and d.above == (values > d.edges[-1]).sum()
            assert d.total == 1000


def test_dataset_examples_of_a_folder_stream_and_match(model, sample, folder: ImageFolder) -> None:
    sub = folder.subset(range(0, 1000, 25))  # 40 photos
    streamed = dataset_examples(model, sub, "3a:7 conv2d2:11", k=5, image_size=SIZE, batch_size=16, progress=False)
    in_memory = dataset_examples(model, sample.subset(range(0, 1000, 25)), "3a:7 conv2d2:11", k=5, image_size=SIZE,
                                 batch_size=16, progress=False)
    for unit in ("3a:7", "conv2d2:11"):
        np.testing.assert_array_equal(streamed[unit].indices, in_memory[unit].indices)
        np.testing.assert_array_equal(streamed[unit].values, in_memory[unit].values)
        assert streamed[unit].labels == in_memory[unit].labels
        np.testing.assert_array_equal(example_crops(sub, streamed[unit]),
                                      example_crops(sample.subset(range(0, 1000, 25)), in_memory[unit]))
    assert example_images(sub, streamed["3a:7"]).shape == (5, SIZE, SIZE, 3)


def test_state_size_does_not_grow_with_the_number_of_photos(model, folder: ImageFolder, one_pass) -> None:
    small = folder_stats(model, folder.subset(range(100)), LAYERS, **OPTS)
    assert small.count == 100 and one_pass.count == 1000
    assert small.nbytes == one_pass.nbytes > 0
    for layer in LAYERS:
        for name, t in small.state[layer].items():
            assert t.shape == one_pass.state[layer][name].shape, name
            assert 100 not in t.shape and 1000 not in one_pass.state[layer][name].shape, name
        assert small.state[layer]["hist"].sum() + small.state[layer]["below"].sum() + \
            small.state[layer]["above"].sum() == 100 * small.state[layer]["hist"].shape[0]


class _Failing(ImageFolder):
    """A folder whose loads fail from the ``fail_at``-th on (a power cut), and that counts its loads."""

    def __init__(self, paths, root, fail_at=None, watch=None) -> None:  # noqa: ANN001
        super().__init__(paths, root=root)
        self.fail_at, self.loads, self.watch, self.checkpoint_seen = fail_at, 0, watch, None

    def load(self, i, size=224):  # noqa: ANN001
        if self.fail_at is not None and self.loads >= self.fail_at:
            self.checkpoint_seen = sorted(p.name for p in Path(self.watch).glob("*.ckpt.pt"))
            raise RuntimeError("power cut")
        self.loads += 1
        return super().load(i, size)


def test_interrupted_pass_resumes_to_the_same_result(model, folder: ImageFolder, tmp_path: Path) -> None:
    paths = folder.paths[:150]
    opts = dict(OPTS, checkpoint_every=1, cache=tmp_path)
    uninterrupted = folder_stats(model, image_folder(paths, root=folder.root), LAYERS, **dict(OPTS))
    # 32 calibration photos, then 2 batches of 32, then the failure
    first = _Failing(paths, folder.root, fail_at=32 + 64, watch=tmp_path)
    with pytest.raises(RuntimeError, match="power cut"):
        folder_stats(model, first, LAYERS, **opts)
    assert len(first.checkpoint_seen) == 1  # the periodic checkpoint was on disk before the failure
    (ckpt,) = tmp_path.glob("*.ckpt.pt")
    assert FolderStats.load(ckpt).position == 64 and not list(tmp_path.glob("*.tmp"))
    again = _Failing(paths, folder.root)
    resumed = folder_stats(model, again, LAYERS, **opts)
    assert again.loads == 150 - 64  # continued where it stopped: no calibration, no photo twice
    assert_same(resumed, uninterrupted)
    assert not list(tmp_path.glob("*.ckpt.pt")) and len(list(tmp_path.glob("folder-*.pt"))) == 1
    done = _Failing(paths, folder.root)
    assert_same(folder_stats(model, done, LAYERS, **opts), uninterrupted)
    assert done.loads == 0  # a finished pass is loaded
    other = folder_stats(model, done, LAYERS, **dict(opts, k=3))  # another key: computed afresh
    assert done.loads == 32 + 150 and other.k == 3


def test_imagenet_layout_and_flat_folder(model, folder: ImageFolder, tmp_path: Path) -> None:
    chosen = folder.paths[:40:4]  # 10 photos of 10 classes
    layout, flat = tmp_path / "val", tmp_path / "flat"
    for p in chosen:
        wnid = p.name.split("_")[0]
        (layout / wnid).mkdir(parents=True, exist_ok=True)
        os.symlink(p, layout / wnid / f"ILSVRC2012_val_{p.name}")
        flat.mkdir(exist_ok=True)
        os.symlink(p, flat / p.name.lower().replace(".jpeg", ".jpg"))
    (layout / chosen[0].name.split("_")[0] / "._junk.JPEG").write_bytes(b"macOS metadata")  # hidden: skipped
    (layout / "README.txt").write_text("not an image")
    val, flat_f = image_folder(layout), image_folder(flat)
    assert len(val) == len(flat_f) == 10
    assert val.ids[0] == f"{chosen[0].name.split('_')[0]}/ILSVRC2012_val_{chosen[0].name}"
    assert val.labels == [p.name.split("_")[0] for p in chosen] and set(flat_f.labels) == {""}
    assert val.class_names == folder.subset(range(0, 40, 4)).class_names == flat_f.class_names
    a = folder_stats(model, val, "3a:5", **dict(OPTS, batch_size=4, workers=2))  # decoded in 2 worker processes
    b = folder_stats(model, flat, ["mixed3a"], **dict(OPTS, batch_size=4, workers=0))
    assert a.layers == ["mixed3a"] and a.meta["source"] != b.meta["source"]
    for c in (0, 5, 100):
        ea, eb = a.top_examples(f"3a:{c}"), b.top_examples(f"3a:{c}")
        np.testing.assert_array_equal(ea.indices, eb.indices)
        np.testing.assert_array_equal(ea.values, eb.values)
        assert ea.labels == eb.labels == [val.class_names[i] for i in ea.indices]


def test_bad_input_is_refused_clearly(model, folder: ImageFolder, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match=r"no images .* \(it is empty\)"):
        image_folder(empty)
    (empty / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match="notes.txt"):
        image_folder(empty)
    with pytest.raises(FileNotFoundError, match="no such folder"):
        image_folder(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="do not exist"):
        image_folder([folder.paths[0], tmp_path / "gone.JPEG"])
    with pytest.raises(ValueError, match="twice"):
        image_folder([folder.paths[0], folder.paths[0]])
    with pytest.raises(TypeError, match="channel_stats"):
        folder_stats(model, torch.rand(2, 3, SIZE, SIZE), "mixed3a", **OPTS)

    bad = tmp_path / "some" / "n01440764_broken.JPEG"
    bad.parent.mkdir()
    bad.write_bytes(b"\xff\xd8 not really a jpeg")
    mixed = image_folder(list(folder.paths[:5]) + [bad])
    with pytest.raises(BrokenImageError, match="n01440764_broken.JPEG.*skip_broken=True"):
        folder_stats(model, mixed, "mixed3a", **OPTS)
    with pytest.raises(BrokenImageError, match="n01440764_broken.JPEG.*skip_broken=True"):
        folder_stats(model, mixed, "mixed3a", **dict(OPTS, calibration=2))  # met in the pass, not the calibration
    with pytest.raises(BrokenImageError, match="n01440764_broken.JPEG"):
        mixed.batch([5], SIZE)
    ok = folder_stats(model, mixed, "mixed3a", skip_broken=True, **dict(OPTS, k=3))
    assert ok.count == 5 and ok.skipped == [5] and ok.skipped_ids[0].endswith("/some/n01440764_broken.JPEG")
    assert 5 not in ok.top_examples("3a:1").indices
    with pytest.raises(ValueError, match="between 1 and 3"):
        ok.top_examples("3a:1", k=4)
    with pytest.raises(ValueError, match="cover mixed3a, not mixed3b"):
        ok.top_examples("3b:1")
    for shard in [(0, 3), (4, 3), "2-3"]:
        with pytest.raises(ValueError, match="shard"):
            folder_stats(model, mixed, "mixed3a", shard=shard, **OPTS)
    with pytest.raises(ValueError, match="needs images of at least"):
        folder_stats(model, folder.paths[:3], "mixed3a", **dict(OPTS, image_size=6))


def test_merge_refuses_mismatched_shards(model, folder: ImageFolder) -> None:
    src = folder.subset(range(12))
    opts = dict(OPTS, k=2, batch_size=8, calibration=8)
    parts = [folder_stats(model, src, "mixed3a", shard=(k, 3), **opts) for k in (1, 2, 3)]
    assert merge_folder_stats(parts).count == 12
    with pytest.raises(ValueError, match=r"shard\(s\) 2/3 missing"):
        merge_folder_stats([parts[0], parts[2]])
    with pytest.raises(ValueError, match=r"shard\(s\) 1/3 given more than once"):
        merge_folder_stats(parts + [parts[0]])
    with pytest.raises(ValueError, match="different k"):
        merge_folder_stats(parts[:2] + [folder_stats(model, src, "mixed3a", shard=(3, 3), **dict(opts, k=3))])
    with pytest.raises(ValueError, match="different image sizes"):
        merge_folder_stats(parts[:2] + [folder_stats(model, src, "mixed3a", shard=(3, 3),
                                                     **dict(opts, image_size=SIZE + 8))])
    with pytest.raises(ValueError, match="different sources"):
        merge_folder_stats(parts[:2] + [folder_stats(model, folder.subset(range(1, 13)), "mixed3a", shard=(3, 3),
                                                     **opts)])
    with pytest.raises(ValueError, match="different layers"):
        merge_folder_stats(parts[:2] + [folder_stats(model, src, "conv2d2", shard=(3, 3), **opts)])
    edited = copy.deepcopy(model)
    with torch.no_grad():
        next(edited.parameters()).mul_(1.01)
    with pytest.raises(ValueError, match="different models"):
        merge_folder_stats(parts[:2] + [folder_stats(edited, src, "mixed3a", shard=(3, 3), **opts)])
    two = [folder_stats(model, src, "mixed3a", shard=(k, 2), **opts) for k in (1, 2)]
    with pytest.raises(ValueError, match="different numbers of shards"):
        merge_folder_stats(parts[:2] + two[1:])
    fixed = [folder_stats(model, src, "mixed3a", shard=(k, 3), hist_range=(0.0, 2.0), **opts) for k in (1, 2, 3)]
    d = merge_folder_stats(fixed).distribution("3a:4")
    np.testing.assert_array_equal(d.edges, np.linspace(0.0, 2.0, 65))
    assert d.total == 12 and fixed[0].meta["calibration"] is None
    with pytest.raises(ValueError, match="different histogram ranges"):
        merge_folder_stats(parts[:2] + fixed[2:])
    with pytest.raises(ValueError, match="whole pass"):
        merge_folder_stats([folder_stats(model, src, "mixed3a", **opts)])


def test_the_pass_drives_a_progress_bar(model, folder: ImageFolder, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from shared_utils import _progress

    monkeypatch.delenv(_progress.ENV, raising=False)
    monkeypatch.setenv(_progress.GRADING_ENV, "autograde")  # text lines, as under nbgrader
    monkeypatch.setattr(_progress, "TEXT_DELAY", 0.0)
    monkeypatch.setattr(_progress, "TEXT_INTERVAL", 0.0)
    monkeypatch.setattr(_progress, "TEXT_LINES", 10**9)
    opts = dict(OPTS, batch_size=4, calibration=4, progress=True)
    folder_stats(model, folder.paths[:10], "mixed3a", shard="1/1", **opts)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("folder pass")]
    assert lines and "3/3" in lines[-1] and "shard 1/1" in lines[-1] and "10 photos" in lines[-1], lines
    folder_stats(model, folder.paths[:10], "mixed3a", **dict(opts, progress=False))
    assert "folder pass" not in capsys.readouterr().err
