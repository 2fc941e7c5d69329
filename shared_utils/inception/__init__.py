"""InceptionV1 as the course uses it: the one place that knows lucent's model.

* :mod:`~shared_utils.inception.model`: load Lucid's InceptionV1 (real weights, or an UNTRAINED
  model labelled so), its weights' provenance, and the preprocessing the network expects;
* :mod:`~shared_utils.inception.names`: unit ids like ``3b:379``, layers and the branch catalogue;
* :mod:`~shared_utils.inception.graph`: the linearised network behind expanded weights;
* private: ``_arch`` (the one table of ops, paddings and pools), ``_hooks`` (the one hook context
  manager and truncated forward every pass uses) and ``_lucent`` (lucent's defects, contained).

Nothing outside this package imports a lucent module.
"""
from __future__ import annotations

from .model import WeightsUnavailableError, is_trained, load_inceptionv1, model_note, preprocess, weights_label
from .names import BRANCHES, LAYERS, Unit, branch_of, from_branch, layer_info, parse_unit

__all__ = ["load_inceptionv1", "weights_label", "is_trained", "model_note", "preprocess", "WeightsUnavailableError",
           "LAYERS", "BRANCHES", "Unit", "parse_unit", "layer_info", "branch_of", "from_branch"]
