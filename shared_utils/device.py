"""Choose where tensors live (cuda, mps, cpu), in one place for the whole course.

Set ``ZOOM_IN_DEVICE=cpu`` (or ``cuda``, ``cuda:1``, ``mps``) to override the automatic choice.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch

__all__ = ["get_device", "model_device", "Budget", "budget", "fast_mode"]


def get_device(prefer: "str | torch.device | None" = None) -> torch.device:
    """The device to use: ``prefer`` if given, else ``$ZOOM_IN_DEVICE``, else cuda > mps > cpu."""
    choice = prefer if prefer is not None else os.environ.get("ZOOM_IN_DEVICE")
    if choice is not None:
        dev = torch.device(choice)
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(
                f"Device {choice!r} was asked for, but this machine has no CUDA GPU. "
                "On Colab choose Runtime > Change runtime type > GPU, or use 'cpu'."
            )
        if dev.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise RuntimeError(f"Device {choice!r} was asked for, but MPS is not available here; use 'cpu'.")
        return dev
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def model_device(model: torch.nn.Module) -> torch.device:
    """Where ``model`` lives: the device of its first parameter (or buffer); cpu for a model with neither.

    >>> model_device(torch.nn.Linear(2, 2))
    device(type='cpu')
    """
    for tensor in model.parameters():
        return tensor.device
    for tensor in model.buffers():
        return tensor.device
    return torch.device("cpu")


def fast_mode() -> bool:
    """True while autograding, in CI, or when ``COURSE_FAST=1``: notebooks shrink their work."""
    return bool(os.environ.get("NBGRADER_EXECUTION") or os.environ.get("COURSE_FAST") == "1")


@dataclass(frozen=True)
class Budget:
    """How much work a notebook does by default on this device (always overridable per call)."""

    render_steps: int  # feature-visualisation optimisation steps
    render_size: int  # feature-visualisation image side, pixels
    render_input_size: "int | None"  # renders smaller than this are resized up for the model (None: never)
    n_images: int  # how many images of the 1000-image sample to scan
    image_size: int  # input side for activation passes
    batch_size: int  # images per forward pass over a dataset (small on a CPU: big batches of 224 px
    #                  photos cost more in fresh memory pages than they save; benchmarks/bench_activations.py)


def budget(device: "torch.device | str | None" = None) -> Budget:
    """Defaults per device: full quality on a GPU, a quick preview on a CPU, tiny in fast mode."""
    if fast_mode():
        return Budget(render_steps=8, render_size=64, render_input_size=None,
                      n_images=48, image_size=112, batch_size=8)
    dev = get_device(device)
    if dev.type == "cuda":
        return Budget(render_steps=512, render_size=224, render_input_size=224,
                      n_images=1000, image_size=224, batch_size=64)
    if dev.type == "mps":
        return Budget(render_steps=256, render_size=160, render_input_size=224,
                      n_images=1000, image_size=224, batch_size=32)
    return Budget(render_steps=64, render_size=128, render_input_size=224,
                  n_images=300, image_size=224, batch_size=4)
