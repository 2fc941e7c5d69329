"""Feedback for lab exercises: what was expected, what you gave, and a hint.

Lab test cells call these instead of bare ``assert`` so that a student sees a sentence, not an
``AssertionError`` with no message. A failed check raises :class:`CheckFailed` (an
``AssertionError``, so nbgrader scores the cell 0).

>>> check_equal("branch_to_concat('mixed3b_5x5', 59)", 379, 379)
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import torch

__all__ = ["CheckFailed", "check", "check_equal", "check_close", "check_shape", "check_raises", "passed"]


class CheckFailed(AssertionError):
    """A lab check that did not pass; its message explains why."""


def _fmt(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        if value.numel() <= 8:
            return f"tensor({value.detach().cpu().tolist()})"
        return f"tensor of shape {tuple(value.shape)}"
    if isinstance(value, np.ndarray):
        return f"array({value.tolist()})" if value.size <= 8 else f"array of shape {value.shape}"
    text = repr(value)
    return text if len(text) < 200 else text[:197] + "..."


def _fail(what: str, expected: str, got: str, hint: str | None) -> None:
    lines = [f"{what}", f"    expected: {expected}", f"    you gave: {got}"]
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
        raise CheckFailed(f"{what}" + (f"\n    hint: {hint}" if hint else ""))
    passed(what)


def check_equal(what: str, got: Any, expected: Any, hint: str | None = None) -> None:
    """``got == expected`` exactly (ints, strings, tuples, lists)."""
    if isinstance(got, torch.Tensor) or isinstance(got, np.ndarray):
        same = got.shape == np.asarray(expected).shape and bool(np.all(np.asarray(got.tolist()) == np.asarray(expected)))
    else:
        try:
            same = bool(got == expected)
        except (TypeError, ValueError):
            same = False
    if not same:
        _fail(f"✗ {what}", _fmt(expected), _fmt(got), hint)
    passed(what)


def check_close(what: str, got: Any, expected: Any, *, rtol: float = 1e-4, atol: float = 1e-6,
                hint: str | None = None) -> None:
    """Numbers or arrays equal within a tolerance."""
    if isinstance(got, (int, float)) and isinstance(expected, (int, float)):
        if not math.isclose(float(got), float(expected), rel_tol=rtol, abs_tol=atol):
            _fail(f"✗ {what}", _fmt(expected), _fmt(got), hint)
        passed(what)
        return
    g = torch.as_tensor(np.asarray(got.detach().cpu() if isinstance(got, torch.Tensor) else got, dtype=np.float64))
    e = torch.as_tensor(np.asarray(expected.detach().cpu() if isinstance(expected, torch.Tensor) else expected,
                                   dtype=np.float64))
    if g.shape != e.shape:
        _fail(f"✗ {what}: wrong shape", str(tuple(e.shape)), str(tuple(g.shape)), hint)
    if not torch.allclose(g, e, rtol=rtol, atol=atol, equal_nan=False):
        worst = (g - e).abs().max().item()
        _fail(f"✗ {what} (largest difference {worst:.3g})", _fmt(expected), _fmt(got), hint)
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
