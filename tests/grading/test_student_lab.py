"""``run.py lab`` opens a student's JupyterLab: Validate and the assignment list, no instructor tools.

The JupyterLab server is started twice, as ``run.py lab`` starts it (its environment from
``run.lab_env``), for a student and with ``--instructor``. For the student the formgrader is not
served (404) and the lab page's config disables the "Create Assignment", course-list and Nbgrader
menu plugins, while Validate stays and answers with a summary of the lab's exercises first
(``tools/validate_summary.py``); the instructor gets all of nbgrader's tools. About 40 s.
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

ROOT = Path(__file__).resolve().parents[2]
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


def _tiny_lab(folder: Path) -> None:
    """Three exercises: one done, one not done, one failing (nbgrader metadata as in a release)."""
    def cell(cid: str, source: str, **nbg: object) -> dict:
        return {"cell_type": "code", "execution_count": None, "id": cid, "outputs": [], "source": source,
                "metadata": {"nbgrader": {"schema_version": 3, "task": False, **nbg}}}

    def check(name: str, expr: str) -> str:
        return f"# Checks for `{name}`: x\nfrom shared_utils.checks import check\ncheck({expr}, '{name} works')"

    cells = []
    for name, body, expr in [("one", "return 1", "one() == 1"), ("two", "raise NotImplementedError()", "two() == 2"),
                             ("three", "return 4", "three() == 3")]:
        cells.append(cell(name, f"def {name}():\n    {body}", grade=False, solution=True, locked=False, grade_id=name))
        cells.append(cell(name + "_t", check(name, expr), grade=True, solution=False, locked=True, points=1,
                          grade_id=f"{name}_test"))
    nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                      "language": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tiny.ipynb").write_text(json.dumps(nb))


def _serve(instructor: bool, tmp: Path) -> dict[str, object]:
    port, token = _port(), "zoomintest"
    env = run.lab_env(instructor)
    env["JUPYTER_CONFIG_DIR"] = str(tmp / "user-config")  # not the machine's ~/.jupyter
    env["JUPYTER_RUNTIME_DIR"] = str(tmp / "runtime")
    _tiny_lab(tmp / "root")
    cmd = [str(run.BIN / "jupyter"), "lab", "--no-browser", f"--port={port}", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={tmp / 'root'}", "--allow-root"]
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
        req = urllib.request.Request(f"{base}/assignments/validate", data=json.dumps({"path": "tiny.ipynb"}).encode(),
                                     headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=180) as r:
            validated = json.loads(r.read().decode())
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
    m = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)
    config = json.loads(m.group(1)) if m else {}
    return {"formgrader": status_fg, "validate": status_validate, "disabled": config.get("disabledExtensions", []),
            "validated": validated}


@pytest.mark.slow
def test_students_get_no_instructor_tools(tmp_path: Path) -> None:
    student = _serve(False, tmp_path / "student")
    assert student["formgrader"] == 404, student
    disabled = student["disabled"]
    assert all(x in disabled for x in HIDDEN), disabled
    assert "@jupyter/nbgrader:validate-assignment" not in disabled
    assert student["validate"] != 404, "Validate's server handler must stay for students"
    failed = student["validated"]["value"]["failed"]  # type: ignore[index]
    summary = failed[0]["source"]
    assert summary.startswith("Exercises: 1 done, 1 not done, 1 failing"), summary
    assert "✓ one" in summary and "… two: not done yet" in summary and "✗ three: ✗ three works" in summary
    assert len(failed) == 3, "the summary comes before nbgrader's own entries (two failing cells)"

    teacher = _serve(True, tmp_path / "instructor")
    assert teacher["formgrader"] != 404, teacher
    assert not any(x in teacher["disabled"] for x in HIDDEN), teacher
    assert not teacher["validated"]["value"]["failed"][0]["source"].startswith("Exercises:")  # type: ignore[index]
