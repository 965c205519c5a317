"""When each camera is probed: the phased schedule, per-key limits, lateness percentiles."""
