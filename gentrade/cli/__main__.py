"""`python -m gentrade.cli` runs the `gentrade` command (handy where the console script is not on PATH)."""

from gentrade.cli.main import app

app(prog_name="gentrade")
