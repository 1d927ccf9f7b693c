"""Text to library values: sizes such as ``16``, ``28x28``, ``28,32`` or ``n``, and paddings.

Used by the command line and by answer files; pure Python, no heavy imports.
"""

from __future__ import annotations

import re

from convcalc._typing import as_value
from convcalc.errors import invalid
from convcalc.expression import MAX_LENGTH, validate_expression
from convcalc.padding import PADDING_MODES, padding_value

__all__ = ["parse_sizes", "parse_padding", "check_sizes"]

_INTS_X = re.compile(r"^\s*[0-9]+(\s*[x×]\s*[0-9]+)+\s*$")
PADDING_HELP = ("an int, one per axis ('1,2'), lo:hi pairs ('0:1' or '0:1,1:1'), one of valid, same, full, causal, "
                "or a symbolic sym(p)")


def check_sizes(options: dict[str, str | None]) -> None:
    """Check every size option against the grammar and its limits before any is read.

    Reading a symbol loads sympy (a few tenths of a second); checking all the options first means a
    bad one is refused at once even when an earlier one is symbolic (``--in n --s "10**10**10"``).
    """
    for name, text in options.items():
        if text is not None:
            parse_sizes(text, name, check_only=True)


def parse_sizes(text: str, name: str, *, check_only: bool = False) -> object:
    """Parse ``16``, ``28x28``, ``28,32`` or a symbol such as ``n``.

    A single value stays a scalar (it then applies to every axis); several
    values become a tuple with one value per axis.

    Examples
    --------
    >>> parse_sizes("16", "size"), parse_sizes("28x32", "size"), parse_sizes("28,32", "size")
    (16, (28, 32), (28, 32))
    >>> parse_sizes("n", "size")
    n
    """
    text = text.strip()
    if not text:
        raise invalid(name, text, "a size such as 16, 28x28, 28,32 or a symbol such as n")
    parts = re.split(r"\s*[x×]\s*", text) if _INTS_X.match(text) else [p.strip() for p in text.split(",")]
    if any(not p for p in parts):
        raise invalid(name, text, "a size such as 16, 28x28, 28,32 or a symbol such as n")
    if check_only:
        for p in parts:
            validate_expression(p, name)
        return None
    values = tuple(as_value(p, name) for p in parts)
    return values[0] if len(values) == 1 else values


def parse_padding(text: str) -> object:
    """Parse a padding: ``1``, ``1,2`` (per axis), ``0:1`` (lo:hi), ``0:1,1:1``, a mode, or ``sym(EXPR)``.

    Examples
    --------
    >>> parse_padding("1"), parse_padding("same"), parse_padding("0:1"), parse_padding("0:1,2:2")
    (1, 'same', ((0, 1),), ((0, 1), (2, 2)))
    >>> parse_padding("sym(p)"), parse_padding("1,2")
    (p, (1, 2))

    A bare word is a mode or an error (``"vaild"`` suggests ``valid``), never a symbol:
    a symbolic padding is written ``sym(p)``.
    """
    text = text.strip()
    if text.lower() in PADDING_MODES:
        return text.lower()
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", text):
        return text  # a word is a mode or an error; the operation knows which modes it accepts
    if len(text) > 4 * MAX_LENGTH:
        raise invalid("padding", text, PADDING_HELP)
    pieces = _split_outside_parentheses(text, ",")
    if any(not p.strip() for p in pieces):
        raise invalid("padding", text, PADDING_HELP)
    if not any(":" in p for p in pieces):
        values = tuple(padding_value(p) for p in pieces)
        return values[0] if len(values) == 1 else values
    pairs = []
    for part in pieces:
        halves = _split_outside_parentheses(part, ":")
        if len(halves) != 2 or not all(h.strip() for h in halves):
            raise invalid("padding", text, PADDING_HELP)
        pairs.append((padding_value(halves[0]), padding_value(halves[1])))
    return tuple(pairs)


def _split_outside_parentheses(text: str, sep: str) -> list[str]:
    """Split on ``sep`` except inside parentheses, so ``sym(p):0`` keeps its ``sym(...)``."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return parts + [text[start:]]
