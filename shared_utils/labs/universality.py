"""Universality: find curve and high-low frequency detectors in *other* networks by their tuning (science.md §10).

Neuron ids do not transfer between models (science.md §13.23), so a student finds the units by
what they respond to: every channel of every conv layer is shown the same synthetic stimuli as
InceptionV1's curve and HF/LF detectors (:mod:`shared_utils.stimuli`), and its orientation tuning
is measured with :mod:`shared_utils.tuning`::

    net = load_torchvision("alexnet")          # real weights if they can be had, else untrained (says so)
    scan = scan_model(net.model, name="alexnet", note=net.note)
    print(scan.table())                           # per layer: channels, curve-like, HF/LF, depth
    plot_depth_profile([scan, ...])               # fraction of detectors against depth

**What counts as a detector** (tunable thresholds, defaults below). They are the course's choice,
inferred from the articles' descriptions, not the articles' own definitions, and they were set by
measuring false positives on Lab 10's trained VGG16 (HED's backbone, :mod:`shared_utils.labs.hed_vgg16`),
an untrained VGG16 and a shuffled-weight copy (rates below).

* *curve-like*: the response to curves (max over radii) minus the response to a blank image has
  **one** orientation peak (:func:`~shared_utils.tuning.n_peaks`), a small **echo** (< 0.2 of the
  peak within ±45° of the opposite orientation, :func:`~shared_utils.tuning.echo`) and a full width
  at half maximum below 150°. Lines and edges fail the echo test (a line is the same at θ and θ+180°).
  And the curve must beat every **straight** line and edge (same thickness, black on white, every
  orientation, minus blank: ``max_straight`` = 1): a unit that prefers a straight edge to any curve is
  an edge unit, however lopsided its tuning.
* *high-low frequency*: the response to two-region images (fine texture on one side, coarse on the
  other, :func:`~shared_utils.stimuli.high_low`) has one peak and drops by more than half when the
  sides swap (response at peak+180° < 0.5 of the peak), as science.md §13.16 proposes; and the
  *boundary* matters: the best two-region response is at least twice the best response to either
  texture filling the whole image (so units that react to the coarse texture's bars do not count);
  it beats a plain **edge** of the same RMS contrast (grey 0.25 | 0.75, ``max_edge`` = 1: boundary
  units do not count); it keeps its preferred direction (within 30°, at half the response or more,
  ``max_texture_shift``) when the plaids are replaced by band-limited **noise** of the same periods;
  and it is not curve-like (a curve detector can answer the straight texture boundary too: the two
  classes are kept apart, curves first).
* both need a **strength** (the tuning's peak) of at least ``min_strength`` (5 %) of the layer's
  largest activation to any of the stimuli, blank included, so that a unit that barely responds cannot
  pass on noise. (The course's first version took 5 % of the layer's strongest *tuning* instead: in a
  layer that no longer responds to its input, round-off then passed as tuning.)

**Measured pass rates** (share of all 4224 channels of VGG16's 13 conv layers; Lab 10). At 224 px,
orientations 15° apart, curve radii 10-80 px: trained 5.4 % curve-like and 6.7 % HF/LF; untrained
(torchvision's init) 0.6 % and 1.5 %; shuffled (each layer's trained weights permuted) 0.1 % and
0.05 %. At Lab 10's fast settings (80 px, 30°): trained 8.8 % and 5.6 %, untrained 1.8 % and 1.8 %,
shuffled 0.4 % and 0.07 %. The untrained rates are the criteria's false-positive rates on a live random
network. Before the straight, edge, texture and strength controls a 96 px scan (30°) passed 13 % and
13 % of the trained network, 5 % and 6 % of the untrained one and 17 % (curves) of the shuffled one,
whose deep layers are silent: the shuffled weights' negative sums switch every ReLU off.

A unit's response is its activation after the layer's ReLU (after batch norm, for conv layers
that have one), at the centre of its map. **Depth** is a layer's position among the model's conv
layers in forward order, ``(index + 1) / count``. The HF/LF article counts blocks instead (e.g.
InceptionV1 mixed3a is layer 4 of 12, AlexNet conv2 2 of 7) and finds HF/LF units at 29-33 %
depth in four models (science.md §10), so compare depths loosely.
"""
from __future__ import annotations

import math
import socket
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence
from urllib.parse import urlparse

import torch
from torch import nn

from .. import stimuli, tuning
from .._download import reachable
from .._progress import bar
from ..device import model_device
from ..inception._hooks import hooks, run_to

__all__ = [
    "TORCHVISION_MODELS",
    "LoadedModel",
    "load_torchvision",
    "ConvLayer",
    "conv_layers",
    "LayerScan",
    "ModelScan",
    "scan_model",
    "tuning_curves",
    "plot_depth_profile",
    "kernel_smoothness",
    "shuffled_copy",
    "CircuitTest",
    "summed_weights",
    "offset_statistic",
    "label_shuffle_test",
    "circuit_test",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

#: torchvision builders and the weights the course tries for them (each model's original ImageNet weights).
TORCHVISION_MODELS = {
    "alexnet": ("alexnet", "AlexNet_Weights"),
    "vgg19": ("vgg19", "VGG19_Weights"),
    "resnet50": ("resnet50", "ResNet50_Weights"),
    "googlenet": ("googlenet", "GoogLeNet_Weights"),
}


# ============================================================================ loading


@dataclass
class LoadedModel:
    """A torchvision model, whether its real weights could be loaded, and a note saying so."""

    model: nn.Module
    name: str
    trained: bool
    note: str


def load_torchvision(name: str, *, pretrained: bool = True, timeout: float = 10.0, progress: bool = True,
                     device: "str | torch.device | None" = None) -> LoadedModel:
    """``alexnet``, ``vgg19``, ``resnet50`` or ``googlenet`` from torchvision, in eval mode, frozen.

    With ``pretrained``, torchvision's ImageNet weights are loaded from its cache or downloaded
    (hundreds of MB). Offline it fails fast: if the file is not cached, the download server must
    accept a connection within ``timeout`` seconds (name lookup included), and a stalled download
    times out after ``timeout`` seconds without data. If that fails the model is built with random weights and ``note`` says
    "weights unavailable: this shows the method on an untrained network".
    """
    import torchvision.models as tvm

    from ..device import get_device

    if name not in TORCHVISION_MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(TORCHVISION_MODELS)}")
    builder_name, weights_name = TORCHVISION_MODELS[name]
    builder = getattr(tvm, builder_name)
    extra = {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}
    model, trained, reason = None, False, "not requested (pretrained=False)"
    weights = getattr(tvm, weights_name).IMAGENET1K_V1
    if pretrained and not _cached(weights.url):
        host = urlparse(weights.url).hostname or ""
        if not reachable(weights.url, timeout):
            pretrained, reason = False, f"not in the torch cache and {host} cannot be reached (offline?)"
    if pretrained:
        old = socket.getdefaulttimeout()
        socket.setdefaulttimeout(timeout)
        try:
            model = builder(weights=weights, progress=progress)
            trained = True
        except Exception as exc:  # noqa: BLE001  (offline: URLError/OSError; a bad file: RuntimeError)
            reason = f"{type(exc).__name__}: {exc}"
        finally:
            socket.setdefaulttimeout(old)
    if model is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = builder(weights=None, **extra)
    if trained:
        note = f"{name}: torchvision ImageNet weights"
    else:
        note = (f"{name}: weights unavailable ({reason[:160]}): this shows the method on an untrained network "
                "[UNTRAINED: not a finding about the real model]")
    model.eval().requires_grad_(False)
    return LoadedModel(model.to(get_device(device)), name, trained, note)


def _cached(url: str) -> bool:
    """Whether torch.hub already holds the file of ``url`` (torchvision looks there first)."""
    return (Path(torch.hub.get_dir()) / "checkpoints" / Path(urlparse(url).path).name).is_file()


# ============================================================================ layers


@dataclass(frozen=True)
class ConvLayer:
    """A conv layer to scan: its name, the module whose output is read, and whether that output is batch-normed."""

    name: str
    module: nn.Module
    batch_norm: bool


def conv_layers(model: nn.Module) -> list[ConvLayer]:
    """Every ``Conv2d`` of ``model``, read after its ``BatchNorm2d`` when one directly follows it (registration order)."""
    mods = list(model.named_modules())
    out = []
    for i, (name, m) in enumerate(mods):
        if not isinstance(m, nn.Conv2d):
            continue
        nxt = mods[i + 1][1] if i + 1 < len(mods) else None
        if isinstance(nxt, nn.BatchNorm2d) and nxt.num_features == m.out_channels:
            out.append(ConvLayer(name, nxt, True))
        else:
            out.append(ConvLayer(name, m, False))
    if not out:
        raise ValueError(f"{type(model).__name__} has no nn.Conv2d layers to scan")
    return out


def _centre(act: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (N, C): max over the central 1 (odd) or 2 (even) positions per axis, after a ReLU."""
    h, w = act.shape[-2:]
    r0, r1 = (h - 1) // 2, h // 2 + 1
    c0, c1 = (w - 1) // 2, w // 2 + 1
    return torch.relu(act[..., r0:r1, c0:c1]).flatten(2).amax(2)


class _Probe:
    """Calls the model once per batch and returns the centre responses of the chosen layers, concatenated."""

    def __init__(self, model: nn.Module, layers: Sequence[ConvLayer], transform: Callable[[torch.Tensor], torch.Tensor]):
        self.model, self.layers, self.transform = model, list(layers), transform
        self.device = model_device(model)

    def __call__(self, images01: torch.Tensor) -> torch.Tensor:
        last = len(self.layers)
        with torch.no_grad():  # reduce each output at once: an in-place ReLU may follow
            seen = run_to(self.model, self.transform(images01.to(self.device)),
                          {i: layer.module for i, layer in enumerate(self.layers)},
                          keep=lambda out: _centre(out.detach().float()))
        missing = [self.layers[i].name for i in range(last) if i not in seen]
        if missing:
            raise RuntimeError(f"layers {missing[:3]} were not run by the model's forward pass; scan other layers")
        return torch.cat([seen[i] for i in range(last)], dim=1).cpu()


def _order(model: nn.Module, layers: list[ConvLayer], size: int, transform: Callable) -> list[tuple[ConvLayer, int]]:
    """The layers that run in a forward pass, in the order they run, with their output channels."""
    fired: dict[int, int] = {}

    def hook_for(i: int) -> Callable[..., None]:
        def hook(_m: nn.Module, _a: object, out: torch.Tensor) -> None:  # returns None: the output is kept
            fired.setdefault(i, out.shape[1])

        return hook

    with torch.no_grad(), hooks((layer.module, hook_for(i)) for i, layer in enumerate(layers)):
        model(transform(torch.full((1, 3, size, size), 0.5, device=model_device(model))))
    return [(layers[i], c) for i, c in fired.items()]  # dicts keep insertion (= firing) order


# ============================================================================ scanning


def _transform(transform: "Callable[[torch.Tensor], torch.Tensor] | str | None") -> Callable[[torch.Tensor], torch.Tensor]:
    if transform == "imagenet":
        mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
        return lambda x: (x - mean.to(x)) / std.to(x)
    if transform is None:
        return lambda x: x
    if callable(transform):
        return transform  # type: ignore[return-value]
    raise ValueError("transform must be 'imagenet', None or a function of the images")


def _texture_controls(angles: torch.Tensor, size: int, high_period: float, low_period: float) -> torch.Tensor:
    """(2, A, 3, S, S): the high-low images with the boundary moved far outside (all fine, all coarse texture)."""
    rad = torch.deg2rad(torch.as_tensor(angles, dtype=torch.float64))
    far = 2.0 * size * torch.stack([torch.cos(rad), torch.sin(rad)], dim=1)  # (A, 2), along the orientation
    kw = dict(size=size, high_period=high_period, low_period=low_period)
    return torch.stack([stimuli.high_low(angles, position=-far, **kw), stimuli.high_low(angles, position=far, **kw)])


@dataclass
class LayerScan:
    """One layer's result: which channels are curve-like / HF-LF, and the numbers behind it.

    ``metrics`` holds per-channel tensors (NaN where a channel was too weak to measure):
    ``curve_*`` / ``hl_*`` ``strength``, ``n_peaks``, ``echo``, ``width``, ``opposite`` (response at
    peak+180° ÷ peak), ``preferred`` (degrees, the stimuli's convention); ``curve_straight`` (best
    line or edge ÷ curve peak), ``hl_boundary``, ``hl_edge`` (grey edge ÷ two-region peak),
    ``hl_texture_shift`` (degrees) and ``hl_texture_ratio`` (noise textures); ``largest`` (each
    channel's largest activation to any stimulus).
    """

    name: str
    index: int  # among the model's conv layers, forward order
    n_layers: int
    channels: int
    curve: list[int]
    high_low: list[int]
    metrics: dict[str, torch.Tensor] = field(default_factory=dict, repr=False)
    #: ``"curve"``: (A, C) response to curves (max over radii) minus blank; ``"high_low"``: (A, C) response to
    #: the two-region images; ``"angles"``: (A,) degrees. What the criteria were applied to.
    responses: dict[str, torch.Tensor] = field(default_factory=dict, repr=False)

    @property
    def depth(self) -> float:
        """(index + 1) / number of conv layers."""
        return (self.index + 1) / self.n_layers


@dataclass
class ModelScan:
    """Per-layer detector counts of one model; ``note`` carries the weights warning."""

    name: str
    note: str
    layers: list[LayerScan]
    settings: dict[str, object] = field(default_factory=dict)

    def table(self) -> str:
        """A text table: layer, depth, channels, curve-like and HF/LF counts."""
        rows = [f"{self.name}  ({self.note})", f"{'layer':28s} {'depth':>6s} {'ch':>5s} {'curve':>6s} {'HF/LF':>6s}"]
        for s in self.layers:
            rows.append(f"{s.name:28s} {s.depth:6.0%} {s.channels:5d} {len(s.curve):6d} {len(s.high_low):6d}")
        return "\n".join(rows)

    def counts(self, kind: str = "curve") -> list[int]:
        if kind not in ("curve", "high_low"):
            raise ValueError("kind must be 'curve' or 'high_low'")
        return [len(getattr(s, kind)) for s in self.layers]

    def fractions(self, kind: str = "curve") -> list[float]:
        """Per layer: the fraction of its channels that are ``kind`` detectors."""
        return [n / s.channels for n, s in zip(self.counts(kind), self.layers)]

    def peak_depth(self, kind: str = "curve", null: "ModelScan | None" = None) -> float | None:
        """Depth of the layer with the largest *fraction* of ``kind`` detectors (None if there are none).

        With ``null`` (a scan of an untrained copy, same layers), the largest fraction *above the null's*.
        """
        fr = self.fractions(kind)
        if null is not None:
            if [s.name for s in null.layers] != [s.name for s in self.layers]:
                raise ValueError("the null scan must cover the same layers")
            fr = [a - b for a, b in zip(fr, null.fractions(kind))]
        if not fr or max(fr) <= 0:
            return None
        return self.layers[max(range(len(fr)), key=fr.__getitem__)].depth


def _curves(resp: torch.Tensor, angles: torch.Tensor, keep: torch.Tensor) -> list[tuning.TuningCurve]:
    return [tuning.TuningCurve(angles, resp[:, c], unit=f"channel {int(c)}", source="scan") for c in keep.tolist()]


def _classify(resp: torch.Tensor, angles: torch.Tensor, *, strength: torch.Tensor, floor: float,
              kind: str, max_echo: float, max_width: float, max_opposite: float) -> tuple[list[int], dict[str, torch.Tensor]]:
    """Channels (of resp, (A, C)) that pass the criteria, plus per-channel metrics (NaN where not measured).

    Only channels whose ``strength`` exceeds ``floor`` (an absolute activation) are measured."""
    c = resp.shape[1]
    nan = torch.full((c,), float("nan"), dtype=torch.float64)
    metrics = {"strength": strength.double(), "n_peaks": nan.clone(), "echo": nan.clone(), "width": nan.clone(),
               "opposite": nan.clone(), "preferred": nan.clone()}
    keep = torch.nonzero((strength > 0) & (strength >= floor)).flatten() if c else torch.zeros(0, dtype=torch.long)
    if len(keep) == 0:
        return [], metrics
    tcs = _curves(resp, angles, keep)
    metrics["n_peaks"][keep] = tuning.n_peaks(tcs).double()  # type: ignore[union-attr]
    metrics["echo"][keep] = tuning.echo(tcs)  # type: ignore[index]
    metrics["width"][keep] = tuning.tuning_width(tcs, method="total")  # type: ignore[index]
    metrics["opposite"][keep] = tuning.response_at(tcs, 180.0)  # type: ignore[index]
    metrics["preferred"][keep] = tuning.preferred_orientation(tcs)  # type: ignore[index]
    ok = metrics["n_peaks"] == 1
    if kind == "curve":
        ok &= (metrics["echo"] < max_echo) & (metrics["width"] < max_width)
    else:
        ok &= metrics["opposite"] < max_opposite
    return torch.nonzero(ok).flatten().tolist(), metrics


def scan_model(
    model: nn.Module,
    *,
    name: str | None = None,
    note: str = "",
    size: int = 224,
    angles: "Sequence[float] | torch.Tensor" = tuple(range(0, 360, 5)),
    radii: Sequence[float] = (20.0, 40.0, 60.0, 80.0),
    high_period: float = 4.0,
    low_period: float = 24.0,
    max_depth: float = 1.0,
    layers: Sequence[str] | None = None,
    transform: "Callable[[torch.Tensor], torch.Tensor] | str | None" = "imagenet",
    min_strength: float = 0.05,
    max_echo: float = 0.2,
    max_width: float = 150.0,
    max_opposite: float = 0.5,
    min_boundary: float = 0.5,
    max_straight: float | None = 1.0,
    max_edge: float | None = 1.0,
    max_texture_shift: float | None = 30.0,
    batch_size: int = 16,
    progress: bool = True,
) -> ModelScan:
    """Count curve-like and HF/LF units in every conv layer of ``model`` (see the module docstring).

    Args:
        size: stimulus side in pixels (radii and periods are in pixels of that image).
        angles: evenly spaced orientations covering 360°.
        max_depth: scan only conv layers up to this fraction of the model's depth (the forward pass
            stops after the last one), e.g. 0.6: curves and HF/LF units are early-to-middle features.
        layers: scan only these conv layers (module names), instead of ``max_depth``.
        min_strength: a unit is measured only if its tuning (its best response, minus blank for curves)
            reaches this fraction of the layer's largest activation to any of the stimuli (blank included).
        min_boundary: an HF/LF unit's best two-region response must exceed its best response to either
            texture alone (filling the whole image, 8 orientations) by this fraction of itself, so
            that a unit reacting to the coarse texture's bars, not to the boundary, does not count.
        max_straight: a curve-like unit's best response to straight lines and edges (same thickness and
            contrast, every orientation, minus blank) must stay below this fraction of its curve peak
            (``None``: no straight-stimulus control).
        max_edge: an HF/LF unit's best response to a plain luminance edge of the same RMS contrast as the
            two-region images (grey 0.25 | 0.75) must stay below this fraction of its two-region peak, so that
            boundary (edge) units do not count (``None``: no edge control).
        max_texture_shift: an HF/LF unit must keep its preference when the plaids are replaced by band-limited
            noise of the same periods: its preferred direction may move by at most this many degrees (at least
            one angle step) and its peak must stay at half or more (``None``: no texture control).
        transform: ``"imagenet"`` (torchvision's mean/std normalisation), ``None`` (pixels in
            [0, 1], e.g. for a hand-built network) or any function of the images.
        progress: one progress bar over every batch of stimuli of the scan (:mod:`shared_utils._progress`).
    """
    tf = _transform(transform)
    if not 0 < max_depth <= 1:
        raise ValueError(f"max_depth must be in (0, 1], got {max_depth}")
    ang = torch.as_tensor(angles, dtype=torch.float64).reshape(-1)

    ordered = _order(model, conv_layers(model), size, tf)
    n = len(ordered)
    if layers is not None:
        by_name = {layer.name: i for i, (layer, _) in enumerate(ordered)}
        unknown = [x for x in layers if x not in by_name]
        if unknown:
            raise ValueError(f"no conv layers {unknown}; conv layers are {list(by_name)[:12]}...")
        chosen = sorted(by_name[x] for x in layers)
    else:
        chosen = [i for i in range(n) if (i + 1) / n <= max_depth + 1e-9] or [0]
    probe = _Probe(model, [ordered[i][0] for i in chosen], tf)
    units = list(range(sum(ordered[i][1] for i in chosen)))

    n_batches = math.ceil(len(ang) / batch_size)  # every sweep below, in batches of angles
    texture_angles = torch.arange(0.0, 360.0, 45.0, dtype=torch.float64)
    with bar(total=1 + 5 * n_batches + math.ceil(len(texture_angles) / batch_size),
             desc=f"scanning {name or type(model).__name__}", progress=progress) as shown:

        def sweep(stimuli_fn: Callable[[torch.Tensor], torch.Tensor], angles: torch.Tensor) -> torch.Tensor:
            return tuning._sweep(probe, units, stimuli_fn, angles, pre_relu=False, positions=0,
                                 batch_size=batch_size, done=shown.update)

        blank = probe(torch.ones(1, 3, size, size))[0]  # white: the curves' background
        shown.update(1)
        curve_grid = sweep(lambda a: stimuli.curve_sweep(a, list(radii), size=size), ang)
        hl = sweep(lambda a: stimuli.high_low(a, size=size, high_period=high_period, low_period=low_period), ang)
        curve_resp = (curve_grid.reshape(-1, *curve_grid.shape[-2:]).amax(0) - blank).clamp(min=0).double()  # (A, C)
        hl_resp = hl.double()
        texture_only = sweep(  # (2, A', C): fine texture everywhere, coarse texture everywhere
            lambda a: _texture_controls(a, size, high_period, low_period), texture_angles).double().flatten(0, 1).amax(0)
        straight = sweep(  # (2, A, C): lines and edges, black on white like the curves
            lambda a: torch.stack([stimuli.line(a, size=size), stimuli.edge(a, size=size)]), ang).double()
        grey_edge = sweep(  # (A, C): an edge with the two-region images' RMS contrast
            lambda a: stimuli.edge(a, size=size, foreground=0.25, background=0.75), ang).double().amax(0)
        noise_hl = sweep(  # (A, C): the same two-region images made of noise instead of plaids
            lambda a: stimuli.high_low(a, size=size, high_period=high_period, low_period=low_period, kind="noise"),
            ang).double()
    step = 360.0 / len(ang)
    shift_tol = max(max_texture_shift, step) if max_texture_shift is not None else None
    straight_resp = (straight.flatten(0, 1).amax(0) - blank.double()).clamp(min=0)
    largest = torch.stack([curve_grid.double().flatten(0, -2).amax(0), blank.double(), hl_resp.amax(0), texture_only,
                           straight.flatten(0, 1).amax(0), grey_edge, noise_hl.amax(0)]).amax(0)  # (C,) largest activation

    results = []
    start = 0
    for i in chosen:  # split the concatenated channels back into layers
        layer, width = ordered[i]
        sl = slice(start, start + width)
        start += width
        c_resp, h_resp = curve_resp[:, sl], hl_resp[:, sl]
        floor = min_strength * float(largest[sl].max())
        c_peak = c_resp.max(0).values
        curve_ids, cm = _classify(c_resp, ang, strength=c_peak, floor=floor, kind="curve",
                                  max_echo=max_echo, max_width=max_width, max_opposite=max_opposite)
        cm["straight"] = torch.where(c_peak > 0, straight_resp[sl] / c_peak.clamp(min=1e-300),
                                     torch.full_like(c_peak, float("inf")))
        if max_straight is not None:
            curve_ids = [c for c in curve_ids if float(cm["straight"][c]) < max_straight]
        h_peak = h_resp.max(0).values
        boundary = torch.where(h_peak > 0, 1 - texture_only[sl] / h_peak.clamp(min=1e-300), torch.zeros_like(h_peak))
        hl_ids, hm = _classify(h_resp, ang, strength=h_peak, floor=floor, kind="high_low",
                               max_echo=max_echo, max_width=max_width, max_opposite=max_opposite)
        hm["boundary"] = boundary
        hm["edge"] = torch.where(h_peak > 0, grey_edge[sl] / h_peak.clamp(min=1e-300),
                                 torch.full_like(h_peak, float("inf")))
        n_resp = noise_hl[:, sl]
        moved = torch.remainder(ang[n_resp.argmax(0)] - ang[h_resp.argmax(0)] + 180.0, 360.0) - 180.0
        hm["texture_shift"] = moved.abs()  # degrees the preferred direction moves with noise textures
        hm["texture_ratio"] = torch.where(h_peak > 0, n_resp.max(0).values / h_peak.clamp(min=1e-300),
                                          torch.zeros_like(h_peak))
        hl_ids = [c for c in hl_ids if float(boundary[c]) > min_boundary and c not in curve_ids
                  and (max_edge is None or float(hm["edge"][c]) < max_edge)
                  and (shift_tol is None or (float(hm["texture_shift"][c]) <= shift_tol + 1e-9
                                             and float(hm["texture_ratio"][c]) >= 0.5))]
        metrics = {f"curve_{k}": v for k, v in cm.items()} | {f"hl_{k}": v for k, v in hm.items()}
        metrics["largest"] = largest[sl]
        responses = {"curve": c_resp, "high_low": h_resp, "angles": ang.clone()}
        results.append(LayerScan(layer.name, i, n, width, curve_ids, hl_ids, metrics, responses))
    settings = {"size": size, "angles": len(ang), "radii": list(radii), "max_depth": max_depth,
                "min_strength": min_strength, "max_echo": max_echo, "max_width": max_width, "max_opposite": max_opposite,
                "min_boundary": min_boundary, "max_straight": max_straight, "max_edge": max_edge,
                "max_texture_shift": max_texture_shift}
    return ModelScan(name or type(model).__name__, note, results, settings)


def tuning_curves(
    model: nn.Module,
    layer: str,
    channels: Sequence[int],
    *,
    kind: str = "curve",
    size: int = 224,
    angles: "Sequence[float] | torch.Tensor" = tuple(range(0, 360, 5)),
    radii: Sequence[float] = (20.0, 40.0, 60.0, 80.0),
    high_period: float = 4.0,
    low_period: float = 24.0,
    transform: "Callable[[torch.Tensor], torch.Tensor] | str | None" = "imagenet",
    note: str = "",
    batch_size: int = 16,
    progress: bool = True,
) -> list[tuning.TuningCurve]:
    """The tuning curves a :func:`scan_model` measured for some channels of one conv layer, to plot them.

    ``kind="curve"``: response to curves (max over ``radii``) minus the response to a blank image;
    ``kind="high_low"``: response to the two-region images. Units are named ``"<layer> <channel>"``.
    ``progress`` shows a bar over the batches of angles (:mod:`shared_utils._progress`).
    """
    if kind not in ("curve", "high_low"):
        raise ValueError("kind must be 'curve' or 'high_low'")
    tf = _transform(transform)
    found = [layer_ for layer_ in conv_layers(model) if layer_.name == layer]
    if not found:
        raise ValueError(f"{type(model).__name__} has no conv layer {layer!r}; see conv_layers(model)")
    probe = _Probe(model, found, tf)
    chans = [int(c) for c in channels]
    ang = torch.as_tensor(angles, dtype=torch.float64).reshape(-1)
    if kind == "curve":
        grid = tuning.sweep_responses(probe, chans, lambda a: stimuli.curve_sweep(a, list(radii), size=size), ang,
                                      positions=0, batch_size=batch_size, progress=progress)
        blank = probe(torch.ones(1, 3, size, size))[0, chans]
        resp = (grid.reshape(-1, *grid.shape[-2:]).amax(0) - blank).clamp(min=0)
        what = "curves, max over radius, minus blank"
    else:
        resp = tuning.sweep_responses(
            probe, chans, lambda a: stimuli.high_low(a, size=size, high_period=high_period, low_period=low_period),
            ang, positions=0, batch_size=batch_size, progress=progress)
        what = "high-low images"
    return [tuning.TuningCurve(ang, resp[:, i], unit=f"{layer} {c}", source=f"model: {what}",
                               note=" [UNTRAINED: random weights, not a finding]" if "UNTRAINED" in note else "")
            for i, c in enumerate(chans)]


# ============================================================================ picture


def plot_depth_profile(scans: Sequence[ModelScan], *, kinds: Sequence[str] = ("curve", "high_low"),
                       hf_band: tuple[float, float] = (0.29, 0.33)):
    """Fraction of each layer's channels that are detectors, against depth; one line per model.

    The grey band marks the 29-33 % depth where the HF/LF article found HF/LF units in four models
    (science.md §10). Titles carry each model's weights note.
    """
    import matplotlib.pyplot as plt

    kinds = list(kinds)
    fig, axes = plt.subplots(1, len(kinds), figsize=(5.2 * len(kinds), 3.8), squeeze=False, layout="constrained")
    labels = {"curve": "curve-like units", "high_low": "high-low frequency units"}
    for ax, kind in zip(axes[0], kinds):
        for scan in scans:
            x = [s.depth for s in scan.layers]
            y = [len(getattr(s, kind)) / s.channels for s in scan.layers]
            ax.plot(x, y, "o-", ms=3, label=scan.name + ("" if "UNTRAINED" not in scan.note else " (UNTRAINED)"))
        if kind == "high_low":
            ax.axvspan(*hf_band, color="0.85", zorder=0, label="HF/LF in the article (29-33 %)")
        ax.set(xlim=(0, 1), xlabel="depth (conv layer / number of conv layers)", ylabel="fraction of channels",
               title=labels.get(kind, kind))
        ax.legend(fontsize=7)
    untrained = [s.name for s in scans if "UNTRAINED" in s.note]
    fig.suptitle("Detectors found by stimulus tuning"
                 + (f"  [UNTRAINED: {', '.join(untrained)}: random weights, not a finding]" if untrained else ""),
                 fontsize=9)
    return fig


# ============================================================================ controls and circuits


def kernel_smoothness(weight: torch.Tensor) -> float:
    """How smooth conv kernels are: the correlation between spatially neighbouring kernel entries.

    Each (k, k) kernel of ``weight`` (out, in, k, k) has its own mean removed; then every pair of
    horizontally or vertically adjacent entries, pooled over all kernels, gives one Pearson
    correlation. Independent random entries give about -1 / (k*k - 1) (-0.125 for 3x3: the mean
    removal); trained first-layer kernels (smooth blobs, edges, colour opponents) give clearly positive values.
    """
    w = torch.as_tensor(weight).detach().double().cpu()
    if w.ndim != 4 or w.shape[-1] < 2 or w.shape[-2] < 2:
        raise ValueError(f"expected conv weights (out, in, k, k) with k >= 2, got {tuple(w.shape)}")
    w = w - w.mean(dim=(-1, -2), keepdim=True)
    a = torch.cat([w[..., :, :-1].flatten(), w[..., :-1, :].flatten()])
    b = torch.cat([w[..., :, 1:].flatten(), w[..., 1:, :].flatten()])
    return float(torch.corrcoef(torch.stack([a, b]))[0, 1])


def shuffled_copy(model: nn.Module, seed: int = 0) -> nn.Module:
    """A copy of ``model`` whose every ``Conv2d`` has its weights, and separately its biases, randomly permuted.

    Each layer keeps exactly its trained values (their distribution, scale and mean), but not their
    arrangement: the shuffled-weight control of Lab 10. The original is not changed.
    """
    import copy

    out = copy.deepcopy(model)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in out.modules():
            if isinstance(m, nn.Conv2d):
                w = m.weight
                m.weight.copy_(w.flatten()[torch.randperm(w.numel(), generator=gen).to(w.device)].view_as(w))
                if m.bias is not None:
                    b = m.bias
                    m.bias.copy_(b[torch.randperm(b.numel(), generator=gen).to(b.device)])
    info = getattr(model, "weights_info", None)
    if info is not None:  # a shuffled network is not the trained one: label it like an untrained one
        try:
            out.weights_info = type(info)(trained=False, source=f"{info.source}, weights shuffled (seed {seed})")
        except TypeError:
            pass
    return out


@dataclass
class CircuitTest:
    """The curve-circuit signature between two families, against a label-shuffle null (Lab 10).

    ``weights`` (n_dst, n_src) are the direct conv weights summed over the kernel; ``statistic`` the
    correlation of those weights with cos(orientation offset); ``null`` the same statistic with the
    source units' orientation labels shuffled; ``p_value`` one-sided, (1 + #null >= statistic) / (1 + n).
    """

    src: str
    dst: str
    src_units: list[int]
    dst_units: list[int]
    src_deg: torch.Tensor
    dst_deg: torch.Tensor
    weights: torch.Tensor
    statistic: float
    null: torch.Tensor
    p_value: float
    note: str = ""

    def profile(self, bin_width: float = 45.0) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean summed weight per orientation-offset bin (dst - src), centres in [-180, 180)."""
        off = torch.remainder(self.dst_deg[:, None] - self.src_deg[None, :] + 180.0, 360.0) - 180.0
        n_bins = int(round(360.0 / bin_width))
        idx = torch.remainder(torch.round(off / bin_width), n_bins).long().flatten()
        totals = torch.zeros(n_bins, dtype=torch.float64).index_add_(0, idx, self.weights.flatten().double())
        counts = torch.zeros(n_bins, dtype=torch.float64).index_add_(0, idx, torch.ones_like(idx, dtype=torch.float64))
        centres = torch.remainder(torch.arange(n_bins, dtype=torch.float64) * bin_width + 180.0, 360.0) - 180.0
        order = torch.argsort(centres)
        means = torch.where(counts > 0, totals / counts.clamp(min=1), torch.full_like(totals, float("nan")))
        return centres[order], means[order]


def summed_weights(model: nn.Module, src: str, dst: str, src_units: Sequence[int],
                   dst_units: Sequence[int]) -> torch.Tensor:
    """(n_dst, n_src): the conv ``dst``'s weights from channels ``src_units`` of ``src`` to ``dst_units``, summed
    over the kernel. ``dst`` must read ``src``'s output directly (maybe through a ReLU or a max-pool)."""
    mods = dict(model.named_modules())
    for name in (src, dst):
        if not isinstance(mods.get(name), nn.Conv2d):
            names = [c.name for c in conv_layers(model)][:16]
            raise ValueError(f"{name!r} is not a Conv2d of the model; conv layers are {names}")
    a, b = mods[src], mods[dst]
    if b.in_channels != a.out_channels:  # type: ignore[union-attr]
        raise ValueError(f"{dst} reads {b.in_channels} channels, {src} has {a.out_channels}: "  # type: ignore[union-attr]
                         "they are not directly connected")
    w = mods[dst].weight.detach().double().cpu()  # type: ignore[union-attr]
    return w[list(dst_units)][:, list(src_units)].sum(dim=(-1, -2))


def offset_statistic(weights: torch.Tensor, src_deg: torch.Tensor, dst_deg: torch.Tensor) -> float:
    """Pearson correlation between summed weights (n_dst, n_src) and cos(dst angle - src angle).

    Positive when similarly oriented pairs excite and opposite ones inhibit: the curve-circuit
    signature of *Curve Circuits* (science.md §3.1). Needs at least two units on each side.
    """
    w = torch.as_tensor(weights, dtype=torch.float64)
    s = torch.as_tensor(src_deg, dtype=torch.float64).flatten()
    d = torch.as_tensor(dst_deg, dtype=torch.float64).flatten()
    if w.shape != (len(d), len(s)) or len(s) < 2 or len(d) < 2:
        raise ValueError(f"weights {tuple(w.shape)} must be (n_dst, n_src) with n_dst={len(d)}, n_src={len(s)} >= 2")
    c = torch.cos(torch.deg2rad(d[:, None] - s[None, :]))
    return float(torch.corrcoef(torch.stack([w.flatten(), c.flatten()]))[0, 1])


def label_shuffle_test(weights: torch.Tensor, src_deg: torch.Tensor, dst_deg: torch.Tensor, *, n: int = 2000,
                       seed: int = 0) -> tuple[float, torch.Tensor, float]:
    """``(statistic, null, p_value)``: :func:`offset_statistic`, and the same with the source units'
    orientation labels permuted ``n`` times; one-sided p = (1 + #(null >= statistic)) / (1 + n)."""
    obs = offset_statistic(weights, src_deg, dst_deg)
    w = torch.as_tensor(weights, dtype=torch.float64)
    s = torch.as_tensor(src_deg, dtype=torch.float64).flatten()
    d = torch.as_tensor(dst_deg, dtype=torch.float64).flatten()
    gen = torch.Generator().manual_seed(seed)
    perms = torch.stack([torch.randperm(len(s), generator=gen) for _ in range(n)]) if n else torch.zeros(0, len(s)).long()
    wc = (w - w.mean()).flatten()
    null = torch.empty(n, dtype=torch.float64)
    for i in range(0, n, 256):  # the same statistic as offset_statistic, for 256 relabellings at a time
        c = torch.cos(torch.deg2rad(d[None, :, None] - s[perms[i:i + 256]][:, None, :])).flatten(1)
        c = c - c.mean(dim=1, keepdim=True)
        null[i:i + 256] = (c @ wc) / (c.norm(dim=1) * wc.norm()).clamp(min=1e-300)
    p = (1 + int((null >= obs - 1e-12).sum())) / (1 + n)
    return obs, null, p


def circuit_test(model: nn.Module, scan: ModelScan, src: str, dst: str, *, n: int = 2000, seed: int = 0) -> CircuitTest:
    """The curve-like units a scan found in ``src`` and ``dst``, ordered by preferred orientation, their summed
    direct weights, and :func:`label_shuffle_test` on them."""
    by_name = {s.name: s for s in scan.layers}
    missing = [x for x in (src, dst) if x not in by_name]
    if missing:
        raise ValueError(f"the scan has no layers {missing}; it has {list(by_name)}")
    a, b = by_name[src], by_name[dst]
    pa, pb = a.metrics["curve_preferred"], b.metrics["curve_preferred"]
    su = sorted(a.curve, key=lambda c: float(pa[c]))
    du = sorted(b.curve, key=lambda c: float(pb[c]))
    if len(su) < 2 or len(du) < 2:
        raise ValueError(f"{src} has {len(su)} and {dst} {len(du)} curve-like units: at least 2 each are needed")
    w = summed_weights(model, src, dst, su, du)
    sd, dd = pa[su].double(), pb[du].double()
    obs, null, p = label_shuffle_test(w, sd, dd, n=n, seed=seed)
    return CircuitTest(src, dst, su, du, sd, dd, w, obs, null, p, scan.note)

