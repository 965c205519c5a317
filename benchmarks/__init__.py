"""Benchmarks behind `gridwatch bench …`, each against a baseline run in the same process."""
