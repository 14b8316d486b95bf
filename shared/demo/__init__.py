"""The main job: the August 2025 mass transfer, driven through Runway's public APIs."""
