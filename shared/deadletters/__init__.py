"""Dead letters as an operator's work list: recorded by the consumer runtime, listed, re-driven
through the normal consumer path or discarded with a reason (issue 16, deliverable 4)."""
