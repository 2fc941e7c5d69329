#!/usr/bin/env python3
"""One entry point for the course. Needs only Python 3.11+ and access to the package registry.

    python3 run.py lab          set up (first time only) and open the course in JupyterLab
                                (--instructor: with nbgrader's formgrader and Create Assignment)
    python3 run.py test         set up (first time only) and run the whole test suite
    python3 run.py build-labs   regenerate labs/ from solutions/ (instructors)
    python3 run.py sync         re-render notebook headers and strip outputs (authors)
    python3 run.py grade ...    autograde a folder of submissions (instructors; see docs/instructors.md)
    python3 run.py verify       check the course's claims on the real weights (instructors)

Set-up makes a virtual environment in .venv/ and installs the pinned requirements.txt plus this
repository's package; it is skipped when nothing changed since the last run.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("ZOOM_IN_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".zoom-in-installed"


def _say(msg: str) -> None:
    print(f"[zoom-in] {msg}", flush=True)


def _fingerprint() -> str:
    h = hashlib.sha256()
    for name in ("requirements.txt", "pyproject.toml"):
        h.update((ROOT / name).read_bytes())
    return h.hexdigest()


def setup() -> None:
    """Create .venv and install everything, unless it is already up to date."""
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed (this is {sys.version.split()[0]}; nbgrader 0.9.6 has no release for 3.10).")
    if STAMP.exists() and STAMP.read_text() == _fingerprint() and PY.exists():
        return
    if not PY.exists():
        _say(f"creating a virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    _say("installing the pinned requirements (the first time takes a few minutes: torch is large)")
    pip = [str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["-r", str(ROOT / "requirements.txt")], check=True)
    subprocess.run(pip + ["--no-deps", "-e", str(ROOT)], check=True)
    STAMP.write_text(_fingerprint())
    _say("set-up complete")


def _ensure_bubblewrap() -> None:
    """The grading sandbox (tools/grading/sandbox.py) uses bubblewrap; install it where we can (Debian/Ubuntu, root)."""
    if not sys.platform.startswith("linux") or shutil.which("bwrap"):
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        _say("installing bubblewrap (the grading sandbox)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run(["apt-get", "install", "-y", "-q", "bubblewrap"], env=env).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env)
            subprocess.run(["apt-get", "install", "-y", "-q", "bubblewrap"], env=env)
    else:
        _say("bubblewrap (bwrap) is not installed: `run.py grade` will run without its sandbox")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")  # nbgrader runs `alembic` from PATH
    env.setdefault("PYTHONPATH", str(ROOT))
    return env


def _run(cmd: list[str], **kwargs: object) -> int:
    return subprocess.run(cmd, cwd=ROOT, env=_env(), **kwargs).returncode  # type: ignore[arg-type]


STUDENT_JUPYTER = ROOT / "tools" / "jupyter_student"


def lab_env(instructor: bool = False) -> dict[str, str]:
    """The environment of ``run.py lab``: a student's JupyterLab hides nbgrader's instructor tools."""
    env = _env()
    if not instructor:
        env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(filter(None, [str(STUDENT_JUPYTER),
                                                                   os.environ.get("JUPYTER_CONFIG_PATH")]))
    return env


def lab(args: list[str]) -> int:
    setup()
    instructor = "--instructor" in args
    args = [a for a in args if a != "--instructor"]
    cmd = [str(BIN / "jupyter"), "lab", f"--ServerApp.root_dir={ROOT}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # JupyterLab refuses to start as root otherwise (containers)
    if instructor:
        _say("starting JupyterLab with nbgrader's instructor tools (formgrader, Create Assignment)")
    else:
        _say("starting JupyterLab: open course/ for the lectures and labs/ for the exercises "
             "(instructors: python3 run.py lab --instructor)")
    return subprocess.run(cmd + args, cwd=ROOT, env=lab_env(instructor)).returncode


def test(args: list[str]) -> int:
    setup()
    _run([str(PY), "-m", "tools.system_deps"])  # Debian's chromium for tests/course/test_browser.py (apt-get as root, else a hint)
    _ensure_bubblewrap()  # the grading sandbox that tests/grading/test_grade_command.py exercises
    workers = os.environ.get("ZOOM_IN_TEST_WORKERS", "2")
    # worksteal: a worker that runs out of tests takes queued ones from the other (no idle tail)
    cmd = [str(PY), "-m", "pytest", "-n", workers, "--dist", "worksteal", "--durations=15"] + (args or ["tests"])
    rc = _run(cmd)
    return 0 if rc == 5 and args else rc  # 5 = nothing matched a filtered run; a full run must test


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0
    command, rest = argv[0], argv[1:]
    if command == "lab":
        return lab(rest)
    if command == "test":
        return test(rest)
    if command == "setup":
        setup()
        return 0
    if command == "grade":  # paths are the instructor's, relative to where they run the command
        setup()
        _ensure_bubblewrap()
        env = _env()
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        return subprocess.run([str(PY), "-m", "tools.grade"] + rest, cwd=Path.cwd(), env=env).returncode
    modules = {"build-labs": "tools.build_labs", "sync": "tools.notebooks", "verify": "shared_utils.verify"}
    if command in modules:
        setup()
        extra = ["sync"] if command == "sync" and not rest else rest
        return _run([str(PY), "-m", modules[command]] + extra)
    print(f"unknown command {command!r}\n{__doc__}")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
