"""The README's course map is the one generated from tools/course.py, and its commands exist."""
from __future__ import annotations

from tools.course import ROOT, course_map_markdown


def test_course_map_is_current() -> None:
    readme = (ROOT / "README.md").read_text()
    assert course_map_markdown() in readme, "README course map is stale: paste tools.course.course_map_markdown()"


def test_quickstart_commands_are_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "python3 run.py lab" in readme and "python3 run.py test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 run.py test" in ci
