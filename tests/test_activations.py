"""capture / channel_stats: same numbers as a plain full forward, early stop, no leftover hooks."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from shared_utils.activations import capture, capture_units, channel_stats, forward_logits
from shared_utils.inception.model import preprocess


def _hooks(model) -> int:
    return sum(len(m._forward_hooks) for m in model.modules())


def _close(got: torch.Tensor, want: torch.Tensor) -> None:
    """Equal up to float32 round-off: capture runs faster kernels (channels-last, a shifted-slice LRN;
    tests/inception/test_lucent.py checks those against torch's exactly in float64)."""
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5 * float(want.abs().max()))


def _reference(model, x, names):
    """Full forward with hand-written hooks: the obvious way."""
    out, handles = {}, []
    mods = dict(model.named_modules())
    for n in names:
        handles.append(mods[n].register_forward_hook(lambda _m, _i, o, n=n: out.__setitem__(n, o.detach())))
    with torch.no_grad():
        logits = model(preprocess(x))
    for h in handles:
        h.remove()
    return out, logits


def test_capture_matches_full_forward(model) -> None:
    x = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    names = ["conv2d0", "conv2d2", "mixed3a", "mixed3b_5x5", "mixed4a"]
    ref, _ = _reference(model, x, names)
    got = capture(model, x, names)
    assert list(got) == names
    for n in names:
        _close(got[n], ref[n])
    assert _hooks(model) == 0


def test_pre_relu_concatenates_branches(model) -> None:
    x = torch.rand(1, 3, 224, 224)
    mods = ["mixed3b_1x1_pre_relu_conv", "mixed3b_3x3_pre_relu_conv", "mixed3b_5x5_pre_relu_conv",
            "mixed3b_pool_reduce_pre_relu_conv"]
    ref, _ = _reference(model, x, mods)
    got = capture(model, x, "3b", pre_relu=True)["mixed3b"]
    _close(got, torch.cat([ref[m] for m in mods], 1))
    assert (got < 0).any(), "pre-ReLU values include negatives"
    torch.testing.assert_close(torch.relu(got), capture(model, x, "mixed3b")["mixed3b"])


def test_forward_stops_after_the_deepest_layer(model) -> None:
    """Nothing after conv2d0 runs when only conv2d0 is asked for."""
    ran = []
    h = model.mixed3a_1x1_pre_relu_conv.register_forward_hook(lambda *a: ran.append(1))
    try:
        capture(model, torch.rand(1, 3, 64, 64), "conv2d0")
        assert ran == []
        capture(model, torch.rand(1, 3, 64, 64), "mixed3a")
        assert ran == [1]
    finally:
        h.remove()


def test_hooks_removed_on_error(model) -> None:
    with pytest.raises(ValueError):
        capture(model, torch.rand(1, 3, 4), "conv2d0")  # wrong shape
    with pytest.raises(ValueError, match="needs images of at least"):
        capture(model, torch.rand(1, 3, 2, 2), "mixed5b")  # too small for the network: refused before running

    def fail(*_args: object) -> None:
        raise RuntimeError("an error in the middle of the forward pass")

    boom = model.mixed4a.register_forward_hook(fail)
    try:
        with pytest.raises(RuntimeError, match="middle of the forward"):
            capture(model, torch.rand(1, 3, 32, 32), ["mixed3b", "mixed5b"])
    finally:
        boom.remove()
    assert _hooks(model) == 0


def test_unknown_layer_error(model) -> None:
    with pytest.raises(KeyError, match="Did you mean"):
        capture(model, torch.rand(1, 3, 32, 32), "mixed3c")


def test_capture_units_and_logits(model) -> None:
    x = torch.rand(2, 3, 224, 224)
    acts = capture(model, x, "mixed3b")["mixed3b"]
    got = capture_units(model, x, ["3b:379", "mixed3b 0"], reduce="max")
    torch.testing.assert_close(got, torch.stack([acts[:, 379].flatten(1).amax(1), acts[:, 0].flatten(1).amax(1)], 1))
    _, probs = _reference(model, x, [])
    _close(torch.softmax(forward_logits(model, x), 1), probs)


def test_channel_stats_match_brute_force(model, sample, tmp_path: Path) -> None:
    sub = sample.subset(range(0, 40, 5))
    stats = channel_stats(model, sub, ["conv2d2", "mixed3a"], image_size=64, batch_size=3, progress=False,
                          cache=tmp_path)
    x = sub.batch(range(len(sub)), 64)
    ref = capture(model, x, ["conv2d2", "mixed3a"])
    for layer, a in ref.items():
        s = stats[layer]
        flat = a.flatten(2)
        torch.testing.assert_close(s.max, flat.amax(2))
        torch.testing.assert_close(s.mean, flat.mean(2))
        rows, cols = s.argmax[..., 0], s.argmax[..., 1]
        picked = a[torch.arange(a.shape[0])[:, None], torch.arange(a.shape[1])[None, :], rows, cols]
        torch.testing.assert_close(picked, s.max)
        assert s.grid == tuple(a.shape[2:])
    # second call is served from the cache file, without running the model
    files = list(tmp_path.glob("stats-*.pt"))
    assert len(files) == 1
    calls = []
    h = model.conv2d0_pre_relu_conv.register_forward_hook(lambda *a: calls.append(1))
    try:
        again = channel_stats(model, sub, ["conv2d2", "mixed3a"], image_size=64, cache=tmp_path, progress=False)
    finally:
        h.remove()
    assert calls == [] and torch.equal(again["mixed3a"].max, stats["mixed3a"].max)
    # a different size is a different cache entry
    channel_stats(model, sub, ["conv2d2", "mixed3a"], image_size=32, cache=tmp_path, progress=False)
    assert len(list(tmp_path.glob("stats-*.pt"))) == 2


def test_cache_never_mixes_an_edited_copy_with_the_original(model, tmp_path: Path) -> None:
    import copy

    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    first = channel_stats(model, x, "conv2d0", cache=tmp_path, progress=False)
    edited = copy.deepcopy(model)
    edited.conv2d0_pre_relu_conv.weight.mul_(-1)  # same weights_info, different weights
    second = channel_stats(edited, x, "conv2d0", cache=tmp_path, progress=False)
    assert len(list(tmp_path.glob("stats-*.pt"))) == 2
    assert not torch.equal(first["conv2d0"].max, second["conv2d0"].max)


def test_channel_stats_batches_follow_the_device_budget(model, monkeypatch) -> None:
    from shared_utils.device import budget

    x = torch.rand(10, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    calls: list[int] = []
    h = model.conv2d0_pre_relu_conv.register_forward_hook(lambda _m, i, _o: calls.append(i[0].shape[0]))
    try:
        for fast in (True, False):
            if not fast:
                monkeypatch.delenv("COURSE_FAST")
                monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
            calls.clear()
            channel_stats(model, x, "conv2d0", progress=False)
            size = budget("cpu").batch_size
            assert calls == [min(size, 10 - i) for i in range(0, 10, size)]
        calls.clear()
        channel_stats(model, x, "conv2d0", batch_size=3, progress=False)
        assert calls == [3, 3, 3, 1]
    finally:
        h.remove()
    with pytest.raises(ValueError, match="batch_size"):
        channel_stats(model, x, "conv2d0", batch_size=0, progress=False)


def test_benchmark_smoke(capsys) -> None:
    """The benchmark runs, and the course pass and the per-image loop compute the same statistics."""
    from benchmarks.bench_activations import main

    result = main(["--quick", "--amp"])
    assert result["max_rel_diff"] < 1e-4
    assert result["course_s"] > 0 and result["loop_s"] > 0
    out = capsys.readouterr().out
    assert "ratio course/loop" in out and "FLOP bound" in out and "mixed precision" in out
    # bfloat16 keeps 8 bits of mantissa: statistics within a few percent of float32's, not equal to them
    assert 0 < result["amp_max_rel_diff"] < 0.1
    assert result["bound_s"] > 0 and result["bound_ratio"] > 0


def test_multiply_adds_counts_the_convolutions_that_ran(model) -> None:
    """conv2d0 is a 7x7 convolution, 3 -> 64 channels, stride 2: 112 x 112 x 64 outputs of 3 x 49 terms each."""
    from benchmarks.bench_activations import multiply_adds

    assert multiply_adds(model, 224, "conv2d0") == 112 * 112 * 64 * 3 * 7 * 7
    # conv2d1 adds a 1x1 convolution 64 -> 64 on the 56 x 56 grid after the first pool
    assert multiply_adds(model, 224, "conv2d1") - multiply_adds(model, 224, "conv2d0") == 56 * 56 * 64 * 64


# ----------------------------------------------------------------------------- bad input: a clear error before running


def _photos(n: int = 2, size: int = 32) -> torch.Tensor:
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(4))


def test_photos_in_0_255_are_refused_everywhere(model) -> None:
    x255 = _photos() * 255
    entry_points = {
        "capture": lambda x: capture(model, x, "mixed3a"),
        "capture_units": lambda x: capture_units(model, x, ["3a:0"]),
        "channel_stats": lambda x: channel_stats(model, x, "mixed3a", progress=False),
        "forward_logits": lambda x: forward_logits(model, torch.nn.functional.interpolate(x, size=224)),
    }
    for name, run in entry_points.items():
        with pytest.raises(ValueError, match=r"expected pixels in \[0, 1\]") as err:
            run(x255)
        text = str(err.value)
        assert "255" in text.split("range over")[1].split("]")[0], (name, text)  # the range found
        assert "divided by 255" in text and "x / 255" in text, (name, text)


def test_uint8_and_non_tensor_input_say_how_to_convert(model) -> None:
    x = _photos()
    with pytest.raises(ValueError, match=r"uint8 tensor .*x\.float\(\) / 255"):
        capture(model, (x * 255).to(torch.uint8), "mixed3a")
    with pytest.raises(ValueError, match=r"int64 tensor: convert it with x\.float\(\)"):
        capture(model, (x * 255).long(), "mixed3a")
    with pytest.raises(TypeError, match=r"got numpy\.ndarray\. Convert an array with torch\.from_numpy"):
        capture(model, x.numpy(), "mixed3a")
    with pytest.raises(ValueError, match="contain NaN"):
        capture(model, x * float("nan"), "mixed3a")


@pytest.mark.parametrize("shape, hint", [
    ((3, 32, 32), r"x\[None\]"),
    ((2, 32, 32, 3), r"x\.permute\(0, 3, 1, 2\)"),
    ((2, 1, 32, 32), r"x\.expand\(-1, 3, -1, -1\)"),
    ((2, 4, 32, 32), r"x\[:, :3\]"),
])
def test_wrong_shapes_say_how_to_fix_them(model, shape, hint) -> None:
    with pytest.raises(ValueError, match=r"expected images shaped \(N, 3, H, W\), got .*" + hint):
        capture(model, torch.rand(*shape), "mixed3a")


def test_preprocessed_input_is_recognised_and_has_its_own_option(model) -> None:
    x = _photos()
    with pytest.raises(ValueError, match=r"already preprocessed .*capture\(\.\.\., preprocessed=True\)"):
        capture(model, preprocess(x), "mixed3a")
    torch.testing.assert_close(capture(model, preprocess(x), "mixed3a", preprocessed=True)["mixed3a"],
                               capture(model, x, "mixed3a")["mixed3a"])
    with pytest.raises(ValueError, match=r"N, 3, H, W"):
        capture(model, preprocess(x)[0], "mixed3a", preprocessed=True)


def test_small_overshoot_and_images_being_optimised_are_accepted(model) -> None:
    x = _photos()
    up = torch.nn.functional.interpolate(x, size=48, mode="bicubic", align_corners=False)  # overshoots [0, 1]
    assert float(up.min()) < 0 or float(up.max()) > 1
    capture(model, up, "mixed3a")
    capture(model, x * 1.8 - 0.4, "mixed3a")  # [-0.4, 1.4]: within the accepted slack
    # pixel-space gradient ascent (lab 1) moves pixels far from [0, 1] on purpose: not range-checked
    v = (0.5 + 3 * torch.randn(1, 3, 32, 32)).requires_grad_(True)
    a = capture(model, v, "mixed3a", pre_relu=True, grad=True)["mixed3a"]
    a[0, 0].sum().backward()
    assert v.grad is not None


#: The smallest input side that reaches each layer, measured with the untrained model (a side one
#: pixel smaller ends in torch's "Output size is too small"): the stride-2 ops are conv2d0, maxpool0,
#: maxpool1, maxpool4 and maxpool10.
MIN_SIDE = {"conv2d0": 2, "conv2d1": 4, "conv2d2": 4, "maxpool0": 4, "maxpool1": 8, "mixed3a": 8, "mixed3b": 8,
            "maxpool4": 16, "mixed4a": 16, "mixed4b": 16, "mixed4c": 16, "mixed4d": 16, "mixed4e": 16,
            "maxpool10": 32, "mixed5a": 32, "mixed5b": 32}


@pytest.mark.parametrize("layer", list(MIN_SIDE))
def test_too_small_for_the_layer_says_the_minimum(model, layer) -> None:
    n = MIN_SIDE[layer]
    capture(model, torch.rand(1, 3, n, n), layer)  # the minimum works
    with pytest.raises(ValueError, match=rf"^{layer} needs images of at least {n} x {n} pixels; "
                                         rf"these are {n - 1} x {n - 1} \(height x width\)"):
        capture(model, torch.rand(1, 3, n - 1, n - 1), layer)


def test_too_small_checks_every_layer_asked_for_and_both_sides(model) -> None:
    with pytest.raises(ValueError, match=r"^mixed5b_5x5 needs .* 32 x 32 pixels; these are 32 x 31"):
        capture(model, torch.rand(1, 3, 32, 31), ["conv2d0", "mixed5b_5x5"], pre_relu=True)
    with pytest.raises(ValueError, match=r"^mixed4a needs .* 16 x 16 pixels; these are 15 x 15"):
        channel_stats(model, torch.rand(2, 3, 15, 15), ["mixed3b", "mixed4a"], progress=False)
    capture(model, torch.rand(1, 3, 32, 33), ["conv2d0", "mixed5b_5x5"], pre_relu=True)


def test_logits_need_224_to_255_pixels(model) -> None:
    for side in (224, 255):
        assert forward_logits(model, torch.rand(1, 3, side, side)).shape == (1, 1008)
    for side, shape in ((223, "223 x 223"), (256, "256 x 256"), (64, "64 x 64")):
        with pytest.raises(ValueError, match=rf"logits need images of 224 to 255 pixels per side.*these are {shape}"):
            forward_logits(model, torch.rand(1, 3, side, side))
