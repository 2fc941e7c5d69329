"""Neuron ids and the layer catalogue, checked against docs/science.md §1.3 and the model itself."""
from __future__ import annotations

import pytest

from shared_utils.inception.names import (
    BRANCHES, LAYERS, BadChannelError, Unit, UnknownLayerError, branch_of, branch_range, format_unit, from_branch,
    layer_channels, parse_unit, parse_units, resolve_layer,
)

# science.md §1.3 and §13.1, typed in from the article tables
ARTICLE_COUNTS = {"conv2d0": 64, "conv2d1": 64, "conv2d2": 192, "mixed3a": 256, "mixed3b": 480, "mixed4a": 508,
                  "mixed4b": 512, "mixed4c": 512, "mixed4d": 528, "mixed4e": 832, "mixed5a": 832, "mixed5b": 1024}
ARTICLE_5X5 = {"mixed3a": (192, 224), "mixed3b": (320, 416), "mixed4a": (396, 444), "mixed4b": (384, 448),
               "mixed4c": (384, 448), "mixed4d": (400, 464), "mixed4e": (576, 704), "mixed5b": (768, 896)}


def test_catalogue_matches_the_articles() -> None:
    assert {k: v.channels for k, v in LAYERS.items()} == ARTICLE_COUNTS
    for layer, rng in ARTICLE_5X5.items():
        assert branch_range(f"{layer}_5x5") == rng


def test_catalogue_matches_the_model(model) -> None:
    """Branch widths and bottlenecks equal the lucent module shapes."""
    modules = dict(model.named_modules())
    for name, info in LAYERS.items():
        if not info.branches:
            assert modules[f"{name}_pre_relu_conv"].out_channels == info.channels
            continue
        for branch, (a, b) in info.branches.items():
            assert modules[f"{name}_{branch}_pre_relu_conv"].out_channels == b - a, (name, branch)
        for branch, width in info.bottlenecks.items():
            assert modules[f"{name}_{branch}_bottleneck_pre_relu_conv"].out_channels == width


def test_catalogue_matches_activation_shapes(model) -> None:
    import torch

    from shared_utils.activations import capture

    acts = capture(model, torch.rand(1, 3, 224, 224), list(LAYERS))
    for name, info in LAYERS.items():
        assert acts[name].shape[1:] == (info.channels, info.resolution, info.resolution), name


@pytest.mark.parametrize("spec", ["3b:379", "mixed3b:379", "mixed3b 379", "mixed3b_379", " Mixed3b : 379 ",
                                  "mixed3b_5x5:59", "3b_5x5:59", ("mixed3b", 379), Unit("mixed3b", 379)])
def test_parse_forms(spec) -> None:
    assert parse_unit(spec) == Unit("mixed3b", 379)


def test_format_round_trip() -> None:
    for layer, info in LAYERS.items():
        for ch in (0, info.channels - 1):
            u = Unit(layer, ch)
            for style in ("short", "long", "space"):
                assert parse_unit(format_unit(u, style)) == u
    assert format_unit("mixed3b:379") == "3b:379"
    assert format_unit("conv2d2 89", "long") == "conv2d2:89"


def test_branch_mapping_is_a_bijection() -> None:
    for layer, info in LAYERS.items():
        seen = set()
        for branch in info.branches:
            a, b = info.branches[branch]
            for local in range(b - a):
                u = from_branch(f"{layer}_{branch}", local)
                assert branch_of(u).branch == f"{layer}_{branch}" and branch_of(u).local == local
                seen.add(u.channel)
        if info.branches:
            assert seen == set(range(info.channels))


def test_curve_detectors_are_in_3b_5x5() -> None:
    for ch in (379, 406, 385, 343, 342, 388, 324, 340, 330, 349):
        assert branch_of(f"3b:{ch}").branch == "mixed3b_5x5"


def test_unknown_layer_lists_close_matches() -> None:
    with pytest.raises(UnknownLayerError) as err:
        resolve_layer("mixd3b")
    assert "'mixed3b'" in str(err.value) and "Did you mean" in str(err.value)
    with pytest.raises(UnknownLayerError):
        parse_unit("mixed9z:3")


def test_bad_channel_gives_the_range() -> None:
    with pytest.raises(BadChannelError, match=r"0\.\.479"):
        parse_unit("3b:480")
    with pytest.raises(BadChannelError, match=r"0\.\.95"):
        from_branch("mixed3b_5x5", 96)


def test_bad_forms() -> None:
    with pytest.raises(ValueError, match="3b:379"):
        parse_unit("three b")
    with pytest.raises(ValueError):
        parse_units([379])
    assert parse_units("3b:379, 3b:406") == [Unit("mixed3b", 379), Unit("mixed3b", 406)]
    assert parse_units([379, 406], "3b") == [Unit("mixed3b", 379), Unit("mixed3b", 406)]
    assert layer_channels("mixed4a_3x3") == 204 and layer_channels("mixed3b_5x5_bottleneck") == 32
    assert BRANCHES == ("1x1", "3x3", "5x5", "pool_reduce")
