"""The README's course map is the one generated from tools/course.py, and its commands exist."""
from __future__ import annotations

from tools.course import (EXERCISE_MINUTES, LABS, QUESTION_MINUTES, READING_WORDS_PER_MINUTE, ROOT,
                          course_map_markdown, lab_size, student_hours)


def test_course_map_is_current() -> None:
    readme = (ROOT / "README.md").read_text()
    assert course_map_markdown() in readme, "README course map is stale: paste tools.course.course_map_markdown()"


def test_course_map_footnote_states_the_student_time_rule() -> None:
    """The footnote says how the student time is estimated; its numbers are the ones the code uses."""
    readme = (ROOT / "README.md").read_text()
    assert f"{READING_WORDS_PER_MINUTE} words a minute" in readme
    assert f"{EXERCISE_MINUTES[0]}-{EXERCISE_MINUTES[1]} minutes for each exercise" in readme
    assert f"{QUESTION_MINUTES[0]}-{QUESTION_MINUTES[1]} minutes for each graded question" in readme
    assert "GPU minutes have not been measured" in readme and "unmeasured" in course_map_markdown()
    for lab_ in LABS:
        size = lab_size(lab_)
        assert size.words > 0 and size.exercises + size.questions > 0, (lab_.id, size)
        low, high = student_hours(lab_)
        assert 0.5 <= low < high, (lab_.id, low, high)


def test_quickstart_commands_are_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "python3 run.py lab" in readme and "python3 run.py test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 run.py test" in ci


def test_where_things_are_names_what_exists() -> None:
    """The README's map of the layout: every path it names exists, and the core's size is what it says."""
    import re

    import shared_utils

    readme = (ROOT / "README.md").read_text()
    where = readme[readme.index("**Where things are.**"):readme.index("| path | what |")]
    paths = re.findall(r"`((?:shared_utils|tools|tests)/[\w/.]*)`", where)
    assert len(paths) >= 6, paths
    assert [p for p in paths if not (ROOT / p).exists()] == []
    count = int(re.search(r"its (\d+) names", where).group(1))
    assert count == len(shared_utils.__all__) <= 30
    assert all(hasattr(shared_utils, n) for n in shared_utils.__all__)
    assert not hasattr(shared_utils, "__getattr__"), "the core's names are imported eagerly (visible to editors)"
    core = where[where.index("one per thing a student does"):where.index("Four subpackages")]
    for module in re.findall(r"`(\w+)`", core):
        assert (ROOT / "shared_utils" / f"{module}.py").is_file(), module
    for package in re.findall(r"`shared_utils/(\w+)/`", where):
        assert (ROOT / "shared_utils" / package / "__init__.py").is_file(), package
    labs = where[where.index("`shared_utils/labs/`"):where.index("`shared_utils/explorer/`")]
    for module in re.findall(r"`(\w+)`", labs):
        assert (ROOT / "shared_utils" / "labs" / f"{module}.py").is_file(), module
    # the tests mirror the package: a test folder for every subpackage, a test file for every core module
    subpackages = {p.parent.name for p in (ROOT / "shared_utils").glob("*/__init__.py")}
    test_folders = set(re.findall(r"`tests/(\w+)/`", where))
    assert subpackages <= test_folders, sorted(subpackages - test_folders)
    assert all((ROOT / "tests" / name).is_dir() for name in test_folders)
    for module in re.findall(r"`(\w+)`", core):
        assert (ROOT / "tests" / f"test_{module}.py").is_file(), f"no tests/test_{module}.py for the core module {module}"
