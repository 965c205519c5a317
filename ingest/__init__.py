"""Ingest: sample every camera on schedule, judge its picture, publish what changed.

Subpackages, in the order a probe passes through them: `fleet` (what to probe),
`schedule` (when), `sources` (fetch), `analysis` (pure kernels), `probing` (the
decision), `stores` (health, baselines), `publishing` (spool, publisher), `worker`
(the loop and processes); `simulator` serves simulated cameras for tests and demos.
"""
