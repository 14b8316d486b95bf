"""Transport scheduling: Flights, manifests, custody handoff."""
