"""Simulator benchmarks (pytest-benchmark), run by `tox -e bench`; the default test run skips them."""
