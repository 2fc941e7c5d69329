"""Keeping one student's grading apart: the bubblewrap command line for the kernel, the child's
environment and resource limits, following and killing its whole process tree, the zygote it is forked
from, and detecting writes outside its folder where there is no sandbox."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from ..course import ROOT

KERNEL_NAME = "zoom-in-grading"
_SECRET_ENV = re.compile(r"TOKEN|SECRET|PASSW|CREDENTIAL|API_KEY|PRIVATE_KEY|^AWS_|^GH_|^GITHUB_|^JPY_",
                         re.IGNORECASE)
_UNWATCHED = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints", ".mypy_cache", ".ruff_cache"}


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


def _limit_resources(memory_mb: int) -> None:
    import resource

    if memory_mb:
        limit = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (2 * 2**30, 2 * 2**30))


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
