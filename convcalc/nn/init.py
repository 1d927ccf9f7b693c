"""Weight initialisers with Keras semantics: zeros, ones, he_normal, he_uniform, glorot_normal, glorot_uniform.

Shapes are PyTorch's (``(F, C/groups, kh, kw)`` for a convolution, ``(units,
F)`` for a dense layer), and the fans are what Keras and PyTorch both compute
for them: ``fan_in = shape[1] * prod(shape[2:])``,
``fan_out = shape[0] * prod(shape[2:])``.

The variance-scaling initialisers follow ``keras.initializers.VarianceScaling``:

==================  ====================  ===========================================
name                scale, fan            distribution
==================  ====================  ===========================================
``he_normal``       2, fan_in             truncated normal, std ``sqrt(2/fan_in)``
``he_uniform``      2, fan_in             uniform on ``+-sqrt(6/fan_in)``
``glorot_normal``   1, (in + out)/2       truncated normal, std ``sqrt(2/(in+out))``
``glorot_uniform``  1, (in + out)/2       uniform on ``+-sqrt(6/(in+out))``
==================  ====================  ===========================================

Keras's truncated normal discards draws beyond two standard deviations and
redraws them, and it divides the requested standard deviation by
``0.87962566103423978`` first, so that the standard deviation *after*
truncation is ``sqrt(scale/fan)`` (He et al. 2015; Glorot & Bengio 2010).
PyTorch's ``kaiming_normal_``/``xavier_normal_`` do not truncate; convcalc
follows Keras because the seed experiments use Keras. ``glorot_uniform`` with
zero biases is Keras's default and convcalc's. Draws come from a NumPy
``Generator``, so they are reproducible from a seed but are not the numbers
Keras or PyTorch would draw.

Examples
--------
>>> import numpy as np
>>> w = he_normal((64, 32, 3, 3), np.random.default_rng(0))
>>> w.dtype, bool(np.abs(w).max() <= 2 * np.sqrt(2 / 288) / 0.87962566103423978)
(dtype('float32'), True)
>>> get_initializer("GlorotNormal") is glorot_normal
True
"""

from __future__ import annotations

from collections.abc import Callable
from math import prod, sqrt

import numpy as np

from convcalc.errors import invalid

__all__ = [
    "fans",
    "zeros",
    "ones",
    "he_normal",
    "he_uniform",
    "glorot_normal",
    "glorot_uniform",
    "truncated_normal",
    "get_initializer",
    "INITIALIZERS",
]

Initializer = Callable[..., np.ndarray]

#: std of a standard normal truncated to [-2, 2] (Keras's correction constant).
TRUNCATED_STD = 0.87962566103423978


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a PyTorch-layout weight shape.

    Examples
    --------
    >>> fans((32, 1, 3, 3)), fans((100, 5408))
    ((9, 288), (5408, 100))
    """
    if len(shape) < 2:
        return (shape[0], shape[0]) if shape else (1, 1)
    field = prod(shape[2:])
    return shape[1] * field, shape[0] * field


def truncated_normal(shape: tuple[int, ...], std: float, rng: np.random.Generator,
                     dtype: np.dtype | type = np.float32) -> np.ndarray:
    """Normal draws with standard deviation ``std``, redrawn until all lie within ``2 * std`` of 0."""
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2
    return (out * std).astype(dtype)


def zeros(shape: tuple[int, ...], rng: np.random.Generator | None = None,
          dtype: np.dtype | type = np.float32) -> np.ndarray:
    """All zeros (Keras's default for biases)."""
    return np.zeros(shape, dtype=dtype)


def ones(shape: tuple[int, ...], rng: np.random.Generator | None = None,
         dtype: np.dtype | type = np.float32) -> np.ndarray:
    """All ones (Keras ``Ones()``: every unit starts identical, so training cannot break the symmetry)."""
    return np.ones(shape, dtype=dtype)


def _scaled(scale: float, mode: str, distribution: str) -> Initializer:
    def init(shape: tuple[int, ...], rng: np.random.Generator, dtype: np.dtype | type = np.float32) -> np.ndarray:
        fan_in, fan_out = fans(tuple(shape))
        n = {"fan_in": fan_in, "fan_avg": (fan_in + fan_out) / 2}[mode]
        var = scale / max(1.0, n)
        if distribution == "uniform":
            limit = sqrt(3 * var)
            return rng.uniform(-limit, limit, size=shape).astype(dtype)
        return truncated_normal(tuple(shape), sqrt(var) / TRUNCATED_STD, rng, dtype)

    return init


he_normal = _scaled(2.0, "fan_in", "truncated_normal")
he_normal.__doc__ = "Keras ``he_normal``: truncated normal, std ``sqrt(2/fan_in)`` after truncation."
he_uniform = _scaled(2.0, "fan_in", "uniform")
he_uniform.__doc__ = "Keras ``he_uniform``: uniform on ``+-sqrt(6/fan_in)``."
glorot_normal = _scaled(1.0, "fan_avg", "truncated_normal")
glorot_normal.__doc__ = "Keras ``glorot_normal``: truncated normal, std ``sqrt(2/(fan_in + fan_out))``."
glorot_uniform = _scaled(1.0, "fan_avg", "uniform")
glorot_uniform.__doc__ = "Keras ``glorot_uniform`` (the default): uniform on ``+-sqrt(6/(fan_in + fan_out))``."

#: Canonical names; :func:`get_initializer` also takes Keras class names and ``xavier_*``.
INITIALIZERS: dict[str, Initializer] = {
    "zeros": zeros,
    "ones": ones,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "glorot_normal": glorot_normal,
    "glorot_uniform": glorot_uniform,
}
_ALIASES = {
    **{name.replace("_", ""): name for name in INITIALIZERS},
    "xaviernormal": "glorot_normal",
    "xavieruniform": "glorot_uniform",
    "kaimingnormal": "he_normal",
    "kaiminguniform": "he_uniform",
}


def get_initializer(init: str | Initializer) -> Initializer:
    """An initialiser from a callable ``f(shape, rng, dtype)`` or a name.

    Names are case-insensitive and ignore ``_``, ``-`` and a trailing ``()``:
    ``"he_normal"``, ``"HeNormal"``, ``"GlorotNormal()"``, ``"Ones"``, ``"xavier_uniform"``.
    """
    if callable(init):
        return init
    key = str(init).strip().lower().removesuffix("()").replace("_", "").replace("-", "")
    if key not in _ALIASES:
        raise invalid("init", init, "one of " + ", ".join(repr(k) for k in INITIALIZERS))
    return INITIALIZERS[_ALIASES[key]]
