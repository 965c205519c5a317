"""Alert service: event consumer, pipeline stages, silences, case workflow, SLA clocks (later issue)."""
