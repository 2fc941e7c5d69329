"""The course's progress bars: one function, :func:`bar`, that every long loop in ``shared_utils`` uses.

Where the bar goes depends on where the code runs, read at each call:

* **A notebook front-end** (JupyterLab, Jupyter Notebook, VS Code, Colab: an IPython kernel with
  ipywidgets): tqdm's widget bar (:mod:`tqdm.notebook`). It appears only once the loop has run for
  :data:`WIDGET_DELAY` seconds, so quick calls show nothing, and it disappears when the loop is done
  (``leave=False``) unless the loop stopped early.
* **Under nbgrader** (the environment variable ``NBGRADER_EXECUTION`` is set while a notebook is
  validated or autograded; ``shared_utils._guard`` reads the same variable) and **outside a
  notebook** (a script, a terminal, pytest): plain text on ``stderr``, whole lines only, no carriage
  returns and no widget, so an autograded notebook and its feedback HTML hold a few short lines
  (never "Error displaying widget"). The first line comes after :data:`TEXT_DELAY` seconds (quick
  loops print nothing), later ones at most every :data:`TEXT_INTERVAL` seconds and, when the total
  is known, only after another 1/:data:`TEXT_LINES` of it, then one final line: a handful of lines
  per loop at most. Every line ends in tqdm's rate (``[00:12<00:30, 1.50it/s]``), which
  ``tools/grading_config.py``'s ``IGNORED_STDERR`` matches, so the lines never cost a check cell
  its points (download bars, ``unit="B"``, end in ``kB/s]``, which it matches too).
* **Switched off**: ``ZOOM_IN_PROGRESS=0`` (also ``false``, ``no``, ``off``) in the environment
  silences every bar of the course, as does ``progress=False`` for one call.

Usage inside the package::

    for start in bar(range(0, n, batch_size), desc="activations", progress=progress):
        ...
    with bar(total=size, desc="weights", unit="B", progress=progress) as b:
        b.update(len(block))
"""
from __future__ import annotations

import math
import os
import sys
from typing import Any, Iterable, Literal, TypeVar

from tqdm.std import tqdm as _text_tqdm

__all__ = ["bar", "mode", "ENV", "WIDGET_DELAY", "TEXT_DELAY", "TEXT_INTERVAL", "TEXT_LINES"]

T = TypeVar("T")

#: The environment variable that switches every bar off (``0``, ``false``, ``no`` or ``off``).
ENV = "ZOOM_IN_PROGRESS"
#: Set by nbgrader while it validates or autogrades a notebook.
GRADING_ENV = "NBGRADER_EXECUTION"
_OFF = frozenset({"0", "false", "no", "off"})

#: Seconds a loop runs before its widget bar appears (quicker loops show none).
WIDGET_DELAY = 1.0
#: Seconds a loop runs before its first text line.
TEXT_DELAY = 5.0
#: At least this many seconds between two text lines of one bar.
TEXT_INTERVAL = 15.0
#: With a known total, at most about this many text lines between the first and the last.
TEXT_LINES = 4


def mode() -> str:
    """Where bars go now: ``"off"`` (``ZOOM_IN_PROGRESS=0``), ``"text"`` (nbgrader, or no notebook) or ``"widget"``."""
    if os.environ.get(ENV, "").strip().lower() in _OFF:
        return "off"
    if os.environ.get(GRADING_ENV):
        return "text"
    return "widget" if _in_notebook() else "text"


def _in_notebook() -> bool:
    """An IPython kernel talking to a front-end that can show widgets (tqdm.autonotebook's test)."""
    if "ipykernel.zmqshell" not in sys.modules:
        return False
    if any(k == "QT_API" or k.startswith("SPYDER") for k in os.environ):
        return False  # qtconsole, Spyder: no widgets
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except Exception:  # pragma: no cover - IPython is a dependency of ipykernel
        return False
    name = type(shell).__name__.lower() if shell is not None else ""
    if shell is None or "qt" in name or "spyder" in name:
        return False
    try:
        from tqdm.notebook import IProgress
    except Exception:  # pragma: no cover
        return False
    return IProgress is not None  # ipywidgets importable


class _Lines:
    """A file for tqdm that turns its ``\\r``-rewritten status into whole lines on ``sys.stderr``.

    Blank writes (tqdm clearing its line) are dropped, so every line written is a status line. The
    stream is looked up at each write, so pytest's capture and a notebook kernel's stream both work.
    """

    encoding = "utf-8"

    def write(self, text: str) -> int:
        parts = [p.strip() for p in str(text).replace("\n", "\r").split("\r")]
        last = next((p for p in reversed(parts) if p), "")
        if last:
            stream = sys.stderr
            stream.write(last + "\n")
            stream.flush()
        return len(text)

    def flush(self) -> None:
        pass


def bar(
    iterable: "Iterable[T] | None" = None,
    *,
    total: "float | None" = None,
    desc: str = "",
    progress: bool = True,
    leave: bool = False,
    unit: Literal["it", "B"] = "it",
) -> "_text_tqdm[T]":
    """A tqdm progress bar (iterate over it, or call ``update(n)``; use as a context manager to close it).

    Args:
        iterable: what to loop over (``total`` defaults to its ``len``); ``None`` for a manual bar.
        total: the number of steps (or bytes) expected; ``None``: unknown.
        desc: the bar's label, e.g. ``"rendering 10 image(s)"``.
        progress: ``False`` gives a silent bar (same object, no output).
        leave: keep the finished widget bar on screen (text bars always end with a final line).
        unit: ``"it"`` (steps), or ``"B"`` for downloads (bytes, shown as kB, MB, ...). Only these two:
            nbgrader ignores stderr ending in ``it/s]``, ``s/it]`` or ``B/s]`` (tools/grading_config.py).

    Where it is shown (widget, text lines or nowhere) is described in the module docstring.
    """
    where = mode() if progress else "off"
    if total is None and iterable is not None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    if unit not in ("it", "B"):
        raise ValueError(f"unit must be 'it' or 'B', got {unit!r}")
    common: dict[str, Any] = dict(total=total, desc=desc or None, unit=unit, unit_scale=unit == "B")
    if where == "off":
        return _text_tqdm(iterable, disable=True, **common)
    if where == "widget":
        from tqdm.notebook import tqdm as widget_tqdm

        return widget_tqdm(iterable, leave=leave, delay=WIDGET_DELAY, **common)
    every = max(1, math.ceil(total / TEXT_LINES)) if total else 1
    # miniters fixed (no dynamic adjustment) and maxinterval off: only time and progress decide a new line
    return _text_tqdm(iterable, file=_Lines(), leave=True, ncols=0, delay=TEXT_DELAY, mininterval=TEXT_INTERVAL,
                      maxinterval=math.inf, miniters=every, ascii=True, dynamic_ncols=False, **common)
