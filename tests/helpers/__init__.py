"""Shared pieces of the test suite: cheating submissions, reference implementations, counters."""
