"""Benchmarks of Kaizen ITSM; never part of the test run."""
