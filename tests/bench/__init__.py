"""Benchmarks against real PostgreSQL and Kafka; run with `make bench`."""
