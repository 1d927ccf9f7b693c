"""The size grammar against an independent oracle (Python's own arithmetic) and under fuzzing.

- integer expressions give exactly what Python computes for the same text (``//`` floors, ``**``);
- expressions with names, once the names are given values, equal Python's result for those values;
- any text over the grammar's alphabet ends in a value or one ConvCalcError, quickly, never another exception.
"""

from __future__ import annotations

import time

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from convcalc import ConvCalcError  # noqa: E402
from convcalc.expression import MAX_DIGITS, parse_expression  # noqa: E402

OPS = ["+", "-", "*", "//"]


@st.composite
def expressions(draw, names: tuple[str, ...] = (), depth: int = 0) -> str:
    """Random well-formed texts of the grammar, small enough to stay inside every limit."""
    leaf = st.integers(0, 10**6).map(str)
    if names:
        leaf = st.one_of(leaf, st.sampled_from(names))
    if depth >= 3 or draw(st.booleans()):
        return draw(leaf)
    kind = draw(st.sampled_from(["binary", "binary", "power", "unary", "paren"]))
    if kind == "binary":
        return f"{draw(expressions(names, depth + 1))} {draw(st.sampled_from(OPS))} {draw(expressions(names, depth + 1))}"
    if kind == "power":
        return f"({draw(expressions(names, depth + 1))})**{draw(st.integers(0, 3))}"
    if kind == "unary":
        return f"-({draw(expressions(names, depth + 1))})"
    return f"({draw(expressions(names, depth + 1))})"


def _python(text: str, values: dict[str, int] | None = None) -> int | None:
    """Python's own value of the text (the oracle); None where Python divides by zero."""
    try:
        return eval(text, {"__builtins__": {}}, dict(values or {}))  # test oracle on generated text only
    except ZeroDivisionError:
        return None


@settings(max_examples=300, deadline=None)
@given(expressions())
def test_integer_expressions_equal_python(text: str) -> None:
    expected = _python(text)
    if expected is None:
        with pytest.raises(ConvCalcError, match="division by zero"):
            parse_expression(text, "size")
        return
    if abs(expected) >= 10**MAX_DIGITS:
        with pytest.raises(ConvCalcError, match="MAX_DIGITS"):
            parse_expression(text, "size")
        return
    result = parse_expression(text, "size")
    assert type(result) is int and result == expected, (text, result, expected)


@settings(max_examples=120, deadline=None)
@given(expressions(names=("n", "m")), st.integers(1, 50), st.integers(1, 50))
def test_symbolic_expressions_equal_python_at_every_value(text: str, n: int, m: int) -> None:
    import sympy

    try:
        result = parse_expression(text, "size")
    except ConvCalcError as error:  # a division by a name that simplifies to zero, or a huge constant
        assert "division by zero" in str(error) or "MAX_" in str(error), str(error)
        return
    expected = _python(text, {"n": n, "m": m})
    if expected is None:
        return  # the symbolic divisor is zero only at these values
    if isinstance(result, int):
        assert result == expected
        return
    symbols = {s.name: s for s in result.free_symbols}
    value = result.subs({symbols[k]: v for k, v in (("n", n), ("m", m)) if k in symbols})
    assert sympy.Integer(expected) == value, (text, n, m, result, expected)


ALPHABET = "0123456789nm+-*/() ._x%j٦"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_any_text_is_a_value_or_one_convcalc_error(text: str) -> None:
    start = time.perf_counter()
    try:
        parse_expression(text, "size")
    except ConvCalcError as error:
        assert "'size'" in str(error)
    assert time.perf_counter() - start < 1.0
