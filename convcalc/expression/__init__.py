"""The bounded grammar of sizes written as text: ``16``, ``n``, ``2*n + 1``, ``(h - 3)//2 + 1``, ``n**2``.

Text is read by walking the syntax tree of Python's own :mod:`ast` parser, never with ``eval``
and never with ``sympy.sympify``, and every input is bounded by the limits below, so that no text
can make convcalc compute for long, recurse deeply, or build a number Python refuses to print.

Grammar::

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "//") unary)*
    unary  := ("+" | "-") unary | power
    power  := atom ["**" unary]         exponent: an integer >= 0 (no names); at most MAX_EXPONENT
                                       on a name, and an int result has at most MAX_DIGITS digits
    atom   := INT | NAME | "(" expr ")"
    INT    := [0-9]+                     ASCII digits, at most MAX_DIGITS of them
    NAME   := [A-Za-z][A-Za-z0-9_]*      a positive integer symbol (sympy)

Refused, each with its own message: ``/`` (sizes are integers: use ``//``), floats (``1e5``,
``2.0``), ``True``/``None``/complex numbers, ``nan``/``inf`` as names, non-ASCII digits such as
Arabic-Indic ``٦٤``, and any other Python syntax (calls, attributes, lambdas, comprehensions,
conditional expressions, comparisons, subscripts).

sympy is imported only when the text has a name in it.

Modules, all re-exported here (import from ``convcalc.expression``): ``limits``
(the limits, :func:`check_int`, :func:`int_text`), ``grammar`` (reading text:
:func:`parse_expression`, :func:`validate_expression`) and ``symbolic``
(:func:`check_expr`, the sympy values the library accepts).
"""

from __future__ import annotations

from convcalc.expression.grammar import GRAMMAR, NAMED, parse_expression, validate_expression
from convcalc.expression.limits import MAX_DEPTH, MAX_DIGITS, MAX_EXPONENT, MAX_LENGTH, MAX_NODES, check_int, int_text
from convcalc.expression.symbolic import check_expr

__all__ = [
    "MAX_LENGTH",
    "MAX_DIGITS",
    "MAX_EXPONENT",
    "MAX_DEPTH",
    "MAX_NODES",
    "parse_expression",
    "validate_expression",
    "NAMED",
    "check_int",
    "check_expr",
    "int_text",
    "GRAMMAR",  # importable from here as before the split
]
