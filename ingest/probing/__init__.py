"""One probe: take a sample (and where it is analysed), then decide events and new state."""
