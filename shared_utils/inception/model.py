"""Load Lucid's InceptionV1, the model of the Circuits thread, with its real weights.

Usage::

    model = load_inceptionv1()                 # real weights: cached download, checked
    model = load_inceptionv1("inception5h.pth")  # a file you downloaded yourself
    model = load_inceptionv1("untrained")      # random stand-in for tests: NOT the real model

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

import math
import os
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from .._download import DownloadError, cache_dir, download, git_blob_sha1_of, sha256_of
from ..device import get_device

__all__ = [
    "WEIGHTS_URL",
    "WeightsInfo",
    "WeightsUnavailableError",
    "load_inceptionv1",
    "weights_info",
    "weights_label",
    "is_trained",
    "model_note",
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
    """The real weights are not available, or a file is not InceptionV1's weights. The message says what to do."""


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


#: Pixels may overshoot [0, 1] a little (interpolation, float round-off); outside this range the
#: input is refused as "clearly not in [0, 1]" (photos in 0-255, already-preprocessed input).
PIXEL_RANGE_ACCEPTED = (-0.5, 1.5)


def _shape_hint(shape: tuple[int, ...]) -> str:
    """How to turn a batch of this shape into (N, 3, H, W)."""
    if len(shape) == 3 and shape[0] == 3:
        return "that is one image (3, H, W): add the batch axis with x[None] (or x.unsqueeze(0))"
    if len(shape) == 3 and shape[-1] == 3:
        return "that is one image with its channels last (H, W, 3): use x.permute(2, 0, 1)[None]"
    if len(shape) == 4 and shape[-1] == 3:
        return "the channels are last (N, H, W, 3): use x.permute(0, 3, 1, 2)"
    if len(shape) == 4 and shape[1] == 1:
        return "the images have one (grey) channel: repeat it with x.expand(-1, 3, -1, -1)"
    if len(shape) == 4 and shape[1] == 4:
        return "the images have 4 channels (RGBA?): keep the colours with x[:, :3]"
    if len(shape) == 2:
        return "that is one grey image (H, W): use x.expand(3, -1, -1)[None]"
    return "InceptionV1 takes a batch of RGB images, channels first"


def _check_batch(images: object) -> None:
    """Refuse anything but a floating-point tensor (N, 3, H, W); the message says how to convert it."""
    if not isinstance(images, torch.Tensor):
        kind = f"{type(images).__module__}.{type(images).__name__}"
        hint = ""
        if kind.startswith("numpy."):
            hint = (" Convert an array with torch.from_numpy(a); photos stored (N, H, W, 3) with 0-255 pixels "
                    "become torch.from_numpy(a).permute(0, 3, 1, 2).float() / 255.")
        elif kind.startswith("PIL."):
            hint = (" Load photos with shared_utils.data.load_image(path), which gives (3, S, S) in [0, 1], "
                    "and stack them: torch.stack([...]).")
        raise TypeError(f"expected images as a torch tensor (N, 3, H, W) with pixels in [0, 1], got {kind}.{hint}")
    shape = tuple(images.shape)
    if images.ndim != 4 or shape[1] != 3:
        raise ValueError(f"expected images shaped (N, 3, H, W), got {shape}: {_shape_hint(shape)}.")
    if not images.is_floating_point():
        if images.dtype == torch.uint8:
            raise ValueError("expected float pixels in [0, 1], got a uint8 tensor (pixels 0-255): "
                             "convert it with x.float() / 255.")
        raise ValueError(f"expected float pixels in [0, 1], got a {images.dtype} tensor: convert it with x.float() "
                         "(and divide by 255 if its pixels are 0-255).")


def _check_range01(images: torch.Tensor) -> None:
    """Refuse pixels clearly outside [0, 1] (see :data:`PIXEL_RANGE_ACCEPTED`), saying what was found."""
    if images.requires_grad or images.numel() == 0:
        return  # an image being optimised (pixel-space gradient ascent) may leave [0, 1] on purpose
    lo, hi = torch.stack(torch.aminmax(images.detach())).tolist()
    low, high = PIXEL_RANGE_ACCEPTED
    if lo >= low and hi <= high:  # False for NaN too
        return
    if math.isnan(lo) or math.isnan(hi):
        raise ValueError("the images contain NaN pixels; InceptionV1 needs pixels in [0, 1] "
                         "(check how they were made, e.g. a division by zero while normalising).")
    found = f"these images range over [{lo:.4g}, {hi:.4g}]"
    if lo < -50 and hi > 50:
        what = ("This looks like input that is already preprocessed (x * 255 - 117, about [-117, 138]): "
                "pass the [0, 1] images instead, or give the preprocessed batch to "
                "capture(..., preprocessed=True), which does not preprocess again.")
    elif lo >= low:
        what = "Photos with 0-255 pixels must be divided by 255 first: x / 255 (for a uint8 tensor, x.float() / 255)."
    else:
        what = ("Rescale them to [0, 1] first (photos with 0-255 pixels: x / 255; images normalised to mean 0: "
                "undo that normalisation).")
    raise ValueError(f"expected pixels in [0, 1] (a little overshoot, within [{low:g}, {high:g}], is fine); "
                     f"{found}. {what}")


def preprocess(images01: torch.Tensor) -> torch.Tensor:
    """Pixels in [0, 1] (N, 3, H, W) -> the model's input range [-117, 138] (``x * 255 - 117``).

    Every activation entry point (``capture``, ``channel_stats``, ``forward_logits``, feature
    visualisation) goes through here, so bad input is refused here once, with a message saying what to do:
    not a float tensor (N, 3, H, W) (e.g. uint8 photos: ``x.float() / 255``), or pixels clearly outside
    [0, 1] (outside :data:`PIXEL_RANGE_ACCEPTED`: photos in 0-255, input preprocessed twice).
    A tensor that requires grad (an image being optimised in pixel space) is not range-checked.
    """
    _check_batch(images01)
    _check_range01(images01)
    return images01 * 255.0 - 117.0


def weights_info(model: nn.Module) -> WeightsInfo:
    """The :class:`WeightsInfo` of a model made by :func:`load_inceptionv1`."""
    info = getattr(model, "weights_info", None)
    if not isinstance(info, WeightsInfo):
        return WeightsInfo(trained=False, source="unknown (not loaded with load_inceptionv1)")
    return info


def weights_label(model: nn.Module) -> str:
    """A label for titles and printouts; says UNTRAINED loudly for the stand-in."""
    label = weights_info(model).label
    return label + " [lucent's LRN: comparison only]" if getattr(model, "lrn", "lucid") == "lucent" else label


def is_trained(model: nn.Module) -> bool:
    return weights_info(model).trained


def model_note(model: "nn.Module | None") -> str:
    """``''`` for the real model; a loud suffix for titles and printouts of the untrained stand-in
    (or a model of unknown origin)."""
    if model is None:
        return ""
    return "" if weights_info(model).trained else " [UNTRAINED stand-in: not the real model]"


def weights_digest(model: nn.Module) -> str:
    """A hash of every weight and of the LRN in use: caches keyed by it never mix up two models
    (an edited copy, or lucent's LRN instead of Lucid's)."""
    import hashlib

    digest = hashlib.sha256()
    digest.update(f"lrn={getattr(model, 'lrn', 'lucent')}".encode())  # same weights, other LRN: other results
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


def _get_the_right_file() -> str:
    return (f"Use the real weights: load_inceptionv1('pretrained') downloads and checks them, or download "
            f"inception5h.pth from {WEIGHTS_URL} and pass its path.")


def _drop_unsafe_advice(exc: BaseException) -> None:
    """Cut torch's "re-run with weights_only=False" (and allow-listing) advice out of ``exc``'s message.

    The course never passes that advice on for a file of unknown origin: unpickling it runs
    whatever code it holds. What torch found (the unsupported opcode or class) is kept.
    """
    text = str(exc)
    if "weights_only" not in text:
        return
    found = re.search(r"WeightsUnpickler error:\s*(.*?)\s*(?:Check the documentation|\Z)", text, re.S)
    detail = re.split(r"\.?\s*Please use `torch\.serialization", found.group(1))[0].strip() if found else ""
    exc.args = (f"torch.load (safe mode) refused the file{': ' + detail if detail else ''}",)


def _why_unreadable(path: Path, exc: BaseException) -> str:
    """What ``path`` holds, as far as one can tell without unpickling it."""
    try:
        with path.open("rb") as f:
            head = f.read(16)
    except OSError:
        head = b""
    found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(exc))
    if not head:
        return "the file is empty (0 bytes)"
    if found:
        return (f"it holds pickled Python objects (such as {found.group(1)}), not only tensors: e.g. a whole "
                "model saved with torch.save(model) instead of torch.save(model.state_dict())")
    if zipfile.is_zipfile(path):
        return "it is a zip archive, but not one written by torch.save"
    if head[:1] == b"\x80":
        return "it is a Python pickle, but not tensors written by torch.save"
    return f"torch.load cannot read it (it starts with {head!r}: text, random bytes or another format)"


def _read_weights_file(path: Path) -> object:
    """What ``path`` holds, read with ``weights_only=True`` (no code from the file runs), else a clear error."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except OSError:
        raise  # cannot read the file at all (permissions, ...): the OS's message says which and why
    except Exception as exc:  # noqa: BLE001  any other failure: the file is not a torch weights file
        _drop_unsafe_advice(exc)
        raise WeightsUnavailableError(
            f"{path} is not a PyTorch weights file of InceptionV1: {_why_unreadable(path, exc)}. Never load a "
            "file of unknown origin with torch.load(weights_only=False) to get past this: that runs whatever "
            f"code the file holds. {_get_the_right_file()}"
        ) from exc


def _describe(value: object) -> str:
    if isinstance(value, torch.Tensor):
        return str(tuple(value.shape))
    if isinstance(value, tuple):
        return str(value)
    return f"({type(value).__name__}, not a tensor)"


def _examples(entries: "Mapping[str, object] | dict[str, tuple[int, ...]]", names: "list[str] | None" = None) -> str:
    names = list(entries)[:3] if names is None else names[:3]
    return ", ".join(f"{k!r} {_describe(entries[k])}" for k in names)


def _load_state(model: nn.Module, state: object, path: Path) -> None:
    """Load ``state`` into ``model``, or say what the file holds against what InceptionV1 needs."""
    need = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    needs = f"InceptionV1 needs a state dict of {len(need)} named tensors, e.g. {_examples(need)}"
    if not isinstance(state, Mapping):
        size = f" of shape {tuple(state.shape)}" if isinstance(state, torch.Tensor) else ""
        raise WeightsUnavailableError(
            f"{path} does not hold InceptionV1's weights: it holds a {type(state).__name__}{size}, not a state "
            f"dict. {needs}. {_get_the_right_file()}"
        )
    has = {str(k): v for k, v in state.items()}
    missing = [k for k in need if k not in has]
    unexpected = [k for k in has if k not in need]
    wrong = [k for k in need if k in has and (not isinstance(has[k], torch.Tensor) or tuple(has[k].shape) != need[k])]
    if missing or unexpected or wrong:
        lines = [f"{path} does not hold InceptionV1's weights.",
                 f"  The file holds {len(has)} entries" + (f", e.g. {_examples(has)}." if has else ".")]
        lines.append(f"  {needs}.")
        if missing:
            lines.append(f"  Missing from the file: {len(missing)}, e.g. {missing[:3]}.")
        if unexpected:
            lines.append(f"  In the file but not in InceptionV1: {len(unexpected)}, e.g. {unexpected[:3]}.")
        if wrong:
            lines.append(f"  Wrong shape: {len(wrong)}, e.g. " + "; ".join(
                f"{k!r}: file {_describe(has[k])}, InceptionV1 {need[k]}" for k in wrong[:3]) + ".")
        nested = [k for k, v in has.items() if isinstance(v, Mapping)]
        if nested:
            lines.append(f"  It may be a training checkpoint: the entries {nested[:3]} hold dicts of their own.")
        lines.append(_get_the_right_file())
        raise WeightsUnavailableError("\n".join(lines))
    try:
        model.load_state_dict(state, strict=True)  # type: ignore[arg-type]
    except (RuntimeError, TypeError, ValueError) as exc:
        raise WeightsUnavailableError(
            f"{path} could not be loaded into InceptionV1: {str(exc).splitlines()[0]} {_get_the_right_file()}"
        ) from exc


def _build(redirected_relu: bool, lrn: str) -> nn.Module:
    from . import _lucent

    return _lucent.build_inceptionv1(redirected_relu=redirected_relu, lrn=lrn)


def load_inceptionv1(
    weights: "str | os.PathLike[str] | None" = None,
    *,
    device: "str | torch.device | None" = None,
    redirected_relu: bool = False,
    seed: int = 0,
    progress: bool = True,
    verify: bool = True,
    lrn: str = "lucid",
) -> nn.Module:
    """Lucid's InceptionV1 in eval mode, parameters frozen, on the course device.

    Its two local response norms are computed as in Lucid's TensorFlow graph, which lucent's port
    gets wrong (see ``shared_utils/inception/_lucent.py``); every other op is lucent's.

    Args:
        weights: ``"pretrained"`` (the real weights: cached, else downloaded), a path to
            ``inception5h.pth``, or ``"untrained"`` (random stand-in, seeded). ``None`` reads
            ``$ZOOM_IN_WEIGHTS`` and defaults to ``"pretrained"``.
        device: where to put it; default from :func:`shared_utils.device.get_device`.
        redirected_relu: lucent's gradient trick for feature visualisation. Keep it ``False``
            for activations and for any gradient-based weight analysis (docs/science.md §1.1).
        seed: seed of the untrained stand-in's random weights.
        verify: check a local file's hash (turn off only for a file you converted yourself).
        lrn: ``"lucid"`` (default: the articles' model) or ``"lucent"``, which reproduces lucent
            0.1.8's wrong LRN parameters. Use ``"lucent"`` only to compare the two.

    Raises:
        WeightsUnavailableError: no internet and no cached or given file, or a file that is not
            InceptionV1's weights (not a torch file, another model's, wrong shapes); the message says
            what the file holds and what to do.
        FileNotFoundError: a given path does not exist.
    """
    choice = weights if weights is not None else os.environ.get("ZOOM_IN_WEIGHTS", "pretrained")
    if choice == "untrained":
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = _build(redirected_relu, lrn)
        info = WeightsInfo(trained=False, source=f"random initialisation (seed {seed})")
    else:
        model = _build(redirected_relu, lrn)
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
        _load_state(model, _read_weights_file(path), path)
        info = WeightsInfo(trained=True, source=str(path))
    model.weights_info = info  # type: ignore[attr-defined]
    model.eval().requires_grad_(False)
    return model.to(get_device(device))
