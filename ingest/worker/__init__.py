"""The ingest worker: its loop, how it is assembled, the process and the supervisor."""
