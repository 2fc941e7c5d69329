"""Load Lucid's InceptionV1, the model of the Circuits thread, with its real weights.

>>> model = load_inceptionv1()                 # real weights: cached download, checked
>>> model = load_inceptionv1("inception5h.pth")  # a file you downloaded yourself
>>> model = load_inceptionv1("untrained")      # random stand-in for tests: NOT the real model

The real weights are ProGamerGov's conversion of the "inception5h" graph that lucent also uses
(docs/science.md §1.1). They are downloaded once, with a progress bar, into the course cache
(``$ZOOM_IN_CACHE``, default ``~/.cache/zoom-in``) and checked against the content hash that the
public repository publishes for that file.

An untrained stand-in has the same architecture and layer names but random weights. Everything
it produces is labelled "UNTRAINED" (see :func:`weights_label`): its neurons mean nothing, and no
result computed on it says anything about the real network.

Set ``ZOOM_IN_WEIGHTS`` to ``pretrained`` (default), ``untrained`` or a file path to choose the
weights for every notebook at once (CI sets ``untrained``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ._download import DownloadError, cache_dir, download, git_blob_sha1_of, sha256_of
from .device import get_device

__all__ = [
    "WEIGHTS_URL",
    "WeightsInfo",
    "WeightsUnavailableError",
    "load_inceptionv1",
    "weights_info",
    "weights_label",
    "is_trained",
    "weights_digest",
    "preprocess",
    "INPUT_SIZE",
]

#: Pinned to the commit of ProGamerGov/pytorch-old-tensorflow-models that lucent's URL resolves to.
_WEIGHTS_COMMIT = "f8187b60fca8a3f5cfa541406dcbcefb80db5c78"
WEIGHTS_URL = (
    f"https://github.com/ProGamerGov/pytorch-old-tensorflow-models/raw/{_WEIGHTS_COMMIT}/inception5h.pth"
)
#: Git's object id of inception5h.pth in that repository (``git ls-tree`` at commit f8187b6).
#: It pins the exact bytes: any other file fails the check.
WEIGHTS_GIT_BLOB_SHA1 = "119f77db85c8352960933e025312b507d9a96ed7"
#: Filled in once a maintainer has measured it on a verified download (see README, "Weights").
WEIGHTS_SHA256: str | None = None
WEIGHTS_FILENAME = "inception5h.pth"
INPUT_SIZE = 224


class WeightsUnavailableError(RuntimeError):
    """The real weights are neither cached nor downloadable. The message says what to do."""


@dataclass(frozen=True)
class WeightsInfo:
    """Where a model's weights came from."""

    trained: bool
    source: str

    @property
    def label(self) -> str:
        if self.trained:
            return "InceptionV1 (Lucid weights)"
        return "UNTRAINED InceptionV1 stand-in (random weights: not a finding about the real model)"


def preprocess(images01: torch.Tensor) -> torch.Tensor:
    """Pixels in [0, 1] (N, 3, H, W) -> the model's input range [-117, 138] (``x * 255 - 117``)."""
    if images01.ndim != 4 or images01.shape[1] != 3:
        raise ValueError(f"expected images shaped (N, 3, H, W), got {tuple(images01.shape)}")
    return images01 * 255.0 - 117.0


def weights_info(model: nn.Module) -> WeightsInfo:
    """The :class:`WeightsInfo` of a model made by :func:`load_inceptionv1`."""
    info = getattr(model, "weights_info", None)
    if not isinstance(info, WeightsInfo):
        return WeightsInfo(trained=False, source="unknown (not loaded with load_inceptionv1)")
    return info


def weights_label(model: nn.Module) -> str:
    """A label for titles and printouts; says UNTRAINED loudly for the stand-in."""
    return weights_info(model).label


def is_trained(model: nn.Module) -> bool:
    return weights_info(model).trained


def weights_digest(model: nn.Module) -> str:
    """A hash of every weight: caches keyed by it never mix up two models (e.g. an edited copy)."""
    import hashlib

    digest = hashlib.sha256()
    for name, t in model.state_dict().items():
        digest.update(name.encode())
        digest.update(t.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:20]


def _cached_weights_path() -> Path:
    return cache_dir("weights") / WEIGHTS_FILENAME


def _verify(path: Path) -> None:
    if WEIGHTS_SHA256 is not None:
        got = sha256_of(path)
        if got != WEIGHTS_SHA256:
            raise WeightsUnavailableError(
                f"{path} is not the expected inception5h.pth (SHA-256 {got}, expected {WEIGHTS_SHA256}). "
                "Delete it and download it again from " + WEIGHTS_URL
            )
        return
    got = git_blob_sha1_of(path)
    if got != WEIGHTS_GIT_BLOB_SHA1:
        raise WeightsUnavailableError(
            f"{path} is not the expected inception5h.pth (git blob id {got}, expected "
            f"{WEIGHTS_GIT_BLOB_SHA1}). Delete it and download it again from {WEIGHTS_URL}"
        )


def _offline_message(reason: str) -> str:
    target = _cached_weights_path()
    return (
        f"The real InceptionV1 weights are not available: {reason}\n"
        "To fix it, do one of these:\n"
        f"  1. Connect to the internet and run again: the file downloads once to {target}.\n"
        f"  2. Download {WEIGHTS_URL} on another machine and put it at {target}\n"
        "     (or anywhere, then pass its path: load_inceptionv1('/path/to/inception5h.pth'),\n"
        "      or set ZOOM_IN_WEIGHTS=/path/to/inception5h.pth).\n"
        "  3. Open the course on Colab, which has internet access.\n"
        "For software tests only, load_inceptionv1('untrained') gives a random stand-in; its results "
        "say nothing about the real network."
    )


def _real_weights_file(progress: bool) -> Path:
    target = _cached_weights_path()
    if target.exists():
        _verify(target)
        return target
    try:
        download(WEIGHTS_URL, target, git_blob_sha1=WEIGHTS_GIT_BLOB_SHA1 if WEIGHTS_SHA256 is None else None,
                 sha256=WEIGHTS_SHA256, desc="InceptionV1 weights", progress=progress)
    except DownloadError as exc:
        raise WeightsUnavailableError(_offline_message(str(exc))) from exc
    return target


def _build(redirected_relu: bool) -> nn.Module:
    from . import _lucent  # noqa: F401  (silences kornia's import-time warning once)
    from lucent.modelzoo.inceptionv1.InceptionV1 import InceptionV1

    return InceptionV1(pretrained=False, redirected_ReLU=redirected_relu)


def load_inceptionv1(
    weights: "str | os.PathLike[str] | None" = None,
    *,
    device: "str | torch.device | None" = None,
    redirected_relu: bool = False,
    seed: int = 0,
    progress: bool = True,
    verify: bool = True,
) -> nn.Module:
    """Lucid's InceptionV1 in eval mode, parameters frozen, on the course device.

    Args:
        weights: ``"pretrained"`` (the real weights: cached, else downloaded), a path to
            ``inception5h.pth``, or ``"untrained"`` (random stand-in, seeded). ``None`` reads
            ``$ZOOM_IN_WEIGHTS`` and defaults to ``"pretrained"``.
        device: where to put it; default from :func:`shared_utils.device.get_device`.
        redirected_relu: lucent's gradient trick for feature visualisation. Keep it ``False``
            for activations and for any gradient-based weight analysis (docs/science.md §1.1).
        seed: seed of the untrained stand-in's random weights.
        verify: check a local file's hash (turn off only for a file you converted yourself).

    Raises:
        WeightsUnavailableError: no internet and no cached or given file; the message says what to do.
        FileNotFoundError: a given path does not exist.
    """
    choice = weights if weights is not None else os.environ.get("ZOOM_IN_WEIGHTS", "pretrained")
    if choice == "untrained":
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = _build(redirected_relu)
        info = WeightsInfo(trained=False, source=f"random initialisation (seed {seed})")
    else:
        model = _build(redirected_relu)
        if choice == "pretrained":
            path = _real_weights_file(progress)
        else:
            path = Path(choice).expanduser()
            if not path.is_file():
                raise FileNotFoundError(
                    f"No weights file at {path}. Give the path of inception5h.pth, or use "
                    f"'pretrained' to download it (see {WEIGHTS_URL})."
                )
            if verify:
                _verify(path)
        state = torch.load(path, map_location="cpu", weights_only=True)
        missing, unexpected = model.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise WeightsUnavailableError(
                f"{path} does not hold InceptionV1 weights (missing {len(missing)} tensors, "
                f"{len(unexpected)} unexpected), e.g. {(missing or unexpected)[:3]}."
            )
        info = WeightsInfo(trained=True, source=str(path))
    model.weights_info = info  # type: ignore[attr-defined]
    model.eval().requires_grad_(False)
    return model.to(get_device(device))
