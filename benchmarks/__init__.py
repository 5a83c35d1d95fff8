"""Benchmarks: scripts that print figures, and the metric code they share with the tests."""
