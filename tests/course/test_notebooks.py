"""Every notebook is clean and has the course header rendered from tools/course.py; the Colab set-up
cell behaves. (Lectures and labs run top to bottom in tests/course/test_colab_like.py.)"""
from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from tools import notebooks
from tools.course import LABS, PIP_SPEC, REPO_URL, ROOT

LECTURES = sorted((ROOT / "course").glob("*.ipynb"))


def test_every_lab_has_a_lecture_source_and_release() -> None:
    for lab in LABS:
        assert (ROOT / "solutions" / lab.id / lab.notebook).is_file()
        assert (ROOT / "labs" / lab.id / lab.notebook).is_file()
        assert (ROOT / "course" / lab.lecture).is_file()


def test_notebooks_are_clean_and_headers_current() -> None:
    stale = notebooks.stale()
    assert stale == [], f"run `python run.py sync`: {[str(p.relative_to(ROOT)) for p in stale]}"
    for path in notebooks.notebook_paths() + sorted((ROOT / "labs").glob("*/*.ipynb")):
        nb = json.loads(path.read_text())
        assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code"), path


def test_stale_detection_catches_outputs_and_an_old_url(tmp_path: Path) -> None:
    root = tmp_path
    (root / "course").mkdir()
    src = LECTURES[0]
    nb = json.loads(src.read_text())
    nb["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "hi"}]
    nb["cells"][0]["source"] = nb["cells"][0]["source"].replace(REPO_URL.split("/")[-1], "old-name")
    path = root / "course" / src.name
    path.write_text(json.dumps(nb))
    assert notebooks.stale([path], root) == [path]
    notebooks.sync([path], root)
    assert notebooks.stale([path], root) == []


def test_badges_point_at_the_notebook_students_open() -> None:
    for path in notebooks.notebook_paths() + sorted((ROOT / "labs").glob("*/*.ipynb")):
        first = "".join(json.loads(path.read_text())["cells"][0]["source"])
        rel = path.relative_to(ROOT).as_posix().replace("solutions/", "labs/", 1)
        assert f"{REPO_URL.replace('https://github.com/', 'github/')}/blob/main/{rel}" in first, path


def _setup_code() -> str:
    nb = json.loads(LECTURES[0].read_text())
    cell = nb["cells"][1]
    assert notebooks.SETUP_TAG in cell["metadata"]["tags"]
    return cell["source"]


@pytest.mark.parametrize("colab, grading, installed, expect_pip, spec", [
    (True, False, False, True, None),      # first run on Colab: install our package from the repository
    (True, False, True, False, None),      # re-run on Colab: nothing to do (idempotent)
    (True, True, False, False, None),      # nbgrader autograding: never install
    (False, False, True, False, None),     # a laptop: set-up already done by run.py
    (False, False, False, True, "/w/zoom_in_course-0.1.0-py3-none-any.whl"),  # the Colab-like test's wheel
    (True, True, False, False, "/w/x.whl"),  # grading never installs, whatever the variable says
])
def test_colab_setup_cell(monkeypatch: pytest.MonkeyPatch, colab: bool, grading: bool, installed: bool,
                          expect_pip: bool, spec: str | None) -> None:
    calls: list[list[str]] = []

    def fake_run(cmd: list[str], check: bool = False) -> None:
        calls.append(cmd)
        monkeypatch.delitem(sys.modules, "shared_utils")  # the "installed" package becomes importable

    monkeypatch.setattr("subprocess.run", fake_run)
    if colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    if grading:
        monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    else:
        monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    if spec:
        monkeypatch.setenv("ZOOM_IN_PIP_SPEC", spec)
    else:
        monkeypatch.delenv("ZOOM_IN_PIP_SPEC", raising=False)
    if not installed:
        monkeypatch.setitem(sys.modules, "shared_utils", None)  # makes `import shared_utils` fail
    if not installed and not expect_pip:
        with pytest.raises(ImportError):
            exec(_setup_code(), {})
    else:
        exec(_setup_code(), {})
    assert bool(calls) == expect_pip
    if calls:
        cmd = calls[0]
        assert cmd[-1] == (spec or PIP_SPEC)
        assert spec or REPO_URL in cmd[-1]
        assert not any(part.startswith(("torch", "torchvision")) for part in cmd), "never reinstall Colab's torch"


# Lectures run top to bottom in tests/course/test_colab_like.py, from the installed wheel as on Colab.
