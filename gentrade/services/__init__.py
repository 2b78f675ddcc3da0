"""Use cases: the only layer that joins engine work, agents and the database (one module per use case)."""
