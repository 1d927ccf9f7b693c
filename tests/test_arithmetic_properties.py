"""Hypothesis properties of the size formulas, and symbolic sizes that agree with numbers."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convcalc import ConvCalcError, conv_output_size, pool_output_size, transposed_output_size
from convcalc.inverse import input_sizes, inverse_output_padding, solve_padding
from tests.oracles import dilated_span, kernel_fits

sympy = pytest.importorskip("sympy")

sizes = st.integers(1, 300)
kernels = st.integers(1, 9)
strides = st.integers(1, 5)
pads = st.integers(0, 5)
dilations = st.integers(1, 4)


@settings(max_examples=300, deadline=None)
@given(sizes, kernels, strides, pads, dilations)
def test_output_is_the_number_of_windows(n: int, k: int, s: int, p: int, d: int) -> None:
    assume(kernel_fits(n, k, d, p))
    o = conv_output_size(n, k, s, p, d)
    span = dilated_span(k, d)
    assert o >= 1
    assert (o - 1) * s + span <= n + 2 * p  # the last window fits
    assert o * s + span > n + 2 * p  # one more would not


@settings(max_examples=300, deadline=None)
@given(sizes, kernels, strides, pads, dilations)
def test_output_is_monotone_in_size_and_padding(n: int, k: int, s: int, p: int, d: int) -> None:
    assume(kernel_fits(n, k, d, p))
    o = conv_output_size(n, k, s, p, d)
    assert conv_output_size(n + 1, k, s, p, d) >= o
    assert conv_output_size(n, k, s, p + 1, d) >= o


@settings(max_examples=300, deadline=None)
@given(sizes, kernels, strides, pads, dilations)
def test_inverse_solvers_round_trip(n: int, k: int, s: int, p: int, d: int) -> None:
    assume(kernel_fits(n, k, d, p))
    o = conv_output_size(n, k, s, p, d)
    candidates = input_sizes(o, k, s, p, d)
    assert n in candidates and len(candidates) <= s
    assert all(conv_output_size(m, k, s, p, d) == o for m in candidates)
    assert (p, p) in solve_padding(n, k, o, s, d)
    a = inverse_output_padding(n, k, s, p, d)
    assert transposed_output_size(o, k, s, p, d, a) == n


@settings(max_examples=200, deadline=None)
@given(sizes, kernels, strides, st.integers(0, 4), st.booleans())
def test_ceil_mode_adds_at_most_one_window(n: int, k: int, s: int, p: int, ceil: bool) -> None:
    assume(p <= k // 2 and k <= n + 2 * p)
    floor_o = pool_output_size(n, k, s, p)
    ceil_o = pool_output_size(n, k, s, p, ceil_mode=True)
    assert floor_o <= ceil_o <= floor_o + 1


SYMBOLIC_CASES = [
    ("conv", dict(kernel=3, stride=1, padding=1)),
    ("conv", dict(kernel=3, stride=2, padding=1)),
    ("conv", dict(kernel=2, stride=2, padding=1, dilation=4)),
    ("conv", dict(kernel=5, stride=3, padding=(1, 2))),
    ("conv", dict(kernel=4, stride=2, padding="same", framework="keras")),
    ("pool", dict(kernel=2)),
    ("pool", dict(kernel=3, stride=2, padding=1, ceil_mode=True)),
    ("transposed", dict(kernel=4, stride=2, padding=1)),
]


@pytest.mark.parametrize("kind,kw", SYMBOLIC_CASES)
def test_symbolic_result_equals_numeric_at_every_size(kind: str, kw: dict) -> None:
    fn = {"conv": conv_output_size, "pool": pool_output_size, "transposed": transposed_output_size}[kind]
    expr = fn("n", **kw)
    n = next(iter(expr.free_symbols))
    for value in range(6, 60):
        assert expr.subs(n, value) == fn(value, **kw), (kind, kw, value)


def test_symbols_simplify_when_they_can() -> None:
    n = sympy.Symbol("n", integer=True, positive=True)
    assert conv_output_size("n", 3, padding=1) == n
    assert conv_output_size("n", 3) == n - 2
    assert transposed_output_size("n", 4, 2, 1) == 2 * n
    assert conv_output_size(n, 1, 1) == n  # sympy objects are accepted as they are


def test_symbolic_kernel_and_stride() -> None:
    expr = conv_output_size(32, "k", 1, 0)
    assert expr.subs(sympy.Symbol("k", integer=True, positive=True), 5) == 28
    both = conv_output_size(("h", "w"), 3, padding=1)
    assert [str(v) for v in both] == ["h", "w"]


def test_symbolic_input_that_is_surely_too_small_still_errors() -> None:
    with pytest.raises(ConvCalcError, match="stride"):
        conv_output_size("n", 3, 0)
