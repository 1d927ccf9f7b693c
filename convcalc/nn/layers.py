"""Trainable modules: thin holders of parameters whose math lives in :mod:`convcalc.engine`.

Each module is built from a layer spec of :mod:`convcalc.layers` and the shape
it receives (batch axis excluded), so its geometry is the spec's, resolved once
by :mod:`convcalc.arithmetic`. Weights use PyTorch's layout (``(F, C/groups,
kh, kw)`` for a convolution, ``(units, F)`` for a dense layer). Convolution and
pooling call the engine's function pairs (``conv2d_forward``/``conv2d_backward``,
``max_pool2d_*``, ``avg_pool2d_*``) and keep its cache between the two calls.

Examples
--------
>>> import numpy as np
>>> from convcalc.layers import Conv2D
>>> conv = Conv2d(Conv2D(4, 3), (1, 8, 8), np.random.default_rng(0))
>>> conv.forward(np.zeros((2, 1, 8, 8), np.float32)).shape
(2, 4, 6, 6)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from convcalc import engine
from convcalc import layers as specs
from convcalc.arithmetic import resolve_padding
from convcalc.errors import ConvCalcError
from convcalc.nn.init import get_initializer, zeros
from convcalc.nn.module import Module

__all__ = ["Dense", "Conv2d", "MaxPool2d", "AvgPool2d", "Flatten", "Dropout", "ZeroPad2d", "BatchNorm",
           "GlobalPool2d"]

Shape = tuple[int, ...]
Init = Callable[..., np.ndarray]


def _pairs(value: object) -> tuple[int, int]:
    return tuple(value) if isinstance(value, tuple) else (value, value)  # type: ignore[return-value]


class Dense(Module):
    """``y = x @ W.T + b`` on ``(N, F)``; ``W`` is ``(units, F)`` as ``torch.nn.Linear``.

    Backward: ``dW = dout.T @ x``, ``db = sum_n dout``, ``dx = dout @ W``.
    """

    regularized = ("weight",)

    def __init__(self, spec: specs.Dense, in_shape: Shape, rng: np.random.Generator, init: Init | str = "glorot_uniform",
                 dtype: np.dtype | type = np.float32) -> None:
        super().__init__()
        (features,) = in_shape
        self.params["weight"] = get_initializer(init)((spec.units, features), rng, dtype)
        if spec.bias:
            self.params["bias"] = zeros((spec.units,), dtype=dtype)
        self._x: np.ndarray | None = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self._x = x if training else None
        # (W @ x.T).T is x @ W.T; OpenBLAS runs this orientation faster on thin batches
        # (HW5's 32 x 5408 by 5408 x 100: 0.60 -> 0.45 ms, one thread)
        out = np.ascontiguousarray((self.params["weight"] @ x.T).T)
        if "bias" in self.params:
            out += self.params["bias"]
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self.grads["weight"] = dout.T @ self._x
        if "bias" in self.params:
            self.grads["bias"] = dout.sum(axis=0)
        return dout @ self.params["weight"]


class Conv2d(Module):
    """2-d convolution (a cross-correlation, as ``torch.nn.Conv2d``) through the engine.

    Padding is resolved once from the spec (``"same"`` as the spec resolves it:
    PyTorch at stride 1, TensorFlow/Keras above), then passed to
    :func:`convcalc.engine.conv2d_forward` as ``(lo, hi)`` pairs.
    """

    regularized = ("weight",)

    def __init__(self, spec: specs.Conv2D, in_shape: Shape, rng: np.random.Generator,
                 init: Init | str = "glorot_uniform", dtype: np.dtype | type = np.float32) -> None:
        super().__init__()
        channels, *spatial = in_shape
        self.stride = _pairs(spec.stride)
        self.dilation = _pairs(spec.dilation)
        self.groups = spec.groups
        self.padding = spec.padding_pairs(tuple(spatial))  # the spec's own (lo, hi) pairs, from arithmetic
        shape = (spec.filters, channels // spec.groups, *_pairs(spec.kernel_size))
        self.params["weight"] = get_initializer(init)(shape, rng, dtype)
        if spec.bias:
            self.params["bias"] = zeros((spec.filters,), dtype=dtype)
        self._cache: engine.ConvCache | engine.ConvPoolCache | None = None
        #: False for a network's first layer: no one needs the gradient on the input (set by Sequential).
        self.input_grad = True

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        w, b = self.params["weight"], self.params.get("bias")
        out, cache = engine.conv2d_forward(x, w, b, stride=self.stride, padding=self.padding,
                                           dilation=self.dilation, groups=self.groups)
        self._cache = cache if training else None
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        dx, dw, db = engine.conv2d_backward(dout, self._cache, input_grad=self.input_grad)
        self.grads["weight"] = dw
        if db is not None:
            self.grads["bias"] = db
        return dx


class _Pool2d(Module):
    """Geometry shared by max and average pooling, resolved once from the spec."""

    def __init__(self, spec: specs.MaxPool2D | specs.AvgPool2D, in_shape: Shape) -> None:
        super().__init__()
        kernel, stride, dilation = spec.window_geometry()
        same = isinstance(spec.padding, str) and spec.padding.lower() == "same"
        self.kernel, self.stride, self.dilation = kernel, stride, dilation
        self.padding = resolve_padding(spec.padding, tuple(in_shape[1:]), kernel, stride, dilation,
                                       "keras" if same else "torch")
        self.ceil_mode = spec.ceil_mode
        self.count_include_pad = not same  # Keras's 'same' average excludes the padding; PyTorch's default includes it
        self._cache: engine.PoolCache | None = None


class MaxPool2d(_Pool2d):
    """Max pooling through :func:`convcalc.engine.max_pool2d_forward` (gradient to each window's first maximum).

    A model may run it fused with a ReLU before it or a convolution before that
    (:mod:`convcalc.nn.fusion`); this module itself always pools.
    """

    def tiles(self, in_shape: Shape) -> bool:
        """Do the windows tile the input's ``(H, W)`` from the corner with nothing left over but trailing
        rows and columns that floor mode drops (window = stride, no padding or dilation)? Then a convolution
        can compute this pooling itself (:class:`convcalc.nn.fusion.ConvMaxPool2d`)."""
        exact = all(n % k == 0 for n, k in zip(in_shape[-2:], self.kernel))
        return (tuple(self.kernel) == tuple(self.stride) and tuple(self.dilation) == (1, 1)
                and all(p == (0, 0) for p in self.padding) and (exact or not self.ceil_mode))

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        out, cache = engine.max_pool2d_forward(x, self.kernel, self.stride, self.padding, self.dilation,
                                               self.ceil_mode)
        self._cache = cache if training else None
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return engine.max_pool2d_backward(dout, self._cache)


class AvgPool2d(_Pool2d):
    """Average pooling through :func:`convcalc.engine.avg_pool2d_forward`."""

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        out, cache = engine.avg_pool2d_forward(x, self.kernel, self.stride, self.padding, self.ceil_mode,
                                               self.count_include_pad)
        self._cache = cache if training else None
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return engine.avg_pool2d_backward(dout, self._cache)


class GlobalPool2d(Module):
    """Global average or max over ``H, W``: ``(N, C, H, W) -> (N, C)`` (or ``(N, C, 1, 1)`` with ``keepdims``).

    The max sends each gradient to the first maximum of its channel, as PyTorch's ``amax``-free max pooling.
    """

    def __init__(self, mode: str, keepdims: bool = False) -> None:
        super().__init__()
        self.mode, self.keepdims = mode, keepdims
        self._saved: tuple[Shape, np.ndarray | None] | None = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        n, c = x.shape[:2]
        flat = x.reshape(n, c, -1)
        if self.mode == "avg":
            out = flat.mean(axis=2)
            self._saved = (x.shape, None)
        else:
            arg = flat.argmax(axis=2)
            out = np.take_along_axis(flat, arg[:, :, None], axis=2)[:, :, 0]
            self._saved = (x.shape, arg)
        return out[:, :, None, None] if self.keepdims else out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        shape, arg = self._saved  # type: ignore[misc]
        n, c = shape[:2]
        d = dout.reshape(n, c)
        size = int(np.prod(shape[2:]))
        if arg is None:
            dx = np.repeat((d / d.dtype.type(size))[:, :, None], size, axis=2)
        else:
            dx = np.zeros((n, c, size), dtype=dout.dtype)
            np.put_along_axis(dx, arg[:, :, None], d[:, :, None], axis=2)
        return dx.reshape(shape)


class Flatten(Module):
    """``(N, C, *spatial) -> (N, C*prod(spatial))`` in C order (PyTorch's, channel-major)."""

    def __init__(self) -> None:
        super().__init__()
        self._shape: Shape = ()

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout.reshape(self._shape)


class Dropout(Module):
    """Inverted dropout: in training keep each value with probability ``1 - rate`` and scale it by ``1/(1 - rate)``.

    The identity at inference, as Keras and PyTorch. The mask comes from the
    generator ``rng`` (the model's dropout stream), so runs repeat from a seed.
    """

    def __init__(self, rate: float, rng: np.random.Generator) -> None:
        super().__init__()
        self.rate, self.rng = float(rate), rng
        self._mask: np.ndarray | None = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if not training or self.rate == 0:
            self._mask = None
            return x
        keep = self.rng.random(x.shape, dtype=np.float32) >= self.rate
        self._mask = keep * x.dtype.type(1.0 / (1.0 - self.rate))
        return x * self._mask

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout if self._mask is None else dout * self._mask


class ZeroPad2d(Module):
    """Zero padding of ``H, W`` by ``((top, bottom), (left, right))``; backward crops."""

    def __init__(self, spec: specs.ZeroPad2D) -> None:
        super().__init__()
        self.pads = spec.padding_pairs()

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return np.pad(x, ((0, 0), (0, 0)) + tuple(self.pads))

    def backward(self, dout: np.ndarray) -> np.ndarray:
        (top, bottom), (left, right) = self.pads
        h, w = dout.shape[2:]
        return np.ascontiguousarray(dout[:, :, top:h - bottom, left:w - right])


class BatchNorm(Module):
    """Batch normalisation over every axis but the channel axis 1, PyTorch semantics.

    Training: ``y = gamma * (x - mean) / sqrt(var + eps) + beta`` with the batch
    mean and biased variance; the running statistics move by ``momentum`` (0.1)
    towards the batch mean and the *unbiased* variance. Inference uses the running
    statistics. ``eps = 1e-5`` (Keras uses ``momentum=0.99`` in its own convention,
    i.e. 0.01 here, and ``epsilon=1e-3``).
    """

    def __init__(self, channels: int, dtype: np.dtype | type = np.float32, eps: float = 1e-5,
                 momentum: float = 0.1) -> None:
        super().__init__()
        self.eps, self.momentum = eps, momentum
        self.params["weight"] = np.ones(channels, dtype=dtype)
        self.params["bias"] = np.zeros(channels, dtype=dtype)
        self.buffers["running_mean"] = np.zeros(channels, dtype=dtype)
        self.buffers["running_var"] = np.ones(channels, dtype=dtype)
        self._saved: engine.BatchNormCache | None = None

    def _view(self, a: np.ndarray, ndim: int) -> np.ndarray:
        return a.reshape((1, -1) + (1,) * (ndim - 2))

    def update_running(self, mean: np.ndarray, var: np.ndarray, count: int) -> None:
        """Move the running statistics by ``momentum`` towards the batch ``mean`` and the unbiased ``var``."""
        m = self.momentum
        for name, value in (("running_mean", mean), ("running_var", var * (count / max(count - 1, 1)))):
            buf = self.buffers[name]
            buf *= buf.dtype.type(1 - m)
            buf += (m * value).astype(buf.dtype)

    def normalize(self, x: np.ndarray, training: bool, relu: bool) -> np.ndarray:
        """``bn(x)``, or ``relu(bn(x))`` with ``relu`` (:func:`convcalc.engine.batch_norm_forward`); in training the
        batch statistics (and the running ones move), otherwise the running statistics."""
        if training:
            out, cache, mean, var = engine.batch_norm_forward(x, self.params["weight"], self.params["bias"], self.eps,
                                                              relu=relu)
            self.update_running(mean, var, x.size // x.shape[1])
            self._saved = cache
            return out
        self._saved = None
        inv_std = 1 / np.sqrt(self.buffers["running_var"] + x.dtype.type(self.eps))
        scale = self.params["weight"] * inv_std
        out = (x - self._view(self.buffers["running_mean"], x.ndim)) * self._view(scale, x.ndim)
        out += self._view(self.params["bias"], x.ndim)
        return np.maximum(out, out.dtype.type(0), out=out) if relu else out

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return self.normalize(x, training, relu=False)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, self.grads["weight"], self.grads["bias"] = engine.batch_norm_backward(dout, self._saved)
        self._saved = None  # the cache is used up (its centred input now holds dx)
        return dx


def unsupported(spec: specs.Layer) -> ConvCalcError:
    """The error for a spec the trainer cannot build a module for."""
    return ConvCalcError(f"The trainer cannot train {spec.describe()} yet; it supports Conv2D (grouped too), "
                         "DepthwiseConv2D, SeparableConv2D, MaxPool2D, AvgPool2D, global and divisible adaptive "
                         "pools, ZeroPad2D, BatchNorm1D/2D, LayerNorm, GroupNorm, nearest Upsample/UpSampling2D by "
                         "whole factors, Flatten, Dense, Dropout, the merges Add/Multiply/Concat and the activations "
                         "ReLU, LeakyReLU, ELU, GELU, SiLU, Sigmoid, Tanh, Softmax.")
