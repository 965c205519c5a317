"""The `gridwatch` command: one entry point, a subcommand per job."""
