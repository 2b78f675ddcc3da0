"""Typer commands: thin doors onto the services of the other packages."""
