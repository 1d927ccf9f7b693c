"""One rule in one place (issue 10): every path that sizes a pooling, a ceil-mode window or an adjoint
padding calls the arithmetic core, so they agree on every geometry, with each other and with PyTorch."""

from __future__ import annotations

import itertools
import random

import pytest

from convcalc import ConvCalcError, pool_output_size
from convcalc.arithmetic import adjoint_padding, ceil_window_dropped, pool_length, resolve_geometry
from convcalc.exact.geometry import _pool_geometry
from convcalc.working import explain_output_size
from tests.oracles import dilated_span

np = pytest.importorskip("numpy")
from convcalc.engine.pool import avg_pool2d_forward, max_pool2d_forward  # noqa: E402

# every (n, k, s, d, p, ceil) with n <= 6, k <= 4, s <= 3, d <= 3, p <= 3: 1,728 geometries
GEOMETRIES = list(itertools.product(range(1, 7), range(1, 5), range(1, 4), range(1, 4), range(0, 4), (False, True)))


def _shape_or_error(call) -> object:
    try:
        return tuple(call())
    except ConvCalcError:
        return "refused"


def _torch_shape_or_error(call) -> object:
    try:
        return tuple(call().shape[-2:])
    except RuntimeError:
        return "refused"


def _paths(n: int, k: int, s: int, d: int, p: int, ceil: bool, op: str) -> dict[str, object]:
    """Output shape of an ``n x (n + 1)`` pooling along every path, or "refused"."""
    size = (n, n + 1)
    x = [[(3 * r + 5 * c) % 7 for c in range(size[1])] for r in range(size[0])]
    xa = np.asarray(x, dtype=float)[None, None]
    # the exact engine's geometry (what `convcalc pool` sizes its matrix with; its cell values are H2's)
    exact = lambda: _pool_geometry(x, k, s, p, d, ceil).output  # noqa: E731
    if op == "max":
        engine = lambda: max_pool2d_forward(xa, k, s, p, d, ceil)[0].shape[-2:]  # noqa: E731
    else:
        engine = lambda: avg_pool2d_forward(xa, k, s, p, ceil_mode=ceil)[0].shape[-2:]  # noqa: E731
    return {
        "arithmetic": _shape_or_error(lambda: pool_output_size(size, k, s, p, d, ceil)),
        "working (outsize --pool)": _shape_or_error(
            lambda: explain_output_size("pool", size, k, s, p, d, ceil_mode=ceil).output),
        "exact (convcalc pool)": _shape_or_error(exact),
        "engine": _shape_or_error(engine),
    }


@pytest.mark.parametrize("op", ["max", "avg"])
def test_every_pooling_path_agrees(op: str) -> None:
    disagreements = []
    for n, k, s, d, p, ceil in GEOMETRIES:
        if op == "avg" and d != 1:
            continue  # average pooling has no dilation
        shapes = _paths(n, k, s, d, p, ceil, op)
        if len(set(shapes.values())) != 1:
            disagreements.append(((n, k, s, d, p, ceil), shapes))
    assert not disagreements, disagreements[:5]


def test_the_issue_geometry_is_refused_everywhere() -> None:
    """convcalc pool X --k 3 --s 1 --d 2 --p 2 printed a 5x5 matrix while the others refused."""
    shapes = _paths(5, 3, 1, 2, 2, False, "max")
    assert set(shapes.values()) == {"refused"}, shapes


@pytest.mark.parametrize("op", ["max", "avg"])
def test_pooling_paths_agree_with_torch(op: str) -> None:
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = random.Random(10)
    cases = GEOMETRIES if op == "max" else [g for g in GEOMETRIES if g[3] == 1]
    for n, k, s, d, p, ceil in rng.sample(cases, min(600, len(cases))):
        size = (n, n + 1)
        x = torch.zeros(1, 1, *size)
        if op == "max":
            theirs = _torch_shape_or_error(lambda: F.max_pool2d(x, k, s, p, d, ceil_mode=ceil))
        else:
            theirs = _torch_shape_or_error(lambda: F.avg_pool2d(x, k, s, p, ceil_mode=ceil))
        ours = _paths(n, k, s, d, p, ceil, op)
        assert set(ours.values()) == {theirs}, ((n, k, s, d, p, ceil), ours, theirs)


def test_ceil_window_dropped_is_the_rule_pool_length_applies() -> None:
    """ceil_window_dropped and pool_length share one rule: the ceil-mode count minus the dropped window."""
    for n, k, s, d, p, _ in GEOMETRIES:
        try:
            with_ceil = pool_length(n, k, s, p, p, d, ceil_mode=True)
        except ConvCalcError:
            continue
        naive = -(-(n + 2 * p - d * (k - 1) - 1) // s) + 1
        dropped = ceil_window_dropped(n, k, s, p, p, d)
        assert with_ceil == naive - dropped
        assert dropped == ((naive - 1) * s >= n + p)
        if p <= k // 2 and p <= dilated_span(k, d) // 2:  # PyTorch's pool padding limit
            assert resolve_geometry("pool", n, k, s, p, d, ceil_mode=True).dropped == (dropped,)


def test_adjoint_padding_restores_the_input_size() -> None:
    """A stride-1 correlation's adjoint (padding d*(k-1) - p) maps the output back to the input size."""
    from convcalc.arithmetic import conv_length

    for n, k, _, d, p, _ in GEOMETRIES:
        try:
            out = conv_length(n, k, 1, p, p, d)
        except ConvCalcError:
            continue
        lo, hi = adjoint_padding(k, d, p, p)
        if lo >= 0 and hi >= 0:
            assert conv_length(out, k, 1, lo, hi, d) == n
