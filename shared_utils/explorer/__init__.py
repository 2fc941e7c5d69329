"""Neuron explorer: browse InceptionV1 one unit at a time in a notebook, and walk its circuits.

Usage::

    from shared_utils.explorer import explore
    explore(model, "3b:379")                 # a widget: make it the last line of a cell
    ex = explore(model, "4c:447", sample=imagenet_sample()); ex
    ex.go("mixed4b 237"); ex.back(); ex.unit  # the same moves from code

What a student does with it: pick a layer and a unit (or type any id: ``4c:447``, ``mixed4c 447``,
``mixed4c_5x5:63``, or just ``447`` for a unit of the layer on screen) and see, for that unit,

* a **header**: its layer, branch, Early Vision taxonomy group (complete up to mixed3b, partial notes
  for 4a-4d) and, for the later units the articles describe (dog heads, the car unit and its parts,
  4e:55 ...), what they call it and where (:mod:`shared_utils.explorer.unit_labels`). Retyping the unit on
  screen shows it again and says so;
* its **feature visualisation** (a quick preview first; "Render full quality" for the real thing),
  beside **the article's picture of the unit** (the real InceptionV1, for the layers the Early Vision
  article shows every unit of: conv2d0 ... mixed4a; :mod:`shared_utils.data.articles`), so a student on
  the untrained stand-in or a CPU preview sees what the real unit looks like;
* its **dataset examples**: the photos of the sample, and their receptive-field crops, that excite it most;
* its **tuning curve** to curves, for the curve layers (conv2d2, 3a, 3b, 4a), beside the article's
  measured radial curve when the unit is in the articles' data (docs/science.md §2);
* its **strongest inputs and outputs** as weight heatmaps (red excites, blue inhibits; docs/science.md
  §5, §9). Each has a button named after the other unit: click it to move there ("walk the
  circuit"); Back returns.

Everything computed on the untrained stand-in says so (``model_note``): its units mean nothing.

How it stays usable on a CPU:

* the cheap parts (header, weights) come first, the slow ones after, each panel showing
  "computing…" until it is ready; work runs in a background thread on a private copy of the
  model, so the notebook stays usable and a click on another unit skips work queued for the old one;
* results are cached: in memory for the session and on disk (``cache``, default the course cache),
  so a unit seen once shows at once. Dataset examples come from ONE cached activation pass
  (:func:`~shared_utils.activations.channel_stats`) per layer over the sample, made the first
  time a unit of that layer is shown;
* sizes follow :func:`~shared_utils.device.budget` (:meth:`ExplorerSettings.from_budget`): previews
  on a CPU, tiny in fast mode (autograding / CI), full quality on a GPU.

The logic (which unit, history, what to compute) lives in :class:`ExplorerState`,
:func:`panels_for` and :class:`ExplorerData`, which need no browser; :class:`NeuronExplorer` is
the widget layout on top of them.
"""
from __future__ import annotations

from .data import ExplorerData
from .state import CURVE_LAYERS, PANELS, ExplorerSettings, ExplorerState, UnitIdError, panels_for, read_unit, tuning_stimulus
from .widget import NeuronExplorer, explore

__all__ = [
    "CURVE_LAYERS",
    "PANELS",
    "UnitIdError",
    "read_unit",
    "ExplorerSettings",
    "ExplorerState",
    "panels_for",
    "tuning_stimulus",
    "ExplorerData",
    "NeuronExplorer",
    "explore",
]
