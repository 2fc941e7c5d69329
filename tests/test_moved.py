"""Release 0.1's module paths still import (shared_utils/_moved.py): a lab saved before the package
moved into subpackages keeps running on a fresh install. One subprocess (a fresh import system), about 5 s."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from shared_utils._moved import MOVED

ROOT = Path(__file__).resolve().parents[1]
IMPORT = re.compile(r"^(?:from (shared_utils[\w.]*) import .+|import (shared_utils[\w.]*)(?: as \w+)?)$")


def _course_imports() -> list[str]:
    """Every one-line shared_utils import in the lecture and solution notebooks."""
    lines = set()
    for nb in [*ROOT.glob("course/*.ipynb"), *ROOT.glob("solutions/*/*.ipynb")]:
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] == "code":
                lines |= {ln.strip() for ln in "".join(cell["source"]).splitlines() if IMPORT.match(ln.strip())}
    return sorted(lines)


def _as_in_release_0_1(line: str) -> str:
    """``line`` with each moved module written by its old path (``from shared_utils.labs import hb``
    becomes ``from shared_utils import hb``)."""
    old_of = {new: old for old, new in MOVED.items()}
    for new, old in sorted(old_of.items(), key=lambda kv: -len(kv[0])):
        line = re.sub(rf"\b{re.escape(new)}\b", old, line)
    return re.sub(r"^from shared_utils\.labs import ", "from shared_utils import ", line)


def test_old_paths_are_the_new_modules_and_say_where_they_went() -> None:
    assert not [old for old in MOVED if (ROOT / (old.replace(".", "/") + ".py")).exists()], \
        "an old path is a real file again: it would shadow its alias"
    old_lines = [o for o in map(_as_in_release_0_1, _course_imports()) if any(k in o for k in MOVED)
                 or o.startswith("from shared_utils import ") and " as " in o]
    assert len(old_lines) >= 5, old_lines  # the notebooks do import moved modules: the rewrite found them
    code = f"""
import sys, warnings, importlib
import shared_utils
moved = {MOVED!r}
for old, new in moved.items():
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        module = importlib.import_module(old)
    assert module is sys.modules[new] and sys.modules[old] is module, old
    assert any(issubclass(w.category, FutureWarning) and new in str(w.message) for w in seen), (old, seen)
warnings.simplefilter("ignore", FutureWarning)
from shared_utils import handbuilt as hb  # the attribute form of an old import
assert hb is sys.modules["shared_utils.labs.handbuilt"]
for line in {old_lines!r}:
    exec(line, {{}})
print("ok", len(moved))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["ok", str(len(MOVED))]
