"""What a student's feedback may show: check messages, never the hidden tests or the grading machine.

nbgrader's feedback is the autograded notebook as HTML, hidden tests included. The course's
feedback step (``GenerateFeedback.preprocessors`` in ``tools/grading_config.py``) adds
:class:`HideTests`, which in every check cell

* replaces each ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` block by one comment line;
* keeps each error's name and message (the check's "what was expected, what you gave, hint") and
  drops its traceback, whose source lines could quote a hidden test;

and, in every cell's outputs, replaces the grading machine's paths (the course root, Python's
prefix, the home and temporary folders) by ``…``.
"""
from __future__ import annotations

import os
import re
import sys
import tempfile
from typing import Any

from nbgrader.preprocessors import NbGraderPreprocessor

BEGIN, END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
HIDDEN_NOTE = "# (hidden checks ran here when your lab was graded; their messages are below)"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def hidden_lines(source: str) -> list[str]:
    """The source lines inside hidden-test blocks (what feedback must never show)."""
    out, inside = [], False
    for line in source.split("\n"):
        if BEGIN in line:
            inside = True
        elif END in line:
            inside = False
        elif inside:
            out.append(line)
    return out


def strip_hidden(source: str) -> str:
    lines, inside, out = source.split("\n"), False, []
    for line in lines:
        if BEGIN in line:
            inside = True
            out.append(HIDDEN_NOTE)
        elif END in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def machine_prefixes(extra: tuple[str, ...] = ()) -> list[str]:
    """Absolute folders of the grading machine, longest first."""
    cands = {sys.prefix, sys.base_prefix, os.path.expanduser("~"), tempfile.gettempdir(), os.getcwd(), *extra}
    cands |= {os.path.realpath(c) for c in list(cands)}
    return sorted((c for c in cands if c and c not in ("/", ".")), key=len, reverse=True)


def scrub(text: str, prefixes: list[str]) -> str:
    for p in prefixes:
        text = re.sub(re.escape(p) + r"(?=[/\\\s'\")\]:,]|$)", "…", text)
    return text


class HideTests(NbGraderPreprocessor):
    """Feedback without hidden tests, tracebacks of check cells, or the grading machine's paths."""

    def preprocess(self, nb: Any, resources: dict) -> tuple[Any, dict]:
        self._prefixes = machine_prefixes()
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: Any, resources: dict, index: int) -> tuple[Any, dict]:
        meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
        is_check = cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")
        if is_check and BEGIN in cell.source:
            cell.source = strip_hidden(cell.source)
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") == "error":
                if is_check:
                    out["traceback"] = [f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"]
                out["evalue"] = scrub(str(out.get("evalue", "")), self._prefixes)
                out["traceback"] = [scrub(str(t), self._prefixes) for t in out.get("traceback", [])]
            elif out.get("output_type") == "stream":
                out["text"] = scrub(str(out.get("text", "")), self._prefixes)
            else:
                data = out.get("data", {})
                for key in ("text/plain", "text/html", "text/markdown"):
                    if key in data:
                        data[key] = scrub("".join(data[key]) if isinstance(data[key], list) else str(data[key]),
                                          self._prefixes)
        return cell, resources


#: base64 payloads of embedded images and fonts (``data:image/png;base64,...``), dropped before reading.
_DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+")


def leaks(html: str, source_nb: dict, prefixes: list[str] = ()) -> list[str]:  # type: ignore[assignment]
    """What a feedback page gives away: hidden-test markers, hidden source lines, machine paths."""
    import html as _html

    text = _ANSI.sub("", _html.unescape(html))
    text = _DATA_URI.sub("data:", text)  # embedded pictures: base64 can spell anything, "/tmp" too
    found = [m for m in (BEGIN, END) if m in text]
    sources = ["".join(c.get("source", "")) if isinstance(c.get("source"), list) else c.get("source", "")
               for c in source_nb.get("cells", [])]
    visible = {line.strip() for src in sources for line in strip_hidden(src).split("\n")}
    for src in sources:
        for line in hidden_lines(src):
            s = line.strip()
            if len(s) >= 12 and s not in visible and s in text:
                found.append(f"hidden line: {s[:80]}")
    found += [f"path: {p}" for p in prefixes if p and p in text]
    return found
