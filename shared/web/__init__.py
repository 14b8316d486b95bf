"""The HTTP skeleton every service uses: health, readiness, metrics, errors, logs."""
