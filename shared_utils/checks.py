"""Feedback for lab exercises: what was expected, what you gave, and a hint.

Lab test cells call these instead of bare ``assert`` so that a student sees a sentence, not an
``AssertionError`` with no message. A failed check raises :class:`CheckFailed` (an
``AssertionError``, so nbgrader scores the cell 0). In a notebook a failure shows as a short,
clearly marked message without the course's internal frames (``%fulltb`` prints the whole
traceback). :func:`install` (the labs' set-up cell calls it) also makes every failing check of a
check cell show, not only the first, and switches off, while a check cell runs, the library
functions that would answer its exercise in one call (see ``shared_utils/_twins.py``).

>>> check_equal("branch_to_concat('mixed3b_5x5', 59)", 379, 379)
✓ branch_to_concat('mixed3b_5x5', 59)
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np
import torch

__all__ = ["CheckFailed", "ExerciseNotDone", "LibraryAnswerBlocked", "ChecksTampered", "check", "check_equal",
           "check_close", "check_shape", "check_raises", "check_choice", "check_option", "check_number", "check_statements", "passed", "install"]

_RED, _DIM, _BOLD, _END = "\x1b[31m", "\x1b[2m", "\x1b[1m", "\x1b[0m"


def _short(title: str, message: str, foot: str) -> list[str]:
    lines = [f"{_BOLD}{_RED}{title}{_END}"] + [f"{_RED}{line}{_END}" if line.lstrip().startswith("✗") else line
                                              for line in message.splitlines()]
    return lines + ([f"{_DIM}{foot}{_END}"] if foot else [])


class CheckFailed(AssertionError):
    """A lab check that did not pass; its message explains why."""

    def _render_traceback_(self) -> list[str]:  # IPython shows this instead of the traceback
        return _short("Check failed", str(self), "(%fulltb in a new cell prints the full traceback)")


class ExerciseNotDone(NotImplementedError):
    """A check ran on an exercise whose answer is still the stub ``raise NotImplementedError()``."""

    def _render_traceback_(self) -> list[str]:
        return _short("Not done yet", str(self), "")


class LibraryAnswerBlocked(RuntimeError):
    """A library function that answers the running check's exercise in one call was called."""

    def _render_traceback_(self) -> list[str]:
        return _short("Write this one yourself", str(self), "")


class ChecksTampered(RuntimeError):
    """An earlier cell changed the checks, the test helpers or the error display: the check cannot count."""

    def _render_traceback_(self) -> list[str]:
        return _short("This check cannot run", str(self), "")


def _fmt(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        if value.numel() <= 8:
            return f"tensor({value.detach().cpu().tolist()})"
        return f"tensor of shape {tuple(value.shape)}"
    if isinstance(value, np.ndarray):
        return f"array({value.tolist()})" if value.size <= 8 else f"array of shape {value.shape}"
    text = repr(value)
    return text if len(text) < 200 else text[:197] + "..."


def _as_array(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        if value.is_complex():
            return value.numpy()
        return value.double().numpy()
    return np.asarray(value)


def _where(got: np.ndarray, expected: np.ndarray, bad: np.ndarray) -> str:
    """Where two same-shape arrays differ: how many entries, the first, and the worst one."""
    idx = np.argwhere(bad)
    n, total = len(idx), bad.size
    first = tuple(int(i) for i in idx[0])
    diff = np.abs(np.nan_to_num(got.astype(np.float64) - expected.astype(np.float64), nan=np.inf))
    diff = np.where(bad, diff, -1.0)
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), bad.shape)) if bad.ndim else ()
    text = f"{n} of {total} entries differ; first at index {first}: expected {expected[first]:.6g}, you gave {got[first]:.6g}"
    if worst != first:
        text += f"; largest difference at {worst}: expected {expected[worst]:.6g}, you gave {got[worst]:.6g}"
    return text


def _fail(what: str, expected: str, got: str, hint: str | None, *, detail: str | None = None,
          tolerance: str | None = None) -> None:
    lines = [f"{what}", f"    expected: {expected}", f"    you gave: {got}"]
    if detail:
        lines.append(f"    where:    {detail}")
    if tolerance:
        lines.append(f"    tolerance: {tolerance}")
    if hint:
        lines.append(f"    hint: {hint}")
    raise CheckFailed("\n".join(lines))


def passed(what: str) -> None:
    """Print a short success line (to stdout: nbgrader only penalises stderr)."""
    print(f"✓ {what}")


def check(condition: bool, what: str, hint: str | None = None) -> None:
    """A yes/no check with an explanation: ``check(x > 0, "x is positive")``."""
    if isinstance(condition, str) or not isinstance(what, str):
        raise TypeError("use check(condition, what): the condition first, then a sentence saying what it checks; "
                        f"got check({condition!r}, {what!r})")
    if not bool(condition):
        raise CheckFailed(f"✗ {what}" + (f"\n    hint: {hint}" if hint else ""))
    passed(what)


def check_equal(what: str, got: Any, expected: Any, hint: str | None = None) -> None:
    """``got == expected`` exactly (ints, strings, tuples, lists, arrays)."""
    if isinstance(got, (torch.Tensor, np.ndarray)):
        g, e = _as_array(got), np.asarray(_as_array(expected) if isinstance(expected, torch.Tensor) else expected)
        if g.shape != e.shape:
            _fail(f"✗ {what}: wrong shape", str(tuple(e.shape)), str(tuple(g.shape)), hint)
        bad = g != e
        if bool(np.any(bad)):
            _fail(f"✗ {what}", _fmt(expected), _fmt(got), hint, detail=_where(g, e, bad) if g.ndim else None)
        passed(what)
        return
    try:
        same = bool(got == expected)
    except (TypeError, ValueError):
        same = False
    if not same:
        _fail(f"✗ {what}", _fmt(expected), _fmt(got), hint)
    passed(what)


def check_close(what: str, got: Any, expected: Any, *, rtol: float = 1e-4, atol: float = 1e-6,
                hint: str | None = None) -> None:
    """Numbers or arrays equal within a tolerance: ``|got - expected| <= atol + rtol * |expected|``."""
    tol = f"|difference| <= {atol:g} + {rtol:g} x |expected|"
    if isinstance(got, (int, float)) and not isinstance(got, bool) and isinstance(expected, (int, float)):
        if not math.isclose(float(got), float(expected), rel_tol=rtol, abs_tol=atol):
            _fail(f"✗ {what}", f"{float(expected):.6g}", f"{float(got):.6g}", hint, tolerance=tol)
        passed(what)
        return
    if got is None or isinstance(got, (str, bytes)):
        _fail(f"✗ {what}: not a number or array", _fmt(expected), _fmt(got), hint)
    try:
        g = np.asarray(_as_array(got), dtype=np.float64)
    except (TypeError, ValueError) as err:
        _fail(f"✗ {what}: not a number or array", _fmt(expected), f"{type(got).__name__} ({err})", hint)
    e = np.asarray(_as_array(expected), dtype=np.float64)
    if g.shape != e.shape:
        _fail(f"✗ {what}: wrong shape", str(tuple(e.shape)), str(tuple(g.shape)), hint)
    bad = ~np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=False)
    if bool(np.any(bad)):
        worst = float(np.nanmax(np.where(bad, np.abs(g - e), 0.0))) if not np.isnan(g).any() else float("nan")
        detail = _where(g, e, bad) if g.ndim else None
        _fail(f"✗ {what} (largest difference {worst:.3g})", _fmt(expected), _fmt(got), hint, detail=detail,
              tolerance=tol)
    passed(what)


def check_shape(what: str, got: Any, shape: tuple[int, ...], hint: str | None = None) -> None:
    actual = tuple(getattr(got, "shape", ()))
    if actual != tuple(shape):
        _fail(f"✗ {what}: wrong shape", str(tuple(shape)), str(actual), hint)
    passed(what)


def check_raises(what: str, fn: Callable[[], Any], exc: type[BaseException], hint: str | None = None) -> None:
    """``fn()`` must raise ``exc`` (e.g. a bad channel must raise an IndexError)."""
    try:
        fn()
    except exc:
        passed(what)
        return
    except NotImplementedError:
        raise
    except Exception as other:  # noqa: BLE001
        _fail(f"✗ {what}", f"{exc.__name__} raised", f"{type(other).__name__}: {other}", hint)
    _fail(f"✗ {what}", f"{exc.__name__} raised", "no error", hint)


def check_choice(what: str, got: Any, options: Sequence[str], expected: Any, *, why: str) -> None:
    """A prediction or interpretation question answered by choosing among ``options``.

    ``got`` is the student's choice (a letter ``"a"``, ``"b"``, ... or an option's full text, or a
    list of letters for "choose all that apply" when ``expected`` is a list). ``why`` explains the
    answer; it is shown whether the answer is right or wrong, so the feedback teaches.
    """
    letters = [chr(ord("a") + i) for i in range(len(options))]

    def letter(x: Any) -> str:
        if isinstance(x, str):
            x = x.strip()
            if x.lower() in letters:
                return x.lower()
            for ltr, opt in zip(letters, options):
                if x.lower() == opt.lower():
                    return ltr
        raise CheckFailed(f"✗ {what}: not one of the options\n    you gave: {x!r}\n    "
                          f"answer with one of {', '.join(repr(ltr) for ltr in letters)}")

    many = isinstance(expected, (list, tuple, set))
    want = sorted(letter(x) for x in expected) if many else letter(expected)
    if got is Ellipsis or got is None:
        raise ExerciseNotDone(f"the question {what!r} is not answered yet: set your answer to one of "
                              f"{', '.join(repr(ltr) for ltr in letters)} in the cell above")
    have = sorted({letter(x) for x in got}) if many and not isinstance(got, str) else letter(got)
    if have != want:
        shown = ", ".join(have) if isinstance(have, list) else have
        right = ", ".join(want) if isinstance(want, list) else want
        raise CheckFailed(f"✗ {what}\n    you chose: {shown}\n    the answer: {right}\n    why: {why}")
    passed(f"{what}: {', '.join(want) if isinstance(want, list) else want}. {why}")


def check_option(what: str, got: Any, options: Sequence[str]) -> None:
    """The visible half of a question: ``got`` is one of the option letters (the grading checks which).

    ``None`` or ``...`` means "not answered yet" (in a student's own run the lab goes on; graded, it
    scores 0).
    """
    letters = [chr(ord("a") + i) for i in range(len(options))]
    if got is Ellipsis or got is None:
        raise ExerciseNotDone(f"the question {what!r} is not answered yet: set your answer to one of "
                              f"{', '.join(repr(ltr) for ltr in letters)} in the cell above")
    picks = [got] if isinstance(got, str) else list(got) if isinstance(got, (list, tuple, set)) else [got]
    if isinstance(got, (list, tuple, set)) and not picks:
        raise ExerciseNotDone(f"the question {what!r} is not answered yet: choose one or more of "
                              f"{', '.join(repr(ltr) for ltr in letters)} in the cell above")
    bad = [x for x in picks if not (isinstance(x, str) and x.strip().lower() in letters)]
    if bad or not picks:
        raise CheckFailed(f"✗ {what}: not one of the options\n    you gave: {got!r}\n    "
                          f"answer with {' or '.join(repr(ltr) for ltr in letters)}")
    passed(f"{what}: answered {', '.join(x.strip().lower() for x in picks)} (graded when you hand in the lab)")


def check_statements(what: str, statements: dict[str, Any]) -> None:
    """The visible half of a True/False question set: every statement answered with True or False.

    Statements still ``None`` mean "not answered yet" (in a student's own run the lab goes on; graded,
    the cell scores 0). The grading checks which answers are right.
    """
    if not isinstance(statements, dict) or not statements:
        raise CheckFailed(f"✗ {what}: expected a dict of statement -> True/False\n    you gave: {_fmt(statements)}")
    left = [k for k, v in statements.items() if v is None or v is Ellipsis]
    if left:
        raise ExerciseNotDone(f"{len(left)} of {len(statements)} statements are not answered yet: replace each "
                              f"None with True or False (first: {left[0]!r})")
    bad = [k for k, v in statements.items() if not isinstance(v, (bool, np.bool_))]
    if bad:
        raise CheckFailed(f"✗ {what}: every answer is True or False\n    you gave: {statements[bad[0]]!r} for "
                          f"{bad[0]!r}\n    hint: write True or False, without quotes")
    passed(f"{what}: all {len(statements)} answered (graded when you hand in the lab)")


def check_number(what: str, got: Any, expected: float, *, tolerance: float, why: str) -> None:
    """A numeric prediction, right within ``tolerance``; ``why`` explains the answer either way."""
    if got is Ellipsis or got is None:
        raise ExerciseNotDone(f"the question {what!r} is not answered yet: write your number in the cell above")
    try:
        value = float(got)
    except (TypeError, ValueError):
        raise CheckFailed(f"✗ {what}: not a number\n    you gave: {got!r}") from None
    if not abs(value - expected) <= tolerance:
        raise CheckFailed(f"✗ {what}\n    you gave: {value:.4g}\n    the answer: {expected:.4g} "
                          f"(within {tolerance:g})\n    why: {why}")
    passed(f"{what}: {expected:.4g}. {why}")


def install() -> None:
    """Turn on the course's check cells in this notebook (the labs' set-up cell calls it; safe to repeat).

    Failing checks show as short messages, every failing check of a cell is listed, an unfinished
    exercise says so in one line, and the library functions that would answer the running check's
    exercise in one call are switched off while it runs. Outside IPython it does nothing.
    """
    from . import _guard

    _guard.install()
