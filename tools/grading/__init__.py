"""Autograde a folder of submissions, one student at a time, each in a sandbox of its own.

    python run.py grade lab00_tour submissions/ --out grades/ --feedback

``submissions/`` holds one entry per student, as an LMS download or ``nbgrader zip_collect`` gives:
``<student>/<lab>.ipynb``, ``<student>/<lab>/<lab>.ipynb`` (nbgrader's ``submitted/`` layout) or a
flat ``<student>.ipynb``. It is only read, never changed. For every student the command

1. builds a fresh private nbgrader course root (the assignment generated from ``solutions/<lab>``,
   with its own gradebook, which holds the hidden tests);
2. repairs the notebook's grading metadata if Colab or an editor dropped it (tools/colab_repair.py);
3. runs ``nbgrader autograde`` in a child process of its own (forked from a zygote that imported
   nbgrader once per job, so that import is not paid per student: ``sandbox._Zygote``) with a
   wall-clock limit (``--timeout``: the whole process tree is killed when it expires), an
   address-space limit (``--memory``, inherited by the kernel) and nbgrader's per-cell limit
   (``--cell-timeout``), with HOME, TMPDIR and the working directory inside that private root;
4. runs the kernel, where the student's code executes, inside bubblewrap (``bwrap``) when it works
   on this machine: no network, the file system read-only and mostly hidden, writable only in the
   student's own folder, home and temp folders; the gradebook, the solutions and the other students
   are not visible. Without bwrap the command warns that writes elsewhere are not prevented, only
   detected (it compares the course, the submissions, the output and the work folders before and
   after each student);
5. reads the scores from that student's gradebook itself, after the child has exited.

It writes ``report.csv`` and ``report.json`` (student, status, score, max_score, one column per
graded cell, message) into ``--out``, the autograded notebooks into ``--out/autograded/`` (they
show hidden tests: for instructors only) and, with ``--feedback``, nbgrader's feedback HTML into
``--out/feedback/<student>/``. Status is one of: graded, timeout (the whole run, or a cell, ran past
its limit), out_of_memory, crashed, not_a_notebook, missing. A score is given whenever nbgrader
finished (a cell that ran too long or out of memory scores 0, the others count).

The package, by job: :mod:`.submissions` finds each student's notebook; :mod:`.sandbox` keeps students
apart (bubblewrap, limits, process trees, the zygote); :mod:`.runner` grades a lab (:class:`Grader`,
:func:`grade_folder`); :mod:`.child` is what runs for one student; :mod:`.report` reads the outcome and
writes the report. ``tools/grade.py`` is the command line.
"""
from __future__ import annotations

from .report import STATUSES, StudentResult, write_report
from .runner import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, STUDENT_MB, Grader, Limits, default_jobs, grade_folder
from .sandbox import bwrap_works
from .submissions import MAX_FILE_BYTES, Submission, find_submissions, notebook_problem

__all__ = ["DEFAULT_MEMORY_MB", "DEFAULT_TIMEOUT", "MAX_FILE_BYTES", "STATUSES", "STUDENT_MB", "Grader", "Limits",
           "StudentResult", "Submission", "bwrap_works", "default_jobs", "find_submissions", "grade_folder",
           "notebook_problem", "write_report"]
