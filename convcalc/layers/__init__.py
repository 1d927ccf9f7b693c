"""Layer specs: frozen dataclasses that know their geometry, and hold no weights.

Every spec answers, for an input shape without the batch axis (``(C, *spatial)``
for convolutions and pools, ``(F,)`` for :class:`Dense`):

- ``output_shape(in_shape)``: the output shape, from :mod:`convcalc.arithmetic`
  (the only place where a size formula lives);
- ``param_count(in_shape)``: a :class:`Params` (trainable, non-trainable);
- ``macs(in_shape)``: weight multiply-accumulates for one sample, bias not
  counted (the convention behind torchvision's published "GFLOPS");
- ``macs_under(convention, in_shape, out_shape)``: the count for one sample as
  torchvision, torchinfo, fvcore, ptflops or thop count it
  (:mod:`convcalc.layers.conventions` applies the batch);
- ``activation_size(in_shape, out_shape)``: elements kept in the forward pass;
- ``rf_step(in_shape)``: its receptive-field step per spatial axis, a tuple of
  :class:`RFStep` ``(kernel, stride, padding_lo, dilation)`` (Araujo, Norris &
  Sim, "Computing Receptive Fields of Convolutional Neural Networks", Distill
  2019), or ``None`` when no shift-invariant receptive field exists;
- ``describe()`` (also ``str()``): a short label such as ``Conv2D(32, 3, s=1, p=0)``.

Shapes follow PyTorch, channels first. ``dilation=1`` means no dilation.
Bad fields raise :class:`~convcalc.ConvCalcError` at construction; an input
that cannot pass raises it from ``output_shape``.

One module per family, all re-exported here (import from ``convcalc.layers``):
``conv`` (convolutions, transposed too), ``separable`` (depthwise and separable),
``pool`` (max, average, adaptive and global pools), ``resample`` (upsampling,
pixel shuffle), ``reshape`` (zero padding, cropping, ``Flatten``, ``Reshape``,
``Permute``), ``dense``, ``normalization`` (batch, instance, layer, group norm),
``elementwise`` (dropout, identity, activations), ``channels`` (channel
slice and shuffle), on the contract in ``_base``,
the field checks in ``_checks`` and the registry in ``_registry``: each class
declares its spec names, positional orders and trainer with ``@register``
(``REGISTRY``; see docs/adding-a-layer.md).

Examples
--------
>>> conv = Conv2D(32, 3)
>>> conv.output_shape((1, 28, 28))
(32, 26, 26)
>>> conv.param_count((1, 28, 28))
Params(trainable=320, non_trainable=0)
>>> conv.macs((1, 28, 28))
194688
>>> print(conv)
Conv2D(32, 3, s=1, p=0)
"""

from __future__ import annotations

from convcalc.layers._base import LAYOUTS, Layer, Params, RFStep, channels_first, channels_last
from convcalc.layers._registry import (LAYER_CONVENTIONS, REGISTRY, VERSION as REGISTRY_VERSION, LayerInfo,
                                      normal as spec_name, register, unregister)
from convcalc.layers.conv import (
    Conv1D,
    Conv2D,
    Conv3D,
    ConvTranspose1D,
    ConvTranspose2D,
    ConvTranspose3D,
    _ConvND,
    _ConvTransposeND,
)
from convcalc.layers.dense import Dense
from convcalc.layers.elementwise import (
    ELU,
    GELU,
    Dropout,
    Hardsigmoid,
    StochasticDepth,
    Dropout2D,
    Hardswish,
    Identity,
    LeakyReLU,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Tanh,
)
from convcalc.layers.normalization import (
    BatchNorm1D,
    BatchNorm2D,
    BatchNorm3D,
    GroupNorm,
    InstanceNorm1D,
    InstanceNorm2D,
    InstanceNorm3D,
    LayerNorm,
    _BatchNormND,
)
from convcalc.layers.pool import (
    AdaptiveAvgPool2D,
    AdaptiveMaxPool2D,
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    GlobalAvgPool2D,
    GlobalMaxPool2D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    _AvgPoolND,
    _MaxPoolND,
)
from convcalc.layers.resample import PixelShuffle, PixelUnshuffle, Upsample, UpSampling2D
from convcalc.layers.reshape import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    Flatten,
    Permute,
    Reshape,
    ZeroPad1D,
    ZeroPad2D,
    ZeroPad3D,
)
from convcalc.layers.separable import DepthwiseConv2D, SeparableConv2D
from convcalc.layers.channels import ChannelChunk, ChannelShuffle, ChannelSlice, chunk_slices, split_slices

# The private family bases (_ConvND, _ConvTransposeND, _MaxPoolND, _AvgPoolND, _BatchNormND) stay
# importable from here for code written before the registry; new code asks the layer (macs_under).

__all__ = [
    "Params",
    "RFStep",
    "Layer",
    "channels_first", "channels_last",
    "Conv1D", "Conv2D", "Conv3D",
    "ConvTranspose1D", "ConvTranspose2D", "ConvTranspose3D",
    "MaxPool1D", "MaxPool2D", "MaxPool3D",
    "AvgPool1D", "AvgPool2D", "AvgPool3D",
    "AdaptiveAvgPool2D", "GlobalAvgPool2D", "GlobalMaxPool2D",
    "ZeroPad1D", "ZeroPad2D", "ZeroPad3D", "Cropping1D", "Cropping2D", "Cropping3D",
    "BatchNorm1D", "BatchNorm2D", "BatchNorm3D",
    "Flatten", "Dense", "Dropout",
    "ReLU", "LeakyReLU", "ELU", "Sigmoid", "Tanh", "Softmax",
    "DepthwiseConv2D", "SeparableConv2D", "AdaptiveMaxPool2D", "Upsample", "UpSampling2D",
    "PixelShuffle", "PixelUnshuffle", "Identity", "Reshape", "Permute", "LayerNorm", "GroupNorm",
    "InstanceNorm1D", "InstanceNorm2D", "InstanceNorm3D", "GELU", "SiLU", "ReLU6", "Hardswish", "PReLU",
    "Dropout2D", "Hardsigmoid", "StochasticDepth", "REGISTRY", "REGISTRY_VERSION", "LAYER_CONVENTIONS", "LayerInfo", "register", "unregister",
    "spec_name", "ChannelSlice", "ChannelChunk", "ChannelShuffle", "chunk_slices", "split_slices",
]
