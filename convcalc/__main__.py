"""``python -m convcalc`` runs the command line."""

from convcalc.cli.main import app

app(prog_name="convcalc")
