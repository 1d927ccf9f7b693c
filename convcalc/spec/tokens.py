"""The spec language's tokens, and the syntax error that names the line and column with a caret."""

from __future__ import annotations

import re
from typing import NamedTuple

from convcalc.errors import ConvCalcError


#: Longest spec accepted, in characters (a 100,000-layer spec of short names fits; parsing is linear,
#: about 5 s per million characters on the CI machine).
MAX_SPEC_CHARS = 1_000_000
#: Longest number in a spec, in characters (digits, sign, point, exponent): sizes beyond 10**30 are
#: never a layer's, and Python refuses to convert integers of more than 4,300 digits anyway.
MAX_NUMBER_CHARS = 30


class _Token(NamedTuple):
    kind: str  # name, number, size, string, punct, end
    text: str
    pos: int


_TOKEN = re.compile(r"""
    (?P<space>[ \t\r\n]+) | (?P<comment>\#[^\n]*)
  | (?P<size>\d+(?:\s*[x×]\s*\d+)+(?![\w.]))
  | (?P<number>[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>'[^'\n]*'|"[^"\n]*")
  | (?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)
  | (?P<punct>->|>>|[()\[\],;=|*@:])
""", re.VERBOSE | re.ASCII)  # ASCII: a full-width '８' is an unexpected character, not silently 8


#: Widest piece of the spec an error shows: the caret line is windowed around the column.
CONTEXT_CHARS = 80


def shorten(text: str, limit: int = 60) -> str:
    """``text`` itself when short, else its start and end around ``...`` (error messages stay one line).

    >>> shorten("conv" * 40, 20)
    'convconv...convconv (160 characters)'
    """
    if len(text) <= limit:
        return text
    half = max(limit // 2 - 2, 1)
    return f"{text[:half]}...{text[-half:]} ({len(text):,} characters)"


def _error(text: str, pos: int, message: str, what: str = "spec syntax error") -> ConvCalcError:
    """The error at ``pos``: line and column, the message, the line (a window of it when long) and a caret."""
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    line_end = len(text) if line_end < 0 else line_end
    line_no = text.count("\n", 0, pos) + 1
    where = f"line {line_no}, column {pos - line_start + 1}" if "\n" in text.strip() else f"column {pos - line_start + 1}"
    first, last = line_start, line_end
    if last - first > CONTEXT_CHARS:  # a window around the column, marked with ... where cut
        first = max(line_start, pos - CONTEXT_CHARS // 2)
        last = min(line_end, first + CONTEXT_CHARS)
        first = max(line_start, last - CONTEXT_CHARS)
    before = "..." if first > line_start else ""
    after = "..." if last < line_end else ""
    source = before + _visible(text[first:last]) + after
    caret = len(before) + len(_visible(text[first:pos]))
    return ConvCalcError(f"{what} at {where}: {message}\n  {source}\n  {' ' * caret}^")


def _visible(text: str) -> str:
    """``text`` with control and other unprintable characters escaped (``\\x00``, ``\\r``, ``\\x1b``; a tab
    shows as a space): a hostile spec never writes a raw NUL, carriage return or terminal escape into an error.

    >>> _visible("conv(8,3)\\x00\\r\\x1b[2J")
    'conv(8,3)\\\\x00\\\\r\\\\x1b[2J'
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else " " if c == "\t" else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def _tokenize(text: str) -> list[_Token]:
    """The tokens of ``text``, in one linear pass (each token is one regular-expression match).

    Raises :class:`ConvCalcError` past :data:`MAX_SPEC_CHARS` characters or on a number longer than
    :data:`MAX_NUMBER_CHARS`; nesting depth is limited by the parser (``parser.MAX_DEPTH``).
    """
    if len(text) > MAX_SPEC_CHARS:
        raise ConvCalcError(f"The spec is {len(text):,} characters long; the limit is {MAX_SPEC_CHARS:,} "
                            "(convcalc.spec.tokens.MAX_SPEC_CHARS).")
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise _error(text, pos, f"unexpected character {text[pos]!r}")
        kind = match.lastgroup or ""
        if kind in ("number", "size") and match.end() - pos > MAX_NUMBER_CHARS and \
                max(len(part) for part in re.split(r"\s*[x×]\s*", match.group())) > MAX_NUMBER_CHARS:
            raise _error(text, pos, f"a number longer than {MAX_NUMBER_CHARS} characters "
                         "(convcalc.spec.tokens.MAX_NUMBER_CHARS)")
        if kind not in ("space", "comment"):
            tokens.append(_Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens
