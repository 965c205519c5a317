"""Read queries behind the routes; each takes the caller's `Scope` and filters with it."""
