"""Pipeline stages, one per module, each a pure function `(Context, Step) -> Step | None`.

In the spirit of Alertmanager's dispatch → inhibit → silence → notify: `validate`
turns a message into signals; then `dedup`, `state`, `group`, `silence` and
`prioritize` each refine the proposed alert; `None` stops the chain. Storing and
notifying are the consumer's I/O, done on what comes out.
"""
