"""Shared pieces of the test suite: cheating submissions, likely wrong answers, recorded figures."""
