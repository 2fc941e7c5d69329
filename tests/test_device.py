"""shared_utils.device: where tensors live, where a model lives, and how much work a notebook does. Under 1 s."""
from __future__ import annotations

import dataclasses
import os

import pytest
import torch
from torch import nn

from shared_utils.device import budget, fast_mode, get_device, model_device


def test_device_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOOM_IN_DEVICE", "cpu")
    assert get_device().type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="no CUDA GPU"):
            get_device("cuda")
    assert os.environ["ZOOM_IN_DEVICE"] == "cpu"


class _BufferOnly(nn.Module):
    def __init__(self, device: str) -> None:
        super().__init__()
        self.register_buffer("table", torch.zeros(3, device=device))


def test_model_device_reads_parameters_then_buffers() -> None:
    assert model_device(nn.Linear(2, 2)) == torch.device("cpu")
    assert model_device(nn.Linear(2, 2, device="meta")) == torch.device("meta")
    assert model_device(_BufferOnly("meta")) == torch.device("meta")  # no parameter: the buffer decides
    assert model_device(nn.ReLU()) == torch.device("cpu")  # neither: cpu, not StopIteration


@pytest.mark.parametrize("env, expected", [({}, False), ({"COURSE_FAST": "1"}, True), ({"COURSE_FAST": "0"}, False),
                                           ({"NBGRADER_EXECUTION": "autograde"}, True)])
def test_fast_mode_follows_the_environment(monkeypatch: pytest.MonkeyPatch, env: dict, expected: bool) -> None:
    monkeypatch.delenv("COURSE_FAST", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert fast_mode() is expected


def test_fast_budget_is_no_bigger_than_the_cpu_preview(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_FAST", "1")
    fast = budget("cpu")
    monkeypatch.delenv("COURSE_FAST")
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    cpu = budget("cpu")
    assert fast != cpu
    for field in dataclasses.fields(cpu):
        if field.name == "batch_size":  # more images per batch in fast mode, but smaller ones: compare pixels
            assert fast.batch_size * fast.image_size ** 2 <= cpu.batch_size * cpu.image_size ** 2
            continue
        small, big = getattr(fast, field.name), getattr(cpu, field.name)
        if small is not None and big is not None:
            assert small <= big, field.name
    assert cpu.n_images <= 1000  # the ImageNet sample has 1000 photos
