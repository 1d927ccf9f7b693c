"""convcalc: convolution arithmetic, exactly.

Output sizes, padding, receptive fields, parameter and MAC counts, exact
correlation with the working, answer checking, and a small NumPy CNN engine
and trainer.

The top-level import is light: only the errors and the size formulas load
eagerly; every other public name is imported on first use (PEP 562), so
``convcalc outsize`` starts fast and numpy, scipy and sympy load only when a
feature needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from convcalc.arithmetic import (
    conv_output_size,
    full_padding,
    pool_output_size,
    same_padding,
    transposed_output_size,
)
from convcalc.errors import ConvCalcError, ConvCalcTypeError

__version__ = "0.1.0"

#: Public names loaded on first use, and the module that defines each.
_LAZY: dict[str, str] = {
    **{name: "convcalc.inverse" for name in ("solve_padding", "input_sizes", "inverse_output_padding")},
    "explain_output_size": "convcalc.working",
    **{name: "convcalc.exact" for name in ("correlate", "convolve", "correlate_channels", "conv_transpose",
                                           "max_pool", "avg_pool")},
    **{name: "convcalc.layers" for name in (
        "Conv1D", "Conv2D", "Conv3D", "ConvTranspose1D", "ConvTranspose2D", "ConvTranspose3D",
        "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
        "AdaptiveAvgPool2D", "GlobalAvgPool2D", "GlobalMaxPool2D", "ZeroPad1D", "ZeroPad2D", "ZeroPad3D",
        "BatchNorm1D", "BatchNorm2D", "BatchNorm3D", "Flatten", "Dense", "Dropout",
        "ReLU", "LeakyReLU", "ELU", "Sigmoid", "Tanh", "Softmax", "Layer", "Params", "RFStep",
        "Cropping1D", "Cropping2D", "Cropping3D", "DepthwiseConv2D", "SeparableConv2D", "AdaptiveMaxPool2D",
        "Upsample", "UpSampling2D", "PixelShuffle", "PixelUnshuffle", "Identity", "Reshape", "Permute",
        "LayerNorm", "GroupNorm", "InstanceNorm1D", "InstanceNorm2D", "InstanceNorm3D", "GELU", "SiLU", "ReLU6",
        "Hardswish", "Hardsigmoid", "PReLU", "Dropout2D", "StochasticDepth")},
    **{name: "convcalc.graph" for name in ("Graph", "Input", "Model", "Add", "Multiply", "Concat")},
    **{name: "convcalc.stack" for name in ("summarize", "rf_working", "Summary", "LayerRow")},
    "preset": "convcalc.presets",
    **{name: "convcalc.spec" for name in ("parse_spec", "read_spec")},
    "from_torch": "convcalc.importers.torch_module",
    "read_model": "convcalc.importers",
}

__all__ = [
    "ConvCalcError",
    "ConvCalcTypeError",
    "__version__",
    "conv_output_size",
    "full_padding",
    "pool_output_size",
    "same_padding",
    "transposed_output_size",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'convcalc' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from convcalc.exact import avg_pool, conv_transpose, convolve, correlate, correlate_channels, max_pool
    from convcalc.graph import Add, Concat, Graph, Input, Model, Multiply
    from convcalc.importers import read_model
    from convcalc.importers.torch_module import from_torch
    from convcalc.inverse import input_sizes, inverse_output_padding, solve_padding
    from convcalc.layers import *  # noqa: F403
    from convcalc.presets import preset
    from convcalc.spec import parse_spec, read_spec
    from convcalc.stack import LayerRow, Summary, rf_working, summarize
    from convcalc.working import explain_output_size
