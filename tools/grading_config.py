"""nbgrader settings for the course, shared by nbgrader_config.py, CI and the grading command."""
from __future__ import annotations

from pathlib import Path

from traitlets.config import Config

#: stderr output matching this is not held against a test cell: Python warnings and progress bars
#: (shared_utils/_progress.py: text lines ending in a rate, items or bytes per second).
IGNORED_STDERR = r"Warning:|warnings\.warn|it/s\]|s/it\]|B/s\]"
#: The IPython extension every grading kernel loads first.
GUARD_EXTENSION = "shared_utils._guard"
#: Per-cell time limit while grading, seconds (torch imports and model builds need more than 30 s).
CELL_TIMEOUT = 300


def apply(c: Config, root: "str | Path | None" = None, *, cell_timeout: int | None = None) -> Config:
    """Fill ``c`` with the course's nbgrader settings; ``root`` is the course directory."""
    if root is not None:
        c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = "zoom-in"
    c.CourseDirectory.source_directory = "solutions"
    c.CourseDirectory.release_directory = "labs"
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.py"]
    c.Execute.timeout = cell_timeout or CELL_TIMEOUT
    c.Execute.interrupt_on_timeout = True
    # Every grading and validating kernel loads the course's check guard before any student code runs
    # (shared_utils/_guard.py: checks that cannot be switched off, library twins off during a check).
    c.Execute.extra_arguments = ["--HistoryManager.hist_file=:memory:", f"--ext={GUARD_EXTENSION}"]
    c.IgnorePattern.enabled = True
    c.IgnorePattern.pattern = IGNORED_STDERR
    c.OverwriteCells.add_missing_cells = True
    # Feedback shows check messages, never hidden tests or the grading machine's paths (tools/feedback.py).
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import GetGrades

    from .feedback import HideTests

    c.GenerateFeedback.preprocessors = [GetGrades, HideTests, CSSHTMLHeaderPreprocessor]
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    return c


def config(root: "str | Path | None" = None, **kwargs: object) -> Config:
    return apply(Config(), root, **kwargs)  # type: ignore[arg-type]
