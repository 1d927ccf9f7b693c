"""Output sizes against PyTorch's real layers on thousands of random configurations.

Both directions are checked: where PyTorch computes a shape we give the same one,
and where PyTorch refuses the geometry we raise ``ConvCalcError``.
"""

from __future__ import annotations

import random
from typing import Callable

import pytest

from convcalc import ConvCalcError, conv_output_size, pool_output_size, transposed_output_size

torch = pytest.importorskip("torch")
F = torch.nn.functional

N_CONFIGS = 1500


def torch_shape(run: Callable[[], object]) -> tuple[int, ...] | None:
    """The spatial output shape PyTorch computes, or None when it refuses the geometry."""
    try:
        with torch.no_grad():
            return tuple(run().shape[2:])  # type: ignore[attr-defined]
    except RuntimeError:
        return None


def ours(run: Callable[[], object]) -> tuple[int, ...] | None:
    try:
        out = run()
    except ConvCalcError:
        return None
    return out if isinstance(out, tuple) else (out,)


def _pair(rng: random.Random, low: int, high: int) -> tuple[int, int]:
    return rng.randint(low, high), rng.randint(low, high)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_conv2d_against_torch() -> None:
    rng = random.Random(1)
    agreed = valid = 0
    for _ in range(N_CONFIGS):
        n, k, s, d = _pair(rng, 1, 24), _pair(rng, 1, 6), _pair(rng, 1, 4), _pair(rng, 1, 3)
        p: object = _pair(rng, 0, 3)
        if rng.random() < 0.2:
            p, s = "same", (1, 1)  # PyTorch's 'same' (stride 1 only; odd extra pixel on the right)
        x, w = torch.zeros(1, 1, *n), torch.zeros(1, 1, *k)
        expected = torch_shape(lambda: F.conv2d(x, w, stride=s, padding=p, dilation=d))
        got = ours(lambda: conv_output_size(n, k, s, p, d))
        assert got == expected, (n, k, s, p, d)
        agreed += 1
        valid += expected is not None
    assert agreed == N_CONFIGS and valid > N_CONFIGS // 2


def test_conv_transpose2d_against_torch() -> None:
    rng = random.Random(2)
    valid = 0
    for _ in range(N_CONFIGS):
        n, k, s, d, p = _pair(rng, 1, 16), _pair(rng, 1, 5), _pair(rng, 1, 4), _pair(rng, 1, 3), _pair(rng, 0, 3)
        a = tuple(rng.randint(0, max(ss, dd)) for ss, dd in zip(s, d))  # sometimes one too many
        x, w = torch.zeros(1, 1, *n), torch.zeros(1, 1, *k)
        expected = torch_shape(lambda: F.conv_transpose2d(x, w, stride=s, padding=p, output_padding=a, dilation=d))
        got = ours(lambda: transposed_output_size(n, k, s, p, d, a))
        assert got == expected, (n, k, s, p, d, a)
        valid += expected is not None
    assert valid > N_CONFIGS // 2


@pytest.mark.parametrize("ceil_mode", [False, True])
def test_max_pool2d_against_torch(ceil_mode: bool) -> None:
    rng = random.Random(3 + ceil_mode)
    valid = 0
    for _ in range(N_CONFIGS):
        n, k, s, d = _pair(rng, 1, 24), _pair(rng, 1, 5), _pair(rng, 1, 4), _pair(rng, 1, 3)
        p = tuple(rng.randint(0, kk // 2 + 1) for kk in k)  # sometimes one more than PyTorch allows
        x = torch.zeros(1, 1, *n)
        expected = torch_shape(lambda: F.max_pool2d(x, k, s, p, d, ceil_mode=ceil_mode))
        got = ours(lambda: pool_output_size(n, k, s, p, d, ceil_mode))
        assert got == expected, (n, k, s, p, d, ceil_mode)
        valid += expected is not None
    assert valid > N_CONFIGS // 4


@pytest.mark.parametrize("ceil_mode", [False, True])
def test_avg_pool2d_against_torch(ceil_mode: bool) -> None:
    rng = random.Random(5 + ceil_mode)
    valid = 0
    for _ in range(N_CONFIGS):
        n, k, s = _pair(rng, 1, 24), _pair(rng, 1, 5), _pair(rng, 1, 4)
        p = tuple(rng.randint(0, kk // 2 + 1) for kk in k)
        x = torch.zeros(1, 1, *n)
        expected = torch_shape(lambda: F.avg_pool2d(x, k, s, p, ceil_mode=ceil_mode))
        got = ours(lambda: pool_output_size(n, k, s, p, 1, ceil_mode))
        assert got == expected, (n, k, s, p, ceil_mode)
        valid += expected is not None
    assert valid > N_CONFIGS // 4


def test_conv1d_and_conv3d_against_torch() -> None:
    rng = random.Random(7)
    for _ in range(300):
        n, k, s, p, d = rng.randint(1, 20), rng.randint(1, 5), rng.randint(1, 3), rng.randint(0, 2), rng.randint(1, 2)
        expected1 = torch_shape(lambda: F.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), None, s, p, d))
        assert ours(lambda: conv_output_size((n,), k, s, p, d)) == expected1
        n3 = (n, rng.randint(1, 8), rng.randint(1, 8))
        expected3 = torch_shape(lambda: F.conv3d(torch.zeros(1, 1, *n3), torch.zeros(1, 1, k, k, k), None, s, p, d))
        assert ours(lambda: conv_output_size(n3, k, s, p, d)) == expected3
