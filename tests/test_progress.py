"""Progress bars (shared_utils/_progress.py): a widget in a notebook, a few plain lines under nbgrader
and outside a notebook, nothing with ZOOM_IN_PROGRESS=0; and every long library loop drives one."""
from __future__ import annotations

import re
import time
from collections import OrderedDict

import nbformat
import pytest
import torch
from torch import nn

from shared_utils import _progress
from shared_utils._progress import bar
from tools.grading_config import IGNORED_STDERR

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


@pytest.fixture
def every_step(monkeypatch: pytest.MonkeyPatch) -> None:
    """Text bars (as under nbgrader) that print a line at every update, at once: each update is visible."""
    monkeypatch.delenv(_progress.ENV, raising=False)
    monkeypatch.setenv(_progress.GRADING_ENV, "autograde")
    monkeypatch.setattr(_progress, "TEXT_DELAY", 0.0)
    monkeypatch.setattr(_progress, "TEXT_INTERVAL", 0.0)
    monkeypatch.setattr(_progress, "TEXT_LINES", 10**9)


def _lines(err: str, desc: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith(desc)]


# ----------------------------------------------------------------------------- the bar itself


def test_mode_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(_progress.ENV, raising=False)
    monkeypatch.delenv(_progress.GRADING_ENV, raising=False)
    assert _progress.mode() == "text"  # pytest is no notebook
    monkeypatch.setenv(_progress.GRADING_ENV, "validate")
    assert _progress.mode() == "text"
    for off in ("0", "off", "False"):
        monkeypatch.setenv(_progress.ENV, off)
        assert _progress.mode() == "off"
    with pytest.raises(ValueError, match="unit"):
        bar(range(3), unit="batch")  # type: ignore[arg-type]


def test_text_bar_writes_a_few_whole_lines_that_nbgrader_ignores(monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(_progress.GRADING_ENV, "autograde")
    monkeypatch.delenv(_progress.ENV, raising=False)
    monkeypatch.setattr(_progress, "TEXT_DELAY", 0.05)
    monkeypatch.setattr(_progress, "TEXT_INTERVAL", 0.05)
    for _ in bar(range(200), desc="long loop"):
        time.sleep(0.002)  # about 0.4 s: the default settings give the same shape over minutes
    for _ in bar(range(5), desc="quick loop"):
        pass  # done before TEXT_DELAY: nothing at all
    out, err = capsys.readouterr()
    assert out == "" and "\r" not in err and "quick loop" not in err
    lines = err.splitlines()
    assert 2 <= len(lines) <= _progress.TEXT_LINES + 2, lines  # a handful: every quarter at most, then the end
    assert all(line.startswith("long loop:") and re.search(IGNORED_STDERR, line) for line in lines), lines
    assert "200/200" in lines[-1]
    with bar(total=3 * 2**20, desc="weights", unit="B") as b:  # a download's bar: bytes, shown as MB
        for _ in range(6):
            time.sleep(0.06)
            b.update(2**19)
    lines = capsys.readouterr().err.splitlines()
    assert lines and all(line.startswith("weights:") and re.search(IGNORED_STDERR, line) for line in lines), lines


def test_off_switch_and_progress_false_are_silent(every_step: None, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    with bar(total=3, desc="manual", progress=False) as b:
        b.update(3)
    monkeypatch.setenv(_progress.ENV, "0")
    assert list(bar(range(4), desc="loop")) == [0, 1, 2, 3]
    assert capsys.readouterr().err == ""
    monkeypatch.delenv(_progress.ENV)
    list(bar(range(4), desc="loop"))
    assert len(_lines(capsys.readouterr().err, "loop")) >= 4


def _run_kernel(env: dict[str, str]) -> list[nbformat.NotebookNode]:
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import time\nimport shared_utils._progress as p\n"
                                  "p.TEXT_DELAY, p.TEXT_INTERVAL = 0.2, 0.3  # text lines within a short test"),
        nbformat.v4.new_code_cell("for _ in p.bar(range(30), desc='long loop'):\n    time.sleep(0.05)"),
        nbformat.v4.new_code_cell("for _ in p.bar(range(3), desc='quick loop'):\n    pass"),
    ]
    client = NotebookClient(nb, timeout=120, kernel_name="python3")
    client.execute(env=env)
    return [cell.outputs for cell in nb.cells]


@pytest.mark.parametrize("grading", [False, True], ids=["jupyter", "nbgrader"])
def test_in_a_real_kernel(grading: bool) -> None:
    """A 1.5 s loop in a kernel: a widget view in a notebook; under nbgrader, a few text lines instead."""
    import os

    env = {k: v for k, v in os.environ.items() if k not in (_progress.ENV, _progress.GRADING_ENV)}
    if grading:
        env[_progress.GRADING_ENV] = "autograde"
    setup, long, quick = _run_kernel(env)
    assert setup == [] and quick == []  # the quick loop ends before any bar shows
    widgets = [o for o in long if WIDGET_MIME in o.get("data", {})]
    if not grading:
        assert len(widgets) == 1 and all(o.output_type == "display_data" for o in long), long
        return
    assert widgets == [] and long, long
    assert all(o.output_type == "stream" and o.name == "stderr" for o in long), long
    text = "".join(o.text for o in long)
    assert "\r" not in text and 1 <= len(text.splitlines()) <= 6, text
    # each output on its own would be removed by nbgrader's IgnorePattern, so no check cell loses points
    assert all(re.search(IGNORED_STDERR, o.text) for o in long), long
    assert "30/30" in text.splitlines()[-1]


# ----------------------------------------------------------------------------- the library's long loops


class _Toy(nn.Module):
    """A two-layer conv net: a model for the universality scan that costs nothing."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv1, self.relu, self.conv2 = nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.relu(self.conv1(x)))


def _pooled(x: torch.Tensor) -> torch.Tensor:
    return x.mean(dim=(2, 3))  # a "model" for tuning curves: (N, 3) channel means


def _stim(a: torch.Tensor) -> torch.Tensor:
    return torch.rand(len(a), 3, 8, 8)


def test_sweeps_and_tuning_curves_drive_a_bar(every_step: None, capsys: pytest.CaptureFixture[str]) -> None:
    from shared_utils import tuning

    tuning.sweep_responses(_pooled, [0, 1], _stim, torch.arange(12.0) * 30, batch_size=4)
    got = _lines(capsys.readouterr().err, "stimulus sweep")
    assert len(got) >= 3 and "3/3" in got[-1], got
    tuning.tuning_curve(_pooled, 0, _stim, torch.arange(12.0) * 30, batch_size=6)
    assert "2/2" in _lines(capsys.readouterr().err, "stimulus sweep")[-1]
    tuning.tuning_curve(_pooled, 0, _stim, torch.arange(12.0) * 30, batch_size=6, progress=False)
    assert capsys.readouterr().err == ""


def test_activation_passes_drive_a_bar(model, every_step: None, capsys: pytest.CaptureFixture[str]) -> None:
    from shared_utils.activations import capture, capture_units
    from shared_utils.tuning import activation_distribution

    x = torch.rand(5, 3, 48, 48, generator=torch.Generator().manual_seed(0))
    got = capture_units(model, x, ["3a:0", "3a:7"], reduce="max", batch_size=2)
    assert "3/3" in _lines(capsys.readouterr().err, "responses of 2 unit(s)")[-1]
    ref = capture(model, x, "mixed3a")["mixed3a"][:, [0, 7]].flatten(2).amax(2)
    torch.testing.assert_close(got, ref)  # batched, the same responses
    activation_distribution(model, "3a:0", x, batch_size=3)
    assert "2/2" in _lines(capsys.readouterr().err, "activations (3a:0)")[-1]


def test_universality_scan_drives_one_bar_to_its_end(every_step: None, capsys: pytest.CaptureFixture[str]) -> None:
    from shared_utils.labs import universality as uv

    uv.scan_model(_Toy(), name="toy", transform=None, size=24, angles=range(0, 360, 60), radii=[6.0], batch_size=4)
    got = _lines(capsys.readouterr().err, "scanning toy")
    total = 1 + 5 * 2 + 2  # the blank image, five sweeps of 6 angles and the 8 texture angles, 4 at a time
    assert len(got) >= total and f"{total}/{total}" in got[-1], got
    uv.tuning_curves(_Toy(), "conv2", [0, 1], size=24, angles=range(0, 360, 60), radii=[6.0], transform=None,
                     batch_size=4)
    assert "2/2" in _lines(capsys.readouterr().err, "stimulus sweep")[-1]


def test_null_scores_and_top_patches_drive_a_bar(every_step: None, capsys: pytest.CaptureFixture[str]) -> None:
    from shared_utils.labs import equivariance as eq
    from shared_utils.labs import hed_vgg16 as hv

    angles = [60.0 * i for i in range(6)]
    eq.null_scores(eq.kernel_family("curve", angles, 7), angles, n=5)
    assert "5/5" in _lines(capsys.readouterr().err, "shuffled scores")[-1]
    net = nn.Sequential(OrderedDict(conv1_1=nn.Conv2d(3, 2, 3, padding=1), relu1_1=nn.ReLU()))
    hv.top_patches(hv.HedVGG16(net, lambda x: x, "toy"), torch.rand(5, 3, 16, 16), "conv1_1", [0, 1], k=2,
                   batch_size=2)
    assert "3/3" in _lines(capsys.readouterr().err, "top patches (conv1_1)")[-1]


def test_renders_dataset_examples_and_predictions_drive_a_bar(model, sample, every_step: None,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    from shared_utils.dataset_examples import dataset_examples
    from shared_utils.featvis import render_units
    from shared_utils.labs.handbuilt import predict

    render_units(model, "conv2d0:3", steps=3, size=32, input_size=None)
    assert "3/3" in _lines(capsys.readouterr().err, "rendering 1 image(s)")[-1]
    sub = sample.subset(range(4))
    dataset_examples(model, sub, ["3a:1"], k=2, image_size=48, batch_size=2)
    assert "2/2" in _lines(capsys.readouterr().err, "activations (mixed3a)")[-1]
    predict(model, torch.rand(2, 3, 224, 224), batch_size=1)
    assert "2/2" in _lines(capsys.readouterr().err, "predictions")[-1]
