"""How convcalc's tables and text reach stdout: the house table style, cells as text, and terminal or pipe.

:func:`emit` prints on a terminal as Rich does; in a pipe (CI, autograders,
``| cat``) tables keep their natural width, so a layer name or a matrix row is
never squashed, and lines carry no trailing spaces. :class:`Prose` wraps instead
of widening. Tables longer than :data:`PLAIN_ROWS` rows are laid out here as
plain lines (Rich takes ~3 ms a row). Shared by `stack`, `rf`, `correlate`,
`pool`, `check` and `train`.
"""

from __future__ import annotations

import io
import os
import sys
from typing import TYPE_CHECKING, Any

from rich import box
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:  # pragma: no cover - typing only
    from rich.console import Console, ConsoleOptions, RenderableType

__all__ = ["EMPTY", "PLAIN_ROWS", "human_bytes", "per_axis", "printable", "Prose", "emit", "natural_width",
           "terminal_width"]

EMPTY = "--"


def _table(**options: Any) -> Table:
    """The house style: a rule under the header (and above a footer), two spaces between columns."""
    return Table(box=box.SIMPLE, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0), **options)


def human_bytes(n: int) -> str:
    """Binary units: ``3,136 B`` below 1 KiB... ``2.07 MiB``.

    Examples
    --------
    >>> human_bytes(512), human_bytes(3136), human_bytes(2168920)
    ('512 B', '3.06 KiB', '2.07 MiB')
    """
    if n < 1024:
        return f"{n:,} B"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            return f"{value:,.2f} {unit}"
    raise AssertionError("unreachable: the loop returns at TiB")


def per_axis(values: tuple | None) -> str:
    """One number when every axis agrees, else ``7x5``; ``--`` when absent.

    Examples
    --------
    >>> per_axis((7, 7)), per_axis((7, 5)), per_axis((1.5, -0.5)), per_axis(None)
    ('7', '7x5', '1.5x-0.5', '--')
    """
    if not values:
        return EMPTY
    texts = [f"{v:g}" if isinstance(v, float) else str(v) for v in values]
    return texts[0] if len(set(texts)) == 1 else "x".join(texts)


#: Above this many rows the table is laid out as plain text here: Rich takes ~3 ms a row (33 s for 10,000).
PLAIN_ROWS = 400


class _PlainLines:
    """Pre-laid-out lines that Rich prints as they are (measured by their longest line)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.width = max((len(line) for line in lines), default=0)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Any:
        from rich.segment import Segment

        for line in self.lines:
            yield Segment(line)
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.width, self.width)


def printable(text: str) -> str:
    r"""``text`` with control characters (NUL, ESC, CR, ...) written as escapes: a layer name read from a
    model file never reaches the terminal raw (``Dense\x1b[2J`` would clear it).

    >>> printable("Dense" + chr(27) + "[2J"), printable("Conv2D(8, 3)")
    ('Dense\\x1b[2J', 'Conv2D(8, 3)')
    """
    import unicodedata

    if text.isprintable():
        return text
    return "".join(ch if ch == " " or unicodedata.category(ch)[0] != "C" else ch.encode("unicode_escape").decode()
                   for ch in text)


def _laid_out(headers: list[str], rows: list[list[str]], left: set[int], captions: list[str]) -> _PlainLines:
    """Columns two spaces apart, a rule under the header, then the captions: a long table without Rich."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    rule = "─" * (sum(widths) + 2 * (len(widths) - 1))
    return _PlainLines([line(headers), rule, *(line(r) for r in rows), *captions])

# --------------------------------------------------------------------------- output: terminal or pipe
class Prose(Text):
    """Text that may wrap, such as a diagnosis, a note or a title.

    When :func:`emit` sizes the output for a pipe, prose asks for no more than its
    longest word, so tables, matrices and formulas set the width and a sentence
    wraps at it instead of widening everything. Rendered, it is a plain ``Text``.
    """

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        measurement = super().__rich_measure__(console, options)
        if getattr(console, "prose_wraps", False):
            return Measurement(measurement.minimum, measurement.minimum)
        return measurement


def natural_width(renderable: RenderableType, prose_wraps: bool = False) -> int:
    """The width ``renderable`` takes when nothing is wrapped or cut (but :class:`Prose`, with ``prose_wraps``)."""
    from rich.console import Console

    # _environ={}: the width is given; Rich would still parse $COLUMNS (a 10,000-digit value was an exit 3)
    measuring = Console(width=100_000, file=io.StringIO(), color_system=None, legacy_windows=False, _environ={})
    measuring.prose_wraps = prose_wraps  # type: ignore[attr-defined]  # read by Prose.__rich_measure__
    return measuring.measure(renderable).maximum


def terminal_width() -> int | None:
    """The terminal's width when stdout is a terminal, else ``None`` (a pipe or a file)."""
    from convcalc.cli._console import console

    return console.width if console.is_terminal else None


def _pipe_width() -> int:
    """``$COLUMNS`` when set, else 80: never the width of whatever terminal stdin happens to be."""
    import re

    columns = os.environ.get("COLUMNS", "")
    # ASCII digits, at most 6 of them (a 10,000-digit COLUMNS was past int()'s limit: exit 3)
    return int(columns) if re.fullmatch(r"[0-9]{1,6}", columns) and int(columns) > 0 else 80


def emit(*renderables: RenderableType) -> None:
    """Print renderables on stdout.

    On a terminal: Rich at the terminal's width, with colour. Otherwise: plain
    text at ``max($COLUMNS or 80, natural width)``, so a table is never squashed
    (a layer name never becomes ``Conv2…``), :class:`Prose` wraps at the pipe's
    width, and no line ends in spaces.
    """
    from rich.console import Console

    from convcalc.cli._console import console

    if console.is_terminal:
        for renderable in renderables:
            console.print(renderable)
        return
    width = max([_pipe_width(), *(natural_width(r, prose_wraps=True) for r in renderables)])
    buffer = io.StringIO()
    plain = Console(file=buffer, width=width, color_system=None, force_terminal=False, highlight=False, _environ={},
                    emoji=False, legacy_windows=False, soft_wrap=False)
    for renderable in renderables:
        plain.print(renderable)
    sys.stdout.write("".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines()))
