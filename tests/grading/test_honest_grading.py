"""Honest grading: a check cell cannot be switched off, and a library twin cannot answer an exercise.

One small lab (one exercise with a library twin, ``topk_accuracy``; a check cell with visible and
hidden checks) carries every cheat of ``tests/helpers/cheats.py`` as its own student. They are
graded three ways: through nbgrader's API with the course's settings (the kernel-side guard only),
the same with the guard left out (the cheats must then score: proof that this test can fail), and
through ``python -m tools.grade`` (guard, static reading of the answer cells, report and feedback).
A kernel session then shows what a student sees in their own run. Cost: about 2 minutes on 2 cores.
"""
from __future__ import annotations

import csv
import json
import subprocess
import sys

import nbformat
import pytest
from helpers.cheats import TAMPERS, cheat_notebook

from tools.course import LABS, ROOT
from tools.feedback import leaks, machine_prefixes
from tools.integrity import scan
from tools.nbgrader_run import CourseRoot
from tools.notebooks import CHECK_MARKER

LAB = "tiny"
SOLUTION = '''def topk_accuracy(logits, targets, k=5):
    """Fraction of rows whose target is among the k largest logits."""
    ### BEGIN SOLUTION
    if not 1 <= k <= logits.shape[1]:
        raise ValueError(f"k must be in 1..{logits.shape[1]}")
    order = logits.argsort(dim=1, descending=True)[:, :k]
    return float((order == targets.view(-1, 1)).any(dim=1).double().mean())
    ### END SOLUTION'''
CHECKS = CHECK_MARKER.format(exercise="topk_accuracy") + '''
import torch

from shared_utils.checks import check, check_close

toy = torch.tensor([[0.1, 0.9, 0.5], [0.8, 0.1, 0.3]])
check_close("top-1 on the toy logits", topk_accuracy(toy, torch.tensor([1, 2]), 1), 0.5)
check(isinstance(topk_accuracy(toy, torch.tensor([1, 2]), 1), float), "returns a Python float")
### BEGIN HIDDEN TESTS
big = torch.arange(20.0).view(4, 5)
check_close("top-2 where every target is the largest logit", topk_accuracy(big, torch.tensor([4, 4, 4, 4]), 2), 1.0)
check_close("top-1 with no target on top", topk_accuracy(big, torch.tensor([0, 1, 2, 3]), 1), 0.0)
### END HIDDEN TESTS'''
TWIN = '''from shared_utils.labs import handbuilt as hb


def topk_accuracy(logits, targets, k=5):
    return hb.topk_accuracy(logits, targets, k)
'''
HARDCODED = '''def topk_accuracy(logits, targets, k=5):
    return 0.5  # the visible check's value
'''
#: The twin kept where a module-level swap would not reach it: in a list (found with a computed
#: getattr name), a default argument, a closure, a module imported only while the check runs, or
#: the module under its release-0.1 name (shared_utils/_moved.py).
HIDDEN_TWINS = {
    "list": """from shared_utils.labs import handbuilt as hb

_answer = [getattr(hb, "topk_" + "accuracy")]


def topk_accuracy(logits, targets, k=5):
    return _answer[0](logits, targets, k)
""",
    "default": """from shared_utils.labs.handbuilt import topk_accuracy as _ref


def topk_accuracy(logits, targets, k=5, _f=_ref):
    return _f(logits, targets, k)
""",
    "closure": """def _make():
    from shared_utils.labs.handbuilt import topk_accuracy as ref

    def topk_accuracy(logits, targets, k=5):
        return ref(logits, targets, k)
    return topk_accuracy


topk_accuracy = _make()
""",
    "old_path": """from shared_utils import handbuilt as hb  # release 0.1's name of shared_utils.labs.handbuilt


def topk_accuracy(logits, targets, k=5):
    return hb.topk_accuracy(logits, targets, k)
""",
    "late_import": """import sys

sys.modules.pop("shared_utils.labs.handbuilt", None)


def topk_accuracy(logits, targets, k=5):
    import shared_utils.labs.handbuilt as late

    return late.topk_accuracy(logits, targets, k)
""",
}
CHEATS = ("twin", "hardcoded", *TAMPERS, *(f"twin_{k}" for k in HIDDEN_TWINS))


def _nb(answer: str) -> dict:
    def cell(cid: str, source: str, **nbg: object) -> dict:
        return {"cell_type": "code", "execution_count": None, "id": cid, "outputs": [], "source": source,
                "metadata": {"nbgrader": {"schema_version": 3, "task": False, **nbg}}}

    return {"cells": [cell("a", answer, grade=False, solution=True, locked=False, grade_id="topk_accuracy"),
                      cell("b", CHECKS, grade=True, solution=False, locked=True, points=2,
                           grade_id="topk_accuracy_test")],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def _students(release: dict) -> dict[str, dict]:
    subs = {"solution_bot": _nb(SOLUTION), "empty_bot": release}
    for kind in CHEATS:
        if kind == "twin":
            nb, _ = cheat_notebook(release, answers={"topk_accuracy": TWIN})
        elif kind == "hardcoded":
            nb, _ = cheat_notebook(release, hardcoded={"topk_accuracy": HARDCODED})
        elif kind.startswith("twin_"):
            nb, _ = cheat_notebook(release, answers={"topk_accuracy": HIDDEN_TWINS[kind[len("twin_"):]]})
        else:
            nb, used = cheat_notebook(release, kinds=(kind,))
            assert used == {"topk_accuracy": kind}
        subs[f"{kind}_bot"] = nb
    return subs


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("honest")
    source = base / "src" / LAB
    source.mkdir(parents=True)
    (source / f"{LAB}.ipynb").write_text(json.dumps(_nb(SOLUTION)))
    course = CourseRoot(base / "course")
    course.add_source(LAB, source)
    released = course.generate(LAB)
    release = json.loads((released / f"{LAB}.ipynb").read_text())
    return {"base": base, "source": source, "course": course, "release": release, "students": _students(release)}


def _autograde(course: CourseRoot, students: dict[str, dict]) -> dict[str, float]:
    scores = {}
    for name, nb in students.items():
        course.submit(LAB, name, {f"{LAB}.ipynb": json.dumps(nb)})
        course.autograde(LAB, name)
        scores[name] = course.scores(LAB, name).cells["topk_accuracy_test"].score
    return scores


def _errors(course: CourseRoot, student: str) -> list[str]:
    nb = json.loads((course.root / "autograded" / student / LAB / f"{LAB}.ipynb").read_text())
    return [o["ename"] for c in nb["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]


@pytest.mark.slow
def test_every_cheat_scores_zero_through_nbgrader(tiny: dict) -> None:
    course = tiny["course"]
    scores = _autograde(course, tiny["students"])
    assert scores.pop("solution_bot") == 2.0 and scores.pop("empty_bot") == 0.0
    assert scores == {f"{k}_bot": 0.0 for k in CHEATS}, scores
    assert _errors(course, "twin_bot") == ["LibraryAnswerBlocked"]
    for kind in HIDDEN_TWINS:  # late_import also empties sys.modules' entry: the guard restores it first
        assert _errors(course, f"twin_{kind}_bot") in (["LibraryAnswerBlocked"], ["ChecksTampered"]), kind
    assert _errors(course, "hardcoded_bot") == ["CheckFailed"]  # the hidden checks catch it
    for kind in TAMPERS:
        assert _errors(course, f"{kind}_bot") == ["ChecksTampered"], kind


@pytest.mark.slow
def test_without_the_guard_the_cheats_score(tiny: dict) -> None:
    """The battery can fail: the same kernels without the course's guard give the cheats points."""
    course = CourseRoot(tiny["base"] / "unguarded")
    course.config.Execute.extra_arguments = ["--HistoryManager.hist_file=:memory:"]
    course.add_source(LAB, tiny["source"])
    course.generate(LAB)
    cheats = {k: v for k, v in tiny["students"].items() if k in ("twin_bot", "twin_old_path_bot", "patch_bot",
                                                                     "custom_exc_bot", "modules_bot")}
    scores = _autograde(course, cheats)
    assert scores == {"twin_bot": 2.0, "twin_old_path_bot": 2.0, "patch_bot": 2.0, "custom_exc_bot": 2.0,
                      "modules_bot": 2.0}, scores


@pytest.mark.slow
def test_the_grade_command_reports_each_attempt(tiny: dict) -> None:
    base = tiny["base"]
    subs, out = base / "subs", base / "out"
    for name, nb in tiny["students"].items():
        (subs / name).mkdir(parents=True)
        (subs / name / f"{LAB}.ipynb").write_text(json.dumps(nb))
    proc = subprocess.run([sys.executable, "-m", "tools.grade", LAB, str(subs), "--source", str(tiny["source"]),
                           "--out", str(out), "--feedback", "--jobs", "2", "--cell-timeout", "120",
                           "--timeout", "300"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    by = {s["student"]: s for s in json.loads((out / "report.json").read_text())["students"]}
    assert by["solution_bot"]["score"] == 2.0 and by["solution_bot"]["integrity"] == []
    assert by["empty_bot"]["score"] == 0.0 and by["empty_bot"]["integrity"] == []
    for kind in CHEATS:
        r = by[f"{kind}_bot"]
        assert r["status"] == "graded" and r["score"] == 0.0, (kind, r)
        if kind != "hardcoded":
            assert r["integrity"], f"{kind}: nothing reported"
    assert any("getattr" in x for x in by["twin_list_bot"]["integrity"])
    assert any("library answer" in x and "hb.topk_accuracy" in x for x in by["twin_bot"]["integrity"])
    assert any("set_custom_exc" in x for x in by["custom_exc_bot"]["integrity"])
    assert any("sys.modules" in x for x in by["modules_bot"]["integrity"])
    with open(out / "report.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert rows["patch_bot"]["integrity"] and not rows["solution_bot"]["integrity"]
    # Feedback: every check message, no hidden test and no path of the grading machine.
    source_nb = _nb(SOLUTION)
    for name in tiny["students"]:
        html = (out / by[name]["feedback"]).read_text()
        assert leaks(html, source_nb, machine_prefixes((str(base),))) == [], name
    assert "top-2 where every target is the largest logit" in (out / by["hardcoded_bot"]["feedback"]).read_text()
    assert "IntegrityFinding" in (out / by["patch_bot"]["feedback"]).read_text()


def test_the_static_reading_finds_each_cheat(tiny: dict) -> None:
    release = tiny["release"]
    assert scan(release, release) == [] and scan(_nb(SOLUTION), release) == []
    found = {name: scan(nb, release) for name, nb in tiny["students"].items() if name.endswith("_bot")}
    assert found.pop("hardcoded_bot") == [] and found.pop("empty_bot") == [] and found.pop("solution_bot") == []
    for name, fs in found.items():
        assert fs and all(f.zeroed == ("topk_accuracy_test",) for f in fs), (name, fs)


@pytest.mark.parametrize("lab_id", [lab.id for lab in LABS])
def test_the_course_own_notebooks_raise_no_finding(lab_id: str) -> None:
    """Neither the solution nor the untouched release reads as an attempt (no false alarm)."""
    name = f"{lab_id}.ipynb"
    solution = json.loads((ROOT / "solutions" / lab_id / name).read_text())
    release = json.loads((ROOT / "labs" / lab_id / name).read_text())
    assert scan(solution, release) == [] and scan(release, release) == []


def _run(cells: list[str], grading: bool) -> list[list[tuple[str, str]]]:
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    env = {"NBGRADER_EXECUTION": "autograde"} if grading else {}
    import os

    client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                            extra_arguments=["--ext=shared_utils._guard"] if grading else [])
    client.execute(env={**os.environ, **env})
    out = []
    for c in nb.cells:
        out.append([(o.output_type if o.output_type != "error" else o.ename,
                     o.get("text", "") or "\n".join(o.get("traceback", []))) for o in c.outputs])
    return out


INSTALL = "import shared_utils.checks\nshared_utils.checks.install()"
STUB = "def double(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
MARK = CHECK_MARKER.format(exercise="double")


@pytest.mark.slow
def test_what_a_student_sees_in_their_own_run() -> None:
    """Run All goes on past an unfinished exercise (its check and the cells that use it say they wait);
    every failing check shows, without internal frames; a cell's last value is still displayed."""
    cells = [INSTALL, STUB,
             MARK + "\nfrom shared_utils.checks import check\ncheck(double(2) == 4, 'double(2) is 4')",
             "ys = [double(i) for i in range(3)]\nys",
             "print(len(ys))",
             "q = None\n# YOUR CODE HERE\nraise NotImplementedError()",
             "print('the lab goes on')",
             "def double(x):\n    return 2 * x + 1",
             "ys = [double(i) for i in range(3)]\nys",
             MARK + "\nimport torch\nfrom shared_utils.checks import check, check_close\n"
                    "check(double(2) == 4, 'double(2) is 4', hint='twice x, nothing added')\n"
                    "check(double(0) == 0, 'double(0) is 0')\n"
                    "check_close('double of a tensor', double(torch.ones(2, 3)), 2 * torch.ones(2, 3))\n"
                    "check(True, 'a passing check')"]
    out = _run(cells, grading=False)
    assert [k for k, _ in out[2]] == ["stream"] and "Not done yet" in out[2][0][1]
    assert [k for k, _ in out[3]] == ["stream"] and "Waiting for an exercise" in out[3][0][1] and "`double`" in out[3][0][1]
    assert [k for k, _ in out[4]] == ["stream"] and "needs `ys`" in out[4][0][1]
    assert [k for k, _ in out[5]] == ["stream"] and "Not answered yet" in out[5][0][1]
    assert out[6] == [("stream", "the lab goes on\n")]
    assert [k for k, _ in out[8]] == ["execute_result"], out[8]
    kinds = [k for k, _ in out[9]]
    assert kinds == ["stream", "CheckFailed"], out[9]
    text = out[9][1][1]
    assert "3 checks failed" in text and "hint: twice x, nothing added" in text
    assert "where:" in text and "first at index (0, 0): expected 2, you gave 3" in text
    assert "checks.py" not in text and "_fail(" not in text


@pytest.mark.slow
def test_under_nbgrader_an_unfinished_exercise_is_an_error() -> None:
    out = _run([STUB, MARK + "\nfrom shared_utils.checks import check\ncheck(double(2) == 4, 'double(2) is 4')"],
               grading=True)
    assert [k for k, _ in out[1]] == ["ExerciseNotDone"] and "not done yet" in out[1][0][1]


def test_the_twins_table_names_real_exercises_and_functions() -> None:
    """Every key of shared_utils/_twins.py is one lab's exercise; every twin it names exists."""
    import importlib

    from shared_utils._twins import TWINS

    owners: dict[str, list[str]] = {}
    for lab in LABS:
        nb = json.loads((ROOT / "solutions" / lab.id / f"{lab.id}.ipynb").read_text())
        for c in nb["cells"]:
            meta = c.get("metadata", {}).get("nbgrader") or {}
            if meta.get("solution"):
                owners.setdefault(meta["grade_id"], []).append(lab.id)
    for exercise, twins in TWINS.items():
        assert len(owners.get(exercise, [])) == 1, f"{exercise}: in labs {owners.get(exercise)}"
        for dotted in twins:
            parts = dotted.split(".")
            for i in range(len(parts) - 1, 0, -1):
                try:
                    obj = importlib.import_module(".".join(parts[:i]))
                except ImportError:
                    continue
                for name in parts[i:]:
                    obj = getattr(obj, name)  # AttributeError: the table names something that does not exist
                break
            else:
                raise AssertionError(f"{exercise}: {dotted} imports nothing")


def test_the_leak_check_reads_text_not_embedded_pictures() -> None:
    """A plot's base64 bytes may spell "/tmp"; a path in the page's text is still found."""
    picture = '<img src="data:image/png;base64,iVBORw0KGgo/tmpAAAAN/tmp/SUhEUgAA+/=">'
    assert leaks(f"<p>ok</p>{picture}", {"cells": []}, ["/tmp"]) == []
    assert leaks(f"<p>saved in /tmp/x</p>{picture}", {"cells": []}, ["/tmp"]) == ["path: /tmp"]
