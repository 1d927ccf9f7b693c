"""The ``convcalc`` application: every command module mounted on one Typer app.

This is also the one error boundary: a :class:`~convcalc.ConvCalcError` raised
anywhere below becomes one red line on stderr and exit status 2.
"""

from __future__ import annotations

from typing import Annotated, Any

import click
import typer
from typer.core import TyperGroup

from convcalc import __version__
from convcalc.cli import check, correlate, outsize, solve, stack, train
from convcalc.errors import ConvCalcError


class ConvCalcGroup(TyperGroup):
    """Typer group that turns ``ConvCalcError`` into one red line and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConvCalcError as error:
            from convcalc.cli._console import print_error

            print_error(str(error))
            raise typer.Exit(code=2) from None


app = typer.Typer(
    cls=ConvCalcGroup,
    name="convcalc",
    help="Convolution arithmetic, exactly: sizes, stacks, receptive fields, exact correlation, checking, training.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_show_locals=False,
)
for _module in (outsize, solve, stack, correlate, check, train):
    app.add_typer(_module.app)


def _version(value: bool) -> None:
    if value:
        print(f"convcalc {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Convolution arithmetic, exactly."""
