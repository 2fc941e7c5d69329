"""Measure each lab's compute time: its solution notebook run top to bottom, as a student's finished lab.

    python -m tools.time_labs [--fast] [LAB ...]     # prints seconds per lab and writes a JSON summary

The README's course map shows these minutes (``tools/course.py``: ``Lab.cpu_minutes``). Without
``--fast`` the notebooks run at the device budget's default quality (on a CPU: the preview sizes
the labs use there); the untrained stand-in costs the same compute as the real weights. Each run
gets a fresh kernel, and the course's caches are emptied first so nothing is reused.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from .course import LABS, ROOT


def time_lab(lab_id: str, fast: bool, cache: Path) -> float:
    import nbformat
    from nbclient import NotebookClient

    lab = next(x for x in LABS if x.id == lab_id)
    path = ROOT / "solutions" / lab.id / lab.notebook
    nb = nbformat.read(path, as_version=4)
    env = dict(os.environ, ZOOM_IN_CACHE=str(cache), ZOOM_IN_WEIGHTS=os.environ.get("ZOOM_IN_WEIGHTS", "untrained"))
    env.pop("COURSE_FAST", None)
    if fast:
        env["COURSE_FAST"] = "1"
    client = NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute(env=env)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("labs", nargs="*", help="lab ids (default: all)")
    parser.add_argument("--fast", action="store_true", help="fast mode (what CI runs)")
    parser.add_argument("--out", type=Path, default=None, help="write {lab: seconds} as JSON here")
    args = parser.parse_args(argv)
    ids = args.labs or [lab.id for lab in LABS]
    times: dict[str, float] = {}
    for lab_id in ids:
        with tempfile.TemporaryDirectory() as cache:
            times[lab_id] = time_lab(lab_id, args.fast, Path(cache))
        print(f"{lab_id:32s} {times[lab_id]:7.1f} s  ({times[lab_id] / 60:.1f} min)", flush=True)
    if args.out:
        args.out.write_text(json.dumps(times, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
