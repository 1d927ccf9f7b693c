"""The limits every size written as text or passed to the library is held to, and ints that are safe to print.

Each limit is a module constant that errors name (``more than MAX_DIGITS = 100``):
:data:`MAX_LENGTH` characters of text, :data:`MAX_DIGITS` digits of any int,
:data:`MAX_EXPONENT` on a power of a name, :data:`MAX_DEPTH` of nesting and
:data:`MAX_NODES` of a sympy expression. :func:`check_int` applies the digit
limit; :func:`int_text` prints any int without Python's 4,300-digit error.
"""

from __future__ import annotations

from convcalc.errors import ConvCalcError

__all__ = ["MAX_LENGTH", "MAX_DIGITS", "MAX_EXPONENT", "MAX_DEPTH", "MAX_NODES", "check_int", "int_text"]


#: Characters in one size expression (the whole text of one value).
MAX_LENGTH = 200
#: Decimal digits of any integer: written, computed while folding constants, or passed to the library.
MAX_DIGITS = 100
#: Largest exponent of ``**`` on an expression with names (exponents are integers, never names;
#: powers of plain ints are bounded by MAX_DIGITS instead).
MAX_EXPONENT = 64
#: Nesting depth of the expression's syntax tree (parentheses and operators).
MAX_DEPTH = 24
#: Size of a sympy expression handed to the library (nodes of its tree).
MAX_NODES = 2000

_LIMIT = 10**MAX_DIGITS


def int_text(value: int) -> str:
    """Decimal text of an int, safe for any size: past ``MAX_DIGITS`` digits only the digit count.

    Python refuses ``str()`` of ints with more than 4300 digits (``sys.set_int_max_str_digits``);
    convcalc never prints such a number in full.

    Examples
    --------
    >>> int_text(12), int_text(10**150)
    ('12', 'an int of 151 digits')
    """
    if -_LIMIT < value < _LIMIT:
        return str(value)
    digits = _digit_count(value)
    return f"an int of {digits} digits"


def _digit_count(value: int) -> str:
    """Decimal digits of ``|value|`` without converting it to text: exact up to ~1,000 digits, then
    ``"about N"`` from the bit length (an exact count would cost a power of ten that large)."""
    value = abs(value)
    estimate = max(1, int(value.bit_length() * 0.30102999566398120))  # log10(2)
    if value.bit_length() > 3400:
        return f"about {estimate + 1}"
    while value >= 10**estimate:
        estimate += 1
    while estimate > 1 and value < 10 ** (estimate - 1):
        estimate -= 1
    return str(estimate)


def check_int(value: int, name: str) -> int:
    """``value`` unless it has more than ``MAX_DIGITS`` digits (then a ConvCalcError naming the limit).

    Examples
    --------
    >>> check_int(10**99, "size") == 10**99
    True
    >>> check_int(10**100, "size")
    Traceback (most recent call last):
    ...
    convcalc.errors.ConvCalcError: The 'size' parameter has 101 digits, more than MAX_DIGITS = 100.
    """
    if -_LIMIT < value < _LIMIT:
        return value
    raise ConvCalcError(f"The {name!r} parameter has {_digit_count(value)} digits, more than MAX_DIGITS = {MAX_DIGITS}.")
