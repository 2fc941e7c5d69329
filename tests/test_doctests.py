"""Every ``>>>`` example in ``shared_utils`` runs as a doctest and shows what it says.

Examples that need a model or data are usage blocks without prompts; an example with a prompt must
run here, offline, on the untrained stand-in settings of the suite. About 5 s (imports).
"""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import shared_utils


def test_every_prompted_example_runs() -> None:
    attempted, failures = 0, []
    for info in pkgutil.walk_packages(shared_utils.__path__, "shared_utils."):
        module = importlib.import_module(info.name)
        result = doctest.testmod(module, verbose=False, report=False,
                                 optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        attempted += result.attempted
        if result.failed:
            failures.append(f"{info.name}: {result.failed} of {result.attempted} failed")
    assert not failures, "doctests failed (run `python -m pytest --doctest-modules <file>` to see them): " + "; ".join(failures)
    assert attempted >= 8, f"only {attempted} doctest examples found: were the examples' prompts removed?"
