"""Queries and writes scoped to the acting user: a foreign row looks exactly like a missing one."""
