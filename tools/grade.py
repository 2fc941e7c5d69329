"""The grading command line: ``python run.py grade LAB SUBMISSIONS`` and ``python run.py grade merge``.

What it does is documented in the grading package (tools/grading/__init__.py, printed by ``--help``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import grading
from .grading import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, STUDENT_MB, Limits, default_jobs, grade_folder
from .grading_config import CELL_TIMEOUT


def parser() -> argparse.ArgumentParser:
    """The command line of ``python run.py grade`` (the instructor guide's commands are parsed with it in a test)."""
    p = argparse.ArgumentParser(prog="python run.py grade", description=grading.__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("lab_id", help="the lab (folder under solutions/), e.g. lab00_tour")
    p.add_argument("submissions", type=Path, help="folder with one entry per student (only read)")
    p.add_argument("--out", type=Path, default=None,
                   help="where the report goes (default: <submissions>-graded/ beside the submissions)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                   help=f"wall-clock seconds for one student's whole run (default {DEFAULT_TIMEOUT})")
    p.add_argument("--memory", type=int, default=DEFAULT_MEMORY_MB,
                   help=f"address-space limit in MB for the grading process and the kernel; 0 = none "
                        f"(default {DEFAULT_MEMORY_MB}; torch alone maps ~3000)")
    p.add_argument("--cell-timeout", type=int, default=CELL_TIMEOUT,
                   help=f"seconds one cell may run (default {CELL_TIMEOUT})")
    p.add_argument("--feedback", action="store_true", help="also write nbgrader's feedback HTML per student")
    p.add_argument("--sandbox", choices=["auto", "bwrap", "none"], default="auto",
                   help="auto: bwrap when it works here, else none with a warning")
    p.add_argument("--jobs", type=int, default=None,
                   help="students graded at once (bwrap only); default: one per core, as far as memory allows "
                        f"({STUDENT_MB} MB each), here {default_jobs()}")
    p.add_argument("--shard", default=None, metavar="K/N",
                   help="grade only shard K of N (students split by a hash of their name; combine the shards' "
                        "--out folders with `python run.py grade merge --out DIR SHARD_DIR...`)")
    p.add_argument("--source", type=Path, default=None, help="the lab's nbgrader source folder "
                   "(default solutions/<lab>)")
    p.add_argument("--work", type=Path, default=None, help="folder for the private roots (default: a temp folder)")
    p.add_argument("--keep-work", action="store_true", help="keep each student's private root (debugging)")
    p.add_argument("--watch", type=Path, action="append", default=[],
                   help="another folder to check for writes while grading (repeatable)")
    return p


def merge_parser() -> argparse.ArgumentParser:
    """The command line of ``python run.py grade merge``."""
    p = argparse.ArgumentParser(prog="python run.py grade merge",
                                description="Combine the --out folders of `grade --shard K/N` runs into one report.")
    p.add_argument("shards", type=Path, nargs="+", help="the shards' --out folders (all N of them)")
    p.add_argument("--out", type=Path, required=True, help="a new, empty folder for the merged report")
    return p


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--one"]:
        from .grading.child import _child

        return _child(Path(args[1]))
    if args[:1] == ["--zygote"]:
        from .grading.child import _zygote_main

        return _zygote_main()
    if args[:1] == ["merge"]:
        return _merge_main(args[1:])
    a = parser().parse_args(args)
    out = a.out or a.submissions.resolve().with_name(a.submissions.resolve().name + "-graded")
    try:
        from .shards import parse_shard

        shard = parse_shard(a.shard) if a.shard else None
        results = grade_folder(a.lab_id, a.submissions, out, shard=shard, source=a.source,
                               limits=Limits(a.timeout, a.memory, a.cell_timeout), sandbox=a.sandbox,
                               feedback=a.feedback, work=a.work, keep_work=a.keep_work, watch=a.watch,
                               jobs=a.jobs if a.jobs is not None else default_jobs(a.memory))
    except (FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0 if results is not None else 1


def _merge_main(args: list[str]) -> int:
    from .shards import ShardError, merge

    a = merge_parser().parse_args(args)
    try:
        path = merge(a.shards, a.out)
    except ShardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"[grade] merged {len(a.shards)} shards: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
