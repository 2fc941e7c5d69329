"""Feature visualisation: optimise an image until a unit, a direction or a whole family fires.

Usage::

    r = render_units(model, "3b:379 3b:406 3b:385")  # ONE batched optimisation, image i excites unit i
    r = render_unit(model, "3b:379", n=4)            # four images of one unit, pushed apart (diversity)
    r = render_direction(model, "mixed3b", vector)   # a direction in the layer's channel space
    r.images.shape                                   # (N, H, W, 3) floats in [0, 1]; r.units says which is which
    from shared_utils.plot.features import show_renders; show_renders(r)

What a student does with it: look at what a neuron "wants" (docs/science.md §2.2) before and after
reading its weights, render a family side by side, and check a circuit edit by re-rendering.

How it works (lucent's recipe, the defaults of ``render_vis``): the image is lucent's ``param.image(size)``
(FFT spectrum + colour decorrelation + sigmoid), each step applies lucent's
``transform.standard_transforms`` (pad 12, jitter 8, scale 0.9-1.1, rotate ±10°, jitter 4), the
model's preprocessing ``x*255-117``, a resize to 224 px when the image is smaller (lucent's rule;
``input_size``), and Adam with lr 0.05. Differences from ``lucent.optvis.render.render_vis``:

* the forward pass **stops at the target**: a hook on the layer feeding the target raises, so the
  rest of the network never runs; inside a mixed block only the branch(es) holding the target
  channels are computed (3b:379 needs the 5x5 branch, not the 3x3 one). The values are the same.
* a family is rendered in **one batch** (slot i optimises unit i). Each slot has its own
  parameters and Adam state, so this equals separate renders except that all slots share each
  step's random jitter/scale/rotation.
* it uses channels-last tensors (``_lucent.fast_input``, shared with ``activations``) and the
  model's own (Lucid's) local response norm; no hooks stay behind (also when a
  render fails or is interrupted); results can be cached.
* the objective reads the **pre-ReLU** value by default (``pre_relu=True``, like Lucid's
  ``"mixed4a_pre_relu:476"``): a unit that starts negative still gets a gradient.
* lucent hard-codes ``cuda:0`` inside its parameterisation and transforms; here they follow the
  model's device (``_lucent.lucent_on``). Renders run one at a time: a render started while another
  thread renders (the neuron explorer in the background) waits for it.

Redirected ReLU: the course model has plain ReLUs (``load_inceptionv1(redirected_relu=False)``),
which is right for activations and weights. Plain ReLUs can stall a render when the units between
the image and the target start inactive (flat grey images). If that happens, render with a second
model loaded as ``load_inceptionv1(redirected_relu=True)``; use it for rendering only (its gradients
are deliberately wrong; docs/science.md §1.1). The cache keeps the two apart.

(lucent redirects every step; Lucid only did so for the first steps.)

Defaults: ``steps``/``size`` come from :func:`shared_utils.device.budget` for the model's device
(512 steps at 224 px on a GPU, a 64-step 128 px preview on a CPU, tiny in fast mode); pass them to
override. ``cache=<folder>`` stores each render under a key made of the model's weights (a hash of
every tensor, so an edited model is a different model), ReLU kind, units, objective, steps, size,
seed, transforms and the other settings: re-running a notebook reads the images back. A render is
seeded (``seed``) and repeatable on the CPU; GPUs may differ in the last bits.

Renders of the untrained stand-in show nothing about the real network: ``Rendered.label`` says so.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import _cache
from ._progress import bar
from .device import budget, model_device
from .inception import _lucent
from .inception._arch import BLOCKS, OP, block_input
from .inception._hooks import run_to
from .inception.model import WeightsInfo, preprocess, weights_digest, weights_info
from .inception.names import BRANCHES, LAYERS, POOLS, Unit, branch_of, layer_channels, parse_units, resolve_layer

__all__ = ["Rendered", "render_units", "render_unit", "render_direction", "LEARNING_RATE", "DIVERSITY_WEIGHT"]

#: Adam's learning rate in lucent's ``render_vis``.
LEARNING_RATE = 5e-2
#: Weight of the diversity term when several images of one target are rendered (lucent's notebook).
DIVERSITY_WEIGHT = 1e2
#: Which layer feeds each mixed block (lucent's InceptionV1 forward).
_BLOCK_INPUT = {block: block_input(block) for block in BLOCKS}
_CACHE_VERSION = 1


@dataclass
class Rendered:
    """Rendered images and what they show.

    ``images[i]`` (H, W, 3, floats in [0, 1]) excites ``units[i]``; ``trace[t, i]`` is that slot's
    objective (activation, or cosine similarity for a direction; higher is better) at step ``t``.
    """

    images: np.ndarray
    units: list[str]
    weights: WeightsInfo
    trace: np.ndarray
    settings: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The model's label: says UNTRAINED loudly for the random stand-in."""
        return self.weights.label

    def __len__(self) -> int:
        return len(self.images)


@dataclass(frozen=True, eq=False)
class _Slot:
    """One batch slot's objective: ``kind`` of ``site`` (a layer or branch name) at ``channel``."""

    name: str
    site: str
    pre_relu: bool
    kind: str  # "channel" | "neuron" | "direction" | "direction_neuron"
    channel: int = -1
    vector: "torch.Tensor | None" = None


class _StopForward(Exception):
    """Raised from a hook once every layer an objective needs has been computed."""


# ----------------------------------------------------------------------------- truncated forward


def _block_of(site: str) -> tuple[str, str] | None:
    """``'mixed3b_5x5'`` -> ``('mixed3b', '5x5')``; ``'mixed3b'`` -> ``('mixed3b', '')``; else None."""
    block, _, part = site.partition("_")
    return (block, part) if block in _BLOCK_INPUT else None


def _branch(model: nn.Module, block: str, part: str, x: torch.Tensor, pre_relu: bool) -> torch.Tensor:
    """One branch (or bottleneck) of a mixed block from the block's input, as lucent's forward does it."""

    def m(name: str) -> nn.Module:
        return getattr(model, f"{block}_{name}")

    if part.endswith("_bottleneck"):
        pre = m(f"{part}_pre_relu_conv")(x)
    elif part == "1x1":
        pre = m("1x1_pre_relu_conv")(x)
    elif part in ("3x3", "5x5"):
        before, after = OP[f"{block}_{part}"].pad
        hidden = m(f"{part}_bottleneck")(m(f"{part}_bottleneck_pre_relu_conv")(x))
        pre = m(f"{part}_pre_relu_conv")(F.pad(hidden, (before, after, before, after)))
    elif part == "pool_reduce":
        pool = OP[f"{block}_pool"]
        (before, after), k, s = pool.pad, pool.kernel, pool.stride
        pooled = m("pool")(F.pad(x, (before, after, before, after), value=float("-inf")), kernel_size=(k, k),
                           stride=(s, s), padding=0, ceil_mode=False)
        pre = m("pool_reduce_pre_relu_conv")(pooled)
    else:
        raise ValueError(f"{block} has no part {part!r}")
    return pre if pre_relu else m(part)(pre)


def _module_for(site: str, pre_relu: bool) -> str:
    return f"{site}_pre_relu_conv" if pre_relu and site not in POOLS else site


def _forward_to(
    model: nn.Module, x: torch.Tensor, sites: Iterable[tuple[str, bool]]
) -> dict[tuple[str, bool], torch.Tensor]:
    """Values of ``sites`` ((layer or branch, pre_relu) pairs) for preprocessed input ``x``.

    The model's forward is cut (a hook raises) as soon as every needed module has run; targets
    inside a mixed block are then computed from the block's input, branch by branch.
    """
    sites = list(dict.fromkeys(sites))
    needed: set[str] = set()  # modules whose outputs are needed
    for site, pre in sites:
        blk = _block_of(site)
        needed.add(_BLOCK_INPUT[blk[0]] if blk is not None else _module_for(site, pre))
    modules = dict(model.named_modules())
    missing = [name for name in needed if name not in modules]
    if missing:
        raise ValueError(f"this model has no module(s) {missing}; is it an InceptionV1 from load_inceptionv1?")
    seen = run_to(model, x, {name: modules[name] for name in needed})
    out: dict[tuple[str, bool], torch.Tensor] = {}
    for site, pre in sites:
        blk = _block_of(site)
        if blk is None:
            out[(site, pre)] = seen[_module_for(site, pre)]
            continue
        block, part = blk
        inp = seen[_BLOCK_INPUT[block]]
        if part:
            out[(site, pre)] = _branch(model, block, part, inp, pre)
        else:
            out[(site, pre)] = torch.cat([_branch(model, block, b, inp, pre) for b in BRANCHES], dim=1)
    return out


# ----------------------------------------------------------------------------- objectives


def _values(acts: dict[tuple[str, bool], torch.Tensor], slots: Sequence[_Slot]) -> torch.Tensor:
    """(N,) objective of every slot (higher is better), vectorised over slots that share a site."""
    out = [torch.empty(0)] * len(slots)
    groups: dict[tuple[str, bool, str], list[int]] = {}
    for i, s in enumerate(slots):
        groups.setdefault((s.site, s.pre_relu, s.kind), []).append(i)
    for (site, pre, kind), rows in groups.items():
        a = acts[(site, pre)]
        idx = torch.tensor(rows, device=a.device)
        if kind.startswith("direction"):
            vecs = torch.stack([slots[i].vector for i in rows]).to(a)  # type: ignore[misc]
            maps = F.cosine_similarity(a[idx], vecs[:, :, None, None], dim=1)  # (n, H, W)
        else:
            ch = torch.tensor([slots[i].channel for i in rows], device=a.device)
            maps = a[idx, ch]  # (n, H, W)
        if kind.endswith("neuron"):  # lucent's centre: bottom-right of the middle 2x2 for even sizes
            vals = maps[:, maps.shape[1] // 2, maps.shape[2] // 2]
        else:
            vals = maps.mean(dim=(1, 2))
        for j, i in enumerate(rows):
            out[i] = vals[j]
    return torch.stack(out)


def _diversity(a: torch.Tensor) -> torch.Tensor:
    """Lucid's diversity penalty: summed cosine similarity of the images' Gram matrices, / batch."""
    flat = a.flatten(2)
    grams = F.normalize((flat @ flat.transpose(1, 2)).flatten(1), dim=1)
    sim = grams @ grams.T
    return (sim.sum() - sim.diagonal().sum()) / a.shape[0]


# ----------------------------------------------------------------------------- cache


def _relu_kind(model: nn.Module) -> str:
    relu = getattr(model, "conv2d0", None)
    return type(relu).__name__ if relu is not None else "unknown"


def _cache_path(cache: "str | Path", model: nn.Module, slots: Sequence[_Slot], settings: dict) -> Path:
    described = [
        [s.name, s.site, s.pre_relu, s.kind, s.channel,
         None if s.vector is None else _cache.digest(s.vector.double())]
        for s in slots
    ]
    key = _cache.key(_CACHE_VERSION, weights_info(model).source, weights_digest(model), _relu_kind(model),
                     described, settings)
    return Path(cache) / f"render-{key}.npz"


def _load(path: Path) -> Rendered:
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        return Rendered(z["images"].copy(), meta["units"], WeightsInfo(**meta["weights"]), z["trace"].copy(),
                        meta["settings"])


def _save(path: Path, r: Rendered) -> None:
    meta = {"units": r.units, "weights": {"trained": r.weights.trained, "source": r.weights.source},
            "settings": r.settings}

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:  # a file object: np.savez would add ".npz" to a name
            np.savez(f, images=r.images, trace=r.trace, meta=np.array(json.dumps(meta)))

    _cache.atomic_save(path, write=write)


# ----------------------------------------------------------------------------- the optimisation


def _check_settings(steps: int, size: int, input_size: "int | None", lr: float) -> None:
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
        raise ValueError(f"steps must be a whole number >= 0, got {steps!r}")
    if not isinstance(size, int) or isinstance(size, bool) or size < 8:
        raise ValueError(f"size must be a whole number of pixels >= 8, got {size!r}")
    if input_size is not None and (not isinstance(input_size, int) or input_size < 8):
        raise ValueError(f"input_size must be 'auto', None or a whole number of pixels >= 8, got {input_size!r}")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")


def _render(
    model: nn.Module,
    slots: list[_Slot],
    *,
    diversity: float,
    steps: "int | None",
    size: "int | None",
    seed: int,
    transforms: bool,
    input_size: "int | None | str",
    lr: float,
    cache: "str | Path | None",
    progress: bool,
) -> Rendered:
    device = model_device(model)
    plan = budget(device)
    steps = plan.render_steps if steps is None else steps
    size = plan.render_size if size is None else size
    input_size = plan.render_input_size if input_size == "auto" else input_size
    _check_settings(steps, size, input_size, lr)
    settings = {"steps": steps, "size": size, "seed": seed, "transforms": bool(transforms), "input_size": input_size,
                "lr": lr, "diversity": float(diversity)}
    path = _cache_path(cache, model, slots, settings) if cache is not None else None
    cached = _cache.load(path, _load)
    if cached is not None:
        return cached

    sites = list(dict.fromkeys((s.site, s.pre_relu) for s in slots))
    n = len(slots)
    trace = np.zeros((steps, n), dtype=np.float32)
    fork = [device.index if device.index is not None else torch.cuda.current_device()] if device.type == "cuda" else []
    np_state = np.random.get_state()  # lucent's transforms draw from numpy's global generator
    try:
        with torch.random.fork_rng(devices=fork), torch.enable_grad(), _lucent.lucent_on(device):
            torch.manual_seed(seed)
            np.random.seed(seed % 2**32)
            params, image_f = _lucent.param.image(size, batch=n)
            optimizer = torch.optim.Adam(params, lr=lr)
            pipeline = list(_lucent.transform.standard_transforms) if transforms else []
            resize = input_size is not None and size < input_size
            for step in bar(range(steps), desc=f"rendering {n} image(s)", progress=progress):
                optimizer.zero_grad(set_to_none=True)
                x = image_f()
                for t in pipeline:
                    x = t(x)
                x = preprocess(x)
                if resize:
                    x = F.interpolate(x, size=(input_size, input_size), mode="bilinear", align_corners=True)
                x = _lucent.fast_input(x)
                acts = _forward_to(model, x, sites)
                values = _values(acts, slots)
                if diversity:  # lucent's recipe: channel(layer, n) - w * diversity(layer), a batch mean
                    loss = -values.mean() + diversity * _diversity(acts[sites[0]])
                else:  # lucent's family recipe, sum_i channel(layer, n_i, batch=i): slots are independent
                    loss = -values.sum()
                loss.backward()
                optimizer.step()
                trace[step] = values.detach().float().cpu().numpy()
            with torch.no_grad():
                images = image_f().detach().permute(0, 2, 3, 1).float().cpu().numpy()
    finally:
        np.random.set_state(np_state)
    result = Rendered(images.astype(np.float32), [s.name for s in slots], weights_info(model), trace, settings)
    if path is not None:
        _save(path, result)
    return result


# ----------------------------------------------------------------------------- public API


def _slot_for(unit: Unit, kind: str, pre_relu: bool) -> _Slot:
    if kind not in ("channel", "neuron"):
        raise ValueError(f"objective must be 'channel' (whole feature map) or 'neuron' (centre position), got {kind!r}")
    layer = unit.layer
    if layer in LAYERS and LAYERS[layer].branches:  # only the branch holding the channel is computed
        b = branch_of(unit)
        return _Slot(unit.short, b.branch, pre_relu, kind, b.local)
    if layer in POOLS:
        pre_relu = False  # a max-pool has no pre-ReLU value
    return _Slot(unit.short, layer, pre_relu, kind, unit.channel)


def render_units(
    model: nn.Module,
    units: "str | Iterable[str | Unit | int]",
    *,
    layer: "str | None" = None,
    objective: str = "channel",
    pre_relu: bool = True,
    steps: "int | None" = None,
    size: "int | None" = None,
    seed: int = 0,
    transforms: bool = True,
    input_size: "int | None | str" = "auto",
    lr: float = LEARNING_RATE,
    cache: "str | Path | None" = None,
    progress: bool = True,
) -> Rendered:
    """Render a family of units in ONE batched optimisation: image ``i`` maximises unit ``i``.

    Args:
        units: ``"3b:379 3b:406"``, a list of ids or :class:`~shared_utils.inception.names.Unit`, or channel
            numbers with ``layer=`` (``render_units(model, [379, 406], layer="mixed3b")``).
        objective: ``"channel"`` (mean over the feature map, lucent's ``channel``) or ``"neuron"``
            (the centre position only, lucent's ``neuron``).
        pre_relu: optimise the value before the unit's ReLU (default; see the module docstring).
        steps, size: optimisation steps and image side; ``None`` takes ``device.budget()``'s values
            for the model's device (fast on a GPU, a preview on a CPU).
        seed: the same seed gives the same images on the CPU.
        transforms: lucent's standard transforms (jitter, scale, rotate) each step; ``False`` for none.
        input_size: images smaller than this are resized to it before the model (lucent's rule:
            224); ``None`` feeds them at their own size; ``"auto"`` (default) takes
            ``device.budget()``'s value: 224, or ``None`` in fast mode (autograding, CI).
        cache: a directory; a render with the same model weights and settings is read back from it.

    Returns:
        :class:`Rendered` with ``images`` (N, size, size, 3) and ``units`` in the order given.
    """
    parsed = parse_units(units, layer)
    if not parsed:
        raise ValueError("give at least one unit, e.g. render_units(model, '3b:379 3b:406')")
    slots = [_slot_for(u, objective, pre_relu) for u in parsed]
    return _render(model, slots, diversity=0.0, steps=steps, size=size, seed=seed, transforms=transforms,
                   input_size=input_size, lr=lr, cache=cache, progress=progress)


def render_unit(
    model: nn.Module,
    unit: "str | Unit",
    *,
    n: int = 1,
    diversity: "float | None" = None,
    objective: str = "channel",
    pre_relu: bool = True,
    steps: "int | None" = None,
    size: "int | None" = None,
    seed: int = 0,
    transforms: bool = True,
    input_size: "int | None | str" = "auto",
    lr: float = LEARNING_RATE,
    cache: "str | Path | None" = None,
    progress: bool = True,
) -> Rendered:
    """``n`` images of one unit in one batch; with ``n > 1`` a diversity term pushes them apart.

    ``diversity`` weighs lucent's diversity penalty (the Gram matrices of the images at the
    unit's layer or branch); default :data:`DIVERSITY_WEIGHT` when ``n > 1``, 0 for one image.
    Other arguments as in :func:`render_units`.
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n (how many images) must be a whole number >= 1, got {n!r}")
    weight = (DIVERSITY_WEIGHT if n > 1 else 0.0) if diversity is None else float(diversity)
    u = parse_units([unit])[0]
    slots = [_slot_for(u, objective, pre_relu)] * n
    return _render(model, slots, diversity=weight, steps=steps, size=size, seed=seed, transforms=transforms,
                   input_size=input_size, lr=lr, cache=cache, progress=progress)


def render_direction(
    model: nn.Module,
    layer: str,
    direction: "torch.Tensor | np.ndarray | Sequence[float]",
    *,
    name: "str | None" = None,
    n: int = 1,
    diversity: "float | None" = None,
    objective: str = "channel",
    pre_relu: bool = True,
    steps: "int | None" = None,
    size: "int | None" = None,
    seed: int = 0,
    transforms: bool = True,
    input_size: "int | None | str" = "auto",
    lr: float = LEARNING_RATE,
    cache: "str | Path | None" = None,
    progress: bool = True,
) -> Rendered:
    """Render a direction (one weight per channel of ``layer``): lucent's ``direction`` objective.

    The objective is the cosine similarity between ``direction`` and the activation vector,
    averaged over all positions (``objective="channel"``, lucent's ``direction``) or at the centre
    position (``objective="neuron"``, lucent's ``direction_neuron``). ``layer`` may be a whole layer
    (``"mixed3b"``, 480 channels) or a branch (``"mixed3b_5x5"``, 96). ``n``/``diversity`` as in
    :func:`render_unit`; other arguments as in :func:`render_units`.
    """
    if objective not in ("channel", "neuron"):
        raise ValueError(f"objective must be 'channel' (all positions) or 'neuron' (centre position), "
                         f"got {objective!r}")
    site = resolve_layer(layer)
    vec = torch.as_tensor(np.asarray(direction, dtype=np.float32)).flatten()
    channels = layer_channels(site)
    if vec.numel() != channels:
        raise ValueError(f"{site} has {channels} channels, so the direction needs {channels} numbers; "
                         f"got {vec.numel()}.")
    if not torch.isfinite(vec).all() or float(vec.norm()) == 0.0:
        raise ValueError("the direction must be finite and not all zeros")
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n (how many images) must be a whole number >= 1, got {n!r}")
    pre_relu = pre_relu and site not in POOLS  # a max-pool has no pre-ReLU value
    weight = (DIVERSITY_WEIGHT if n > 1 else 0.0) if diversity is None else float(diversity)
    label = name or f"{site} direction"
    slot = _Slot(label, site, pre_relu, "direction_neuron" if objective == "neuron" else "direction", -1, vec)
    return _render(model, [slot] * n, diversity=weight, steps=steps, size=size, seed=seed, transforms=transforms,
                   input_size=input_size, lr=lr, cache=cache, progress=progress)
