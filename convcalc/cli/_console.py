"""Consoles shared by the commands: results on stdout, errors on stderr.

Rich is imported on first use only: ``console`` and ``err_console`` are proxies
that create the real ``rich.console.Console`` when a command first prints with
it, and :func:`print_lines` writes plain text without importing Rich at all
when stdout is not a terminal (pipes, files, autograders). That keeps
``convcalc outsize`` close to Python's own start-up time.
"""

from __future__ import annotations

import sys
from typing import Any, Iterable, NamedTuple


class _LazyConsole:
    """A ``rich.console.Console`` created on first attribute access."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


console: Any = _LazyConsole(highlight=False)
err_console: Any = _LazyConsole(stderr=True, highlight=False)


class Line(NamedTuple):
    """One labelled line of output: ``label`` in a fixed-width column, then ``value``."""

    label: str
    value: str
    style: str = ""


LABEL_WIDTH = 12


def print_lines(lines: Iterable[Line]) -> None:
    """Print labelled lines: styled with Rich on a terminal, plain text otherwise."""
    lines = list(lines)
    if not sys.stdout.isatty():
        for line in lines:
            sys.stdout.write((f"{line.label:<{LABEL_WIDTH}}" if line.label else "") + line.value + "\n")
        return
    from rich.text import Text

    for line in lines:
        text = Text(f"{line.label:<{LABEL_WIDTH}}" if line.label else "", style="bold cyan")
        text.append(line.value, style=line.style)
        console.print(text)


def print_error(message: str) -> None:
    """One red line on stderr, never wrapped, no markup interpretation."""
    if not sys.stderr.isatty():
        sys.stderr.write(f"error: {message}\n")
        return
    from rich.text import Text

    err_console.print(Text(f"error: {message}", style="bold red"), soft_wrap=True)


def print_json(data: Any) -> None:
    """Print one JSON object on stdout (plain, so pipes and autograders can read it)."""
    import json

    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
