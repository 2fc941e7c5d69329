"""Grading a class across machines: which students a shard grades, and merging the shards' outputs.

    python run.py grade lab03_high_low submissions/ --shard 2/8 --out grades/shard-2    # on machine 2 of 8
    python run.py grade merge --out grades/all grades/shard-*                          # anywhere, afterwards

A shard ``K/N`` grades the students whose name hashes to ``K - 1`` modulo ``N`` (SHA-256 of the
name): the same student always lands in the same shard, whatever else is in the folder, so a
re-run of one shard after adding a late submission moves nobody else. Each shard writes the usual
``report.csv``/``report.json``, ``autograded/`` and ``feedback/`` into its own ``--out``; its
``report.json`` records the shard, the lab's version (a hash of the lab's nbgrader source) and the
grading settings. ``merge`` refuses shards of different labs, lab versions, settings or shard
counts, a shard given twice or missing, and a student graded in two shards; it then writes one
report, sorted by student as an unsharded run writes it (its ``report.csv`` is byte for byte the
one an unsharded run gives), and one ``autograded/`` and ``feedback/`` tree.

The scheduler is yours (a Kubernetes Indexed Job, a Slurm job array: docs/instructors.md); this
module only splits deterministically and merges strictly.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

#: The settings every shard of one grading must share (keys of report.json).
SETTINGS = ("lab", "lab_version", "sandbox", "timeout_s", "memory_mb", "cell_timeout_s", "nbgrader", "feedback")


class ShardError(ValueError):
    """Shards that cannot be merged, or a ``--shard`` that is not ``K/N``."""


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/8"`` -> ``(2, 8)``; a clear error for anything else."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not m:
        raise ShardError(f"--shard takes K/N, e.g. 2/8 (shard 2 of 8), not {text!r}")
    k, n = int(m.group(1)), int(m.group(2))
    if not 1 <= k <= n:
        raise ShardError(f"--shard {text}: K must be between 1 and N (shards are numbered 1..{max(n, 1)})")
    return k, n


def in_shard(student: str, k: int, n: int) -> bool:
    """Whether ``student`` belongs to shard ``k`` of ``n``."""
    return int(hashlib.sha256(student.encode("utf-8")).hexdigest(), 16) % n == k - 1


def lab_version(source: Path) -> str:
    """A hash of the lab's nbgrader source folder (every file, by path and content)."""
    h = hashlib.sha256()
    for p in sorted(q for q in Path(source).rglob("*") if q.is_file() and ".ipynb_checkpoints" not in q.parts
                    and "__pycache__" not in q.parts):
        h.update(p.relative_to(source).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _read(folder: Path) -> dict[str, Any]:
    path = Path(folder) / "report.json"
    try:
        report = json.loads(path.read_text())
    except FileNotFoundError:
        raise ShardError(f"{folder} holds no report.json: is it a shard's --out folder?") from None
    except ValueError as exc:
        raise ShardError(f"{path} is not valid JSON ({exc}): re-run that shard") from None
    if not report.get("shard"):
        raise ShardError(f"{folder} is not a shard (its report.json has no 'shard'): grade with --shard K/N")
    return report


def merge(shard_dirs: list[Path], out: Path) -> Path:
    """Combine the shards' outputs into ``out`` (report, autograded/ and feedback/); returns report.csv."""
    from .grading.report import StudentResult, write_report

    if not shard_dirs:
        raise ShardError("give the shards' --out folders to merge")
    out = Path(out).resolve()
    reports = [(Path(d).resolve(), _read(Path(d))) for d in shard_dirs]
    first_dir, first = reports[0]
    for d, r in reports[1:]:
        differ = [k for k in SETTINGS if r.get(k) != first.get(k)]
        if differ:
            raise ShardError(f"{d} was graded differently from {first_dir}: " + "; ".join(
                f"{k} {r.get(k)!r} vs {first.get(k)!r}" for k in differ) + ". Re-grade it with the same lab and settings.")
    shards = [parse_shard(r["shard"]) for _, r in reports]
    counts = {n for _, n in shards}
    if len(counts) != 1:
        raise ShardError(f"the shards split the class in different ways: {sorted(r['shard'] for _, r in reports)}")
    (n,) = counts
    ks = sorted(k for k, _ in shards)
    twice = sorted({k for k in ks if ks.count(k) > 1})
    missing = sorted(set(range(1, n + 1)) - set(ks))
    if twice or missing:
        raise ShardError(f"shards of {n}: " + (f"given twice: {twice}. " if twice else "")
                         + (f"missing: {missing} (grade them, or merge when they are done)." if missing else ""))
    students: dict[str, tuple[Path, dict[str, Any]]] = {}
    for d, r in reports:
        for s in r["students"]:
            if s["student"] in students:
                raise ShardError(f"{s['student']} was graded in both {students[s['student']][0]} and {d}")
            students[s["student"]] = (d, s)
    if out.exists() and any(out.iterdir()):
        raise ShardError(f"{out} is not empty: merge into a new folder (nothing there is overwritten)")
    results = []
    for name in sorted(students):
        d, s = students[name]
        results.append(StudentResult(**s))
        for rel in (s.get("autograded"), s.get("feedback")):
            if rel:
                dest = out / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(d / rel, dest)
    meta = {k: first.get(k) for k in SETTINGS}
    meta.update(started=min(r["started"] for _, r in reports), finished=max(r["finished"] for _, r in reports),
                merged_from=[f"{r['shard']}: {d}" for d, r in sorted(reports, key=lambda x: parse_shard(x[1]["shard"]))],
                submissions_changed=sorted({c for _, r in reports for c in r.get("submissions_changed", [])}))
    csv_path, _ = write_report(results, out, meta)
    return csv_path
