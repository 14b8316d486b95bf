"""Chaos harness (issue 16): a seeded workload under a seeded fault schedule, then checks."""
