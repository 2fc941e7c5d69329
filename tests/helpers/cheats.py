"""Submissions that try to score without doing the work (the honest-grading battery).

A cheat submission starts from the released lab. Each answer cell gets one attempt:

* ``twin``: the exercise answered by one call to a library function (its answer from
  ``tests/helpers/cheat_answers.py`` when the lab declares one);
* ``hardcoded``: values that satisfy the visible checks only (also from ``cheat_answers``);
* a generic attempt to switch the checks off, with a dummy answer behind it: ``patch`` (replace
  ``shared_utils.checks``' functions, ``torch.allclose`` and ``numpy.allclose``), ``custom_exc``
  (swallow every error: an AST transformer that wraps later cells in ``try``/``except``, IPython's
  ``set_custom_exc`` and ``sys.excepthook``), ``names`` (the check
  helpers redefined by name), ``modules`` (a fake ``shared_utils.checks`` in ``sys.modules``).

Locked cells are edited too (``edit_locked``): nbgrader puts them back. Every cheat must score no
more on any cell than the untouched release.
"""
from __future__ import annotations

import copy
import re

PATCH = '''import numpy as _np
import torch as _torch

import shared_utils.checks as _c

_noop = lambda *a, **k: None  # noqa: E731
_c.check = _c.check_close = _c.check_equal = _c.check_shape = _c.check_raises = _noop
_c.check_choice = _c.check_option = _c.check_number = _c.check_statements = _noop
_torch.allclose = lambda *a, **k: True
_np.allclose = lambda *a, **k: True
'''
CUSTOM_EXC = '''import ast as _ast
import sys as _sys


class _Swallow(_ast.NodeTransformer):  # every later cell runs inside try: ... except BaseException: pass
    def visit_Module(self, node):
        handler = _ast.ExceptHandler(_ast.Name("BaseException", _ast.Load()), None, [_ast.Pass()])
        return _ast.fix_missing_locations(_ast.Module([_ast.Try(node.body or [_ast.Pass()], [handler], [], [])], []))


get_ipython().ast_transformers.insert(0, _Swallow())
get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)
_sys.excepthook = lambda *a: None
'''
NAMES = '''def check(*a, **k):
    return None


check_close = check_equal = check_shape = check_raises = check_choice = check_option = check_number = check
check_statements = check


class CheckFailed(Exception):
    pass
'''
MODULES = '''import sys as _sys
import types as _types

_fake = _types.ModuleType("shared_utils.checks")
for _n in ("check", "check_close", "check_equal", "check_shape", "check_raises", "check_choice", "check_option",
           "check_number", "check_statements", "passed"):
    setattr(_fake, _n, lambda *a, **k: None)
_fake.CheckFailed = AssertionError
_sys.modules["shared_utils.checks"] = _fake
'''
TAMPERS = {"patch": PATCH, "custom_exc": CUSTOM_EXC, "names": NAMES, "modules": MODULES}


def _meta(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader") or {}


def _src(cell: dict) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def dummy_answer(stub: str) -> str:
    """The release's stub with its ``raise NotImplementedError()`` replaced by a wrong, plausible answer."""
    out = []
    for line in stub.split("\n"):
        m = re.match(r"^(\s*)raise NotImplementedError\(\)", line)
        if m and m.group(1):
            out.append(f"{m.group(1)}return None")
        elif m:
            out.append("pass")
        else:
            out.append(line)
    text = "\n".join(out)
    for var in re.findall(r"^(\w+) = None\b", text, flags=re.M):  # question answers: not one of the options
        text += f"\n{var} = 'z'"
    return text


def cheat_notebook(release: dict, answers: dict[str, str] | None = None, hardcoded: dict[str, str] | None = None,
                   kinds: tuple[str, ...] = tuple(TAMPERS)) -> tuple[dict, dict[str, str]]:
    """A copy of ``release`` where every answer cell cheats; returns it and {answer grade_id: cheat}."""
    nb = copy.deepcopy(release)
    used: dict[str, str] = {}
    k = 0
    for cell in nb["cells"]:
        meta = _meta(cell)
        if cell.get("cell_type") != "code":
            continue
        if meta.get("solution"):
            gid = meta["grade_id"]
            if answers and gid in answers:
                cell["source"], used[gid] = answers[gid], "twin"
            elif hardcoded and gid in hardcoded:
                cell["source"], used[gid] = hardcoded[gid], "hardcoded"
            else:
                kind = kinds[k % len(kinds)]
                k += 1
                cell["source"], used[gid] = TAMPERS[kind] + "\n" + dummy_answer(_src(cell)), kind
        elif meta.get("grade") and meta.get("locked"):
            cell["source"] = "pass  # edited by the student: nbgrader restores it\n"
    return nb, used
