"""The nbgrader pipeline, proven through nbgrader's own API and gradebook (fake students autograded).

For every lab: the committed labs/ equal what generation makes now; the solution earns full marks
in every grade cell, handed in with every likely wrong answer (tests/helpers/wrong_answers/) in cells of
its own, each of which fails its check with the hint that names its mistake; the untouched release
earns zero in every grade cell; a submission whose
every answer cell cheats (a one-call library answer, values for the visible checks only, or an attempt
to switch the checks off: tests/helpers/cheats.py), graded by the grading command, earns zero too, each
check cell says why and the report names each attempt. On lab 0, adversarial
submissions: edited and deleted test cells are restored and scored honestly, a warning printed in
a test cell costs nothing, and an answer cell that never ends is stopped while grading goes on.
"""
from __future__ import annotations

import csv
import json
import shutil
import time
from pathlib import Path

import pytest
from helpers.artifacts import record
from helpers.cheat_answers import HARDCODED, TWIN_ANSWERS
from helpers.cheats import TAMPERS, cheat_notebook
from helpers.wrong_answers import case_cells, hint_misses, unearned_hints, wrong_answers, wrong_notebook

from tools.build_labs import differences, generate
from shared_utils._twins import TWINS
from tools.course import LABS, ROOT
from tools.feedback import leaks, machine_prefixes
from tools.grading import Limits, grade_folder
from tools.nbgrader_run import CourseRoot

LAB_IDS = [lab.id for lab in LABS]
TOUR = "lab00_tour"


def _needs_hed(text: str) -> bool:
    """Whether a notebook loads Lab 10's trained VGG16 (its test then asks for the ``hed_wheel`` fixture)."""
    return "load_hed_vgg16" in text


def _nb_path(folder: Path, lab_id: str) -> Path:
    return folder / f"{lab_id}.ipynb"


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def _cell(nb: dict, grade_id: str) -> dict:
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return cell
    raise KeyError(grade_id)


def _max_points(lab_id: str) -> float:
    """The lab's total points, from its solution notebook."""
    nb = _load(_nb_path(ROOT / "solutions" / lab_id, lab_id))
    return float(sum((c.get("metadata", {}).get("nbgrader") or {}).get("points", 0) for c in nb["cells"]
                     if (c.get("metadata", {}).get("nbgrader") or {}).get("grade")))


def _errors_by_cell(nb: dict) -> list[tuple[int, str]]:
    return [(i, f"{o.get('ename')}: {o.get('evalue')}") for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
            for o in c.get("outputs", []) if o.get("output_type") == "error"]


# ----------------------------------------------------------------------------- labs/ is generated


def test_committed_labs_equal_generation(tmp_path: Path) -> None:
    generate(LAB_IDS, tmp_path)
    problems = {lab_id: differences(tmp_path / lab_id, ROOT / "labs" / lab_id) for lab_id in LAB_IDS}
    assert all((ROOT / "labs" / lab_id).is_dir() for lab_id in LAB_IDS), "run `python run.py build-labs`"
    assert not any(problems.values()), f"labs/ differs from generation (run `python run.py build-labs`): {problems}"


def test_sync_check_catches_a_hand_edit(tmp_path: Path) -> None:
    """The comparison above would fail on a hand-edited or incomplete labs/ folder."""
    copy = tmp_path / "copy"
    shutil.copytree(ROOT / "labs" / TOUR, copy)
    assert differences(ROOT / "labs" / TOUR, copy) == []
    nb = _load(_nb_path(copy, TOUR))
    nb["cells"][2]["source"] += "\nedited by hand"
    _nb_path(copy, TOUR).write_text(json.dumps(nb))
    (copy / "extra.txt").write_text("stray file")
    found = differences(ROOT / "labs" / TOUR, copy)
    assert f"changed: {TOUR}.ipynb" in found and "only committed: extra.txt" in found


def test_released_labs_hold_no_solutions() -> None:
    for lab_id in LAB_IDS:
        text = _nb_path(ROOT / "labs" / lab_id, lab_id).read_text()
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME"):
            assert marker not in text, f"labs/{lab_id} leaks {marker!r}"


# ----------------------------------------------------------------------------- every lab, two bots


@pytest.mark.slow
@pytest.mark.parametrize("lab_id", LAB_IDS)
def test_solution_full_marks_and_untouched_release_zero(lab_id: str, tmp_path: Path,
                                                         request: pytest.FixtureRequest) -> None:
    if _needs_hed(_nb_path(ROOT / "solutions" / lab_id, lab_id).read_text()):
        request.getfixturevalue("hed_wheel")  # Lab 10 grades on the trained VGG16: fetched once per session
    course = CourseRoot(tmp_path)
    course.add_source(lab_id, ROOT / "solutions" / lab_id)
    course.generate(lab_id)
    course.submit(lab_id, "empty_bot", ROOT / "labs" / lab_id)  # exactly what students receive
    release = _load(_nb_path(course.root / "labs" / lab_id, lab_id))
    solution_nb = _load(_nb_path(ROOT / "solutions" / lab_id, lab_id))
    # The solution, handed in with the likely wrong answers (tests/helpers/wrong_answers/) in cells of its
    # own before each exercise, each followed by a copy of its check: one run carries every case.
    wrong = wrong_answers(lab_id, solution_nb)
    course.submit(lab_id, "solution_bot", {f"{lab_id}.ipynb": json.dumps(wrong_notebook(release, solution_nb, wrong))})

    course.autograde(lab_id, "solution_bot")
    solution = course.scores(lab_id, "solution_bot")
    assert solution.cells, f"{lab_id} has no grade cells"
    assert solution.failed_cells() == [], f"{lab_id}: the solution loses marks in {solution.failed_cells()}"
    assert solution.score == solution.max_score > 0
    graded = _load(_nb_path(tmp_path / "autograded" / "solution_bot" / lab_id, lab_id))
    cases = case_cells(graded)
    failing = [e for i, e in _errors_by_cell(graded) if i not in cases]
    assert failing == [], f"{lab_id}: cells fail when the solution runs: {failing}"
    # Each wrong answer fails its check with the hint that names its mistake.
    assert hint_misses(graded, wrong) == [], f"{lab_id}: wrong answers without their hint"

    course.autograde(lab_id, "empty_bot")
    empty = course.scores(lab_id, "empty_bot")
    assert empty.scoring_cells() == [], f"{lab_id}: these checks pass on the untouched stub: {empty.scoring_cells()}"
    assert empty.score == 0

    # The honest-grading battery, through the grading command (`run.py grade`, which autogrades with
    # nbgrader's API in its sandbox, then reads the answer cells): every answer cell cheats
    # (tests/helpers/cheats.py), no cell scores, each check cell says why inside the kernel, the report
    # names each attempt, and the feedback shows no hidden test and no path of the grading machine.
    cheat, used = cheat_notebook(release, TWIN_ANSWERS, HARDCODED)
    subs = tmp_path / "cheat-submissions"
    (subs / "cheat_bot").mkdir(parents=True)
    (subs / "cheat_bot" / f"{lab_id}.ipynb").write_text(json.dumps(cheat))
    out = tmp_path / "cheat-graded"
    (result,) = grade_folder(lab_id, subs, out, feedback=True, limits=Limits(timeout=900), log=lambda _: None)
    assert result.status == "graded", f"{lab_id}: {result.status}: {result.message}"
    assert result.score == 0 and set(result.cells) == set(solution.cells), (lab_id, result.cells, used)
    scoring = [c for c, v in result.cells.items() if v]
    assert scoring == [], f"{lab_id}: cheats score in {scoring} ({used})"
    graded = _load(out / result.autograded)
    expect = {"twin": {"LibraryAnswerBlocked"}, "hardcoded": {"CheckFailed"}, **{k: {"ChecksTampered"} for k in TAMPERS}}
    report = " | ".join(result.integrity)
    for exercise, kind in used.items():
        try:
            cell = _cell(graded, f"{exercise}_test")
        except KeyError:
            continue
        names = {o.get("ename") for o in cell.get("outputs", []) if o.get("output_type") == "error"}
        assert names & expect[kind], f"{lab_id}: {kind} cheat in {exercise}: the check cell shows {names or 'no error'}"
        if kind != "hardcoded":
            assert f"{exercise}:" in report, f"{lab_id}: the report does not name the {kind} cheat in {exercise}: {report}"
    with open(out / "report.csv", newline="") as f:
        (row,) = csv.DictReader(f)
    assert row["integrity"] == report and row["score"] == "0"
    html = (out / result.feedback).read_text()
    assert leaks(html, solution_nb, machine_prefixes((str(tmp_path), str(ROOT)))) == [], lab_id
    record("grading", f"battery-{lab_id}", max_score=solution.max_score, solution=solution.score, release=empty.score,
            wrong_answers=sum(len(v) for v in wrong.values()),
            cheat_bot=result.score, cheats=dict(sorted(used.items())), findings=len(result.integrity),
            twins={g: list(TWINS[g]) for g in sorted(used) if g in TWINS}, cheat_grade_s=round(result.seconds, 1),
            cheat_peak_mb=result.peak_mb)


@pytest.mark.parametrize("lab_id", LAB_IDS)
def test_every_exercise_has_its_likely_wrong_answers(lab_id: str) -> None:
    """Two or more visible cases for every exercise that writes a function, one for every question, and
    every visible hint named by a case (the pipeline test above proves that each case gets its hint)."""
    solution = _load(_nb_path(ROOT / "solutions" / lab_id, lab_id))
    wrong = wrong_answers(lab_id, solution)
    few = []
    for cell in solution["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader") or {}
        if not meta.get("solution") or meta.get("grade_id") == "course_setup" or cell["cell_type"] != "code":
            continue
        gid = meta["grade_id"]
        writes_code = any(line.startswith("def ") for line in "".join(cell["source"]).split("\n"))
        cases = [w for w in wrong.get(gid, []) if not (writes_code and w.hidden)]
        if len(cases) < (2 if writes_code else 1):
            few.append(f"{gid} ({len(cases)})")
    assert few == [], f"{lab_id}: exercises without their likely wrong answers: {few}"
    unearned = unearned_hints(solution, wrong)
    assert unearned == [], f"{lab_id}: hints that no listed wrong answer is shown: {unearned}"


def test_zero_check_catches_a_check_that_passes_on_the_stub(tmp_path: Path) -> None:
    """A grade cell that does not depend on the answer scores on the untouched release: we see it."""
    meta = {"schema_version": 3, "task": False}
    nb = {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": "a", "outputs": [], "source":
             "def answer():\n    ### BEGIN SOLUTION\n    return 42\n    ### END SOLUTION",
             "metadata": {"nbgrader": {**meta, "grade": False, "solution": True, "locked": False, "grade_id": "ans"}}},
            {"cell_type": "code", "execution_count": None, "id": "b", "outputs": [], "source": "assert True",
             "metadata": {"nbgrader": {**meta, "grade": True, "solution": False, "locked": True, "points": 1,
                                       "grade_id": "leaky"}}},
            {"cell_type": "code", "execution_count": None, "id": "c", "outputs": [], "source": "assert answer() == 42",
             "metadata": {"nbgrader": {**meta, "grade": True, "solution": False, "locked": True, "points": 1,
                                       "grade_id": "honest"}}},
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    src = tmp_path / "src" / "fixture"
    src.mkdir(parents=True)
    (src / "fixture.ipynb").write_text(json.dumps(nb))
    course = CourseRoot(tmp_path / "course")
    course.add_source("fixture", src)
    released = course.generate("fixture")
    course.submit("fixture", "empty_bot", released)
    course.autograde("fixture", "empty_bot")
    assert course.scores("fixture", "empty_bot").scoring_cells() == ["leaky"]


# ----------------------------------------------------------------------------- adversarial submissions


def _solution_nb() -> dict:
    return _load(_nb_path(ROOT / "solutions" / TOUR, TOUR))


def _grade(course: CourseRoot, student: str, nb: dict):
    course.submit(TOUR, student, {f"{TOUR}.ipynb": json.dumps(nb)})
    course.autograde(TOUR, student)
    return course.scores(TOUR, student)


@pytest.fixture(scope="module")
def tour_course(tmp_path_factory: pytest.TempPathFactory) -> CourseRoot:
    course = CourseRoot(tmp_path_factory.mktemp("tour"))
    course.add_source(TOUR, ROOT / "solutions" / TOUR)
    course.generate(TOUR)
    return course


@pytest.mark.slow
def test_edited_and_deleted_test_cells_are_restored(tour_course: CourseRoot) -> None:
    nb = _solution_nb()
    answer = _cell(nb, "concat_channel")
    answer["source"] = "def concat_channel(sizes, branch, local):\n    return local\n"  # wrong
    cheat = _cell(nb, "concat_channel_test")
    cheat["source"] = "pass"
    cheat["metadata"]["nbgrader"]["points"] = 100
    _cell(nb, "which_branch_test")["source"] = "pass"  # harmless edit of a correct answer's test
    nb["cells"].remove(_cell(nb, "kernel_to_image_test"))  # deleted test cell
    scores = _grade(tour_course, "tamper_bot", nb)
    assert scores.max_score == _max_points(TOUR), "points edited by the student must not count"
    assert scores.cells["concat_channel_test"].score == 0, "the restored test must catch the wrong answer"
    assert scores.cells["which_branch_test"].score == 2
    assert scores.cells["kernel_to_image_test"].score == 2, "a deleted test cell is put back and run"
    assert scores.score == _max_points(TOUR) - 2, "only the wrong answer's 2 points are lost"


@pytest.mark.slow
def test_a_warning_in_a_test_cell_costs_nothing(tour_course: CourseRoot, tmp_path: Path) -> None:
    nb = _solution_nb()
    cell = _cell(nb, "top_k_images")
    cell["source"] = cell["source"].replace(
        '    """Indices of the k images with the largest ``maxes[:, channel]``, largest first."""\n',
        '    """Indices of the k images with the largest ``maxes[:, channel]``, largest first."""\n'
        '    import warnings\n    warnings.warn("this sort could be faster", UserWarning)\n')
    assert "warnings.warn" in cell["source"]
    scores = _grade(tour_course, "warn_bot", nb)
    assert scores.failed_cells() == [] and scores.score == _max_points(TOUR)
    # the same submission without the course's IgnorePattern loses that cell: the setting matters
    strict = CourseRoot(tmp_path, ignore_warnings=False)
    strict.add_source(TOUR, ROOT / "solutions" / TOUR)
    strict.generate(TOUR)
    assert _grade(strict, "warn_bot", nb).failed_cells() == ["top_k_images_test"]


LOOP_CELL_TIMEOUT = 45


@pytest.mark.slow
def test_an_answer_that_runs_forever_is_stopped(tmp_path: Path) -> None:
    course = CourseRoot(tmp_path, cell_timeout=LOOP_CELL_TIMEOUT)
    course.add_source(TOUR, ROOT / "solutions" / TOUR)
    course.generate(TOUR)
    nb = _solution_nb()
    _cell(nb, "which_branch")["source"] = "while True:\n    pass\n"
    start = time.monotonic()
    scores = _grade(course, "loop_bot", nb)
    elapsed = time.monotonic() - start
    assert scores.cells["which_branch_test"].score == 0
    assert set(scores.failed_cells()) == {"which_branch_test"}, "the rest of the lab is graded as usual"
    assert elapsed < LOOP_CELL_TIMEOUT + 120
