"""A simulated league: inventory files, and (later) HTTP cameras that serve it."""
