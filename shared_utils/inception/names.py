"""Name neurons the way the Circuits articles do.

The thread writes a neuron of Lucid's InceptionV1 as ``3b:379``: layer ``mixed3b``, channel 379
of the layer's *concatenated* output (0-based). The articles also write ``mixed3b:379`` and
``mixed3b 379``, and spell conv layers out (``conv2d2 89``). See docs/science.md §1.2-1.3.

Everything here is pure Python (no torch), so it is cheap to import and easy to test.

>>> u = parse_unit("3b:379")
>>> u.layer, u.channel, u.short
('mixed3b', 379, '3b:379')
>>> branch_of(u)
BranchUnit(branch='mixed3b_5x5', local=59)
>>> from_branch("mixed3b_5x5", 59)
Unit(layer='mixed3b', channel=379)
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Iterable

__all__ = [
    "BRANCHES",
    "LAYERS",
    "LayerInfo",
    "Unit",
    "BranchUnit",
    "UnknownLayerError",
    "BadChannelError",
    "layer_info",
    "resolve_layer",
    "parse_unit",
    "parse_units",
    "format_unit",
    "branch_of",
    "from_branch",
    "branch_range",
    "layer_channels",
    "module_name",
]

#: Branch order inside every mixed layer's concatenation (lucent / ProGamerGov port).
BRANCHES: tuple[str, ...] = ("1x1", "3x3", "5x5", "pool_reduce")


@dataclass(frozen=True)
class LayerInfo:
    """One layer of the catalogue.

    ``branches`` maps a branch name (``"5x5"``) to its ``(start, stop)`` half-open range of
    channels in the concatenated output; empty for plain conv layers.
    ``bottlenecks`` maps ``"3x3"``/``"5x5"`` to the bottleneck width in front of that branch.
    """

    name: str
    channels: int
    branches: dict[str, tuple[int, int]]
    bottlenecks: dict[str, int]
    resolution: int  # spatial size of this layer's output for a 224x224 input

    @property
    def short(self) -> str:
        return short_layer_name(self.name)


def _mixed(name: str, sizes: tuple[int, int, int, int], bottlenecks: tuple[int, int], res: int) -> LayerInfo:
    ranges: dict[str, tuple[int, int]] = {}
    start = 0
    for branch, size in zip(BRANCHES, sizes):
        ranges[branch] = (start, start + size)
        start += size
    return LayerInfo(name, start, ranges, {"3x3": bottlenecks[0], "5x5": bottlenecks[1]}, res)


#: The layers students name, in network order (docs/science.md §1.3).
LAYERS: dict[str, LayerInfo] = {
    info.name: info
    for info in [
        LayerInfo("conv2d0", 64, {}, {}, 112),
        LayerInfo("conv2d1", 64, {}, {}, 56),
        LayerInfo("conv2d2", 192, {}, {}, 56),
        _mixed("mixed3a", (64, 128, 32, 32), (96, 16), 28),
        _mixed("mixed3b", (128, 192, 96, 64), (128, 32), 28),
        _mixed("mixed4a", (192, 204, 48, 64), (96, 16), 14),
        _mixed("mixed4b", (160, 224, 64, 64), (112, 24), 14),
        _mixed("mixed4c", (128, 256, 64, 64), (128, 24), 14),
        _mixed("mixed4d", (112, 288, 64, 64), (144, 32), 14),
        _mixed("mixed4e", (256, 320, 128, 128), (160, 32), 14),
        _mixed("mixed5a", (256, 320, 128, 128), (160, 48), 7),
        _mixed("mixed5b", (384, 384, 128, 128), (192, 48), 7),
    ]
}

#: Pooling layers that the articles use as "the previous layer" for expanded weights.
POOLS: dict[str, tuple[str, int, int]] = {
    # name: (layer it pools, channels, resolution)
    "maxpool0": ("conv2d0", 64, 56),
    "maxpool1": ("conv2d2", 192, 28),
    "maxpool4": ("mixed3b", 480, 14),
    "maxpool10": ("mixed4e", 832, 7),
}


class UnknownLayerError(KeyError):
    """A layer name that is not in the catalogue. The message lists the close matches."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want the plain sentence
        return str(self.args[0])


class BadChannelError(IndexError):
    """A channel index outside the layer. The message gives the valid range."""


def short_layer_name(name: str) -> str:
    """``mixed3b`` -> ``3b``; conv layers keep their name (``conv2d2``), as in the articles."""
    return name[len("mixed"):] if name.startswith("mixed") else name


def _all_names() -> dict[str, int]:
    """Every hookable name students may use, with its channel count."""
    names: dict[str, int] = {}
    for info in LAYERS.values():
        names[info.name] = info.channels
        for branch, (a, b) in info.branches.items():
            names[f"{info.name}_{branch}"] = b - a
        for branch, width in info.bottlenecks.items():
            names[f"{info.name}_{branch}_bottleneck"] = width
    for pool, (_, channels, _) in POOLS.items():
        names[pool] = channels
    return names


_NAMES = _all_names()


def resolve_layer(name: str) -> str:
    """Canonical layer name for any accepted spelling.

    Accepts ``mixed3b``, ``3b``, ``Mixed3b``, ``mixed3b_5x5``, ``3b_5x5``, ``conv2d2``, ``maxpool1``.
    Raises :class:`UnknownLayerError` listing the closest names otherwise.
    """
    if not isinstance(name, str):
        raise TypeError(f"a layer name must be a string like 'mixed3b', got {type(name).__name__}")
    key = name.strip().lower().replace(" ", "_")
    if key.startswith("inception_"):
        key = "mixed" + key[len("inception_"):]
    if key in _NAMES:
        return key
    if re.match(r"^[345][a-e](_|$)", key) and "mixed" + key in _NAMES:
        return "mixed" + key
    candidates = sorted(_NAMES)
    close = difflib.get_close_matches(key, candidates, n=5, cutoff=0.5)
    if not close and re.match(r"^[345][a-e]", key):
        close = difflib.get_close_matches("mixed" + key, candidates, n=5, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    main = ", ".join(LAYERS)
    raise UnknownLayerError(
        f"Unknown layer {name!r}.{hint} InceptionV1's main layers are: {main} "
        "(branches are named like 'mixed3b_5x5', bottlenecks like 'mixed3b_5x5_bottleneck')."
    )


def layer_channels(name: str) -> int:
    """Number of channels of any named layer, branch or bottleneck."""
    return _NAMES[resolve_layer(name)]


def layer_info(name: str) -> LayerInfo:
    """The catalogue entry of a main layer (``mixed3b``, ``conv2d2``, ...)."""
    canonical = resolve_layer(name)
    if canonical not in LAYERS:
        parent = canonical.split("_")[0]
        raise UnknownLayerError(
            f"{name!r} is a branch or pool, not a main layer; its main layer is {parent!r}."
            if parent in LAYERS
            else f"{name!r} is not a main layer. Main layers: {', '.join(LAYERS)}."
        )
    return LAYERS[canonical]


@dataclass(frozen=True, order=True)
class Unit:
    """A channel of a layer, e.g. ``Unit('mixed3b', 379)``; ``str()`` gives ``mixed3b:379``."""

    layer: str
    channel: int

    @property
    def short(self) -> str:
        """The articles' short form, ``3b:379``."""
        return f"{short_layer_name(self.layer)}:{self.channel}"

    def __str__(self) -> str:
        return f"{self.layer}:{self.channel}"


@dataclass(frozen=True)
class BranchUnit:
    """A channel counted inside one branch, e.g. ``BranchUnit('mixed3b_5x5', 59)``."""

    branch: str
    local: int


def _check_channel(layer: str, channel: int) -> None:
    n = layer_channels(layer)
    if not isinstance(channel, int) or isinstance(channel, bool):
        raise TypeError(f"channel must be an int, got {channel!r}")
    if not 0 <= channel < n:
        raise BadChannelError(
            f"{layer} has {n} channels, so a channel must be in 0..{n - 1}; got {channel}."
        )


_UNIT_RE = re.compile(r"^\s*([A-Za-z0-9_]+?)\s*(?::|\s|_(?=\d+\s*$)|/)\s*(\d+)\s*$")


def parse_unit(spec: "str | Unit | tuple[str, int]") -> Unit:
    """Parse ``3b:379``, ``mixed3b:379``, ``mixed3b 379``, ``mixed3b_379``, ``conv2d2 89``.

    A branch-local id such as ``mixed3b_5x5:59`` is mapped to the concatenated channel
    (``mixed3b:379``) so that every unit has one canonical name.
    """
    if isinstance(spec, Unit):
        _check_channel(spec.layer, spec.channel)
        return spec
    if isinstance(spec, tuple) and len(spec) == 2:
        layer, channel = spec
        return _make_unit(resolve_layer(layer), int(channel))
    if not isinstance(spec, str):
        raise TypeError(f"expected a unit like '3b:379', got {spec!r}")
    m = _UNIT_RE.match(spec)
    if not m:
        raise ValueError(
            f"Cannot read {spec!r} as a neuron id. Write it like '3b:379', 'mixed3b:379' or 'mixed3b 379'."
        )
    layer, channel = resolve_layer(m.group(1)), int(m.group(2))
    return _make_unit(layer, channel)


def _make_unit(layer: str, channel: int) -> Unit:
    _check_channel(layer, channel)
    for parent, info in LAYERS.items():
        for branch in info.branches:
            if layer == f"{parent}_{branch}":
                return from_branch(layer, channel)
    return Unit(layer, channel)


def parse_units(specs: "str | Iterable[str | Unit]", layer: str | None = None) -> list[Unit]:
    """Parse several units. ``parse_units('3b:379 3b:406')`` or ``parse_units([379, 406], 'mixed3b')``."""
    if isinstance(specs, str):
        specs = specs.replace(",", " ").split()
    out: list[Unit] = []
    for s in specs:
        if isinstance(s, int) and not isinstance(s, bool):
            if layer is None:
                raise ValueError("bare channel numbers need layer=..., e.g. parse_units([379], 'mixed3b')")
            out.append(_make_unit(resolve_layer(layer), s))
        else:
            out.append(parse_unit(s))
    return out


def format_unit(unit: "Unit | str", style: str = "short") -> str:
    """``style='short'`` -> ``3b:379``; ``'long'`` -> ``mixed3b:379``; ``'space'`` -> ``mixed3b 379``."""
    u = parse_unit(unit) if not isinstance(unit, Unit) else unit
    if style == "short":
        return u.short
    if style == "long":
        return str(u)
    if style == "space":
        return f"{u.layer} {u.channel}"
    raise ValueError(f"style must be 'short', 'long' or 'space', got {style!r}")


def branch_range(branch: str) -> tuple[int, int]:
    """Half-open channel range of a branch in its layer: ``branch_range('mixed3b_5x5') == (320, 416)``."""
    canonical = resolve_layer(branch)
    parent, _, name = canonical.partition("_")
    info = LAYERS.get(parent)
    if info is None or name not in info.branches:
        raise UnknownLayerError(
            f"{branch!r} is not a branch. Branches look like 'mixed3b_1x1', 'mixed3b_3x3', "
            "'mixed3b_5x5', 'mixed3b_pool_reduce'."
        )
    return info.branches[name]


def branch_of(unit: "Unit | str") -> BranchUnit:
    """Which branch a concatenated channel comes from, and its index inside that branch."""
    u = parse_unit(unit)
    info = layer_info(u.layer)
    if not info.branches:
        raise ValueError(f"{u.layer} is a plain conv layer and has no branches.")
    for branch, (a, b) in info.branches.items():
        if a <= u.channel < b:
            return BranchUnit(f"{u.layer}_{branch}", u.channel - a)
    raise AssertionError("unreachable: the branch ranges tile the layer")


def from_branch(branch: str, local: int) -> Unit:
    """Map a branch-local channel to the concatenated id: ``from_branch('mixed3b_5x5', 59)`` is 3b:379."""
    a, b = branch_range(branch)
    if not isinstance(local, int) or not 0 <= local < b - a:
        raise BadChannelError(
            f"{resolve_layer(branch)} has {b - a} channels, so a local channel must be in 0..{b - a - 1}; got {local}."
        )
    return Unit(resolve_layer(branch).split("_")[0], a + local)


def module_name(layer: str, pre_relu: bool = False) -> str:
    """The lucent module whose output is this layer (``mixed3b_5x5`` or ``mixed3b_5x5_pre_relu_conv``).

    Whole mixed layers have no pre-ReLU module; :mod:`shared_utils.activations` concatenates the
    four branches' pre-ReLU convs for them.
    """
    canonical = resolve_layer(layer)
    if not pre_relu or canonical in POOLS:
        return canonical
    if canonical in LAYERS and LAYERS[canonical].branches:
        raise ValueError(f"{canonical} has no single pre-ReLU module; use its branches")
    return f"{canonical}_pre_relu_conv"
