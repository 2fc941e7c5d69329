"""Check one lab end to end through nbgrader, for authors: ``python -m tools.check_lab lab03_high_low``.

Generates the release into labs/<lab>/ (unless --no-write), autogrades the solution and the
untouched release as fake students in a temporary course root, and prints every grade cell's
score: the solution must get full marks everywhere, the release zero everywhere. With
--lecture it also executes course/<lecture> top to bottom.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from .build_labs import generate
from .course import ROOT
from .nbgrader_run import CourseRoot


def _fast_env() -> None:
    shared = ROOT.parent / "shared" / "data"
    os.environ.setdefault("ZOOM_IN_WEIGHTS", "untrained")
    os.environ.setdefault("ZOOM_IN_DEVICE", "cpu")
    os.environ.setdefault("COURSE_FAST", "1")
    if shared.is_dir():
        os.environ.setdefault("ZOOM_IN_DATA", str(shared))


def check(lab_id: str, write: bool = True) -> bool:
    _fast_env()
    if write:
        generate([lab_id], ROOT / "labs")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        course = CourseRoot(Path(tmp))
        course.add_source(lab_id, ROOT / "solutions" / lab_id)
        course.generate(lab_id)
        course.submit(lab_id, "solution_bot", ROOT / "solutions" / lab_id)
        course.submit(lab_id, "empty_bot", ROOT / "labs" / lab_id)
        for student, want_full in (("solution_bot", True), ("empty_bot", False)):
            start = time.monotonic()
            course.autograde(lab_id, student)
            scores = course.scores(lab_id, student)
            print(f"{student}: {scores.score}/{scores.max_score} in {time.monotonic() - start:.0f} s")
            for cell in scores.cells.values():
                good = cell.score == cell.max_score if want_full else cell.score == 0
                ok &= good
                print(f"  {'ok ' if good else 'BAD'} {cell.grade_id}: {cell.score}/{cell.max_score}")
            graded = Path(tmp) / "autograded" / student / lab_id / f"{lab_id}.ipynb"
            if graded.exists():
                for c in json.loads(graded.read_text())["cells"]:
                    for o in c.get("outputs", []):
                        if o.get("output_type") == "error" and (want_full or o.get("ename") not in
                                                                 ("NotImplementedError", "ExerciseNotDone", "NameError", "CheckFailed")):
                            print(f"  error in a cell: {o.get('ename')}: {o.get('evalue')[:200]}")
                            ok = ok and not want_full
    return ok


def run_lecture(name: str) -> bool:
    import nbformat
    from nbclient import NotebookClient

    _fast_env()
    path = ROOT / "course" / name
    nb = nbformat.read(path, as_version=4)
    start = time.monotonic()
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    print(f"{name} ran in {time.monotonic() - start:.0f} s")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("lab")
    parser.add_argument("--lecture", help="also execute this course/ notebook")
    parser.add_argument("--no-write", action="store_true", help="do not regenerate labs/<lab>")
    args = parser.parse_args(argv)
    ok = check(args.lab, write=not args.no_write)
    if args.lecture:
        ok &= run_lecture(args.lecture)
    print("OK" if ok else "PROBLEMS FOUND")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
