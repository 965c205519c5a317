"""The governance case workflow: cases opened from alerts, routed to departments, run
against working-time deadlines, supervised (yellow/red), whistled, verified and counted.

Pure decisions live in `transitions`, `worktime`, `calendar`, `sla`, `opening`,
`routing` and `supervision`; the modules ending in `_store` / `service` do the I/O.
The alert service is reached only through the seam in `seam` (a frozen alert
snapshot in, a small state-reader protocol out), so this package never imports it.
"""
