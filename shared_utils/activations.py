"""Get activations: any set of layers, one forward pass that stops early, hooks always removed.

Usage::

    acts = capture(model, images01, ["conv2d2", "mixed3b"])      # dict layer -> (N, C, H, W)
    stats = channel_stats(model, sample, ["mixed3a", "mixed3b"])  # max/argmax/mean over 1000 photos

Inputs are pixels in [0, 1]; the model's own preprocessing (``x*255-117``) is applied here.
The forward pass stops right after the deepest layer asked for, so asking for ``conv2d0`` costs
only the first convolution. The model computes Lucid's local response norm, with the course's
faster kernels (channels-last tensors, the LRN's window summed as slices: ``shared_utils/inception/_lucent.py``);
the values equal a plain forward to float32 round-off. ``benchmarks/bench_activations.py`` measures the gain.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import torch
from torch import nn

from . import _cache
from ._progress import bar
from .device import budget, model_device
from .inception import _lucent
from .inception._hooks import run_to
from .inception.model import _check_batch, _check_range01, preprocess, weights_digest
from .inception.names import BRANCHES, LAYERS, resolve_layer

__all__ = ["capture", "capture_units", "ChannelStats", "channel_stats", "forward_logits", "image_source"]


def _modules(model: nn.Module) -> dict[str, nn.Module]:
    return dict(model.named_modules())


def _targets(layer: str, pre_relu: bool) -> list[str]:
    """lucent module names whose outputs make up ``layer`` (several for a pre-ReLU mixed layer)."""
    canonical = resolve_layer(layer)
    if not pre_relu:
        return [canonical]
    if canonical in LAYERS and LAYERS[canonical].branches:
        return [f"{canonical}_{b}_pre_relu_conv" for b in BRANCHES]
    if canonical.startswith("maxpool"):
        raise ValueError(f"{canonical} is a pooling layer; it has no pre-ReLU value")
    return [f"{canonical}_pre_relu_conv"]


#: lucent's forward ends with ``F.avg_pool2d(mixed5b, kernel_size=(7, 7))`` reshaped to (-1, 1024): the
#: classifier needs mixed5b to be exactly 7x7 (a larger map would give several rows of logits per image).
_CLASSIFIER_POOL = 7


def _node(target: str) -> str:
    """The geometry-graph node (shared_utils.weights) of a module name: pre-ReLU convs are the same node."""
    return target[: -len("_pre_relu_conv")] if target.endswith("_pre_relu_conv") else target


def _min_sizes(model: nn.Module, targets: Iterable[str], size: int = 1) -> dict[str, int]:
    """Smallest input side at which each target has ``size`` positions, from the architecture's geometry."""
    from .inception.graph import inception_graph

    try:
        graph = inception_graph(model)
    except (TypeError, ValueError):
        return {}  # not lucent's InceptionV1: nothing to compute it from (torch's own error will say it)
    return {t: graph.min_input_size(_node(t), size) for t in targets if _node(t) in graph.ops}


def _check_input_size(model: nn.Module, x: torch.Tensor, targets: Iterable[str]) -> None:
    """Refuse, before running, images too small for the deepest layer asked for (torch: "Output size is too small")."""
    need = _min_sizes(model, targets)
    if not need:
        return
    deepest = max(need, key=lambda t: need[t])
    h, w = int(x.shape[-2]), int(x.shape[-1])
    if h < need[deepest] or w < need[deepest]:
        n = need[deepest]
        raise ValueError(
            f"{_node(deepest)} needs images of at least {n} x {n} pixels; these are {h} x {w} (height x width). "
            f"Use larger images (the course's photos are 224 px; resize with shared_utils.data.load_image(path, 224) "
            f"or torch.nn.functional.interpolate), or ask for a shallower layer."
        )


def _run_to(model: nn.Module, x: torch.Tensor, needed: set[str], grad: bool) -> dict[str, torch.Tensor]:
    """Outputs of the modules named in ``needed``, from a forward pass that stops once all are seen.

    Runs on a channels-last input (``_lucent.fast_input``): the outputs may be channels-last tensors. Every hook is removed again, also on error.
    """
    modules = _modules(model)
    missing = sorted(t for t in needed if t not in modules)
    if missing:
        raise ValueError(f"this model has no module(s) {missing}; is it an InceptionV1 from load_inceptionv1?")
    _check_input_size(model, x, needed)
    with torch.set_grad_enabled(grad):
        return run_to(model, _lucent.fast_input(x), {t: modules[t] for t in needed},
                      keep=(lambda out: out) if grad else (lambda out: out.detach()))


def capture(
    model: nn.Module,
    images01: torch.Tensor,
    layers: "str | Sequence[str]",
    *,
    pre_relu: bool = False,
    grad: bool = False,
    preprocessed: bool = False,
) -> dict[str, torch.Tensor]:
    """Activations of ``layers`` for a batch of images, in one forward pass that stops early.

    Args:
        images01: (N, 3, H, W) pixels in [0, 1] (or already preprocessed if ``preprocessed``).
        layers: names such as ``"mixed3b"``, ``"3b"``, ``"mixed3b_5x5"``, ``"conv2d2"``.
        pre_relu: values before the ReLU (the articles' activation histograms use these).
        grad: keep the autograd graph (for feature visualisation or attribution).

    Returns:
        ``{canonical layer name: tensor (N, C, H', W')}`` in the order asked (contiguous tensors).

    Raises:
        ValueError: before running, with what to do, for pixels clearly outside [0, 1] (photos in
            0-255: divide by 255), a uint8 or other non-float tensor, a shape other than (N, 3, H, W)
            (see :func:`shared_utils.inception.model.preprocess`), or images too small for the deepest layer asked
            for (e.g. mixed5b needs 32 x 32 pixels).
    """
    names = [layers] if isinstance(layers, str) else list(layers)
    if preprocessed:
        _check_batch(images01)  # shape and dtype; its range is the model's, not [0, 1]
    x = images01 if preprocessed else preprocess(images01)
    return {k: a.contiguous() for k, a in _capture(model, x, names, pre_relu, grad).items()}


def _capture(model: nn.Module, x: torch.Tensor, names: Sequence[str], pre_relu: bool,
             grad: bool) -> dict[str, torch.Tensor]:
    """:func:`capture` of a preprocessed batch, leaving each tensor in the layout the model made."""
    if not names:
        raise ValueError("ask for at least one layer")
    wanted = {name: _targets(name, pre_relu) for name in names}
    seen = _run_to(model, x, {t for ts in wanted.values() for t in ts}, grad)
    out: dict[str, torch.Tensor] = {}
    for name, ts in wanted.items():
        parts = [seen[t] for t in ts]
        out[resolve_layer(name)] = parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)
    return out


def capture_units(model: nn.Module, images01: torch.Tensor, units: Iterable, *, pre_relu: bool = False,
                  reduce: str = "center", batch_size: "int | None" = None, progress: bool = True) -> torch.Tensor:
    """Responses (N, len(units)) of several units: the centre position (``reduce='center'``) or spatial max.

    Runs ``batch_size`` images per early-stopping pass (default: the device's
    :func:`~shared_utils.device.budget`), with a progress bar over the batches (``progress``; see
    :mod:`shared_utils._progress`).
    """
    from .inception.names import parse_unit

    if reduce not in ("center", "max"):
        raise ValueError("reduce must be 'center' or 'max'")
    parsed = [parse_unit(u) for u in units]
    layers = sorted({u.layer for u in parsed})
    _check_batch(images01)
    _check_range01(images01)  # the whole batch, before any pass (the message gives the range of all of it)
    n = images01.shape[0]
    batch_size = budget(model_device(model)).batch_size if batch_size is None else batch_size
    if not (isinstance(batch_size, int) and batch_size >= 1):
        raise ValueError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
    parts = []
    for start in bar(range(0, max(n, 1), batch_size), desc=f"responses of {len(parsed)} unit(s)", progress=progress):
        acts = capture(model, images01[start:start + batch_size], layers, pre_relu=pre_relu)
        cols = []
        for u in parsed:
            a = acts[u.layer][:, u.channel]
            cols.append(a[:, a.shape[1] // 2, a.shape[2] // 2] if reduce == "center" else a.flatten(1).amax(1))
        parts.append(torch.stack(cols, dim=1))
    return torch.cat(parts)


def forward_logits(model: nn.Module, images01: torch.Tensor) -> torch.Tensor:
    """The 1008 class logits (before the softmax) for a batch of images (224 to 255 px per side)."""
    modules = _modules(model)
    x = preprocess(images01)
    smallest = _min_sizes(model, ["mixed5b"], _CLASSIFIER_POOL).get("mixed5b")
    if smallest is not None:
        largest = _min_sizes(model, ["mixed5b"], _CLASSIFIER_POOL + 1)["mixed5b"] - 1
        h, w = int(x.shape[-2]), int(x.shape[-1])
        if not (smallest <= h <= largest and smallest <= w <= largest):
            raise ValueError(
                f"the logits need images of {smallest} to {largest} pixels per side, so that mixed5b is "
                f"{_CLASSIFIER_POOL} x {_CLASSIFIER_POOL} for the classifier's {_CLASSIFIER_POOL} x {_CLASSIFIER_POOL} "
                f"average pool; these are {h} x {w} (height x width). Resize them to {smallest} "
                f"(shared_utils.data.load_image(path, {smallest}) or torch.nn.functional.interpolate)."
            )
    with torch.no_grad():
        seen = run_to(model, _lucent.fast_input(x), {"logits": modules["softmax2_pre_activation_matmul"]})
    return seen["logits"]


@dataclass
class ChannelStats:
    """Per image and channel: spatial max, where it is (row, col), and spatial mean."""

    layer: str
    max: torch.Tensor  # (N, C)
    argmax: torch.Tensor  # (N, C, 2) int: row, col in the layer's grid
    mean: torch.Tensor  # (N, C)
    grid: tuple[int, int]  # (H', W') of the layer for this input size
    image_size: int


def _spatial_reduce(a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, tuple[int, int]]:
    """Per image and channel of ``a`` (B, C, H, W): spatial max (B, C), its (row, col) (B, C, 2) and
    spatial mean (B, C), on ``a``'s device, and the grid (H, W)."""
    b, c, h, w = a.shape
    # (B, H*W, C): a view of a channels-last tensor, and reducing over positions is vectorised over C
    per_position = a.permute(0, 2, 3, 1).reshape(b, h * w, c)
    mx, pos = per_position.max(dim=1)
    return mx, torch.stack([pos // w, pos % w], dim=-1), per_position.mean(dim=1), (h, w)


def _key(model: nn.Module, ids: Sequence[str], layers: Sequence[str], size: int, pre_relu: bool) -> str:
    # every weight counts: an edited copy of the model must never read the original's results
    return _cache.key(weights_digest(model), list(ids), list(layers), size, pre_relu)


def image_source(images: object, image_size: int) -> tuple[int, list[str], Callable[[list[int]], torch.Tensor]]:
    """``(count, ids, get)`` for a tensor (N, 3, S, S) or an :class:`~shared_utils.data.ImageSample`.

    ``get(indices)`` returns that batch in [0, 1]; ``ids`` identify the images (for cache keys).
    """
    if isinstance(images, torch.Tensor):
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"expected images shaped (N, 3, H, W), got {tuple(images.shape)}")
        tensor = images
        ids = [f"tensor:{_cache.digest(tensor)[:16]}"]
        return tensor.shape[0], ids, lambda idx: tensor[idx]
    if not (hasattr(images, "batch") and hasattr(images, "__len__")):
        raise TypeError("images must be a tensor (N, 3, H, W) or an ImageSample (see shared_utils.data)")
    sample = images
    return len(sample), list(getattr(sample, "ids", [])), lambda idx: sample.batch(idx, image_size)  # type: ignore[attr-defined]


def channel_stats(
    model: nn.Module,
    images: "Sequence[torch.Tensor] | object",
    layers: "str | Sequence[str]",
    *,
    image_size: int = 224,
    batch_size: "int | None" = None,
    pre_relu: bool = False,
    cache: "str | Path | None" = None,
    progress: bool = True,
) -> dict[str, ChannelStats]:
    """Spatial max, argmax and mean of every channel of ``layers`` over many images.

    ``images`` is an :class:`~shared_utils.data.ImageSample` (or anything with ``len`` and
    ``batch(indices, size)`` returning (B, 3, S, S) in [0, 1] and ``ids``), or a tensor (N, 3, S, S).
    One batched pass, stopping after the deepest layer. With ``cache`` (a directory), results are
    saved and re-used, keyed by the model's weights, the images, the layers and the size.
    ``batch_size`` defaults to the device's :func:`~shared_utils.device.budget` (small on a CPU,
    where a small batch stays in the caches and is faster per image; large on a GPU).
    """
    names = [resolve_layer(layers)] if isinstance(layers, str) else [resolve_layer(layer) for layer in layers]
    if isinstance(images, torch.Tensor):
        image_size = images.shape[-1]
    n, ids, get = image_source(images, image_size)

    path = None
    if cache is not None:
        path = Path(cache) / f"stats-{_key(model, ids, names, image_size, pre_relu)}.pt"
        saved = _cache.load(path)
        if saved is not None:
            return {k: ChannelStats(**v) for k, v in saved.items()}

    device = model_device(model)
    batch_size = budget(device).batch_size if batch_size is None else batch_size
    if not (isinstance(batch_size, int) and batch_size >= 1):
        raise ValueError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
    parts: dict[str, dict[str, list[torch.Tensor]]] = {k: {"max": [], "argmax": [], "mean": []} for k in names}
    grids: dict[str, tuple[int, int]] = {}
    starts = range(0, n, batch_size)
    for start in bar(starts, desc=f"activations ({', '.join(names)})", progress=progress):
        idx = list(range(start, min(start + batch_size, n)))
        with torch.no_grad():
            acts = _capture(model, preprocess(get(idx).to(device)), names, pre_relu, grad=False)
        for k, a in acts.items():
            mx, rc, mean, grids[k] = _spatial_reduce(a)
            parts[k]["max"].append(mx.cpu())
            parts[k]["argmax"].append(rc.cpu())
            parts[k]["mean"].append(mean.cpu())
    result = {
        k: ChannelStats(k, torch.cat(v["max"]), torch.cat(v["argmax"]), torch.cat(v["mean"]), grids[k], image_size)
        for k, v in parts.items()
    }
    if path is not None:
        _cache.atomic_save(path, {k: vars(v) for k, v in result.items()})
    return result
