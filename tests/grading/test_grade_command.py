"""The grading command (tools/grade.py, tools/grading/) and the Colab repair (tools/colab_repair.py).

One run of ``python -m tools.grade`` over lab 0 grades a folder of fake students: the solution,
the untouched release, an endless loop, allocations far over the memory limit, edited test cells,
deleted cells, a Colab round trip, code that writes outside its folder and reads the gradebook,
files that are not notebooks and an empty folder. Each one gets its own status and the score that
nbgrader's gradebook gives it, none changes another's, and the submissions folder is left as it was.
A run on a tiny lab checks the wall-clock limit, a kernel that kills itself and a background process
that outlives its cell; another shows what the no-sandbox mode detects.
"""
from __future__ import annotations

import copy
import csv
import hashlib
import json
import random
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from tools.colab_repair import GRADING_KEYS, repair
from tools.course import ROOT
from tools.feedback import leaks, machine_prefixes
from tools.grading import STATUSES, bwrap_works, find_submissions, notebook_problem
from tools.nbgrader_run import CourseRoot

TOUR = "lab00_tour"
SANDBOX = "bwrap" if bwrap_works() else "none"


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def _gid(cell: dict) -> str | None:
    return (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")


def _cell(nb: dict, grade_id: str) -> dict:
    return next(c for c in nb["cells"] if _gid(c) == grade_id)


def _solution() -> dict:
    return _load(ROOT / "solutions" / TOUR / f"{TOUR}.ipynb")


def _release() -> dict:
    return _load(ROOT / "labs" / TOUR / f"{TOUR}.ipynb")


def colab_round_trip(nb: dict, seed: int = 0) -> dict:
    """What Colab may hand back: no cell metadata or ids, its own ids, a badge cell, nbformat 4.0."""
    rnd = random.Random(seed)
    out = copy.deepcopy(nb)
    for cell in out["cells"]:
        cell["metadata"] = {"id": "".join(rnd.choice("abcdefghijkLMNOPQ0123456789") for _ in range(12))}
        cell.pop("id", None)
        if isinstance(cell["source"], str):  # Colab stores sources as lists of lines
            cell["source"] = cell["source"].splitlines(keepends=True)
    out["cells"].insert(0, {"cell_type": "markdown", "metadata": {"id": "view-in-github", "colab_type": "text"},
                            "source": ['<a href="https://colab.research.google.com/github/x/y/blob/main/a.ipynb" '
                                       'target="_parent"><img src="https://colab.research.google.com/assets/'
                                       'colab-badge.svg" alt="Open In Colab"/></a>']})
    out["metadata"] = {"colab": {"provenance": []}, "accelerator": "GPU",
                       "kernelspec": {"name": "python3", "display_name": "Python 3"},
                       "language_info": {"name": "python"}}
    out["nbformat_minor"] = 0
    return out


def _tracked(nb: dict) -> list[tuple[str, dict]]:
    return [(_gid(c), {k: c["metadata"]["nbgrader"].get(k) for k in GRADING_KEYS})
            for c in nb["cells"] if _gid(c)]


# ----------------------------------------------------------------------------- repair, no grading


@pytest.mark.parametrize("which", ["solution", "release", "partial"])
def test_colab_round_trip_gets_every_grading_field_back(which: str) -> None:
    original = {"solution": _solution, "release": _release, "partial": _solution}[which]()
    if which == "partial":
        _cell(original, "which_branch")["source"] = "def which_branch(sizes, channel):\n    return (0, channel)\n"
    release = _release()
    fixed, report = repair(colab_round_trip(original), release)
    nbformat.validate(fixed)  # a valid nbformat 4.5 notebook, cell ids included
    assert fixed.nbformat_minor == 5 and fixed.metadata.kernelspec.language == "python"
    assert _tracked(fixed) == _tracked(release), "every answer/test cell carries the lab's metadata, in order"
    # the code is the student's, untouched: cell for cell, the original's sources (the badge aside)
    sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in original["cells"]]
    assert [c.source for c in fixed.cells[1:]] == sources
    assert report.reinserted == [] and "badge" in report.summary()


def test_an_intact_submission_is_left_alone() -> None:
    release = _release()
    fixed, report = repair(release, release)
    assert not report.changed and report.edited == []
    assert json.loads(nbformat.writes(fixed)) == json.loads(nbformat.writes(nbformat.from_dict(release)))


def test_deleted_cells_come_back_in_place() -> None:
    nb = _solution()
    nb["cells"] = [c for c in nb["cells"] if _gid(c) not in ("concat_channel", "concat_channel_test",
                                                             "kernel_to_image_test")]
    release = _release()
    fixed, report = repair(colab_round_trip(nb, seed=3), release)
    assert sorted(report.reinserted) == ["concat_channel", "concat_channel_test", "kernel_to_image_test"]
    assert _tracked(fixed) == _tracked(release)
    ids = [_gid(c) for c in fixed.cells]
    assert ids.index("concat_channel") + 1 == ids.index("concat_channel_test") < ids.index("which_branch")
    assert ids.index("kernel_to_image") + 1 == ids.index("kernel_to_image_test")
    stub = _cell(release, "concat_channel")
    assert fixed.cells[ids.index("concat_channel")].source == "".join(stub["source"]), "the empty stub, no answer"


def test_plain_nbgrader_cannot_grade_the_colab_notebook(tmp_path: Path) -> None:
    """Why the repair exists: nbgrader 0.9.6 itself stops on the round-tripped solution."""
    course = CourseRoot(tmp_path, cell_timeout=60)
    course.add_source(TOUR, ROOT / "solutions" / TOUR)
    course.generate(TOUR)
    course.submit(TOUR, "colab", {f"{TOUR}.ipynb": json.dumps(colab_round_trip(_solution()))})
    result = course.api.autograde(TOUR, "colab", force=True, create=True)
    assert not result["success"] and "KeyError" in result["log"]


def test_submission_layouts(tmp_path: Path) -> None:
    nb = json.dumps(_release())
    (tmp_path / "flat.ipynb").write_text(nb)
    (tmp_path / "flat.pdf").write_bytes(b"%PDF-1.4 not this")
    (tmp_path / "lms" / "x").mkdir(parents=True)
    (tmp_path / "lms" / f"{TOUR}.ipynb").write_text(nb)
    (tmp_path / "lms" / "data.csv").write_text("1,2")
    (tmp_path / "zipcollect" / TOUR).mkdir(parents=True)
    (tmp_path / "zipcollect" / TOUR / f"{TOUR}.ipynb").write_text(nb)
    (tmp_path / "renamed").mkdir()
    (tmp_path / "renamed" / f"{TOUR} (1).ipynb").write_text(nb)
    (tmp_path / "empty").mkdir()
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "scan.jpg").write_bytes(b"\xff\xd8\xff")
    (tmp_path / ".DS_Store").write_bytes(b"x")
    found = {s.student: s for s in find_submissions(tmp_path, TOUR)}
    assert sorted(found) == ["empty", "flat", "lms", "photos", "renamed", "zipcollect"], "flat.pdf yields to flat.ipynb"
    assert found["lms"].notebook == tmp_path / "lms" / f"{TOUR}.ipynb" and found["lms"].folder == tmp_path / "lms"
    assert found["zipcollect"].notebook == tmp_path / "zipcollect" / TOUR / f"{TOUR}.ipynb"
    assert found["renamed"].notebook is not None and "expected" in found["renamed"].note
    assert found["empty"].problem == "missing" and found["photos"].problem == "not_a_notebook"
    assert found["flat"].notebook == tmp_path / "flat.ipynb" and found["flat"].folder is None
    (tmp_path / "noise.bin").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "list.json").write_text("[1, 2]")
    assert "not text" in notebook_problem(tmp_path / "noise.bin")
    assert "not a Jupyter notebook" in notebook_problem(tmp_path / "list.json")
    assert notebook_problem(tmp_path / "flat.ipynb") is None


# ----------------------------------------------------------------------------- one run, many students

WRITER_CELL = '''import pathlib
attempts = {{}}
for target in [{outside!r}, "../../../../../outside_rel.txt"]:
    try:
        pathlib.Path(target).write_text("written by writer_bot")
        attempts[target] = "WROTE"
    except OSError as exc:
        attempts[target] = "blocked: " + type(exc).__name__
for secret in ["../../../gradebook.db", {solutions!r}]:
    try:
        open(secret, "rb").read(16)
        attempts[secret] = "READ"
    except OSError as exc:
        attempts[secret] = "blocked: " + type(exc).__name__
print(attempts)
'''


WRONG_WHICH_BRANCH = "def which_branch(sizes, channel):\n    return (0, channel)\n"


def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _write(path: Path, nb: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb))


def _make_students(subs: Path, outside: Path) -> None:
    nbfile = f"{TOUR}.ipynb"
    _write(subs / "solution_bot.ipynb", _solution())  # a flat file
    _write(subs / "empty_bot" / TOUR / nbfile, _release())  # nbgrader's submitted/ layout

    nb = _solution()
    _cell(nb, "which_branch")["source"] = "while True:\n    pass\n"
    _write(subs / "loop_bot" / nbfile, nb)

    nb = _solution()  # 8 GiB each: would fit this machine untouched, but not under the 6000 MB limit
    _cell(nb, "concat_channel")["source"] = ("hog = bytearray(8 * 2**30)\n"
                                             + "".join(_cell(nb, "concat_channel")["source"]))
    _cell(nb, "top_k_images")["source"] = ("hog2 = torch.empty(8 * 2**30, dtype=torch.uint8)\n"
                                            + "".join(_cell(nb, "top_k_images")["source"]))
    code = WRITER_CELL.format(outside=str(outside / "outside_abs.txt"),
                              solutions=str(ROOT / "solutions" / TOUR / nbfile))
    nb["cells"].insert(2, {"cell_type": "code", "execution_count": None, "id": "writer", "metadata": {},
                           "outputs": [], "source": code})
    _write(subs / "intruder_bot" / nbfile, nb)

    nb = _solution()
    _cell(nb, "which_branch")["source"] = WRONG_WHICH_BRANCH
    cheat = _cell(nb, "which_branch_test")
    cheat["source"] = "pass"
    cheat["metadata"]["nbgrader"]["points"] = 100
    _cell(nb, "top_k_images_test")["source"] = "pass"  # the test of a correct answer, edited: still earns
    nb["cells"] = [c for c in nb["cells"] if _gid(c) not in ("concat_channel", "concat_channel_test",
                                                             "kernel_to_image_test")]
    _write(subs / "tamper_bot" / nbfile, nb)

    nb = _solution()
    _cell(nb, "which_branch")["source"] = WRONG_WHICH_BRANCH
    _write(subs / "colab_bot" / nbfile, colab_round_trip(nb))

    rnd = random.Random(7)
    (subs / "garbage_bot").mkdir()
    (subs / "garbage_bot" / nbfile).write_bytes(rnd.randbytes(3000))
    (subs / "pdf_bot.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + rnd.randbytes(2000))
    (subs / "nobody_bot").mkdir()


def _run_grade(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.grade", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("grade")
    subs, out, work, outside = base / "submissions", base / "out", base / "work", base / "outside"
    subs.mkdir()
    outside.mkdir()
    _make_students(subs, outside)
    before = _digest(subs)
    start = time.monotonic()
    proc = _run_grade([TOUR, str(subs), "--out", str(out), "--timeout", "300", "--cell-timeout", "30",
                       "--memory", "6000", "--feedback", "--jobs", "2", "--work", str(work),
                       "--watch", str(outside), "--sandbox", SANDBOX], timeout=900)
    elapsed = time.monotonic() - start
    print(f"\ngrading command: {elapsed:.0f} s, sandbox {SANDBOX}\n{proc.stdout}\n{proc.stderr[-3000:]}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = _load(out / "report.json")
    with open(out / "report.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    return {"report": report, "by": {s["student"]: s for s in report["students"]}, "rows": rows, "out": out,
            "subs": subs, "before": before, "work": work, "outside": outside, "elapsed": elapsed, "log": proc.stdout}


#: Lab 0's graded cells and their points, read from the solution (the source of truth).
FULL = {_gid(c): float(c["metadata"]["nbgrader"]["points"]) for c in _solution()["cells"]
        if (c.get("metadata", {}).get("nbgrader") or {}).get("grade")}
TOTAL = sum(FULL.values())


def _expect(graded: dict, student: str, status: str, scored: bool, zero: tuple[str, ...] = ()) -> dict:
    """The student's status; with ``scored``, full marks except the ``zero`` cells."""
    score = TOTAL - sum(FULL[z] for z in zero) if scored else None
    r = graded["by"][student]
    assert (r["status"], r["score"]) == (status, score), f"{student}: {r['status']} {r['score']}: {r['message']}"
    assert r["max_score"] == TOTAL
    if score is not None:
        assert r["cells"] == {k: (0.0 if k in zero else v) for k, v in FULL.items()}, r["cells"]
    row = graded["rows"][student]
    assert (row["status"], row["score"]) == (status, "" if score is None else f"{score:g}")
    return r


@pytest.mark.slow
def test_every_student_is_reported(graded: dict) -> None:
    assert set(graded["by"]) == {"solution_bot", "empty_bot", "loop_bot", "intruder_bot", "tamper_bot",
                                 "colab_bot", "garbage_bot", "pdf_bot", "nobody_bot"}
    assert all(r["status"] in STATUSES for r in graded["by"].values())
    assert graded["report"]["sandbox"] == SANDBOX and graded["report"]["submissions_changed"] == []
    assert _digest(graded["subs"]) == graded["before"], "the submissions folder must not change"


@pytest.mark.slow
def test_good_submissions_get_their_marks(graded: dict) -> None:
    """Graded in the same run as the hostile ones, next to them (two at a time)."""
    _expect(graded, "solution_bot", "graded", True)
    _expect(graded, "empty_bot", "graded", True, zero=tuple(FULL))
    feedback = graded["out"] / graded["by"]["solution_bot"]["feedback"]
    assert feedback.is_file() and "concat_channel_test" in feedback.read_text()


@pytest.mark.slow
def test_feedback_gives_no_hidden_test_away(graded: dict) -> None:
    """Every feedback page shows the checks' messages but no hidden test source, marker or machine path."""
    pages = {s: graded["out"] / r["feedback"] for s, r in graded["by"].items() if r.get("feedback")}
    assert {"solution_bot", "empty_bot", "tamper_bot", "colab_bot"} <= set(pages), sorted(pages)
    prefixes = machine_prefixes((str(graded["out"].parent), str(ROOT)))
    for student, page in pages.items():
        # intruder_bot's own answer cell spells out paths of this machine: its source is its own
        assert leaks(page.read_text(), _solution(), [] if student == "intruder_bot" else prefixes) == [], student
        if student == "intruder_bot":
            assert leaks(page.read_text(), _solution()) == []
    empty = pages["empty_bot"].read_text()
    assert "not done yet" in empty and "hidden checks ran here" in empty


@pytest.mark.slow
def test_an_endless_loop_costs_only_its_own_test(graded: dict) -> None:
    r = _expect(graded, "loop_bot", "timeout", True, zero=("which_branch_test",))
    assert "which_branch" in r["message"]


@pytest.mark.slow
def test_huge_allocations_hit_the_memory_limit(graded: dict) -> None:
    r = _expect(graded, "intruder_bot", "out_of_memory", True, zero=("concat_channel_test", "top_k_images_test"))
    assert "concat_channel" in r["message"] and "top_k_images" in r["message"]


@pytest.mark.slow
def test_edited_and_deleted_cells(graded: dict) -> None:
    r = _expect(graded, "tamper_bot", "graded", True, zero=("concat_channel_test", "which_branch_test"))
    assert "which_branch_test, top_k_images_test" in r["message"], "edited test cells are named"
    assert "which_branch_test: 'points' was 100, reset to 2" in r["repairs"]
    assert "put back from the release: concat_channel, concat_channel_test, kernel_to_image_test" in r["repairs"]


@pytest.mark.slow
def test_a_colab_notebook_is_repaired_and_graded_like_the_original(graded: dict) -> None:
    """Same cells, same scores as the original would get: the wrong answer still fails, the rest earns."""
    r = _expect(graded, "colab_bot", "graded", True, zero=("which_branch_test",))
    assert "nbformat 4.0 upgraded" in r["repairs"] and "which_branch (matched by position)" in r["repairs"]


@pytest.mark.slow
def test_files_that_are_not_notebooks(graded: dict) -> None:
    _expect(graded, "garbage_bot", "not_a_notebook", False)
    _expect(graded, "pdf_bot", "not_a_notebook", False)
    _expect(graded, "nobody_bot", "missing", False)


@pytest.mark.slow
def test_writes_outside_the_folder_are_prevented_or_detected(graded: dict) -> None:
    r = graded["by"]["intruder_bot"]
    abs_target, rel_target = graded["outside"] / "outside_abs.txt", graded["work"] / "outside_rel.txt"
    nb = _load(graded["out"] / r["autograded"])
    printed = "".join("".join(o.get("text", "")) for c in nb["cells"] if "writer_bot" in "".join(c["source"])
                      for o in c["outputs"])
    assert "outside_rel.txt" in printed, "the writer cell ran"
    if SANDBOX == "bwrap":
        # a relative write may land in the kernel's private, throwaway /tmp; nothing may reach the host
        assert not abs_target.exists() and not rel_target.exists()
        assert not list(graded["work"].parent.rglob("outside_rel.txt")), "a write escaped to the host"
        assert "READ" not in printed, f"the sandbox let a secret be read: {printed}"
        assert r["outside_writes"] == []
    else:
        assert f"new: {abs_target}" in r["outside_writes"] and f"new: {rel_target}" in r["outside_writes"]
        assert "WROTE OUTSIDE ITS FOLDER" in r["message"]


# ----------------------------------------------------------------------------- limits on a tiny lab

TINY_SOLUTION = "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"


def _tiny_nb(answer: str) -> dict:
    def cell(cid: str, source: str, **nbg: object) -> dict:
        meta = {"nbgrader": {"schema_version": 3, "task": False, **nbg}}
        return {"cell_type": "code", "execution_count": None, "id": cid, "outputs": [], "source": source,
                "metadata": meta}

    return {"cells": [cell("a", answer, grade=False, solution=True, locked=False, grade_id="ans"),
                      cell("b", "assert double(2) == 4", grade=True, solution=False, locked=True, points=1,
                           grade_id="ans_test")],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def _tiny_lab(base: Path) -> Path:
    source = base / "src" / "tiny"
    _write(source / "tiny.ipynb", _tiny_nb(TINY_SOLUTION))
    return source


GOOD = "def double(x):\n    return 2 * x\n"
HANG = ("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)  # ignores the cell timeout's interrupt\n"
        "while True:\n    pass\n")
CRASH = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"
DAEMON = """import os, time
if os.fork() == 0:  # a grandchild in a session of its own, meant to outlive grading
    os.setsid()
    if os.fork() == 0:
        time.sleep(5)
        open("late.txt", "w").write("still running")
        os._exit(0)
    os._exit(0)
""" + GOOD


@pytest.mark.slow
def test_wall_clock_limit_crash_and_stray_processes(tmp_path: Path) -> None:
    source = _tiny_lab(tmp_path)
    subs, work = tmp_path / "subs", tmp_path / "work"
    for name, answer in [("good", GOOD), ("hang", HANG), ("crash", CRASH), ("daemon", DAEMON)]:
        _write(subs / name / "tiny.ipynb", _tiny_nb(answer))
    start = time.monotonic()
    proc = _run_grade(["tiny", str(subs), "--source", str(source), "--out", str(tmp_path / "out"), "--timeout", "30",
                       "--cell-timeout", "120", "--jobs", "2", "--work", str(work), "--keep-work"], timeout=300)
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr[-3000:]
    by = {s["student"]: s for s in _load(tmp_path / "out" / "report.json")["students"]}
    assert (by["good"]["status"], by["good"]["score"]) == ("graded", 1.0)
    assert (by["daemon"]["status"], by["daemon"]["score"]) == ("graded", 1.0)
    assert (by["hang"]["status"], by["hang"]["score"]) == ("timeout", None), by["hang"]["message"]
    assert "30 s limit" in by["hang"]["message"] and 30 <= by["hang"]["seconds"] < 60
    assert (by["crash"]["status"], by["crash"]["score"]) == ("crashed", None), by["crash"]["message"]
    assert "kernel died" in by["crash"]["message"]
    assert elapsed < 240
    time.sleep(7)  # the daemon would have written by now had it survived
    assert not list(work.rglob("late.txt")), "a process started by a student outlived its grading"


WHOAMI = ("import os, pathlib\npathlib.Path('who.txt').write_text(os.environ['HOME'] + ' '"
          " + os.environ['ZOOM_IN_GRADE_TOKEN'])\n") + GOOD


@pytest.mark.slow
def test_one_zygote_serves_every_student_in_a_fresh_child(tmp_path: Path) -> None:
    """The grading children fork from one zygote (nbgrader imported once): after a student is killed
    at the time limit, the next is still graded, and each kernel has its own home and token."""
    from tools.grading import Grader, Limits, find_submissions

    source = _tiny_lab(tmp_path)
    subs, work = tmp_path / "subs", tmp_path / "work"
    for name, answer in [("a_hang", HANG), ("b_who", WHOAMI), ("c_who", WHOAMI)]:
        _write(subs / name / "tiny.ipynb", _tiny_nb(answer))
    grader = Grader("tiny", tmp_path / "out", source=source, work=work, keep_work=True,
                    limits=Limits(timeout=15, cell_timeout=120), log=lambda _: None)
    try:
        results = grader.grade_all(find_submissions(subs, "tiny"), jobs=1)
        zygotes = [z.proc.pid for z in grader._zygotes]
    finally:
        grader.close()
    by = {r.student: r for r in results}
    assert (by["a_hang"].status, by["a_hang"].score) == ("timeout", None), by["a_hang"].message
    # graded, at 0: the static reading flags an answer that reads os.environ (tools/integrity.py)
    assert [(by[s].status, by[s].score) for s in ("b_who", "c_who")] == [("graded", 0.0)] * 2
    assert len(zygotes) == 1, "a new zygote was started: the killed student's child took it down"
    seen = [(work / f"s{i:03d}" / "course" / "autograded" / f"{s}" / "tiny" / "who.txt").read_text().split()
            for i, s in ((1, "b_who"), (2, "c_who"))]
    assert [Path(home).parent.name for home, _ in seen] == ["s001", "s002"]
    assert seen[0][1] != seen[1][1]


@pytest.mark.slow
def test_without_a_sandbox_writes_are_detected(tmp_path: Path) -> None:
    source = _tiny_lab(tmp_path)
    subs, outside = tmp_path / "subs", tmp_path / "outside"
    outside.mkdir()
    writer = f"import pathlib\npathlib.Path({str(outside / 'x.txt')!r}).write_text('x')\n" + GOOD
    _write(subs / "writer" / "tiny.ipynb", _tiny_nb(writer))
    proc = _run_grade(["tiny", str(subs), "--source", str(source), "--out", str(tmp_path / "out"), "--sandbox",
                       "none", "--watch", str(outside), "--cell-timeout", "60", "--timeout", "120"], timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "WARNING: grading WITHOUT a sandbox" in proc.stdout
    by = {s["student"]: s for s in _load(tmp_path / "out" / "report.json")["students"]}
    assert by["writer"]["status"] == "graded" and by["writer"]["score"] == 1.0
    assert f"new: {outside / 'x.txt'}" in by["writer"]["outside_writes"]
    assert "WROTE OUTSIDE ITS FOLDER" in by["writer"]["message"]


# ----------------------------------------------------------------------------- a class across machines


@pytest.mark.slow
def test_shards_merged_equal_one_run(tmp_path: Path) -> None:
    """Three shards (`--shard K/3`) merged give byte for byte the report.csv of one unsharded run, and the
    same feedback; merge refuses a missing shard, a shard given twice and a shard of another lab version."""
    from tools.grade import main as grade_main

    source = _tiny_lab(tmp_path)
    subs = tmp_path / "subs"
    answers = {"ada": GOOD, "bo": "def double(x):\n    return x\n", "gus": "def double(x):\n    raise NotImplementedError()\n"}
    for name, answer in answers.items():
        _write(subs / name / "tiny.ipynb", _tiny_nb(answer))
    (subs / "fay.txt").write_text("not a notebook")  # shard 3, with bo
    common = ["tiny", str(subs), "--source", str(source), "--feedback", "--cell-timeout", "60", "--timeout", "120"]
    assert grade_main(common + ["--out", str(tmp_path / "all")]) == 0
    shards = [tmp_path / f"shard-{k}" for k in (1, 2, 3)]
    for k, out in enumerate(shards, 1):
        assert grade_main(common + ["--out", str(out), "--shard", f"{k}/3"]) == 0
    sizes = [len(_load(out / "report.json")["students"]) for out in shards]
    assert sizes == [1, 1, 2], f"the test's names no longer spread over the three shards: {sizes}"
    assert grade_main(["merge", "--out", str(tmp_path / "merged")] + [str(s) for s in shards]) == 0
    merged, single = tmp_path / "merged", tmp_path / "all"
    assert (merged / "report.csv").read_bytes() == (single / "report.csv").read_bytes()
    files = lambda root: sorted(p.relative_to(root).as_posix() for p in root.rglob("*")  # noqa: E731
                                if p.is_file() and p.parts[len(root.parts)] in ("feedback", "autograded"))
    assert files(merged) == files(single) and len(files(single)) == 6  # three notebooks graded, two files each
    for rel in files(single):
        if rel.startswith("feedback/"):
            assert (merged / rel).read_text() == (single / rel).read_text(), rel
    by = {s["student"]: s for s in _load(merged / "report.json")["students"]}
    assert (by["ada"]["score"], by["bo"]["score"], by["gus"]["score"]) == (1.0, 0.0, 0.0)
    assert by["fay"]["status"] == "not_a_notebook"

    from tools.shards import ShardError, merge

    with pytest.raises(ShardError, match=r"missing: \[2\]"):
        merge([shards[0], shards[2]], tmp_path / "m1")
    with pytest.raises(ShardError, match="given twice"):
        merge([shards[0], shards[0], shards[1], shards[2]], tmp_path / "m2")
    with pytest.raises(ShardError, match="not empty"):
        merge(shards, merged)  # nothing already there is overwritten
    report = _load(shards[1] / "report.json")
    report["lab_version"] = "0" * 16  # as if shard 2 had graded an edited lab
    (shards[1] / "report.json").write_text(json.dumps(report))
    with pytest.raises(ShardError, match="graded differently.*lab_version"):
        merge(shards, tmp_path / "m3")
    assert grade_main(common + ["--out", str(tmp_path / "x"), "--shard", "4/3"]) == 2


@pytest.mark.slow
def test_grading_benchmark_smoke() -> None:
    """benchmarks/bench_grading.py --quick: both runs grade every student alike, and it prints its figures."""
    from benchmarks.bench_grading import main

    figures = main(["--quick"])
    assert figures["same_scores"] and figures["all_graded"] and figures["students"] == 2
    assert figures["one_job_s"] > 0 and figures["jobs_s"] > 0 and figures["peak_mb"] > 0
