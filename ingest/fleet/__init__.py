"""The fleet a worker probes: targets read from the registry, shard leases, the workers report."""
