"""nbgrader settings for the course, shared by nbgrader_config.py, CI and the grading command."""
from __future__ import annotations

from pathlib import Path

from traitlets.config import Config

#: stderr output matching this is not held against a test cell: Python warnings and progress bars.
IGNORED_STDERR = r"Warning:|warnings\.warn|it/s\]|s/it\]"
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
    c.IgnorePattern.enabled = True
    c.IgnorePattern.pattern = IGNORED_STDERR
    c.OverwriteCells.add_missing_cells = True
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    return c


def config(root: "str | Path | None" = None, **kwargs: object) -> Config:
    return apply(Config(), root, **kwargs)  # type: ignore[arg-type]
