"""What happened to each student, read from nbgrader's log and the autograded notebook, and the
report (``report.csv``, ``report.json``) written from it."""
from __future__ import annotations

import csv
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

STATUSES = ("graded", "timeout", "out_of_memory", "crashed", "not_a_notebook", "missing")
_MEMORY_SIGNS = ("MemoryError", "OutOfMemoryError", "can't allocate memory", "Cannot allocate memory",
                 "std::bad_alloc", "out of memory")


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


def _tail(text: str, n: int = 1500) -> str:
    return text[-n:]


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
