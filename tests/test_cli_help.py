"""Every command's ``--help`` shows its text whole: nothing eaten as markup.

Rich markup reads ``[plot]`` or ``[rows, cols]`` as a style tag and drops it, so
``pip install 'convcalc[plot]'`` printed as ``pip install 'convcalc'``. This test
renders the help of every command and subcommand and checks that every
square-bracketed piece of the help strings the code declares is in the output.
"""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from convcalc.cli.main import COMMANDS, app

runner = CliRunner()
_BRACKETED = re.compile(r"\[[^\[\]\n]+\]")


def _squash(text: str) -> str:
    """Help is re-wrapped to the terminal width: compare without white space."""
    return re.sub(r"\s+", "", text)


def _commands() -> list[tuple[list[str], object]]:
    """(argv prefix, click command) for every command and subcommand."""
    group = typer.main.get_command(app)
    found: list[tuple[list[str], object]] = []

    def walk(path: list[str], command: object) -> None:
        found.append((path, command))
        sub = getattr(command, "commands", None)
        if sub:
            for name in list(sub):
                walk([*path, name], sub[name])

    ctx = group.make_context("convcalc", [], resilient_parsing=True)
    for name in COMMANDS:
        command = group.get_command(ctx, name)
        assert command is not None, f"command {name!r} did not load"
        walk([name], command)
    return found


def _declared_help(command: object) -> list[str]:
    texts = [getattr(command, "help", None) or "", getattr(command, "epilog", None) or ""]
    texts += [getattr(p, "help", None) or "" for p in getattr(command, "params", [])]
    return [piece for text in texts for piece in _BRACKETED.findall(text)]


@pytest.mark.parametrize("path, command", _commands(), ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_help_keeps_square_brackets(path: list[str], command: object) -> None:
    result = runner.invoke(app, [*path, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    shown = _squash(result.output)
    for piece in _declared_help(command):
        assert _squash(piece) in shown, f"`convcalc {' '.join(path)} --help` lost {piece!r}"


def test_plot_help_names_the_extra() -> None:
    """The case that was reported: the extra's name in brackets must survive."""
    result = runner.invoke(app, ["plot", "--help"], terminal_width=100)
    assert "convcalc[plot]" in _squash(result.output)
