"""Feature visualisation on the untrained stand-in, with tiny settings.

References used here are independent of shared_utils.featvis: activations.capture (full forward),
lucent's own objectives and lucent's render_vis (the optimisation featvis must reproduce).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers.counters import CallCounter

from shared_utils import featvis
from shared_utils.inception import _lucent
from shared_utils.inception._lucent import hook_count, no_leaked_hooks, objectives, param, render
from shared_utils.activations import capture
from shared_utils.featvis import render_direction, render_unit, render_units
from shared_utils.inception.model import preprocess
from shared_utils.inception.names import BadChannelError, UnknownLayerError

TINY = dict(size=32, input_size=None, progress=False)


@pytest.mark.parametrize(
    "site, pre",
    [("conv2d0", True), ("conv2d2", False), ("maxpool1", False), ("mixed3a", False), ("mixed3b", True),
     ("mixed3b_5x5", True), ("mixed3b_5x5", False), ("mixed3b_pool_reduce", False), ("mixed3b_1x1", True),
     ("mixed3b_3x3_bottleneck", False), ("mixed4a", True)],
)
def test_truncated_forward_equals_full_forward(model, site: str, pre: bool, monkeypatch) -> None:
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with monkeypatch.context() as plain:  # the reference: lucent's own kernels, whole forward
        plain.setattr(_lucent, "FAST_KERNELS", False)
        reference = capture(model, x, site, pre_relu=pre)[site]
    got = featvis._forward_to(model, _lucent.fast_input(preprocess(x)), [(site, pre)])
    value = got[(site, pre)]
    assert value.shape == reference.shape
    torch.testing.assert_close(value, reference, rtol=1e-4, atol=1e-5 * float(reference.abs().max()))


def test_truncated_forward_skips_later_layers_and_sibling_branches(model) -> None:
    x = preprocess(torch.rand(1, 3, 64, 64))
    with CallCounter(model.mixed3b_3x3_pre_relu_conv) as sibling, \
            CallCounter(model.mixed4a_1x1_pre_relu_conv) as later, \
            CallCounter(model.mixed3b_5x5_pre_relu_conv) as target:
        featvis._forward_to(model, x, [("mixed3b_5x5", True)])
    assert (target.calls, sibling.calls, later.calls) == (1, 0, 0)


def test_objectives_match_lucents_batch_objectives() -> None:
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(4, 96, 7, 7, generator=gen)
    vec = torch.randn(96, generator=gen)
    acts = {("mixed3b_5x5", True): a}
    T = lambda name: a  # noqa: E731  (lucent objectives read a layer through a function)
    cases = [("channel", objectives.channel), ("neuron", objectives.neuron)]
    for kind, lucent_obj in cases:
        slots = [featvis._Slot(str(i), "mixed3b_5x5", True, kind, ch) for i, ch in enumerate([5, 59, 0, 95])]
        ours = featvis._values(acts, slots)
        ref = torch.stack([-lucent_obj("x", ch, batch=i)(T) for i, ch in enumerate([5, 59, 0, 95])])
        torch.testing.assert_close(ours, ref)
    slots = [featvis._Slot("d", "mixed3b_5x5", True, "direction", -1, vec)] * 4
    ref = torch.stack([-objectives.direction("x", vec, batch=i)(T) for i in range(4)])
    torch.testing.assert_close(featvis._values(acts, slots), ref)
    slots = [featvis._Slot("d", "mixed3b_5x5", True, "direction_neuron", -1, vec)] * 4
    ref = torch.stack([-objectives.direction_neuron("x", vec, batch=i)(T) for i in range(4)])
    torch.testing.assert_close(featvis._values(acts, slots), ref)
    torch.testing.assert_close(featvis._diversity(a), -objectives.diversity("x")(T))


@pytest.mark.filterwarnings("ignore:Some layers could not be computed")  # lucent runs the whole net at 64 px
def test_render_reproduces_lucent_render_vis(model, monkeypatch) -> None:
    """Same seed, same steps: featvis's loop is lucent's render_vis (exact without the fast kernels):
    same parameterisation, random transforms, resize, preprocessing, objective and Adam steps."""
    transforms = True
    monkeypatch.setattr(_lucent, "FAST_KERNELS", False)
    torch.manual_seed(7)
    np.random.seed(7)
    with no_leaked_hooks(model):
        ref = render.render_vis(model, objectives.channel("mixed3b_5x5_pre_relu_conv", 59),
                                param_f=lambda: param.image(32), transforms=None if transforms else [],
                                thresholds=(3,), progress=False, show_image=False, fixed_image_size=64)[0]
    ours = render_units(model, "3b:379", steps=3, size=32, input_size=64, seed=7, transforms=transforms, progress=False)
    np.testing.assert_allclose(ours.images, ref, atol=1e-6)


def test_objective_improves_over_the_steps(model) -> None:
    units = ["3b:379", "conv2d2:5", "mixed3a:100"]
    start = render_units(model, units, steps=0, transforms=False, **TINY)
    end = render_units(model, units, steps=8, transforms=False, **TINY)
    assert end.trace.shape == (8, 3)
    assert np.all(end.trace[-1] > end.trace[0])
    # independent measurement of the channel objective on the images themselves
    for i, (layer, ch) in enumerate([("mixed3b", 379), ("conv2d2", 5), ("mixed3a", 100)]):
        imgs = torch.from_numpy(np.stack([start.images[i], end.images[i]])).permute(0, 3, 1, 2)
        act = capture(model, imgs, layer, pre_relu=True)[layer][:, ch].mean(dim=(1, 2))
        assert act[1] > act[0], f"{units[i]}: {act.tolist()}"
        assert act[0] == pytest.approx(float(end.trace[0, i]), rel=1e-3, abs=1e-6)


def test_family_render_is_one_batch_with_one_image_per_unit_in_order(model) -> None:
    with CallCounter(model) as forward:
        fam = render_units(model, "3b:379 3b:406 conv2d2:5", steps=4, transforms=False, **TINY)
    assert forward.calls == 4  # one batched forward per step, not one per unit
    assert fam.units == ["3b:379", "3b:406", "conv2d2:5"]
    assert fam.images.shape == (3, 32, 32, 3) and fam.images.dtype == np.float32
    assert 0.0 <= fam.images.min() and fam.images.max() <= 1.0
    # slot 0 of a family is the same optimisation as rendering that unit alone (same start image).
    # Batch-size rounding, amplified by Adam, leaves ~1e-3; optimising another unit moves it ~0.3.
    alone = render_units(model, "3b:379", steps=4, transforms=False, **TINY)
    alone406 = render_units(model, "3b:406", steps=4, transforms=False, **TINY)
    assert np.abs(alone.images[0] - alone406.images[0]).max() > 0.1
    np.testing.assert_allclose(fam.images[0], alone.images[0], atol=2e-2)
    swapped = render_units(model, "3b:406 3b:379", steps=4, transforms=False, **TINY)
    np.testing.assert_allclose(swapped.images[0], alone406.images[0], atol=2e-2)


def test_render_stops_at_the_target_layer(model) -> None:
    with CallCounter(model.mixed4a_1x1_pre_relu_conv) as later, CallCounter(model.mixed3b_3x3_pre_relu_conv) as sib:
        render_units(model, "3b:379", steps=2, **TINY)
    assert later.calls == 0 and sib.calls == 0


def test_hooks_never_leak_even_when_a_render_fails(model) -> None:
    before = hook_count(model)
    render_unit(model, "3b:379", n=2, steps=2, **TINY)
    assert hook_count(model) == before
    calls = {"n": 0}

    def boom(*_: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("injected failure")

    handle = model.conv2d1.register_forward_hook(boom)
    np_state = np.random.get_state()[1].copy()
    try:
        with pytest.raises(RuntimeError, match="injected"):
            render_units(model, "3b:379 3b:406", steps=4, **TINY)
        assert hook_count(model) == before + 1  # only the test's own hook is left
    finally:
        handle.remove()
    assert hook_count(model) == before
    assert np.array_equal(np.random.get_state()[1], np_state)  # numpy's global generator restored
    import sys

    import torch.nn.functional as F

    assert sys.modules[type(model).__module__].F is F  # the fast kernels are switched off again
    assert featvis._lucent.param.spatial.device == featvis._lucent.transform.device


def test_seeded_and_deterministic_on_cpu(model) -> None:
    a = render_units(model, "3b:379 conv2d2:5", steps=3, seed=11, **TINY)
    b = render_units(model, "3b:379 conv2d2:5", steps=3, seed=11, **TINY)
    c = render_units(model, "3b:379 conv2d2:5", steps=3, seed=12, **TINY)
    assert np.array_equal(a.images, b.images) and np.array_equal(a.trace, b.trace)
    assert not np.allclose(a.images, c.images)


def test_cache_hit_returns_identical_arrays_without_recomputing(model, tmp_path) -> None:
    args = dict(steps=3, seed=5, cache=tmp_path, **TINY)
    with CallCounter(model) as first:
        r1 = render_units(model, "3b:379 3b:406", **args)
    with CallCounter(model) as second:
        r2 = render_units(model, "3b:379 3b:406", **args)
    assert first.calls == 3 and second.calls == 0
    assert np.array_equal(r1.images, r2.images) and np.array_equal(r1.trace, r2.trace)
    assert r2.units == r1.units and r2.weights == r1.weights and r2.settings == r1.settings
    with CallCounter(model) as other:
        render_units(model, "3b:379 3b:406", **{**args, "steps": 2})  # other settings: computed
        render_unit(model, "3b:379", n=2, **args)  # other objective: computed
    assert other.calls == 2 + 3
    # an edited model must not read the original model's renders
    w = model.mixed3b_5x5_pre_relu_conv.weight
    saved = w[59].clone()
    with torch.no_grad():
        w[59].zero_()
    try:
        with CallCounter(model) as edited:
            render_units(model, "3b:379 3b:406", **args)
    finally:
        with torch.no_grad():
            w[59].copy_(saved)
    assert edited.calls == 3


def test_render_works_inside_no_grad(model) -> None:
    with torch.no_grad():
        r = render_units(model, "conv2d0:1", steps=2, transforms=False, **TINY)
    assert r.trace[-1, 0] > r.trace[0, 0]


def test_diverse_images_of_one_unit(model) -> None:
    r = render_unit(model, "3b:379", n=3, steps=2, **TINY)
    assert r.units == ["3b:379"] * 3 and r.images.shape == (3, 32, 32, 3)
    assert r.settings["diversity"] == featvis.DIVERSITY_WEIGHT
    assert not np.allclose(r.images[0], r.images[1])


def test_neuron_objective_and_direction(model) -> None:
    r = render_units(model, "3b:379", objective="neuron", steps=2, **TINY)
    assert r.images.shape == (1, 32, 32, 3)
    centre = render_direction(model, "conv2d2", torch.ones(192), objective="neuron", steps=2, **TINY)
    assert centre.trace.shape == (2, 1)
    vec = torch.randn(480, generator=torch.Generator().manual_seed(0))
    d = render_direction(model, "3b", vec, n=2, steps=3, name="random", transforms=False, **TINY)
    assert d.units == ["random", "random"] and d.trace.shape == (3, 2)
    assert np.all(np.abs(d.trace) <= 1.0 + 1e-6)  # cosine similarities
    with pytest.raises(ValueError, match="480"):
        render_direction(model, "mixed3b", torch.ones(10), steps=1, **TINY)
    with pytest.raises(ValueError, match="zeros"):
        render_direction(model, "mixed3b_5x5", torch.zeros(96), steps=1, **TINY)


def test_defaults_come_from_the_device_budget(model, monkeypatch) -> None:
    from shared_utils.device import budget

    monkeypatch.setenv("COURSE_FAST", "1")
    plan = budget("cpu")
    r = render_units(model, "conv2d0:3", input_size=None, progress=False)
    assert r.settings["steps"] == plan.render_steps and r.trace.shape[0] == plan.render_steps
    assert r.images.shape[1:3] == (plan.render_size, plan.render_size)
    r = render_units(model, "conv2d0:3", steps=1, size=40, input_size=None, progress=False)
    assert r.images.shape[1:3] == (40, 40)
    # input_size "auto": no resize to 224 in fast mode (autograding, CI), lucent's 224 otherwise
    assert render_units(model, "conv2d0:3", steps=0, size=32, progress=False).settings["input_size"] is None
    monkeypatch.delenv("COURSE_FAST")
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert budget("cpu").render_input_size == 224
    assert render_units(model, "conv2d0:3", steps=0, size=32, progress=False).settings["input_size"] == 224


def test_untrained_renders_are_labelled(model) -> None:
    r = render_units(model, "conv2d0:3", steps=0, **TINY)
    assert "UNTRAINED" in r.label


def test_invalid_input_gives_clear_errors(model) -> None:
    with pytest.raises(BadChannelError, match="0..479"):
        render_units(model, "3b:480", steps=1, **TINY)
    with pytest.raises(UnknownLayerError, match="mixed"):
        render_units(model, "mixed9z:1", steps=1, **TINY)
    with pytest.raises(ValueError, match="objective"):
        render_units(model, "3b:379", objective="channels", steps=1, **TINY)
    with pytest.raises(ValueError, match="steps"):
        render_units(model, "3b:379", steps=-1, **TINY)
    with pytest.raises(ValueError, match="layer="):
        render_units(model, [379], steps=1, **TINY)
    with pytest.raises(ValueError, match="n "):
        render_unit(model, "3b:379", n=0, **TINY)
    assert render_units(model, [379, 406], layer="mixed3b", steps=0, **TINY).units == ["3b:379", "3b:406"]


def test_gallery_is_titled_with_unit_ids_and_the_untrained_warning(model) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from shared_utils.plot.features import show_renders

    r = render_units(model, "3b:379 conv2d2:5", steps=0, **TINY)
    fig = show_renders(r)
    try:
        titles = [ax.get_title() for ax in fig.axes if ax.get_images()]
        assert titles == ["3b:379", "conv2d2:5"]
        heading = fig._suptitle.get_text()
        assert "3b:379" in heading and "UNTRAINED" in heading
        shown = fig.axes[0].get_images()[0].get_array()
        np.testing.assert_allclose(np.asarray(shown), r.images[0])
        d = render_direction(model, "mixed3b_5x5", torch.ones(96), steps=0, name="all 5x5", **TINY)
        assert "all 5x5" in show_renders(d).axes[0].get_title()
        with pytest.raises(ValueError, match="captions"):
            show_renders(r, captions=["one"])
    finally:
        plt.close("all")


def test_lucent_tensors_follow_the_requested_device() -> None:
    """lucent hard-codes cuda:0 when CUDA exists; inside a render its tensors go to the model's device.

    The 'meta' device stands in for "a device other than lucent's default" on a CPU-only machine.
    """
    before = (_lucent.param.spatial.device, _lucent.transform.device)
    assert torch.device("meta") not in before
    with _lucent.lucent_on(torch.device("meta")):
        assert (_lucent.param.spatial.device, _lucent.transform.device) == (torch.device("meta"),) * 2
        params, image_f = param.image(16, batch=2)
        x = image_f()
        x = _lucent.transform.standard_transforms[1](x)  # jitter builds a tensor on lucent's device
        assert params[0].device.type == "meta" and x.device.type == "meta"
    assert (_lucent.param.spatial.device, _lucent.transform.device) == before


def test_benchmark_smoke(capsys) -> None:
    """The benchmark runs; with its fast kernels off, the course's render equals lucent's render_vis."""
    from benchmarks.bench_featvis import main

    result = main(["--quick", "--amp"])
    assert 0 <= result["amp_image_diff"] <= 1 and result["amp_s"] > 0
    # float32 round-off after 2 Adam steps; threaded reductions make it vary between runs (1e-6 to 2e-5 seen)
    assert result["check"] < 1e-4
    assert result["course_s"] > 0 and result["lucent_s"] > 0
    assert "ratio course/lucent" in capsys.readouterr().out
    assert _lucent.FAST_KERNELS, "the benchmark switches the fast kernels back on"
