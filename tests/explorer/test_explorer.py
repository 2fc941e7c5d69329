"""The neuron explorer without a browser: navigation, errors, panels, caching, background work.

Widgets are driven the way the front end drives them (setting ``value``, ``Button.click()``), so
the callbacks are the ones a student's clicks run. tests/course/test_browser.py::test_neuron_explorer
checks the same widget in a real JupyterLab.
"""
from __future__ import annotations

import copy
import threading

import pytest
import torch

from shared_utils.explorer import data as ex_mod  # what ExplorerData calls: tests count and slow it here
from shared_utils.explorer.widget import _Worker
from shared_utils.explorer import (
    CURVE_LAYERS,
    PANELS,
    ExplorerSettings,
    ExplorerState,
    UnitIdError,
    explore,
    panels_for,
    read_unit,
    tuning_stimulus,
)
from shared_utils.inception.model import WeightsInfo
from shared_utils.inception.names import LAYERS, Unit
from shared_utils.weights import Connection

PNG = b"\x89PNG\r\n\x1a\n"
CAR = Unit("mixed4c", 447)
#: Every way a student may write 4c:447 (the branch-local id: 4c's 5x5 branch starts at 128 + 256 = 384).
CAR_FORMS = ["4c:447", "mixed4c 447", "mixed4c:447", "Mixed4c_447", " 4c : 447 ", "mixed4c_5x5:63", "inception_4c 447"]


# ----------------------------------------------------------------------------- pure logic


@pytest.mark.parametrize("text", CAR_FORMS)
def test_read_unit_accepts_every_id_form(text: str) -> None:
    assert LAYERS["mixed4c"].branches["5x5"][0] + 63 == 447  # the branch-local form is the same unit
    assert read_unit(text) == CAR


def test_read_unit_other_forms() -> None:
    assert read_unit(("mixed4c", 447)) == CAR
    assert read_unit("447", current_layer="mixed4c") == CAR  # a bare number: the layer on screen
    assert read_unit("maxpool1:5") == Unit("conv2d2", 5)  # a pool's channel is the neuron it pools


@pytest.mark.parametrize("text, words", [
    ("4z:12", ["Unknown layer", "4z"]),
    ("mixd3b:379", ["Did you mean", "mixed3b"]),
    ("3b:480", ["480 channels", "0..479"]),
    ("3b:", ["Cannot read", "3b:379"]),
    ("", ["Type a unit id"]),
    ("447", ["write the layer too"]),
    ("mixed3b_5x5_bottleneck:3", ["bottleneck", "main layers"]),
])
def test_read_unit_bad_input_says_what_to_do(text: str, words: list[str]) -> None:
    with pytest.raises(UnitIdError) as info:
        read_unit(text)
    for w in words:
        assert w in str(info.value), str(info.value)


def test_state_history_and_back() -> None:
    s = ExplorerState("3b:379")
    assert not s.can_go_back and not s.back()
    assert s.go("4c:447") and s.go("mixed4b 237")
    assert not s.go("4b:237")  # the same unit: no new history entry
    assert s.history == [Unit("mixed3b", 379), CAR]
    assert not s.go("4z:1") and "Unknown layer" in s.error and s.unit == Unit("mixed4b", 237)
    assert s.go("5") and s.unit == Unit("mixed4b", 5) and s.error == ""  # bare number: same layer
    assert s.back() and s.unit == Unit("mixed4b", 237)
    assert s.back() and s.unit == CAR
    assert s.back() and s.unit == Unit("mixed3b", 379)
    assert not s.back()


def test_panels_for_each_layer() -> None:
    for layer, info in LAYERS.items():
        plan = panels_for(Unit(layer, info.channels - 1))
        assert ("tuning" in plan) == (layer in {"conv2d2", "mixed3a", "mixed3b", "mixed4a"}), layer
        assert plan[:3] == ["inputs", "outputs", "featvis"] and plan[-1] == "examples"
    assert "examples" not in panels_for("3b:379", has_sample=False)
    assert panels_for("3b:379", enabled=("examples", "inputs")) == ["inputs", "examples"]  # cheap first
    with pytest.raises(ValueError, match="unknown panel"):
        panels_for("3b:379", enabled=("weights",))


def test_tuning_stimulus_covers_the_receptive_field() -> None:
    from shared_utils.dataset_examples import receptive_field

    s = ExplorerSettings()
    for layer in CURVE_LAYERS:
        canvas, radii = tuning_stimulus(layer, s)
        field = receptive_field(layer).size
        assert min(224, field) <= canvas <= 224 and canvas >= 64
        assert len(radii) == len(s.tuning_radii) and all(2 <= r <= field for r in radii)
    with pytest.raises(ValueError, match="tuning_angles"):
        ExplorerSettings(tuning_angles=2)
    with pytest.raises(ValueError, match="preview_steps"):
        ExplorerSettings(preview_steps=0)


def test_settings_follow_the_device_budget(monkeypatch) -> None:
    from shared_utils.device import budget

    assert ExplorerSettings.from_budget("cpu") == ExplorerSettings.tiny()  # fast mode (conftest)
    monkeypatch.delenv("COURSE_FAST")
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    s, b = ExplorerSettings.from_budget("cpu"), budget("cpu")
    assert (s.full_steps, s.full_size, s.render_input_size) == (b.render_steps, b.render_size, b.render_input_size)
    assert (s.n_images, s.image_size, s.batch_size) == (b.n_images, b.image_size, b.batch_size)


# ----------------------------------------------------------------------------- the widget: navigation


@pytest.fixture
def bare(model):
    """An explorer that computes nothing (no panels): navigation only."""
    return explore(model, "3b:379", panels=(), sample=False, cache=False, background=False)


@pytest.mark.parametrize("text", CAR_FORMS)
def test_navigate_by_text(bare, text: str) -> None:
    bare.id_box.value = text  # what Enter in the text box sends
    assert bare.unit == CAR
    assert "4c:447" in bare.header.value and bare.message.value == ""
    assert (bare.layer_box.value, bare.channel_box.value, bare.channel_box.max) == ("mixed4c", 447, 511)
    assert bare.id_box.value == ""  # cleared for the next id
    assert not bare.back_button.disabled


def test_navigate_by_dropdown_number_go_and_back(bare) -> None:
    assert bare.back_button.disabled
    bare.layer_box.value = "mixed4c"  # keeps the channel number when it fits
    assert bare.unit == Unit("mixed4c", 379) and bare.channel_box.max == 511
    bare.channel_box.value = 447
    assert bare.unit == CAR and "4c:447" in bare.header.value
    bare.layer_box.value = "conv2d0"  # 64 channels: the number is clamped
    assert bare.unit == Unit("conv2d0", 63) and bare.channel_box.max == 63
    bare.id_box.value = "mixed4b 237"
    bare.id_box.value = "4d:417"
    bare.id_box.value = "4b:237"  # the Go button reads the same box
    bare.go_button.click()
    assert bare.unit == Unit("mixed4b", 237)
    expected = [Unit("mixed4d", 417), Unit("mixed4b", 237), Unit("conv2d0", 63), CAR, Unit("mixed4c", 379),
                Unit("mixed3b", 379)]
    for unit in expected:
        bare.back_button.click()
        assert bare.unit == unit and unit.short in bare.header.value
        assert (bare.layer_box.value, bare.channel_box.value) == (unit.layer, unit.channel)
    assert bare.back_button.disabled


def test_bad_id_shows_a_message_in_the_widget(bare) -> None:
    bare.id_box.value = "4z:12"  # no exception escapes the callback
    assert bare.unit == Unit("mixed3b", 379)
    assert "Unknown layer" in bare.message.value and "4z" in bare.message.value
    assert bare.id_box.value == "4z:12"  # kept, so the student can fix it
    bare.id_box.value = "3b:9999"
    assert "480 channels" in bare.message.value and bare.unit == Unit("mixed3b", 379)
    bare.id_box.value = "3b:406"
    assert bare.message.value == "" and bare.unit == Unit("mixed3b", 406)


def test_retyping_the_unit_on_screen_shows_it_again(bare) -> None:
    bare.id_box.value = "4c:447"
    assert bare.unit == CAR and bare.message.value == ""
    gen, bare.header.value = bare._gen, ""  # blank the header to see that the unit is drawn again
    bare.id_box.value = "mixed4c 447"  # the unit already on screen, in another form
    assert bare.unit == CAR and "4c:447" in bare.header.value and bare._gen == gen + 1
    assert "4c:447 is already shown" in bare.message.value and "⚠" not in bare.message.value
    assert bare.history == [Unit("mixed3b", 379)]  # no new history entry
    assert bare.id_box.value == ""  # cleared: the response is the message and the redrawn unit
    bare.header.value = ""
    bare.id_box.value = "4c:447"  # exactly what is shown
    assert "already shown" in bare.message.value and "4c:447" in bare.header.value
    bare.header.value = ""
    assert not bare.go(CAR)  # from code too: shown again, False (it did not move)
    assert "already shown" in bare.message.value and "4c:447" in bare.header.value
    bare.id_box.value = "3b:406"  # moving on clears the note
    assert bare.message.value == "" and bare.unit == Unit("mixed3b", 406)


def test_header_shows_what_the_articles_call_later_units(bare) -> None:
    bare.id_box.value = "4d:417"  # no taxonomy group in the 4d notes; Zoom In names it (Circuit 3)
    assert "dog detector" in bare.header.value and "docs/science.md §5" in bare.header.value
    assert "no label" not in bare.header.value
    bare.id_box.value = "4c:447"  # both: the 4c notes' group and the article's label
    assert "taxonomy: <i>Car</i>" in bare.header.value and "car detector" in bare.header.value
    bare.id_box.value = "4e:55"
    assert "polysemantic" in bare.header.value
    bare.id_box.value = "5b:3"  # nothing anywhere: said so, nothing invented
    assert "no label in the notes or the articles" in bare.header.value


def test_untrained_label_only_for_the_stand_in(model) -> None:
    untrained = explore(model, "3b:379", panels=(), sample=False, cache=False, background=False)
    assert "UNTRAINED" in untrained.header.value
    assert "Curves" in untrained.header.value  # taxonomy label of 3b:379 (docs/science.md §2.1)
    assert "5x5 branch (mixed3b_5x5:59)" in untrained.header.value
    labelled = copy.deepcopy(model)
    labelled.weights_info = WeightsInfo(trained=True, source="test: pretend these are the real weights")
    real = explore(labelled, "4c:447", panels=(), sample=False, cache=False, background=False)
    assert "UNTRAINED" not in real.header.value
    assert "Car" in real.header.value  # 4a-4d taxonomies are partial notes, read with strict=False


# ----------------------------------------------------------------------------- panels, circuit walk, cache


def test_walk_the_circuit_by_clicking(model) -> None:
    ex = explore(model, "conv2d2:89", panels=("inputs", "outputs"), sample=False, cache=False, background=False)
    # conv2d1 -> conv2d2 is a direct 3x3 conv: the strongest inputs are the largest kernel norms
    kernel = model.conv2d2_pre_relu_conv.weight[89]  # (64, 3, 3)
    expected = torch.argsort(kernel.flatten(1).norm(dim=1), descending=True)[:6].tolist()
    assert [b.description for b in ex.inputs_panel.buttons] == [f"conv2d1:{c}" for c in expected]
    assert all(bytes(t.value).startswith(PNG) for t in ex.inputs_panel.thumbs)
    assert "conv2d2:89" in ex.inputs_panel.title.value and "UNTRAINED" in ex.inputs_panel.title.value
    ex.inputs_panel.buttons[2].click()
    assert ex.unit == Unit("conv2d1", expected[2]) and f"conv2d1:{expected[2]}" in ex.header.value
    ex.back_button.click()
    assert ex.unit == Unit("conv2d2", 89)
    target = ex.outputs_panel.buttons[0].description
    assert target.startswith("3a:")  # conv2d2 feeds mixed3a (through maxpool1)
    ex.outputs_panel.buttons[0].click()
    assert ex.unit.short == target and not ex.errors
    ex.back()
    assert ex.unit == Unit("conv2d2", 89)


def test_input_channels_are_not_buttons(model) -> None:
    ex = explore(model, "conv2d0:3", panels=("inputs",), sample=False, cache=False, background=False)
    shown = [b for b, s in zip(ex.inputs_panel.buttons, ex.inputs_panel.slots) if s.layout.display != "none"]
    assert len(shown) == 3 and all(b.disabled and b.description.startswith("input:") for b in shown)
    shown[0].click()
    assert ex.unit == Unit("conv2d0", 3)


class _Counter:
    """Wraps a function that shared_utils.explorer.data calls and counts its calls."""

    def __init__(self, monkeypatch, name: str):
        self.calls = 0
        self._fn = getattr(ex_mod, name)
        monkeypatch.setattr(ex_mod, name, self)

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self._fn(*args, **kwargs)


def test_all_panels_cached_and_labelled(model, sample, tmp_path, monkeypatch) -> None:
    names = ["top_inputs", "top_outputs", "render_unit", "channel_stats", "tuning_curve"]
    counts = {n: _Counter(monkeypatch, n) for n in names}
    settings = ExplorerSettings.tiny()
    ex = explore(model, "3a:147", sample=sample, cache=tmp_path, settings=settings, background=False)
    assert not ex.errors, ex.errors
    assert set(ex.timings) == set(PANELS)  # 3a is a curve layer: all five panels
    for name, panel in ex.panels.items():
        assert "3a:147" in panel.title.value and "UNTRAINED" in panel.title.value, name
    for panel in (ex.featvis_panel, ex.tuning_panel, ex.examples_panel):
        assert bytes(panel.image.value).startswith(PNG) and panel.image.layout.display != "none"
    assert "radial_mixed3a" in ex.tuning_panel.status.value  # 3a:147 is in the article's radial data
    assert {n: c.calls for n, c in counts.items()} == dict.fromkeys(names, 1)

    # walk to an input and back: nothing of 3a:147 is computed again
    first_input = ex.inputs_panel.buttons[0].description
    ex.inputs_panel.buttons[0].click()
    walked = ex.unit
    assert walked.layer == "conv2d2" and walked.short == first_input and not ex.errors
    after_walk = {n: c.calls for n, c in counts.items()}
    assert after_walk == dict.fromkeys(names, 2)
    ex.back_button.click()
    assert ex.unit == Unit("mixed3a", 147) and {n: c.calls for n, c in counts.items()} == after_walk
    assert ex.timings["examples"] < 1.0  # from memory

    # dataset examples of another 3a unit come from the same activation pass
    other = ex.data.examples(Unit("mixed3a", 81))
    assert counts["channel_stats"].calls == 2 and other.unit == Unit("mixed3a", 81)

    # the preview first; full quality on request, computed once
    preview = bytes(ex.featvis_panel.image.value)
    assert ex.featvis_panel.extra.layout.display != "none"  # the "Render full quality" button is offered
    ex.featvis_panel.full_button.click()
    assert counts["render_unit"].calls == 3 and bytes(ex.featvis_panel.image.value) != preview
    assert ex.featvis_panel.extra.layout.display == "none"  # nothing more to ask for
    full = bytes(ex.featvis_panel.image.value)
    ex.go(walked)
    assert ex.featvis_panel.extra.layout.display != "none"  # the walked-to unit shows its preview
    ex.back()
    assert counts["render_unit"].calls == 3 and bytes(ex.featvis_panel.image.value) == full  # kept, not redone

    # a new session with the same cache directory reads weights and tuning from disk
    fresh = {n: _Counter(monkeypatch, n) for n in ("top_inputs", "top_outputs", "tuning_curve")}
    again = explore(model, "3a:147", sample=sample, cache=tmp_path, settings=settings, background=False)
    assert not again.errors and all(c.calls == 0 for c in fresh.values())
    assert [b.description for b in again.inputs_panel.buttons] == [b.description for b in ex.inputs_panel.buttons]


def test_background_work_shows_progress_and_skips_stale_units(model, monkeypatch) -> None:
    gate, entered = threading.Event(), threading.Event()
    seen: list[str] = []

    def slow_inputs(_model, unit, k=6):
        seen.append(unit.short)
        entered.set()
        assert gate.wait(30), "the test never opened the gate"
        base = 1 if unit.channel == 379 else 11
        return [Connection(Unit("mixed3a", base + i), unit, torch.full((5, 5), float(k - i)), 25.0 * (k - i),
                           5.0 * (k - i), "mixed3a", False) for i in range(k)]

    monkeypatch.setattr(ex_mod, "top_inputs", slow_inputs)
    ex = explore(model, "3b:379", panels=("inputs",), sample=False, cache=False)  # background=True
    try:
        assert entered.wait(30)
        assert "computing" in ex.inputs_panel.status.value and "0 of 1" in ex.status.value
        ex.go("3b:406")  # while 3b:379 is still computing
        ex.go("3b:385")
        ex.back()  # back to 3b:406: 3b:385's job is skipped, never computed
        gate.set()
        assert ex.wait(30)
        assert seen == ["3b:379", "3b:406"]
        assert [b.description for b in ex.inputs_panel.buttons] == [f"3a:{11 + i}" for i in range(6)]
        assert "1 of 1" not in ex.status.value and "ready" in ex.status.value
        ex.back()  # 3b:379 finished while stale: cached, shown at once
        assert [b.description for b in ex.inputs_panel.buttons] == [f"3a:{1 + i}" for i in range(6)]
        assert ex.data.model is not model  # the background works on its own copy of the model
    finally:
        gate.set()
        ex.close()


def test_worker_thread_ends_when_idle() -> None:
    import time

    worker = _Worker(idle_s=0.05)
    done: list[int] = []
    for i in range(3):
        worker.submit(lambda i=i: done.append(i))
    assert worker.wait(10) and done == [0, 1, 2]  # in order
    deadline = time.monotonic() + 10
    while worker._thread is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert worker._thread is None  # no idle thread left behind
    worker.submit(lambda: done.append(3))  # a new job starts a new thread
    assert worker.wait(10) and done == [0, 1, 2, 3]
    worker.stop()
    worker.submit(lambda: done.append(4))
    assert worker.wait(1) and done == [0, 1, 2, 3]
