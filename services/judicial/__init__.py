"""Judicial approval: detention, hearing, opinion, SRE decision, amparo, surrender."""
