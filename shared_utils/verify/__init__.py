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
constructed numbers and the pair on constructed models (tests/test_verify.py). Thresholds that
science.md §13 marks as proposals are the course's choice, stated in each claim's article column.
"""
from __future__ import annotations

from .registry import CLAIMS, Claim, Context, claims
from .reporting import Result, VerifyReport, main, report, run
from .measures import (
    judge_aann, judge_activation_distribution, judge_best_input, judge_branch_membership, judge_branch_ranges,
    judge_car, judge_channel_counts, judge_curve_order, judge_curve_pairs, judge_curve_tuning, judge_echo_depth,
    judge_echo_edit, judge_hflf_anticorrelation, judge_hflf_branches, judge_hflf_factors, judge_hflf_tuning,
    judge_mirror, judge_sample_accuracy, judge_sigmas, judge_signs, judge_superposition, judge_svd_auc,
    judge_taxonomy_coverage, measure_aann, measure_article_echoes, measure_article_peaks,
    measure_branch_membership, measure_branch_ranges, measure_car_kernels, measure_channel_counts,
    measure_curve_distribution, measure_curve_tuning, measure_curve_weights, measure_echo_edit,
    measure_hflf_branches, measure_hflf_nmf, measure_hflf_tuning, measure_mirror, measure_model_echoes,
    measure_pair_sums, measure_sample_accuracy, measure_superposition, measure_svd_auc, measure_taxonomy_coverage,
    preferred_angles
)

__all__ = [
    "Claim",
    "Result",
    "Context",
    "VerifyReport",
    "CLAIMS",
    "claims",
    "run",
    "report",
    "main",
    # measurements and judgements (used by the tests and by curious instructors)
    "measure_channel_counts", "judge_channel_counts",
    "measure_branch_ranges", "judge_branch_ranges",
    "measure_taxonomy_coverage", "judge_taxonomy_coverage",
    "measure_sample_accuracy", "judge_sample_accuracy",
    "measure_curve_tuning", "judge_curve_tuning", "preferred_angles", "judge_curve_order",
    "measure_article_echoes", "measure_model_echoes", "judge_echo_depth",
    "measure_curve_weights", "judge_curve_pairs", "measure_article_peaks", "judge_best_input",
    "measure_echo_edit", "judge_echo_edit",
    "measure_aann", "judge_aann",
    "measure_hflf_branches", "judge_hflf_branches",
    "measure_hflf_nmf", "judge_hflf_factors", "judge_hflf_anticorrelation",
    "measure_hflf_tuning", "judge_hflf_tuning",
    "measure_branch_membership", "judge_branch_membership",
    "measure_svd_auc", "judge_svd_auc",
    "measure_pair_sums", "judge_signs", "measure_mirror", "judge_mirror",
    "measure_car_kernels", "judge_car", "measure_superposition", "judge_superposition",
    "measure_curve_distribution", "judge_activation_distribution", "judge_sigmas",
]
