"""Sorting an LMS download into one folder per student with ``nbgrader zip_collect``, strictly.

nbgrader's ``FileNameCollectorPlugin`` reads the student and the file from each file name with
``named_regexp``; a notebook whose name does not match is skipped with a warning, so a student can
silently go missing. :class:`StrictFileNameCollector` stops instead, naming the file and the
pattern. :data:`LMS_REGEXPS` holds patterns for the common downloads, tested on their file names in
tests/grading/test_instructor_guide.py. The file part is anchored on the course's notebook names
(``labNN_<name>.ipynb``), so a student name that contains ``_`` (``mary_ann``) stays whole.

In the grading workspace's ``nbgrader_config.py`` (docs/instructors.md, section 3)::

    c.ZipCollectApp.collector_plugin = "tools.lms.StrictFileNameCollector"
    c.FileNameCollectorPlugin.named_regexp = LMS_REGEXPS["canvas"]
"""
from __future__ import annotations

import os
from typing import Optional

from nbgrader.plugins import FileNameCollectorPlugin

_LAB_FILE = r"(?P<file_id>lab\d\d_[a-z0-9_]+\.ipynb)"

#: ``named_regexp`` per download format; ``student_id`` is what the LMS gives that is unique.
LMS_REGEXPS: dict[str, str] = {
    # <student>_<file>: the student may contain "_" (mary_ann_lab03_high_low.ipynb -> mary_ann)
    "generic": r"^(?:.*/)?(?P<student_id>[^/]+)_" + _LAB_FILE + "$",
    # Canvas "Download Submissions": <lastfirst>_[LATE_]<user id>_<submission id>_<file> -> the user id
    "canvas": r"^(?:.*/)?[^/_]+_(?:LATE_)?(?P<student_id>\d+)_\d+_" + _LAB_FILE + "$",
    # Moodle "Download all submissions": <Full Name>_<participant id>_assignsubmission_file_<file>,
    # or the same as a folder holding <file> ("Download submissions in folders") -> the participant id
    "moodle": r"^(?:.*/)?[^/]+_(?P<student_id>\d+)_assignsubmission_file[_/]" + _LAB_FILE + "$",
}


class StrictFileNameCollector(FileNameCollectorPlugin):
    """``FileNameCollectorPlugin`` that stops at a notebook whose name it cannot read, instead of skipping it."""

    def collect(self, submitted_file: str) -> Optional[dict]:
        found = super().collect(submitted_file)
        _, ext = os.path.splitext(submitted_file)
        if found is None and ext in self.valid_ext:
            self.log.error(
                "zip_collect stopped: %s does not match named_regexp %r, so its student is unknown. Rename the "
                "file to <student>_<lab>.ipynb, or choose the pattern of your LMS (tools/lms.py, LMS_REGEXPS); "
                "nothing was collected.", submitted_file, self.named_regexp)
            raise SystemExit(1)
        return found
