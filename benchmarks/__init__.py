"""Throughput and scale benchmarks: `python -m benchmarks SUBCOMMAND` (see README.md)."""
