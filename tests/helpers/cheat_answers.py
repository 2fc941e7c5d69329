"""Per-exercise cheats that need to know the exercise: one-call library answers and hard-coded values.

``TWIN_ANSWERS[exercise]`` is an answer cell that answers with one call to one of the exercise's twins
(``shared_utils/_twins.py``); ``HARDCODED[exercise]`` is one that satisfies the exercise's visible
checks only. The battery (tests/test_grading_pipeline.py) gives every other answer cell a generic
attempt to switch the checks off (tests/helpers/cheats.py).
"""
from __future__ import annotations

TWIN_ANSWERS: dict[str, str] = {}
HARDCODED: dict[str, str] = {}
