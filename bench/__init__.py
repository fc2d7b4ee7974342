"""Benchmarks: `make bench` prints throughput, latency percentiles and peak memory."""
