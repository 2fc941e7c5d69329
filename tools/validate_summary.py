"""nbgrader's Validate button, with a summary first: exercises done, not done and failing.

nbgrader's JupyterLab Validate dialog lists every failing cell's whole source and error. This
server extension (enabled in the student's JupyterLab, ``tools/jupyter_student/``) wraps the
handler's ``validate_notebook`` so that the first entry of the dialog is a summary of the lab, one
line per exercise, with the first message of each, before the details::

    Exercises: 3 done, 2 not done, 1 failing
      ✓ concat_channel
      ✗ which_branch: ✗ which_branch(mixed3b sizes, 200) ...
      … top_k_images: not done yet

The scores are nbgrader's own (nothing here changes what Validate or grading decide).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_MARKER = re.compile(r"\A\s*# Checks for `(\w+)`")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _first_message(error: str) -> str:
    lines = [_ANSI.sub("", x).strip() for x in error.splitlines()]
    lines = [x for x in lines if x and not x.startswith(("Check failed", "(%fulltb", "Not done yet",
                                                           "Traceback", "---"))]
    for line in lines:
        if line.startswith("✗") or "not done yet" in line:
            return line[:160]
    return (lines[-1] if lines else "")[:160]


def summarise(notebook: dict[str, Any], failed: list[dict[str, str]]) -> dict[str, Any]:
    """Per exercise of ``notebook`` (its check cells, in order): done, not done or failing."""
    by_source = {f.get("source", "").strip(): f.get("raw_error") or f.get("error", "") for f in failed}
    rows: list[tuple[str, str, str]] = []
    for cell in notebook.get("cells", []):
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        m = _MARKER.match(src)
        if cell.get("cell_type") != "code" or m is None:
            continue
        err = by_source.get(src.strip())
        if err is None:
            rows.append((m.group(1), "done", ""))
        elif "not done yet" in err or "NotImplementedError" in err or "not answered yet" in err:
            rows.append((m.group(1), "not done", "not done yet"))
        else:
            rows.append((m.group(1), "failing", _first_message(err)))
    counts = {k: sum(r[1] == k for r in rows) for k in ("done", "not done", "failing")}
    mark = {"done": "✓", "not done": "…", "failing": "✗"}
    lines = [f"Exercises: {counts['done']} done, {counts['not done']} not done, {counts['failing']} failing"]
    lines += [f"  {mark[s]} {name}" + (f": {msg}" if msg else "") for name, s, msg in rows]
    return {"counts": counts, "rows": rows, "text": "\n".join(lines)}


def with_summary(result: dict[str, Any], path: Path) -> dict[str, Any]:
    """``result`` from nbgrader's handler, with the summary as the first failed entry."""
    import json

    value = result.get("value")
    if not result.get("success") or not isinstance(value, dict) or "failed" not in value:
        return result
    try:
        nb = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return result
    summary = summarise(nb, value["failed"])
    entry = {"source": summary["text"], "error": "Details of each failing cell follow.",
             "raw_error": "Details of each failing cell follow."}
    return {**result, "value": {**value, "failed": [entry, *value["failed"]]}}


def _load_jupyter_server_extension(app: Any) -> None:
    from nbgrader.server_extensions.validate_assignment import handlers

    cls = handlers.ValidateAssignmentHandler
    if getattr(cls.validate_notebook, "_zoom_in", False):
        return
    original = cls.validate_notebook

    def validate_notebook(self: Any, path: str) -> dict[str, Any]:
        result = original(self, path)
        return with_summary(result, Path(self.root_dir) / path)

    validate_notebook._zoom_in = True  # type: ignore[attr-defined]
    cls.validate_notebook = validate_notebook
    app.log.info("zoom-in: Validate shows a summary of the lab's exercises first")


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "tools.validate_summary"}]
