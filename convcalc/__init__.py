"""convcalc: convolution arithmetic, exactly.

Output sizes, padding, receptive fields, parameter and MAC counts, exact
correlation with the working, answer checking, and a small NumPy CNN engine
and trainer. The top-level import is light: numpy, scipy and sympy load only
when a feature that needs them is used.
"""

from __future__ import annotations

from convcalc.arithmetic import (
    conv_output_size,
    full_padding,
    pool_output_size,
    same_padding,
    transposed_output_size,
)
from convcalc.errors import ConvCalcError
from convcalc.layers import (
    Conv1D,
    Conv2D,
    Conv3D,
    ConvTranspose1D,
    ConvTranspose2D,
    ConvTranspose3D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    AdaptiveAvgPool2D,
    GlobalAvgPool2D,
    GlobalMaxPool2D,
    ZeroPad1D,
    ZeroPad2D,
    ZeroPad3D,
    BatchNorm1D,
    BatchNorm2D,
    BatchNorm3D,
    Flatten,
    Dense,
    Dropout,
    ReLU,
    LeakyReLU,
    ELU,
    Sigmoid,
    Tanh,
    Softmax,
    Layer,
    Params,
    RFStep,
)
from convcalc.exact import convolve, correlate

__version__ = "0.1.0"

__all__ = [
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "ConvTranspose1D",
    "ConvTranspose2D",
    "ConvTranspose3D",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "AdaptiveAvgPool2D",
    "GlobalAvgPool2D",
    "GlobalMaxPool2D",
    "ZeroPad1D",
    "ZeroPad2D",
    "ZeroPad3D",
    "BatchNorm1D",
    "BatchNorm2D",
    "BatchNorm3D",
    "Flatten",
    "Dense",
    "Dropout",
    "ReLU",
    "LeakyReLU",
    "ELU",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "Layer",
    "Params",
    "RFStep",
    "ConvCalcError",
    "__version__",
    "conv_output_size",
    "convolve",
    "correlate",
    "full_padding",
    "pool_output_size",
    "same_padding",
    "transposed_output_size",
]
