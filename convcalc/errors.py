"""The one exception type of convcalc and the helpers that build its messages.

Every message names the parameter, the value received and what would be valid,
in the template of scikit-learn's parameter validation::

    The 'stride' parameter must be an int >= 1. Got 0.
"""

from __future__ import annotations

__all__ = ["ConvCalcError", "ConvCalcTypeError", "invalid", "shown"]

#: Longest ``repr`` of a received value quoted in an error message.
MAX_SHOWN = 80


class ConvCalcError(ValueError):
    """Bad input to convcalc: an impossible geometry, a malformed value or file.

    A ``ValueError``, so code that already catches ``ValueError`` keeps working.
    The command line prints the message as one red line and exits with status 2.
    """


class ConvCalcTypeError(ConvCalcError, TypeError):
    """Bad input whose *type* is wrong (a float, a bool, a complex, ``None``, a 1-D array where a
    matrix is needed, a non-string spec).

    Both a :class:`ConvCalcError` (so the command line prints one line and exits 2) and a
    ``TypeError`` (so code that catches ``TypeError`` keeps working).

    Examples
    --------
    >>> issubclass(ConvCalcTypeError, ValueError), issubclass(ConvCalcTypeError, TypeError)
    (True, True)
    """


def invalid(name: str, value: object, valid: str, hint: str = "") -> ConvCalcError:
    """Build the standard error for parameter ``name``.

    Parameters
    ----------
    name : str
        The parameter as the user wrote it (``"stride"``, ``"padding"``).
    value : object
        The value received.
    valid : str
        What would be valid, completing "must be ...".
    hint : str, optional
        What would fix it. Defaults to nothing.

    Examples
    --------
    >>> str(invalid("stride", 0, "an int >= 1"))
    "The 'stride' parameter must be an int >= 1. Got 0."
    """
    message = f"The {name!r} parameter must be {valid}. Got {shown(value)}."
    if hint:
        message += f" {hint}"
    return ConvCalcError(message)


def shown(value: object) -> str:
    """``repr(value)`` for an error message, safe for any value.

    Huge ints are described by their size (Python refuses ``str()`` past 4300 digits) and long
    reprs are cut to ``MAX_SHOWN`` characters, so a hostile value never breaks or floods the
    one-line error.

    Examples
    --------
    >>> shown(3), shown("x" * 100)[-6:], shown(10**5000)
    ('3', 'xxx...', 'an int of about 5001 digits')
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 3000:
        return f"an int of about {int(value.bit_length() * 0.30103) + 1} digits"
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__, or an int past Python's str limit inside a container
        return f"a {type(value).__name__}"
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."
