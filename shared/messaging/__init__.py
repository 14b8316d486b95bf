"""Kafka messaging: CloudEvents envelope, topic declarations, client factories."""
