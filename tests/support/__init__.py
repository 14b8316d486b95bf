"""Helpers shared by the integration and end-to-end tests (real PostgreSQL and Kafka)."""
