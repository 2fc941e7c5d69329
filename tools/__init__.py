"""Course tooling for instructors and CI (not imported by students' notebooks)."""
