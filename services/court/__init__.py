"""US court intake: Arrival, initial appearance, specialty."""
