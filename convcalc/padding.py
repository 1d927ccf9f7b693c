"""Padding forms, checked in one place with one message: modes, ints, per-axis values, ``(lo, hi)`` pairs.

A padding is one of

- a mode: ``"valid"``, ``"same"``, ``"full"`` or ``"causal"`` (case and surrounding spaces
  ignored; ``"causal"`` is Keras's, for one spatial axis only);
- an int ``>= 0`` for every side of every axis, or text of one (``"1"``);
- a tuple with one int per axis, or one ``(lo, hi)`` pair per axis (a bare ``(lo, hi)`` pair
  when there is one axis);
- a symbolic value: a sympy expression, or text written ``sym(EXPR)`` with ``EXPR`` in the
  grammar of :mod:`convcalc.expression` (``sym(p)``, ``sym(2*p + 1)``).

A padding *string* is never read as a symbol by itself: ``"vaild"`` is an error that names the
modes and suggests the nearest one, because a misspelt mode must not become a symbol named
``vaild``. Which modes an operation accepts is the caller's (pooling and transposed
convolutions accept fewer); the message says what is valid *there*.
"""

from __future__ import annotations

import re
from typing import Any

from convcalc._typing import Size, as_value, definitely
from convcalc.errors import ConvCalcError, invalid
from convcalc.expression import NAMED as _NAMED
from convcalc.expression import parse_expression

__all__ = ["PADDING_MODES", "SYMBOLIC_PADDING", "padding_form", "padding_value", "mode_of"]

#: Every padding mode convcalc knows.
PADDING_MODES = ("valid", "same", "full", "causal")
#: How a symbolic padding is written as text.
SYMBOLIC_PADDING = "sym(EXPR)"

_SYM = re.compile(r"sym\((.*)\)", re.DOTALL)

Pair = tuple[Size, Size]


def _forms(modes: tuple[str, ...], ndim: int | None = None) -> str:
    named = ", ".join(repr(m) for m in modes)
    pairs = "a (lo, hi) pair per axis" if ndim != 1 else "a (lo, hi) pair"
    lead = f"one of {named}, " if len(modes) > 1 else f"{named}, " if modes else ""
    return (f"{lead}an int >= 0, an int per axis or {pairs}"
            f" (a symbolic padding is written {SYMBOLIC_PADDING})")


def mode_of(padding: object) -> str | None:
    """The mode a padding names (lower case), or None when it names none.

    Examples
    --------
    >>> mode_of(" Same "), mode_of(1), mode_of("1")
    ('same', None, None)
    """
    if isinstance(padding, str):
        key = padding.strip().lower()
        return key if key in PADDING_MODES else None
    return None


def padding_value(value: object, name: str = "padding", modes: tuple[str, ...] = PADDING_MODES) -> Size:
    """One padding amount: an int, an int written as text, ``sym(EXPR)`` text or a sympy value.

    A bare word is never a symbol: it raises, naming the valid modes and the nearest one.

    Examples
    --------
    >>> padding_value("2"), padding_value("sym(p)"), padding_value("2*3")
    (2, p, 6)
    >>> padding_value("vaild")
    Traceback (most recent call last):
    ...
    convcalc.errors.ConvCalcError: The 'padding' parameter must be one of 'valid', 'same', 'full', 'causal', an int >= 0, an int per axis or a (lo, hi) pair per axis (a symbolic padding is written sym(EXPR)). Got 'vaild'. Did you mean 'valid'?
    """
    if not isinstance(value, str):
        return as_value(value, name)
    text = value.strip()
    symbolic = _SYM.fullmatch(text)
    if symbolic:
        return parse_expression(symbolic.group(1), name)
    valid = _forms(modes)
    if parse_expression(text, name, check_only=True, valid=valid) is not _NAMED:  # an int, or why not
        return parse_expression(text, name, valid=valid)
    raise _unknown_mode(value, modes, name)  # a word, or names outside sym(...): never a symbol


def _unknown_mode(value: str, modes: tuple[str, ...], name: str) -> ConvCalcError:
    import difflib

    word = value.strip().lower()
    close = difflib.get_close_matches(word, PADDING_MODES, n=1, cutoff=0.5) if len(word) <= 40 else []
    if close and close[0] in modes:
        hint = f"Did you mean {close[0]!r}?"
    elif close:
        hint = f"({close[0]!r} is not available here.)"
    elif re.fullmatch(r"[a-z][a-z0-9_]*", word):
        hint = f"For a symbolic padding write sym({value.strip()})."
    else:
        hint = f"Names in a padding go inside {SYMBOLIC_PADDING}."
    return invalid(name, value, _forms(modes), hint)


def padding_form(padding: Any, ndim: int, modes: tuple[str, ...] = PADDING_MODES, *,
                 name: str = "padding", where: str = "") -> str | tuple[Pair, ...]:
    """Check any padding form; return its mode, or one ``(lo, hi)`` pair per axis.

    Parameters
    ----------
    padding : int, str, sympy expression, tuple
        The padding as given.
    ndim : int
        Number of spatial axes.
    modes : tuple of str
        The modes this operation accepts. Defaults to all of :data:`PADDING_MODES`.
    name : str
        The parameter named in errors. Defaults to ``"padding"``.
    where : str
        What the padding is for, completing "... for {where}" in errors (``"a transposed
        convolution"``). Defaults to nothing.

    Examples
    --------
    >>> padding_form(1, 2), padding_form("same", 2), padding_form((0, 1), 1)
    (((1, 1), (1, 1)), 'same', ((0, 1),))
    >>> padding_form("causal", 2)
    Traceback (most recent call last):
    ...
    convcalc.errors.ConvCalcError: padding='causal' is for one spatial axis only (Keras allows it in Conv1D only); got 2 axes.
    """
    valid = _forms(modes, ndim) + (f" for {where}" if where else "")
    if isinstance(padding, str):
        mode = mode_of(padding)
        if mode is not None:
            if mode not in modes:
                raise invalid(name, padding, valid)
            if mode == "causal" and ndim != 1:
                raise ConvCalcError(f"padding='causal' is for one spatial axis only (Keras allows it in Conv1D "
                                    f"only); got {ndim} axes.")
            return mode
        value = padding_value(padding, name, modes)
        return _checked(((value, value),) * ndim, padding, name, valid)
    if isinstance(padding, (tuple, list)):
        items = list(padding)
        if ndim == 1 and len(items) == 2 and not any(isinstance(v, (tuple, list)) for v in items):
            items = [tuple(items)]
        if len(items) != ndim:
            raise ConvCalcError(f"The {name!r} parameter must have {ndim} value{'s' if ndim != 1 else ''}, "
                                f"one per spatial axis (or {valid}). Got {padding!r}.")
        pairs = []
        for item in items:
            if isinstance(item, (tuple, list)):
                if len(item) != 2 or any(isinstance(v, (tuple, list)) for v in item):
                    raise invalid(name, padding, valid)
                pairs.append((_one(item[0], name, modes, padding, valid), _one(item[1], name, modes, padding, valid)))
            else:
                v = _one(item, name, modes, padding, valid)
                pairs.append((v, v))
        return _checked(tuple(pairs), padding, name, valid)
    value = as_value(padding, name)
    return _checked(((value, value),) * ndim, padding, name, valid)


def _one(item: object, name: str, modes: tuple[str, ...], whole: object, valid: str) -> Size:
    if isinstance(item, str) and mode_of(item) is not None:
        raise invalid(name, whole, valid, "A mode applies to every axis; it cannot be one axis' value.")
    return padding_value(item, name, modes)


def _checked(pairs: tuple[Pair, ...], padding: object, name: str, valid: str) -> tuple[Pair, ...]:
    for pair in pairs:
        for p in pair:
            if definitely(p >= 0) is False:
                raise invalid(name, padding, valid)
    return pairs
