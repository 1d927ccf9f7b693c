"""The ``convcalc`` application: every command module mounted on one Typer app.

This is also the one error boundary: a :class:`~convcalc.ConvCalcError` raised
anywhere below becomes one red line on stderr and exit status 2.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from convcalc import __version__
from convcalc.errors import ConvCalcError

try:  # Typer >= 0.26 vendors click
    from typer._click.exceptions import ClickException, UsageError
except ImportError:  # pragma: no cover - older Typer uses click itself
    from click.exceptions import ClickException, UsageError

if TYPE_CHECKING:  # pragma: no cover - click is Typer's (vendored in newer Typer), only named in hints
    import click

#: Every top-level command and the module whose Typer app defines it. Modules are
#: imported only when their command runs (click's "lazily loading subcommands"
#: pattern), so `convcalc outsize` never pays for the trainer's or the checker's imports.
COMMANDS = {
    "outsize": "convcalc.cli.outsize",
    "solve": "convcalc.cli.solve",
    "stack": "convcalc.cli.stack",
    "rf": "convcalc.cli.stack",
    "correlate": "convcalc.cli.correlate",
    "pool": "convcalc.cli.correlate",
    "check": "convcalc.cli.check",
    "train": "convcalc.cli.train",
    "evaluate": "convcalc.cli.train",
    "plot": "convcalc.cli.train",
}


class ConvCalcGroup(TyperGroup):
    """The top-level group: loads each command's module on first use, and turns
    ``ConvCalcError`` into one red line and exit status 2."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(dict.fromkeys([*COMMANDS, *super().list_commands(ctx)]))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in COMMANDS:
            module = importlib.import_module(COMMANDS[cmd_name])
            command = typer.main.get_group(module.app).commands.get(cmd_name)
            if command is not None:
                self.add_command(command, cmd_name)
        return command

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """Run the app; in standalone mode a usage error is one ``error:`` line and exit status 2."""
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)
        except ClickException as error:
            if type(error).__name__ == "NoArgsIsHelpError":  # bare `convcalc`: show the help
                error.show()
                sys.exit(0)
            from convcalc.cli._console import print_error

            message = error.format_message()
            ctx = getattr(error, "ctx", None)
            if isinstance(error, UsageError) and ctx is not None:
                message = f"{message.rstrip('.')}. See '{ctx.command_path} --help'."
            print_error(message)
            sys.exit(error.exit_code)
        sys.exit(result if isinstance(result, int) else 0)

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
