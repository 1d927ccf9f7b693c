"""Reading one size from text, by the grammar in :mod:`convcalc.expression`: :func:`parse_expression`.

Python's :mod:`ast` parses the text; a reader walks the tree, folds ints exactly
(within ``MAX_DIGITS``) and turns names into sympy symbols. A first pass with
names as placeholders checks the grammar and every limit without importing sympy.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from convcalc.errors import ConvCalcError, ConvCalcTypeError
from convcalc.expression.limits import (
    _LIMIT,
    MAX_DEPTH,
    MAX_DIGITS,
    MAX_EXPONENT,
    MAX_LENGTH,
    _digit_count,
    int_text,
)
from convcalc.expression.symbolic import check_expr

__all__ = ["GRAMMAR", "NAMED", "parse_expression", "validate_expression"]

_ALLOWED = re.compile(r"[A-Za-z0-9_+\-*/() \t]*")
_INT = re.compile(r"[+-]?[0-9]+")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_FLOAT_NAMES = {"nan", "inf", "infinity", "oo", "zoo"}
GRAMMAR = "an int, a symbol name such as 'n', or an expression of ints and names with + - * // ** and parentheses"


def _refuse(name: str, text: str, why: str, valid: str = GRAMMAR) -> ConvCalcError:
    shown = text if len(text) <= 60 else text[:57] + "..."
    return ConvCalcError(f"The {name!r} parameter must be {valid}. Got {shown!r}: {why}.")


def _bad_character(text: str) -> str | None:
    """What is wrong with the first character outside the grammar, or None."""
    match = _ALLOWED.match(text)
    if match and match.end() == len(text):
        return None
    ch = text[match.end() if match else 0]
    if ch.isdigit():
        import unicodedata

        return (f"{ch!r} ({unicodedata.name(ch, 'a digit')}) is not an ASCII digit; "
                "convcalc reads numbers written with 0-9 only")
    if ch == ".":
        return "a decimal point: sizes are integers"
    if ch.isprintable() and ch.isascii():
        return f"{ch!r} is not part of the grammar"
    return f"the character {ascii(ch)} is not part of the grammar"


def parse_expression(text: str, name: str, *, check_only: bool = False, valid: str = GRAMMAR) -> Any:
    """Read one size from text: an ``int``, or a sympy expression when names appear.

    Parameters
    ----------
    text : str
        The value as written, e.g. ``"16"``, ``"n"``, ``"2*n + 1"``.
    name : str
        The parameter it is for, named in errors (``"size"``, ``"stride"``).
    check_only : bool
        Check the grammar and the limits only (no sympy); return :data:`NAMED` when names appear.
    valid : str
        What is valid, for the errors. Defaults to the grammar in words.

    Returns
    -------
    int or sympy.Expr
        Names become ``sympy.Symbol(name, integer=True, positive=True)``.

    Raises
    ------
    ConvCalcError
        Text outside the grammar or past a limit, naming the parameter and the limit.

    Examples
    --------
    >>> parse_expression("2**10 + 1", "size"), parse_expression("(16 - 3)//2 + 1", "size")
    (1025, 7)
    >>> parse_expression("2*n + 1", "size")
    2*n + 1
    >>> parse_expression("1/2", "padding")
    Traceback (most recent call last):
    ...
    convcalc.errors.ConvCalcError: The 'padding' parameter must be an int, a symbol name such as 'n', or an expression of ints and names with + - * // ** and parentheses. Got '1/2': '/' is true division and sizes are integers (use // for floor division).
    """
    if not isinstance(text, str):
        raise ConvCalcTypeError(f"The {name!r} parameter must be text here. Got a {type(text).__name__}.")
    if len(text) > MAX_LENGTH:
        raise ConvCalcError(f"The {name!r} parameter is {len(text)} characters long, "
                            f"more than MAX_LENGTH = {MAX_LENGTH}.")
    text = text.strip()
    bad = _bad_character(text)
    if bad:
        raise _refuse(name, text, bad, valid)
    if _INT.fullmatch(text):
        if len(text.lstrip("+-")) > MAX_DIGITS:
            raise ConvCalcError(f"The {name!r} parameter has {len(text.lstrip('+-'))} digits, "
                                f"more than MAX_DIGITS = {MAX_DIGITS}.")
        return int(text)
    if not text:
        raise _refuse(name, text, "it is empty", valid)
    nesting = _parenthesis_depth(text)
    if nesting > MAX_DEPTH:
        raise ConvCalcError(f"The {name!r} parameter nests {nesting} levels deep, more than MAX_DEPTH = {MAX_DEPTH}.")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise _refuse(name, text, "it is not a well-formed expression", valid) from None
    depth = max(_depth(tree.body), _parenthesis_depth(text))
    if depth > MAX_DEPTH:
        raise ConvCalcError(f"The {name!r} parameter nests {depth} levels deep, more than MAX_DEPTH = {MAX_DEPTH}.")
    # A first pass with names as placeholders checks everything (grammar, limits) without sympy, whose
    # import alone costs a few tenths of a second; only a text with names in it needs the second.
    value = _Reader(text, name, dry=True, valid=valid).read(tree.body)
    if value is not _NAMED or check_only:
        return value
    return _Reader(text, name, valid=valid).read(tree.body)


def validate_expression(text: str, name: str) -> None:
    """Check ``text`` against the grammar and every limit without importing sympy (and compute nothing
    symbolic). The command line checks every option so before reading any, so a bad last option is
    refused before a symbol in the first one loads sympy.

    Examples
    --------
    >>> validate_expression("2*n + 1", "size")
    >>> validate_expression("n**100000000", "size")
    Traceback (most recent call last):
    ...
    convcalc.errors.ConvCalcError: The 'size' parameter 'n**100000000' has the exponent 100000000; a power of a name takes an exponent from 0 to MAX_EXPONENT = 64.
    """
    parse_expression(text, name, check_only=True)


class _Named:
    """Stands for any value with a name in it during the first, sympy-free pass."""

    def __repr__(self) -> str:
        return "<named>"


_NAMED = _Named()
#: What ``parse_expression(..., check_only=True)`` returns for a valid text with names in it.
NAMED = _NAMED


def _parenthesis_depth(text: str) -> int:
    deepest = level = 0
    for ch in text:
        level += (ch == "(") - (ch == ")")
        deepest = max(deepest, level)
    return deepest


def _depth(root: ast.AST) -> int:
    """Depth of a syntax tree, computed without recursion."""
    deepest, stack = 0, [(root, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(node))
    return deepest


_WHAT = {
    "Call": "a function call", "Attribute": "an attribute access", "Lambda": "a lambda",
    "IfExp": "a conditional expression", "GeneratorExp": "a generator expression",
    "ListComp": "a comprehension", "SetComp": "a comprehension", "DictComp": "a comprehension",
    "Compare": "a comparison", "BoolOp": "'and'/'or'", "Subscript": "a subscript",
    "Tuple": "a tuple", "List": "a list", "Starred": "a starred expression",
}


class _Reader:
    """Evaluate a checked syntax tree: ints fold exactly (within MAX_DIGITS), names become symbols."""

    def __init__(self, text: str, name: str, dry: bool = False, valid: str = GRAMMAR) -> None:
        self.text, self.name, self.dry, self.valid = text, name, dry, valid

    def refuse(self, why: str) -> ConvCalcError:
        return _refuse(self.name, self.text, why, self.valid)

    def read(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.symbol(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            value = self.read(node.operand)
            return value if isinstance(node.op, ast.UAdd) or value is _NAMED else self.fold(-value)
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        raise self.refuse(f"{_WHAT.get(type(node).__name__, 'this syntax')} is not part of the grammar")

    def constant(self, node: ast.Constant) -> int:
        value = node.value
        if isinstance(value, bool) or value is None:
            raise self.refuse(f"{value} is not a number")
        if isinstance(value, complex):
            raise self.refuse("complex numbers are not sizes")
        if isinstance(value, float):
            raise self.refuse(f"{ast.get_source_segment(self.text, node)} is a float and sizes are integers")
        if not isinstance(value, int):
            raise self.refuse("only integers and names are values")
        written = ast.get_source_segment(self.text, node) or ""
        if not written.isdigit():
            raise self.refuse(f"{written} is not written in decimal digits 0-9")
        return self.fold(value)

    def symbol(self, identifier: str) -> Any:
        if not _NAME.fullmatch(identifier):
            raise self.refuse(f"the name {identifier!r} must start with a letter")
        if identifier.lower() in _FLOAT_NAMES:
            raise self.refuse(f"{identifier} is a float value, not a size")
        if self.dry:
            return _NAMED
        import sympy

        return sympy.Symbol(identifier, integer=True, positive=True)

    def fold(self, value: Any) -> Any:
        """Keep ints within MAX_DIGITS; turn integer sympy results back into ints."""
        if value is _NAMED:
            return value
        if isinstance(value, int):
            if not -_LIMIT < value < _LIMIT:
                raise ConvCalcError(f"The {self.name!r} parameter {self.text!r} computes a number of "
                                    f"{_digit_count(value)} digits, more than MAX_DIGITS = {MAX_DIGITS}.")
            return value
        check_expr(value, self.name)
        return int(value) if getattr(value, "is_Integer", False) else value

    def binary(self, node: ast.BinOp) -> Any:
        op = node.op
        if isinstance(op, ast.Div):
            raise self.refuse("'/' is true division and sizes are integers (use // for floor division)")
        if not isinstance(op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Pow)):
            raise self.refuse(f"the operator {type(op).__name__} is not part of the grammar")
        a, b = self.read(node.left), self.read(node.right)
        if isinstance(op, ast.Pow):
            return self.power(a, b)
        if isinstance(op, ast.FloorDiv) and b == 0:
            raise self.refuse("division by zero")
        if a is _NAMED or b is _NAMED:
            return _NAMED
        if isinstance(op, ast.FloorDiv):
            if isinstance(a, int) and isinstance(b, int):
                return self.fold(a // b)
            import sympy

            return self.fold(sympy.floor(sympy.sympify(a) / b))
        if isinstance(op, ast.Mult) and isinstance(a, int) and isinstance(b, int):
            if a and b and (a.bit_length() + b.bit_length() - 2) > _LIMIT.bit_length():
                raise ConvCalcError(f"The {self.name!r} parameter {self.text!r} computes a number of more than "
                                    f"MAX_DIGITS = {MAX_DIGITS} digits.")
        result = a + b if isinstance(op, ast.Add) else a - b if isinstance(op, ast.Sub) else a * b
        return self.fold(result)

    def power(self, base: Any, exponent: Any) -> Any:
        """``base**exponent``: an int power is bounded by MAX_DIGITS, a symbolic one by MAX_EXPONENT."""
        if not isinstance(exponent, int):
            raise self.refuse("an exponent must be an integer, not an expression with names")
        if exponent < 0:
            raise self.refuse("a negative exponent makes a fraction and sizes are integers")
        if isinstance(base, int):
            if (abs(base).bit_length() - 1) * exponent > _LIMIT.bit_length():  # |base|**e >= 2**((bits-1)*e)
                raise ConvCalcError(f"The {self.name!r} parameter {self.text!r} computes a number of more than "
                                    f"MAX_DIGITS = {MAX_DIGITS} digits.")
        elif exponent > MAX_EXPONENT:
            raise ConvCalcError(f"The {self.name!r} parameter {self.text!r} has the exponent {int_text(exponent)}; "
                                f"a power of a name takes an exponent from 0 to MAX_EXPONENT = {MAX_EXPONENT}.")
        if base is _NAMED:
            return base
        return self.fold(base**exponent)
