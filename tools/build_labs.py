"""Generate the student labs (labs/) from the nbgrader sources (solutions/).

``python -m tools.build_labs`` regenerates every lab; ``--check`` only compares and fails if the
committed labs/ differ from what generation makes now (labs/ is never edited by hand).
"""
from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

from .course import LABS, ROOT
from .nbgrader_run import CourseRoot


def generate(lab_ids: list[str], dest: Path, source: Path = ROOT / "solutions") -> None:
    """Generate ``dest/<lab>/`` for each lab from ``source/<lab>/`` in a throwaway course root."""
    with tempfile.TemporaryDirectory(prefix="zoomin-build-") as tmp:
        course = CourseRoot(Path(tmp))
        for lab_id in lab_ids:
            course.add_source(lab_id, source / lab_id)
            released = course.generate(lab_id)
            target = dest / lab_id
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(released, target)


def differences(generated: Path, committed: Path) -> list[str]:
    """Files that differ between two release trees (missing, extra or changed)."""
    out: list[str] = []

    def walk(cmp: filecmp.dircmp, prefix: str) -> None:
        out.extend(f"only generated: {prefix}{n}" for n in cmp.left_only)
        out.extend(f"only committed: {prefix}{n}" for n in cmp.right_only)
        for name in cmp.common_files:
            if (Path(cmp.left) / name).read_bytes() != (Path(cmp.right) / name).read_bytes():
                out.append(f"changed: {prefix}{name}")
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(filecmp.dircmp(generated, committed, ignore=["__pycache__", ".ipynb_checkpoints"]), "")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare with the committed labs/ instead of writing")
    parser.add_argument("labs", nargs="*", help="lab ids (default: all)")
    args = parser.parse_args(argv)
    ids = args.labs or [lab.id for lab in LABS]
    if not args.check:
        generate(ids, ROOT / "labs")
        print("generated", ", ".join(ids))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        generate(ids, Path(tmp))
        problems = []
        for lab_id in ids:
            if not (ROOT / "labs" / lab_id).is_dir():
                problems.append(f"labs/{lab_id} is missing")
                continue
            problems += [f"labs/{lab_id}: {d}" for d in differences(Path(tmp) / lab_id, ROOT / "labs" / lab_id)]
    for p in problems:
        print(p)
    if problems:
        print("labs/ is out of date: run `python run.py build-labs`")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
