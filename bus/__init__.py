"""The MQTT contract shared by every producer and consumer: schemas, topics, client, broker.

Knows only `config`. `ingest` publishes through it, `alerts` consumes through it.
"""
