"""Finding each student's notebook in a submissions folder (an LMS download, ``nbgrader zip_collect``
output or flat files), telling a notebook from anything else, and copying it into a private root."""
from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

#: a submitted file larger than this is not graded.
MAX_FILE_BYTES = 100 * 2**20
_SKIP_NAMES = {"__MACOSX", ".DS_Store", ".ipynb_checkpoints", "Thumbs.db"}


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
