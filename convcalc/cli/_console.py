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


#: Longest line :func:`print_error` writes; longer ones are abbreviated (a typed value is not echoed whole).
MAX_LINE = 1000
_QUOTED_MAX = 256  # a quoted value longer than this is abbreviated (paths and specs up to it are shown whole)
_QUOTED_HEAD, _QUOTED_TAIL = 120, 40  # what is kept of it: its start and its end (a file name's end)


def _shorten_quoted(line: str) -> str:
    """Abbreviate every quoted value longer than 256 characters: ``'aaaa...zzzz' (N characters)``."""
    import re

    def short(match: Any) -> str:
        quote, body = match.group(1), match.group(2)
        return f"{quote}{body[:_QUOTED_HEAD]}...{body[-_QUOTED_TAIL:]}{quote} ({len(body):,} characters)"

    return re.sub(r"(['\"])((?:(?!\1).){%d,})\1" % (_QUOTED_MAX + 1), short, line, flags=re.S)


def _cut(line: str) -> str:
    if len(line) <= MAX_LINE:
        return line
    tail = f"... ({len(line):,} characters)"
    return line[:MAX_LINE - len(tail)] + tail


def _visible(message: str) -> str:
    """Control characters (a terminal escape, a newline inside a file name) as ``\\xNN`` escapes; the line
    breaks convcalc's own messages use (a newline followed by indentation: a context line) are kept."""
    import re

    def escape(match: Any) -> str:
        char = match.group(0)
        return "\\n" if char == "\n" else f"\\x{ord(char):02x}"

    text = re.sub(r"\n(?![ \t])", escape, message)  # a newline not starting an indented context line
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", escape, text)


def shorten_message(message: str) -> str:
    """``message`` with no line longer than :data:`MAX_LINE` and no raw control character.

    Quoted values are abbreviated with their length; a context line with a caret line under it
    (a spec error) is shown as a window around the caret, the caret still under its column;
    control characters are escaped (:func:`_visible`).
    """
    lines = _visible(message).split("\n")
    out = [_cut(_shorten_quoted(lines[0]))]
    i = 1
    while i < len(lines):
        line = lines[i]
        caret = lines[i + 1] if i + 1 < len(lines) else ""
        if caret.strip() == "^" and len(line) > MAX_LINE:
            col = caret.index("^")
            indent = len(line) - len(line.lstrip(" "))
            start = max(indent, col - MAX_LINE // 3)
            end = min(len(line), start + MAX_LINE - indent - 8)
            head = "..." if start > indent else ""
            tail = "..." if end < len(line) else ""
            out.append(" " * indent + head + line[start:end] + tail)
            out.append(" " * (indent + len(head) + col - start) + "^")
            i += 2
            continue
        out.append(_cut(line))
        i += 1
    return "\n".join(out)


def print_error(message: str) -> None:
    """One red line on stderr (plus the indented context lines a message carries), never wrapped, no markup
    interpretation, no line longer than :data:`MAX_LINE`."""
    message = shorten_message(message)
    if not sys.stderr.isatty():
        sys.stderr.write(f"error: {message}\n")
        return
    from rich.text import Text

    err_console.print(Text(f"error: {message}", style="bold red"), soft_wrap=True)


def print_json(data: Any) -> None:
    """Print one JSON object on stdout (plain, so pipes and autograders can read it)."""
    import json

    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
