"""The grading child: what runs, in the student's private root, for one student (``python -m tools.grade
--one SPEC``), and the zygote that forks it (``python -m tools.grade --zygote``)."""
from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from .report import _tail
from .sandbox import KERNEL_NAME, _limit_resources

def _child(spec_path: Path) -> int:
    """Autograde one student (runs in the child process, in the student's private root)."""
    spec = json.loads(Path(spec_path).read_text())
    result: dict = {"autograded": False}
    out = Path(spec["result"])

    def save() -> None:
        out.write_text(json.dumps(result))

    save()
    _limit_resources(int(spec["memory_mb"]))
    t0 = time.monotonic()
    timing = result.setdefault("timing", {})
    try:
        import logging

        import nbformat
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        from ..colab_repair import repair
        from ..nbgrader_run import CourseRoot

        timing["import"] = round(time.monotonic() - t0, 2)
        lab_id, sid, course_dir = spec["lab_id"], spec["sid"], Path(spec["course"])
        nb_path = course_dir / "submitted" / sid / lab_id / f"{lab_id}.ipynb"
        try:
            submitted = nbformat.read(nb_path, as_version=4)
            fixed, report = repair(submitted, nbformat.read(course_dir / "labs" / lab_id / f"{lab_id}.ipynb",
                                                            as_version=4))
        except Exception as exc:  # unreadable as a notebook
            result.update(status="not_a_notebook", message=f"cannot read it as a notebook: {exc}"[:500])
            save()
            return 0
        if report.changed:
            nbformat.write(fixed, nb_path)
            result["repairs"] = report.summary()
        result["edited"] = report.edited_summary()
        course = CourseRoot(course_dir, cell_timeout=int(spec["cell_timeout"]), quiet=False)
        cfg = course.config
        cfg.Application.log_level = logging.WARNING
        cfg.Execute.kernel_name = KERNEL_NAME
        cfg.Execute.startup_timeout = 120
        if spec["sandbox"] == "bwrap":  # TCP would not cross the kernel's network namespace
            cfg.KernelManager.transport = "ipc"
            cfg.KernelManager.ip = str(Path(spec["runtime"]) / "k")
        api = NbGraderAPI(CourseDirectory(config=cfg), config=cfg)
        timing["repair"] = round(time.monotonic() - t0, 2)
        graded = api.autograde(lab_id, sid, force=True, create=True)
        timing["autograde"] = round(time.monotonic() - t0, 2)
        result["autograded"] = bool(graded.get("success"))
        result["log"] = _tail(str(graded.get("log", "")), 20000)
        if not graded.get("success"):
            result["error"] = _tail(str(graded.get("error", "")), 4000)
        save()
        if graded.get("success"):
            release = nbformat.read(course_dir / "labs" / lab_id / f"{lab_id}.ipynb", as_version=4)
            result["integrity"] = _apply_integrity(course_dir, lab_id, sid, fixed, release)
            save()
        if spec["feedback"] and graded.get("success"):
            fb = api.generate_feedback(lab_id, sid)
            timing["feedback"] = round(time.monotonic() - t0, 2)
            result["feedback"] = bool(fb.get("success"))
            if not fb.get("success"):
                result["feedback_error"] = _tail(str(fb.get("log", "")) + str(fb.get("error", "")), 2000)
    except MemoryError:
        result["error"] = "MemoryError in the grading process"
    except Exception:
        result["error"] = _tail(traceback.format_exc(), 4000)
    save()
    return 0


def _apply_integrity(course_dir: Path, lab_id: str, sid: str, submitted: Any, release: Any) -> list[str]:
    """Read the student's cells (tools/integrity.py); zero the checks a finding affects, and say so
    in the autograded notebook (the feedback shows it) and the gradebook."""
    import nbformat
    from nbgrader.api import Gradebook, MissingEntry

    from ..integrity import scan

    findings = scan(dict(submitted), dict(release))
    if not findings:
        return []
    graded_nb = course_dir / "autograded" / sid / lab_id / f"{lab_id}.ipynb"
    nb = nbformat.read(graded_nb, as_version=4)
    notes: dict[str, list[str]] = {}
    for f in findings:
        for g in f.zeroed:
            notes.setdefault(g, []).append(f"{f.cell}: {f.kind}: {f.what}")
    for cell in nb.cells:
        gid = (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")
        if gid in notes:
            msg = ("This check scores 0: an answer cell reaches past the exercise.\n    "
                   + "\n    ".join(notes[gid]))
            cell.setdefault("outputs", []).append(nbformat.v4.new_output(
                "error", ename="IntegrityFinding", evalue=msg, traceback=[f"IntegrityFinding: {msg}"]))
    nbformat.write(nb, graded_nb)
    db = f"sqlite:///{course_dir / 'gradebook.db'}"
    with Gradebook(db) as gb:
        for gid in notes:
            try:
                grade = gb.find_grade(gid, lab_id, lab_id, sid)
            except MissingEntry:
                continue
            grade.manual_score = 0.0
        gb.db.commit()
    return [f.describe() for f in findings]


def _zygote_main() -> int:
    """``python -m tools.grade --zygote``: import the grading child's modules, then fork per request."""
    import nbformat  # noqa: F401  (the imports _child makes: paid here once, not once per student)
    from nbgrader.apps import NbGraderAPI  # noqa: F401
    from nbgrader.coursedir import CourseDirectory  # noqa: F401

    from .. import colab_repair, nbgrader_run  # noqa: F401

    out = sys.stdout.buffer
    for raw in sys.stdin.buffer:
        req = json.loads(raw)
        pid = os.fork()
        if pid == 0:  # the student's child: never returns to this loop
            rc = 1
            try:
                os.setsid()
                os.chdir(req["cwd"])
                fd = os.open(req["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                null = os.open(os.devnull, os.O_RDONLY)
                os.dup2(null, 0)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                os.environ.clear()
                os.environ.update(req["env"])
                rc = _child(Path(req["spec"]))
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(rc)
        out.write(f"started {pid}\n".encode())
        out.flush()
        _, status = os.waitpid(pid, 0)
        out.write(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())
        out.flush()
    return 0
