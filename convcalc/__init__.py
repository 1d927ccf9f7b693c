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
from convcalc.exact import convolve, correlate

__version__ = "0.1.0"

__all__ = [
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
