"""Text to library values: sizes such as ``16``, ``28x28``, ``28,32`` or ``n``, and paddings.

Used by the command line and by answer files; pure Python, no heavy imports.
"""

from __future__ import annotations

import re

from convcalc._typing import as_value
from convcalc.errors import invalid

__all__ = ["parse_sizes", "parse_padding"]

_INTS_X = re.compile(r"^\s*\d+(\s*[x×]\s*\d+)+\s*$")
PADDING_HELP = "an int, one per axis ('1,2'), lo:hi pairs ('0:1' or '0:1,1:1'), or one of valid, same, full"


def parse_sizes(text: str, name: str) -> object:
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
    values = tuple(as_value(p, name) for p in parts)
    return values[0] if len(values) == 1 else values


def parse_padding(text: str) -> object:
    """Parse a padding: ``1``, ``1,2`` (per axis), ``0:1`` (lo:hi), ``0:1,1:1``, or a mode.

    Examples
    --------
    >>> parse_padding("1"), parse_padding("same"), parse_padding("0:1"), parse_padding("0:1,2:2")
    (1, 'same', ((0, 1),), ((0, 1), (2, 2)))
    """
    text = text.strip()
    if text.lower() in ("valid", "same", "full"):
        return text.lower()
    if ":" not in text:
        try:
            return parse_sizes(text, "padding")
        except ValueError:
            raise invalid("padding", text, PADDING_HELP) from None
    pairs = []
    for part in text.split(","):
        halves = part.split(":")
        if len(halves) != 2 or not all(h.strip() for h in halves):
            raise invalid("padding", text, PADDING_HELP)
        pairs.append((as_value(halves[0], "padding"), as_value(halves[1], "padding")))
    return tuple(pairs)
