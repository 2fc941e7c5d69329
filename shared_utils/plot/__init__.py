"""Plots for the course, in one visual language.

* Weights: red = excitation, blue = inhibition, white = 0, symmetric colour limits
  (the articles' palette, docs/science.md §5: ``#CA0020`` / ``#0571B0``). Use :data:`WEIGHT_CMAP`.
* Every figure about units is titled with their neuron ids (``3b:379``) and, when the model is
  the untrained stand-in, says so (:func:`model_note`).

Topic modules: ``plot.style`` (shared conventions) and one module per kind of picture.
"""
from __future__ import annotations

from .style import WEIGHT_CMAP, EXCITE, INHIBIT, model_note, title_units, symmetric_limits

__all__ = ["WEIGHT_CMAP", "EXCITE", "INHIBIT", "model_note", "title_units", "symmetric_limits"]
