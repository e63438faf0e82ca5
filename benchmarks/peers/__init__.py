"""Peer frameworks' versions of the benchmark scenarios (run.py --peers); see benchmarks/README.md."""
