"""Lab feedback says what was expected, what was given, and a hint."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from shared_utils.checks import CheckFailed, check, check_close, check_equal, check_raises, check_shape


def test_messages_are_readable() -> None:
    with pytest.raises(CheckFailed) as err:
        check_equal("concat_channel(mixed3b, 2, 59)", 59, 379, hint="add the earlier branches")
    text = str(err.value)
    assert "expected: 379" in text and "you gave: 59" in text and "hint: add the earlier branches" in text
    assert isinstance(err.value, AssertionError)


def test_passing_checks_print_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    check_equal("same", [1, 2], [1, 2])
    check_close("close", torch.tensor([1.0, 2.0]), np.array([1.0, 2.00001]))
    check_shape("shape", np.zeros((2, 3)), (2, 3))
    check(True, "true")
    out = capsys.readouterr()
    assert out.out.count("✓") == 4 and out.err == ""


def test_failures() -> None:
    with pytest.raises(CheckFailed, match="largest difference"):
        check_close("x", torch.tensor([1.0, 2.0]), [1.0, 2.5])
    with pytest.raises(CheckFailed, match="wrong shape"):
        check_close("x", [1.0], [1.0, 2.0])
    with pytest.raises(CheckFailed, match="wrong shape"):
        check_shape("x", np.zeros((2, 3)), (3, 2))
    with pytest.raises(CheckFailed, match="no error"):
        check_raises("x", lambda: None, IndexError)
    with pytest.raises(CheckFailed, match="ValueError"):
        check_raises("x", lambda: int("a"), IndexError)
    with pytest.raises(CheckFailed):
        check(False, "x", hint="y")
    with pytest.raises(CheckFailed):
        check_equal("arrays", np.array([1, 2]), [1, 3])


def test_unimplemented_stub_is_not_hidden() -> None:
    def stub():
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        check_raises("x", stub, IndexError)


def test_check_rejects_swapped_arguments() -> None:
    """check("text", condition) would always pass (a non-empty string is true): refuse it."""
    with pytest.raises(TypeError, match="check\\(condition, what\\)"):
        check("all units are in the 5x5 branch", False)  # type: ignore[arg-type]
    check(np.bool_(True), "numpy booleans are fine")
    check(torch.tensor(True), "0-d torch booleans are fine")


def test_a_wrong_tensor_says_where_it_differs() -> None:
    got = torch.zeros(3, 3)
    got[1, 2], got[2, 0] = 0.5, 3.0
    with pytest.raises(CheckFailed) as err:
        check_close("the kernel", got, torch.zeros(3, 3), hint="look at row 2")
    text = str(err.value)
    assert "2 of 9 entries differ" in text and "first at index (1, 2): expected 0, you gave 0.5" in text
    assert "largest difference at (2, 0): expected 0, you gave 3" in text
    assert "tolerance: |difference| <= 1e-06 + 0.0001 x |expected|" in text and "hint: look at row 2" in text
    with pytest.raises(CheckFailed, match="first at index \\(1,\\)"):
        check_equal("labels", np.array([1, 2, 3]), [1, 5, 3])
    with pytest.raises(CheckFailed, match="not a number or array"):
        check_close("x", None, 1.0)


def test_questions_teach_whether_right_or_wrong(capsys: pytest.CaptureFixture[str]) -> None:
    from shared_utils.checks import ExerciseNotDone, check_choice, check_number, check_option

    options = ["the 3x3 branch", "the 5x5 branch", "the pool branch"]
    check_option("which branch", "b", options)
    check_choice("which branch", "B", options, "b", why="large receptive fields")
    assert "b. large receptive fields" in capsys.readouterr().out
    with pytest.raises(CheckFailed) as err:
        check_choice("which branch", "a", options, "b", why="large receptive fields")
    assert "you chose: a" in str(err.value) and "why: large receptive fields" in str(err.value)
    with pytest.raises(CheckFailed, match="not one of the options"):
        check_option("which branch", "e", options)
    with pytest.raises(ExerciseNotDone):
        check_option("which branch", None, options)
    check_choice("all that apply", ["c", "a"], options, ["a", "c"], why="both")
    with pytest.raises(CheckFailed):
        check_choice("all that apply", ["a"], options, ["a", "c"], why="both")
    check_number("the p-value's exponent", -23.2, -23.0, tolerance=0.5, why="hypergeometric tail")
    with pytest.raises(CheckFailed, match="within 0.5"):
        check_number("the p-value's exponent", -20, -23.0, tolerance=0.5, why="hypergeometric tail")
