"""shared_utils: the Python package of the "Zoom In" Circuits course.

The 29 names below are the student core, by what a student does; every other function lives in its
module (``from shared_utils.tuning import echo``), and each module's ``__all__`` lists its face:

* load and name the model: :mod:`~shared_utils.inception.model`, :mod:`~shared_utils.inception.names`, :mod:`~shared_utils.device`;
* look at activations: :mod:`~shared_utils.activations`, :mod:`~shared_utils.data` (the ImageNet sample and
  the articles' data files);
* make stimuli and measure tuning: :mod:`~shared_utils.stimuli`, :mod:`~shared_utils.tuning`;
* visualise features: :mod:`~shared_utils.featvis`, :mod:`~shared_utils.dataset_examples` (its
  function of the same name: ``from shared_utils.dataset_examples import dataset_examples``; any image
  folder: :mod:`~shared_utils.data.folders`);
* read weights and decompose them: :mod:`~shared_utils.weights`, :mod:`~shared_utils.decompose`;
* figures: :mod:`shared_utils.plot`; lab feedback: :mod:`~shared_utils.checks`.

Outside the core, each imported by name: the lab-specific modules in :mod:`shared_utils.labs`
(``from shared_utils.labs import equivariance``; also ``handbuilt``, ``universality``, ``hed_vgg16``),
the neuron explorer (:mod:`shared_utils.explorer`) and the instructors' claim checks
(:mod:`shared_utils.verify`). Modules whose names start with ``_`` are private.
"""
from __future__ import annotations

from . import _moved

_moved.install()  # release 0.1's module paths (shared_utils.names, ...) keep working

from .activations import capture, channel_stats
from .data import imagenet_sample, load_circuits_json, taxonomy
from .decompose import one_sided_nmf, svd_abs
from .device import budget, fast_mode, get_device
from .featvis import render_unit
from .inception import (WeightsUnavailableError, Unit, branch_of, from_branch, is_trained, layer_info,
                        load_inceptionv1, model_note, parse_unit, preprocess, weights_label)
from .stimuli import curve
from .tuning import tuning_curve
from .weights import direct_weights, expanded_weights, top_inputs, top_outputs, with_expanded_weights

__version__ = "0.2.0"

__all__ = [
    # load and name the model
    "load_inceptionv1", "weights_label", "is_trained", "model_note", "preprocess", "WeightsUnavailableError",
    "get_device", "budget", "fast_mode", "parse_unit", "Unit", "layer_info", "branch_of", "from_branch",
    # activations and data
    "capture", "channel_stats", "imagenet_sample", "load_circuits_json", "taxonomy",
    # stimuli and tuning
    "curve", "tuning_curve",
    # feature visualisation
    "render_unit",
    # weights and decompositions
    "direct_weights", "expanded_weights", "with_expanded_weights", "top_inputs", "top_outputs", "svd_abs",
    "one_sided_nmf",
]
