"""Shared pieces of the test suite: cheating submissions for the honest-grading battery."""
