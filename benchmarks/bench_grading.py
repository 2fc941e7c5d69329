"""Benchmark: grading a class with one student at a time vs the default number of jobs.

The runs grade the same N copies of a realistic submission (a lab's solution, handed in by N
students) with the grading command's own code (``tools.grading.grade_folder``, its sandbox when bwrap
works), in one process, one after the other: 1 job, the default jobs, and the default jobs again with
a fresh Python interpreter per student's grading child instead of a fork of the zygote that
imported nbgrader once (tools/grading/sandbox.py ``_Zygote``). The script checks that all runs gave every
student the same scores, and prints students per minute for each, their ratios, the largest peak memory of one
student, and an estimate of a 300-student class on a machine with ``--cores`` cores (an estimate
from the measured rate, not a measurement).

    .venv/bin/python benchmarks/bench_grading.py                       # lab 0, 6 students
    .venv/bin/python benchmarks/bench_grading.py --lab lab03_high_low --students 8
    .venv/bin/python benchmarks/bench_grading.py --quick               # smoke test (a tiny lab, 2 students)

The labs run as grading runs them: set ``COURSE_FAST=1`` for the tests' small settings.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: A one-exercise lab whose kernel imports numpy only: the per-student overhead alone (--quick).
TINY = {"cells": [
    {"cell_type": "code", "execution_count": None, "id": "a", "outputs": [], "metadata": {"nbgrader": {
        "schema_version": 3, "task": False, "grade": False, "solution": True, "locked": False, "grade_id": "ans"}},
     "source": "import numpy as np\n\n\ndef double(x):\n    ### BEGIN SOLUTION\n    return 2 * np.asarray(x)\n"
               "    ### END SOLUTION"},
    {"cell_type": "code", "execution_count": None, "id": "b", "outputs": [], "metadata": {"nbgrader": {
        "schema_version": 3, "task": False, "grade": True, "solution": False, "locked": True, "points": 1,
        "grade_id": "ans_test"}}, "source": "assert (double([1, 2]) == [2, 4]).all()"}],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    "nbformat": 4, "nbformat_minor": 5}


def _class(folder: Path, notebook: Path, lab_id: str, n: int) -> Path:
    for i in range(n):
        (folder / f"student{i:03d}").mkdir(parents=True)
        shutil.copyfile(notebook, folder / f"student{i:03d}" / f"{lab_id}.ipynb")
    return folder


def _grade(lab_id: str, subs: Path, out: Path, jobs: int, source: Path | None, fork: bool = True
           ) -> tuple[float, list]:
    from tools.grading import grade_folder

    t0 = time.perf_counter()
    results = grade_folder(lab_id, subs, out, jobs=jobs, source=source, fork=fork, log=lambda _: None)
    return time.perf_counter() - t0, results


def main(argv: list[str] | None = None) -> dict:
    from tools.grading import default_jobs

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lab", default="lab00_tour", help="the lab whose solution every student hands in")
    p.add_argument("--students", type=int, default=6, help="N: the class size of each run")
    p.add_argument("--jobs", type=int, default=None, help="the second run's jobs (default: the command's default)")
    p.add_argument("--cores", type=int, default=4, help="the machine of the class-size estimate")
    p.add_argument("--quick", action="store_true", help="a tiny lab and 2 students (smoke test)")
    a = p.parse_args(argv)
    jobs = a.jobs or default_jobs()
    n = 2 if a.quick else a.students
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        base = Path(tmp)
        if a.quick:
            lab_id, source = "tiny", base / "src" / "tiny"
            source.mkdir(parents=True)
            (source / "tiny.ipynb").write_text(json.dumps(TINY))
            notebook = source / "tiny.ipynb"
        else:
            lab_id, source = a.lab, None
            notebook = ROOT / "solutions" / lab_id / f"{lab_id}.ipynb"
        subs = _class(base / "subs", notebook, lab_id, n)
        one_s, one = _grade(lab_id, subs, base / "one", 1, source)
        many_s, many = _grade(lab_id, subs, base / "many", jobs, source)
        spawn_s, spawn = _grade(lab_id, subs, base / "spawn", jobs, source, fork=False)
    scores = lambda rs: [(r.student, r.score, r.cells) for r in rs]  # noqa: E731
    same = scores(one) == scores(many) == scores(spawn)
    graded = all(r.status == "graded" for r in one + many + spawn)
    rate1, rate_j = 60 * n / one_s, 60 * n / many_s
    peak = max((r.peak_mb or 0.0) for r in one + many)
    # a class of 300 on --cores cores: the measured per-job rate, scaled by the jobs that machine gets
    per_job = rate_j / max(1, min(jobs, os.cpu_count() or 1))
    class_min = 300 / (per_job * a.cores)
    figures = {"lab": lab_id, "students": n, "jobs": jobs, "one_job_s": round(one_s, 1), "jobs_s": round(many_s, 1),
               "students_per_min_1": round(rate1, 2), "students_per_min_jobs": round(rate_j, 2),
               "ratio": round(one_s / many_s, 2), "spawn_s": round(spawn_s, 1),
               "fork_vs_spawn": round(many_s / spawn_s, 2), "peak_mb": round(peak), "same_scores": same, "all_graded": graded,
               "class_300_minutes_estimate": round(class_min, 1), "estimate_cores": a.cores}
    print(f"grading {n} copies of {lab_id}'s solution on {os.cpu_count()} cores:")
    print(f"  1 job:    {one_s:7.1f} s  {rate1:6.2f} students/min")
    print(f"  {jobs} jobs:   {many_s:7.1f} s  {rate_j:6.2f} students/min   ratio {one_s / many_s:.2f}x")
    print(f"  {jobs} jobs, a fresh interpreter per student instead of a fork of the zygote: {spawn_s:7.1f} s;"
          f" zygote / fresh: {many_s / spawn_s:.2f}")
    print(f"  same scores in all runs: {same}; all graded: {graded}; largest peak of one student: {peak:.0f} MB")
    print(f"  estimate, not a measurement: 300 students on {a.cores} cores at this per-job rate: {class_min:.0f} min")
    if not (same and graded):
        raise SystemExit("the two runs disagree or a student was not graded: the comparison is void")
    return figures


if __name__ == "__main__":
    main()
