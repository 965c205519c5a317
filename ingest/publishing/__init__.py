"""Getting events to the broker without losing one: the disk spool and the publisher."""
