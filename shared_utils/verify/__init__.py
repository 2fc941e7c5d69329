"""Check the course's claims about InceptionV1 against the real weights (docs/science.md §13).

Instructors run this before teaching, wherever the real weights can be had (Colab)::

    python -m shared_utils.verify                      # real weights (cached, else downloaded)
    python -m shared_utils.verify --weights inception5h.pth --data /path/to/data --quick --markdown
    python3 run.py verify                              # the same, from the project root

and in a notebook::

    from shared_utils.verify import report
    report()                                       # an HTML table; report(model) for a loaded model

It prints one row per claim: its id (the §13 number), the claim, the article's value (with its
science.md section), what this run measured, and a verdict:

* ``PASS`` / ``FAIL``: the claim holds / does not hold here. Claims marked ``[inferred]`` are the
  course's reading of a figure (science.md §13 F) or of a file (A0, the class map of
  :mod:`shared_utils.data.labels`), not the article's words; they still count.
* ``EXPLORATORY: ...``: reported, never fails the run (e.g. E18, which the article shows for a
  different InceptionV1).
* ``SKIPPED: why``: not checked in this run (no real weights, no data, ``--quick``, or never
  checkable here, like the C12 accuracy ablation).
* ``UNTRAINED: not a finding``: computed on the random stand-in (``--weights untrained``), which
  only tests the machinery. Such numbers say nothing about the real network.

``--weights`` defaults to ``pretrained``; ``$ZOOM_IN_WEIGHTS`` is not read, so a CI setting of
``untrained`` can never pass the stand-in off as the model. Without the real weights it says so
loudly and runs only the checks that need none (architecture, and the articles' own data files).
The exit status is 1 if any non-exploratory check FAILs or errors, else 0.

Each claim is a *measurement* (model and data -> plain numbers, tuning curves, kernels) and a pure
*judgement* (those numbers -> ``(measured text, passed)``), so the judgements are unit-tested on
constructed numbers and the pair on constructed models (tests/verify/test_verify.py). Thresholds that
science.md §13 marks as proposals are the course's choice, stated in each claim's article column.

The measurements and judgements themselves are in :mod:`shared_utils.verify.measures`, the articles'
constants in :mod:`shared_utils.verify.values`.
"""
from __future__ import annotations

from .registry import CLAIMS, Claim, Context, claims
from .reporting import Result, VerifyReport, main, report, run

__all__ = ["Claim", "Context", "CLAIMS", "claims", "Result", "VerifyReport", "run", "report", "main"]
