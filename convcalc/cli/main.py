"""The ``convcalc`` application: every command module mounted on one Typer app.

This is also the one error boundary, and it decides the exit status (docs/limits.md):

- 0: everything done, every answer right;
- 1: some answers wrong (``check``) or a partial result (``stack --allow-partial``), set by the command;
- 2: bad input: a :class:`~convcalc.ConvCalcError` raised anywhere below, or a usage error,
  becomes one red ``error:`` line on stderr; so does an output that cannot be written for want of
  room (standard output on a full disk);
- 3 (:data:`EXIT_INTERNAL`): an internal error, any other exception: one line saying what
  happened, where, and where to report it; the traceback only with ``--debug`` (anywhere on
  the command line) or ``CONVCALC_DEBUG=1``;
- 130 (:data:`EXIT_INTERRUPTED`): Ctrl-C (128 + SIGINT, as shells report it), with one line
  (``convcalc train`` also saves a checkpoint first and says how to resume);
- 141 (:data:`EXIT_BROKEN_PIPE`): the reader of standard output went away (``| head -1``),
  128 + SIGPIPE as for a shell tool; nothing is printed.
"""

from __future__ import annotations

import errno
import importlib
import os
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

#: Exit status of an internal error (a bug in convcalc, not in the input).
EXIT_INTERNAL = 3
#: Exit status after Ctrl-C: 128 + SIGINT, what shells report for a process killed by it.
EXIT_INTERRUPTED = 130
#: Exit status when the reader of standard output went away (``convcalc ... | head -1``): 128 + SIGPIPE,
#: what a shell tool killed by SIGPIPE reports; nothing is printed.
EXIT_BROKEN_PIPE = 141
#: Where to report an internal error.
REPORT_TO = ("please report it to the convcalc developers (the project's issue tracker) with the command line, "
             "`convcalc --version` and the output of the same command with --debug")

_debug = False


def debug_enabled() -> bool:
    """True when ``--debug`` was given or ``CONVCALC_DEBUG`` is set to a non-empty value other than 0."""
    return _debug or os.environ.get("CONVCALC_DEBUG", "").strip() not in ("", "0")


def _internal_error(error: BaseException) -> None:
    """Print one line (or the traceback when debugging) for an unexpected exception."""
    from convcalc.cli._console import print_error

    if debug_enabled():
        import traceback

        sys.stderr.write("".join(traceback.format_exception(type(error), error, error.__traceback__)))
    where = ""
    frames = __import__("traceback").extract_tb(error.__traceback__)
    if frames:
        last = frames[-1]
        ours = [f for f in frames if f"{os.sep}convcalc{os.sep}" in f.filename]
        frame = ours[-1] if ours else last
        where = f" in {os.path.basename(frame.filename)}:{frame.lineno} ({frame.name})"
    message = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    print_error(f"internal error{where}: {message}. This is a bug in convcalc {__version__}; {REPORT_TO}.")


#: Errors of a write that fails for want of room, not because of a bug: standard output (or a
#: picture) on a full disk or over a quota. One line and exit status 2, as any output that cannot be written.
_NO_ROOM = {getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EFBIG") if hasattr(errno, name)}


def _cannot_write(error: OSError) -> int:
    """One line for an output that could not be written (none for a broken pipe); what is still
    buffered for stdout is dropped (so Python's own flush at exit does not fail a second time).
    Returns the exit status."""
    from convcalc.cli._console import print_error

    if error.errno != errno.EPIPE:
        print_error(f"cannot write the output: {os.strerror(error.errno or 0).lower()}.")
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # pragma: no cover - stdout without a file descriptor
        pass
    return EXIT_BROKEN_PIPE if error.errno == errno.EPIPE else 2


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
    "draw": "convcalc.cli.draw",
    "serve": "convcalc.cli.draw",
    "sweep": "convcalc.cli.sweep",
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
        """Run the app; in standalone mode a usage error is one ``error:`` line and exit status 2.

        ``--debug`` is taken out of the arguments wherever it stands (before a ``--``).
        """
        global _debug
        given = kwargs.pop("args", None) if "args" in kwargs else (args[0] if args else None)
        args = args[1:] if args else args
        argv = list(sys.argv[1:] if given is None else given)
        cut = argv.index("--") if "--" in argv else len(argv)
        _debug = "--debug" in argv[:cut]
        argv = [a for a in argv[:cut] if a != "--debug"] + argv[cut:]
        kwargs["args"] = argv
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
        try:
            sys.stdout.flush()
        except OSError as error:
            if error.errno not in _NO_ROOM | {errno.EPIPE}:
                raise
            sys.exit(_cannot_write(error))
        sys.exit(result if isinstance(result, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConvCalcError as error:
            from convcalc.cli._console import print_error

            print_error(str(error))
            raise typer.Exit(code=2) from None
        except KeyboardInterrupt:
            from convcalc.cli._console import print_error

            print_error("interrupted (Ctrl-C)")
            raise typer.Exit(code=EXIT_INTERRUPTED) from None
        except (ClickException, typer.Exit, typer.Abort):
            raise
        except OSError as error:
            if error.errno in _NO_ROOM | {errno.EPIPE}:  # a full disk, a closed pipe: not bugs (docs/limits.md)
                raise typer.Exit(code=_cannot_write(error)) from None
            _internal_error(error)
            raise typer.Exit(code=EXIT_INTERNAL) from None
        except Exception as error:  # anything else is a bug: one line, exit 3
            _internal_error(error)
            raise typer.Exit(code=EXIT_INTERNAL) from None


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
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of an internal error (exit status 3); also "
                           "CONVCALC_DEBUG=1. Accepted anywhere on the command line.")
    ] = False,
) -> None:
    """Convolution arithmetic, exactly."""
