"""Keep the course's notebooks clean and consistent.

* Every notebook opens with an "Open in Colab" badge and an idempotent set-up cell, both rendered
  from :mod:`tools.course` (the one place the repository URL is defined).
* Committed notebooks carry no outputs, no execution counts and stable cell ids.

``python -m tools.notebooks sync`` rewrites headers and normalises; ``check`` only reports.
"""
from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

from .course import PIP_SPEC, ROOT, colab_url

HEADER_TAG = "course-header"
SETUP_TAG = "course-setup"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
_KEEP_CELL_METADATA = {"nbgrader", "tags", "deletable", "editable"}

SETUP_SOURCE = f'''# Set-up: run this cell first. It is safe to run again.
# On Colab it installs the course package (Colab's own torch is left as it is);
# on your machine `python3 run.py lab` has already installed it. It does nothing while grading.
import importlib
import os
import subprocess
import sys

if ("google.colab" in sys.modules or os.environ.get("ZOOM_IN_PIP_SPEC")) and not os.environ.get("NBGRADER_EXECUTION"):
    try:
        import shared_utils
    except ImportError:
        spec = os.environ.get("ZOOM_IN_PIP_SPEC") or "{PIP_SPEC}"
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", spec], check=True)
        importlib.invalidate_caches()
import shared_utils
from shared_utils.checks import install

install()  # clear check messages; a check switches off the library's one-call answers
print("shared_utils", shared_utils.__version__)'''


#: Under every lab's title: how the checks behave (the same in every lab).
LAB_HOW_TO = ("*How this lab works:* write each exercise where it says `# YOUR CODE HERE`, then run the "
              "locked check cell below it. A check says what it expected, what you gave and a hint; every "
              "failing check of a cell is listed. *Run All* runs the whole lab: an exercise you have not "
              "done yet says \"not done yet\", and cells that need it say they are waiting, instead of "
              "stopping the run. While a check runs, the library functions that would answer its exercise "
              "in one call are switched off (use them anywhere else). Questions are graded when you hand "
              "the lab in, and their feedback explains the answer.")


def notebook_paths(root: Path = ROOT) -> list[Path]:
    """Hand-edited notebooks: lectures in course/ and lab sources in solutions/."""
    return sorted((root / "course").glob("*.ipynb")) + sorted((root / "solutions").glob("*/*.ipynb"))


def badge_source(rel_path: str, title: str) -> str:
    url = colab_url(rel_path)
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})\n\n"
            f"# {title}")


def _release_path(path: Path, root: Path) -> str:
    """Where students open this notebook: solutions/<lab>/x.ipynb is released as labs/<lab>/x.ipynb."""
    rel = path.resolve().relative_to(root.resolve()).as_posix()
    return "labs/" + rel[len("solutions/"):] if rel.startswith("solutions/") else rel


def _nbgrader_locked(grade_id: str) -> dict[str, Any]:
    return {"grade": False, "grade_id": grade_id, "locked": True, "schema_version": 3, "solution": False,
            "task": False}


def _title_of(cell: dict[str, Any]) -> str | None:
    for line in "".join(cell.get("source", "")).splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return None


def with_header(nb: dict[str, Any], path: Path, root: Path = ROOT) -> dict[str, Any]:
    """The notebook with its badge and set-up cells (re)rendered from tools/course.py."""
    nb = copy.deepcopy(nb)
    cells = nb["cells"]
    is_lab = path.resolve().is_relative_to((root / "solutions").resolve())
    old = [c for c in cells if HEADER_TAG in c.get("metadata", {}).get("tags", [])]
    title = _title_of(old[0]) if old else None
    body = [c for c in cells if not ({HEADER_TAG, SETUP_TAG} & set(c.get("metadata", {}).get("tags", [])))]
    if title is None:
        raise ValueError(f"{path}: the first cell must be a markdown cell tagged {HEADER_TAG!r} with a '# Title' line")
    badge = {"cell_type": "markdown", "metadata": {"tags": [HEADER_TAG]},
             "source": badge_source(_release_path(path, root), title)}
    setup = {"cell_type": "code", "execution_count": None, "metadata": {"tags": [SETUP_TAG]}, "outputs": [],
             "source": SETUP_SOURCE}
    if is_lab:
        badge["source"] += "\n\n" + LAB_HOW_TO
        badge["metadata"]["nbgrader"] = _nbgrader_locked("course_header")
        setup["metadata"]["nbgrader"] = _nbgrader_locked("course_setup")
    nb["cells"] = [badge, setup] + body
    return nb


CHECK_MARKER = "# Checks for `{exercise}`: run this cell to test your answer (it is locked)."


def check_marker(cell: dict[str, Any]) -> str | None:
    """The first line a check cell must have (``shared_utils._guard`` recognises check cells by it)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if cell.get("cell_type") != "code" or not meta.get("grade") or meta.get("solution"):
        return None
    grade_id = str(meta.get("grade_id", ""))
    return CHECK_MARKER.format(exercise=grade_id[:-len("_test")] if grade_id.endswith("_test") else grade_id)


def normalised(nb: dict[str, Any], stem: str) -> dict[str, Any]:
    """No outputs, no execution counts, only meaningful metadata, stable ids, marked check cells."""
    nb = copy.deepcopy(nb)
    for i, cell in enumerate(nb["cells"]):
        marker = check_marker(cell)
        if marker is not None:
            src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            lines = src.split("\n")
            if lines and lines[0].startswith("# Checks for `"):
                lines = lines[1:]
            cell["source"] = "\n".join([marker] + lines)
        cell["id"] = f"{stem[:40]}-{i:03d}"
        cell["metadata"] = {k: v for k, v in cell.get("metadata", {}).items() if k in _KEEP_CELL_METADATA}
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
            cell.pop("attachments", None)
    nb["metadata"] = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    nb["nbformat"], nb["nbformat_minor"] = 4, 5
    return nb


def dumps(nb: dict[str, Any]) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def expected_text(path: Path, root: Path = ROOT) -> str:
    nb = json.loads(path.read_text())
    return dumps(normalised(with_header(nb, path, root), path.stem))


def sync(paths: list[Path] | None = None, root: Path = ROOT) -> list[Path]:
    """Rewrite notebooks whose header or normal form is out of date; returns those changed."""
    changed = []
    for path in paths or notebook_paths(root):
        text = expected_text(path, root)
        if path.read_text() != text:
            path.write_text(text)
            changed.append(path)
    return changed


def stale(paths: list[Path] | None = None, root: Path = ROOT) -> list[Path]:
    return [p for p in (paths or notebook_paths(root)) if p.read_text() != expected_text(p, root)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["sync", "check"])
    args = parser.parse_args(argv)
    if args.action == "sync":
        for p in sync():
            print("updated", p.relative_to(ROOT))
        return 0
    bad = stale()
    for p in bad:
        print(f"{p.relative_to(ROOT)} is not normalised or its header is stale: run `python run.py sync`")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
