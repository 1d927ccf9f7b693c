"""Trainable modules for the newer layer vocabulary: nearest upsampling, GELU, SiLU, layer and group norm,
separable convolutions.

Each follows PyTorch's definition (checked against ``torch.autograd`` in
tests/test_nn_vocabulary_torch.py, float64):

- :class:`NearestUpsample2d`: ``torch.nn.Upsample(mode="nearest")`` with whole scale factors
  ``f``: output ``(i, j)`` copies input ``(i // fh, j // fw)``; backward sums each ``fh x fw`` block;
- :class:`GELU`: ``x * Phi(x)`` (``Phi`` the normal CDF, via ``erf``), or with ``approximate="tanh"``
  ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`` (Hendrycks & Gimpel 2016);
- :class:`SiLU`: ``x * sigmoid(x)`` (Elfwing et al. 2018; Swish-1);
- :class:`Normalization`: ``y = gamma * (x - mean) / sqrt(var + eps) + beta`` with the mean and
  biased variance of each sample over some axes, in training and inference alike (no running
  statistics), ``eps = 1e-5`` (PyTorch's). ``LayerNorm(normalized_shape)`` normalises the last
  axes and has a scale and shift of that shape; ``LayerNorm()`` (Keras's axis=-1, the channels)
  normalises the channels at each position, scale and shift per channel; ``GroupNorm(G)``
  normalises each group of ``C/G`` channels with all positions, scale and shift per channel
  (Wu & He 2018);
- :class:`SeparableConv2d`: Keras's ``SeparableConv2D``: a depthwise convolution without bias
  (``groups = C``) then a 1x1 convolution with bias, two engine convolutions; its parameters are
  ``depthwise_weight``, ``pointwise_weight`` and ``bias``.

The backward pass of a normalisation over ``M`` values is
``dx = inv_std * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))`` with ``dxhat = dy * gamma``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erf

from convcalc import layers as specs
from convcalc.errors import ConvCalcError
from convcalc.nn.layers import Conv2d
from convcalc.nn.module import Module

__all__ = ["NearestUpsample2d", "GELU", "SiLU", "Normalization", "SeparableConv2d"]


class NearestUpsample2d(Module):
    """Nearest-neighbour upsampling of ``(N, C, H, W)`` by whole factors ``(fh, fw)``."""

    def __init__(self, in_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> None:
        super().__init__()
        if len(in_shape) != 3 or any(o % i for i, o in zip(in_shape[1:], out_shape[1:])):
            raise ConvCalcError(f"The trainer upsamples 2-d inputs by whole factors only; {tuple(in_shape)} -> "
                                f"{tuple(out_shape)} is not")
        self.factors = tuple(o // i for i, o in zip(in_shape[1:], out_shape[1:]))

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        fh, fw = self.factors
        return np.repeat(np.repeat(x, fh, axis=2), fw, axis=3)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        (fh, fw), (n, c, h, w) = self.factors, dout.shape
        return dout.reshape(n, c, h // fh, fh, w // fw, fw).sum(axis=(3, 5))


class GELU(Module):
    """``x * Phi(x)``; ``approximate="tanh"`` uses PyTorch's tanh approximation."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ConvCalcError(f"GELU approximate={approximate!r}; the trainer knows 'none' and 'tanh'")
        self.approximate = approximate
        self._x: np.ndarray | None = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self._x = x if training else None
        if self.approximate == "tanh":
            inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)
            return (0.5 * x * (1 + np.tanh(inner))).astype(x.dtype, copy=False)
        return (0.5 * x * (1 + erf(x / math.sqrt(2)))).astype(x.dtype, copy=False)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x: np.ndarray = self._x  # type: ignore[assignment]
        if self.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            t = np.tanh(k * (x + 0.044715 * x ** 3))
            grad = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x)
        else:
            grad = 0.5 * (1 + erf(x / math.sqrt(2))) + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return (dout * grad).astype(dout.dtype, copy=False)


class SiLU(Module):
    """``x * sigmoid(x)``; derivative ``s * (1 + x * (1 - s))``."""

    def __init__(self) -> None:
        super().__init__()
        self._saved: tuple[np.ndarray, np.ndarray] | None = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        half = x.dtype.type(0.5)
        s = half * np.tanh(half * x) + half  # sigmoid without overflow
        self._saved = (x, s) if training else None
        return x * s

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x, s = self._saved  # type: ignore[misc]
        return dout * (s * (1 + x * (1 - s)))


class Normalization(Module):
    """Per-sample normalisation (layer or group norm) with an optional per-feature scale and shift.

    Parameters
    ----------
    in_shape : tuple of int
        One sample's shape, ``(C, ...)``.
    kind : {"layer", "group"}
    normalized_shape : tuple of int or None
        Layer norm: the last axes it normalises (None: the channels, Keras's ``axis=-1``).
    groups : int
        Group norm: the number of channel groups.
    scale, bias : bool
        Learnable ``gamma`` (ones) and ``beta`` (zeros).
    """

    def __init__(self, in_shape: tuple[int, ...], kind: str, *, normalized_shape: tuple[int, ...] | None = None,
                 groups: int = 1, scale: bool = True, bias: bool = True, dtype: np.dtype | type = np.float32,
                 eps: float = 1e-5) -> None:
        super().__init__()
        self.kind, self.groups, self.eps = kind, groups, eps
        rank = len(in_shape) + 1  # with the batch axis
        if kind == "layer" and normalized_shape is not None:
            self.axes = tuple(range(rank - len(normalized_shape), rank))
            pshape, self.view = tuple(normalized_shape), (1,) * (rank - len(normalized_shape)) + tuple(normalized_shape)
        else:  # per channel: the layer norm of the channels, or group norm
            self.axes = (1,)
            pshape, self.view = (in_shape[0],), (1, in_shape[0]) + (1,) * (rank - 2)
        if scale:
            self.params["weight"] = np.ones(pshape, dtype=dtype)
        if bias:
            self.params["bias"] = np.zeros(pshape, dtype=dtype)
        self._saved: tuple[np.ndarray, np.ndarray] | None = None

    def _grouped(self, x: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
        """``x`` shaped so that the normalised values of a sample are axes ``axes`` of it."""
        if self.kind == "group":
            return x.reshape(x.shape[0], self.groups, -1), (2,)
        return x, self.axes

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        g, axes = self._grouped(x)
        mean = g.mean(axis=axes, keepdims=True)
        var = g.var(axis=axes, keepdims=True)
        inv_std = 1 / np.sqrt(var + x.dtype.type(self.eps))
        xhat = ((g - mean) * inv_std).reshape(x.shape)
        self._saved = (xhat, inv_std) if training else None
        out = xhat
        if "weight" in self.params:
            out = out * self.params["weight"].reshape(self.view)
        if "bias" in self.params:
            out = out + self.params["bias"].reshape(self.view)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        xhat, inv_std = self._saved  # type: ignore[misc]
        others = tuple(i for i in range(dout.ndim) if self.view[i] == 1)  # the axes gamma is broadcast along
        if "weight" in self.params:
            self.grads["weight"] = (dout * xhat).sum(axis=others).reshape(self.params["weight"].shape)
            dxhat = dout * self.params["weight"].reshape(self.view)
        else:
            dxhat = dout
        if "bias" in self.params:
            self.grads["bias"] = dout.sum(axis=others).reshape(self.params["bias"].shape)
        gd, axes = self._grouped(dxhat)
        gx, _ = self._grouped(xhat)
        dx = inv_std * (gd - gd.mean(axis=axes, keepdims=True) - gx * (gd * gx).mean(axis=axes, keepdims=True))
        return dx.reshape(dout.shape)


class SeparableConv2d(Module):
    """``pointwise(depthwise(x))`` from a :class:`convcalc.layers.SeparableConv2D` spec: its depthwise
    convolution without bias, then ``Conv2D(filters, 1, bias=spec.bias)``."""

    regularized = ("depthwise_weight", "pointwise_weight")

    def __init__(self, spec: specs.SeparableConv2D, in_shape: tuple[int, ...], rng: np.random.Generator,
                 init: object = "glorot_uniform", dtype: np.dtype | type = np.float32) -> None:
        super().__init__()
        depthwise = spec.depthwise(in_shape, False)  # the spec's depthwise part, without bias
        middle = depthwise.output_shape(tuple(in_shape))
        self.depthwise = Conv2d(depthwise, in_shape, rng, init, dtype)  # type: ignore[arg-type]
        self.pointwise = Conv2d(specs.Conv2D(spec.filters, 1, bias=spec.bias), middle, rng, init,
                                dtype)  # type: ignore[arg-type]
        self.params["depthwise_weight"] = self.depthwise.params["weight"]
        self.params["pointwise_weight"] = self.pointwise.params["weight"]
        if "bias" in self.pointwise.params:
            self.params["bias"] = self.pointwise.params["bias"]

    @property
    def input_grad(self) -> bool:
        """False when nothing upstream needs the input's gradient (the model's first layer)."""
        return self.depthwise.input_grad

    @input_grad.setter
    def input_grad(self, value: bool) -> None:
        self.depthwise.input_grad = value

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return self.pointwise.forward(self.depthwise.forward(x, training), training)

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        dx = self.depthwise.backward(self.pointwise.backward(dout))  # type: ignore[arg-type]
        self.grads["depthwise_weight"] = self.depthwise.grads["weight"]
        self.grads["pointwise_weight"] = self.pointwise.grads["weight"]
        if "bias" in self.pointwise.grads:
            self.grads["bias"] = self.pointwise.grads["bias"]
        return dx
