"""Operator intake: Operators submit extradition requests; timelines and case lists."""
