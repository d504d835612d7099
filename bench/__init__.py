"""Benchmarks of the mirror's endpoints, run from the repository root (python -m bench.<name>)."""
