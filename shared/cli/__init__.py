"""`runway`: the command-line client of Runway's HTTP APIs."""
