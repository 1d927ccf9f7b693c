"""Sympy values handed to the library: bounded, integer-valued expressions only (:func:`check_expr`).

sympy itself is imported only when :func:`check_expr` runs.
"""

from __future__ import annotations

from typing import Any

from convcalc.errors import ConvCalcError, ConvCalcTypeError, invalid
from convcalc.expression.limits import _LIMIT, MAX_DIGITS, MAX_EXPONENT, MAX_NODES, _digit_count

__all__ = ["check_expr"]


def check_expr(expr: Any, name: str) -> Any:
    """Check a sympy value is a bounded integer-valued expression, and return it.

    Allowed: integer symbols and numbers (rational coefficients inside ``floor``/``ceiling`` are
    how sizes such as ``floor(n/2 - 1/2) + 1`` look), ``+ * **`` with integer exponents of at most
    ``MAX_EXPONENT``, ``floor``, ``ceiling``, ``Max``, ``Min`` and ``Piecewise``, at most
    ``MAX_NODES`` nodes, every number of at most ``MAX_DIGITS`` digits. Floats, ``nan``,
    infinities and complex numbers raise :class:`ConvCalcTypeError`.

    Examples
    --------
    >>> import sympy
    >>> check_expr(sympy.Symbol("n") + 1, "size")
    n + 1
    >>> check_expr(sympy.Float(2.5), "size")
    Traceback (most recent call last):
    ...
    convcalc.errors.ConvCalcTypeError: The 'size' parameter must be an int or an integer expression. Got the sympy Float 2.50000000000000.
    """
    import sympy

    if not isinstance(expr, sympy.Basic):
        raise invalid(name, expr, "an int or a sympy expression")
    count = 0
    for node in sympy.preorder_traversal(expr):
        count += 1
        if count > MAX_NODES:
            raise ConvCalcError(f"The {name!r} parameter is a sympy expression of more than "
                                f"MAX_NODES = {MAX_NODES} nodes.")
        _check_node(node, name, sympy)
    if expr.is_Number and not expr.is_Integer:
        raise ConvCalcTypeError(f"The {name!r} parameter must be an integer. Got the sympy number {expr}.")
    return expr


def _check_node(node: Any, name: str, sympy: Any) -> None:
    if node.is_Number:
        if node.is_Rational:
            for part in (node.p, node.q):
                if not -_LIMIT < part < _LIMIT:
                    raise ConvCalcError(f"The {name!r} parameter holds a number of {_digit_count(part)} digits, "
                                        f"more than MAX_DIGITS = {MAX_DIGITS}.")
            return
        raise ConvCalcTypeError(f"The {name!r} parameter must be an int or an integer expression. "
                                f"Got the sympy {type(node).__name__} {node}.")
    if node.is_Symbol or node.is_Relational or isinstance(node, (sympy.Add, sympy.Mul)):
        return
    if isinstance(node, sympy.Pow):
        exp = node.exp
        if not (exp.is_Integer and abs(int(exp)) <= MAX_EXPONENT):
            raise ConvCalcError(f"The {name!r} parameter has the power {node}; exponents must be integers "
                                f"of at most MAX_EXPONENT = {MAX_EXPONENT}.")
        return
    allowed = (sympy.floor, sympy.ceiling, sympy.Max, sympy.Min, sympy.Piecewise, sympy.logic.boolalg.BooleanAtom,
               sympy.logic.boolalg.BooleanFunction, sympy.functions.elementary.piecewise.ExprCondPair, sympy.Tuple)
    if isinstance(node, allowed):
        return
    if node.is_Atom:
        raise ConvCalcTypeError(f"The {name!r} parameter must be an int or an integer expression. Got {node}.")
    raise ConvCalcError(f"The {name!r} parameter holds {type(node).__name__}(...), which is not a size "
                        "(allowed: + * ** floor ceiling Max Min Piecewise).")
