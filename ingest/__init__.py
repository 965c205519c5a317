"""Ingest: camera sources, probe scheduling, analysis kernels, event publishing, simulator."""
