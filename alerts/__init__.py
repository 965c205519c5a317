"""Alert service: event consumer, pipeline stages, silences, cases, SLA clocks (later issue)."""
