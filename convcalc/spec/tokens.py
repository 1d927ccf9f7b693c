"""The spec language's tokens, and the syntax error that names the line and column with a caret."""

from __future__ import annotations

import re
from typing import NamedTuple

from convcalc.errors import ConvCalcError


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
""", re.VERBOSE)


def _error(text: str, pos: int, message: str, what: str = "spec syntax error") -> ConvCalcError:
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    line_end = len(text) if line_end < 0 else line_end
    line_no = text.count("\n", 0, pos) + 1
    where = f"line {line_no}, column {pos - line_start + 1}" if "\n" in text.strip() else f"column {pos - line_start + 1}"
    source = text[line_start:line_end]
    return ConvCalcError(f"{what} at {where}: {message}\n  {source}\n  {' ' * (pos - line_start)}^")


def _tokenize(text: str) -> list[_Token]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise _error(text, pos, f"unexpected character {text[pos]!r}")
        if match.lastgroup not in ("space", "comment"):
            tokens.append(_Token(match.lastgroup, match.group(), pos))
        pos = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens
