"""``run.py lab`` opens a student's JupyterLab: Validate and the assignment list, no instructor tools.

The JupyterLab server is started twice, as ``run.py lab`` starts it (its environment from
``run.lab_env``), for a student and with ``--instructor``. For the student the formgrader is not
served (404) and the lab page's config disables the "Create Assignment", course-list and Nbgrader
menu plugins, while Validate's server handler stays; the instructor gets all of them. About 20 s.
"""
from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import run  # noqa: E402

HIDDEN = ("@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:course-list", "@jupyter/nbgrader:menu")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, ""


def _serve(instructor: bool, tmp: Path) -> dict[str, object]:
    port, token = _port(), "zoomintest"
    env = run.lab_env(instructor)
    env["JUPYTER_CONFIG_DIR"] = str(tmp / "user-config")  # not the machine's ~/.jupyter
    env["JUPYTER_RUNTIME_DIR"] = str(tmp / "runtime")
    cmd = [str(run.BIN / "jupyter"), "lab", "--no-browser", f"--port={port}", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={ROOT}", "--allow-root"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            if proc.poll() is not None:
                raise AssertionError(proc.stderr.read().decode()[-2000:])  # type: ignore[union-attr]
            try:
                if _get(f"{base}/api/status?token={token}")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)
        status_fg, _ = _get(f"{base}/formgrader?token={token}")
        _, page = _get(f"{base}/lab?token={token}")
        status_validate, _ = _get(f"{base}/assignments/validate?token={token}")
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
    m = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)
    config = json.loads(m.group(1)) if m else {}
    return {"formgrader": status_fg, "validate": status_validate, "disabled": config.get("disabledExtensions", [])}


@pytest.mark.slow
def test_students_get_no_instructor_tools(tmp_path: Path) -> None:
    student = _serve(False, tmp_path / "student")
    assert student["formgrader"] == 404, student
    disabled = student["disabled"]
    assert all(x in disabled for x in HIDDEN), disabled
    assert "@jupyter/nbgrader:validate-assignment" not in disabled
    assert student["validate"] != 404, "Validate's server handler must stay for students"

    teacher = _serve(True, tmp_path / "instructor")
    assert teacher["formgrader"] != 404, teacher
    assert not any(x in teacher["disabled"] for x in HIDDEN), teacher
