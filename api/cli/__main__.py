"""`python -m api.cli …` runs the ccgrid CLI (handy from a checkout without the console script)."""

from api.cli import app

app(prog_name="ccgrid")
