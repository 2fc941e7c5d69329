"""Drive nbgrader through its Python API in a course root (CI, build_labs, the grading command).

nbgrader's API returns ``{"success": bool, "log": str}`` instead of raising, and ``nbgrader
validate`` exits 0 even when tests fail (it prints "VALIDATION FAILED" and returns 0; API:
https://nbgrader.readthedocs.io/en/stable/api/high_level_api.html), so everything here checks
``success`` and reads scores from the gradebook.
"""
from __future__ import annotations

import logging
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from .grading_config import config

# nbgrader opens its gradebook by running `alembic` as a subprocess: it must be on PATH.
_BIN = str(Path(sys.executable).parent)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")


class NbgraderError(RuntimeError):
    """An nbgrader step reported failure; the message carries its log."""


@dataclass(frozen=True)
class CellScore:
    grade_id: str
    score: float
    max_score: float


@dataclass(frozen=True)
class Scores:
    score: float
    max_score: float
    cells: dict[str, CellScore]

    def failed_cells(self) -> list[str]:
        return [c.grade_id for c in self.cells.values() if c.score < c.max_score]

    def scoring_cells(self) -> list[str]:
        return [c.grade_id for c in self.cells.values() if c.score > 0]


class CourseRoot:
    """An nbgrader course directory (usually a temporary one) with the course's settings."""

    def __init__(self, root: Path, *, cell_timeout: int | None = None, ignore_warnings: bool = True,
                 quiet: bool = True) -> None:
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.config = config(self.root, cell_timeout=cell_timeout)
        self.config.CourseDirectory.db_url = f"sqlite:///{self.root / 'gradebook.db'}"
        self.config.IgnorePattern.enabled = ignore_warnings
        if quiet:
            self.config.Application.log_level = logging.ERROR
        self.api = NbGraderAPI(CourseDirectory(config=self.config), config=self.config)

    @staticmethod
    def _ok(result: dict, what: str) -> dict:
        if not result.get("success"):
            raise NbgraderError(f"nbgrader {what} failed:\n{result.get('error', '')}\n{result.get('log', '')}")
        return result

    def add_source(self, lab_id: str, source_dir: Path) -> None:
        dest = self.root / "solutions" / lab_id
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(source_dir, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))

    def generate(self, lab_id: str) -> Path:
        self._ok(self.api.generate_assignment(lab_id, force=True, create=True), f"generate_assignment {lab_id}")
        return self.root / "labs" / lab_id

    def submit(self, lab_id: str, student: str, files: "dict[str, bytes | str] | Path") -> Path:
        """Place a submission as ``submitted/<student>/<lab>/`` (a folder to copy, or name -> content)."""
        dest = self.root / "submitted" / student / lab_id
        if dest.exists():
            shutil.rmtree(dest)
        if isinstance(files, Path):
            shutil.copytree(files, dest)
        else:
            dest.mkdir(parents=True)
            for name, content in files.items():
                mode = "wb" if isinstance(content, bytes) else "w"
                with open(dest / name, mode) as f:
                    f.write(content)
        return dest

    def autograde(self, lab_id: str, student: str) -> dict:
        return self._ok(self.api.autograde(lab_id, student, force=True, create=True), f"autograde {lab_id}/{student}")

    def scores(self, lab_id: str, student: str) -> Scores:
        from nbgrader.api import Gradebook

        with Gradebook(self.config.CourseDirectory.db_url) as gb:
            sub = gb.find_submission(lab_id, student)
            cells: dict[str, CellScore] = {}
            for nb in sub.notebooks:
                for grade in nb.grades:
                    score = grade.score if grade.score is not None else 0.0
                    cells[grade.name] = CellScore(grade.name, float(score), float(grade.max_score))
            return Scores(float(sub.score), float(sub.max_score), cells)
