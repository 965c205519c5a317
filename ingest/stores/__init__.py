"""Ingest's own tables: camera health (current and daily), baselines, workers and leases."""
