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
