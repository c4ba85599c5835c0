"""Benchmarks for issue 10: `python -m bench.run` (or `make bench`) runs them all and rewrites RESULTS.md."""
