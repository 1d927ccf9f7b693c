"""A model developer's code, checked by mypy and pyright in CI (.ci/run) and run by pytest's module import.

convcalc's size functions are typed with overloads: ints in, an int out; per-axis tuples in, a tuple of
ints out; a symbolic size in, a sympy expression out. So shape arithmetic such as ``64 * h * w``
type-checks with no cast, and the framework keyword names are part of the signatures.
"""

from __future__ import annotations

from typing import assert_type

import convcalc
from convcalc import ConvCalcError, ConvCalcTypeError, conv_output_size, pool_output_size, transposed_output_size

# A LeNet-style feature extractor on 28x28 inputs, sized the way model code does it.
h = conv_output_size(28, 5)  # 24
h = pool_output_size(h, 2)  # 12
h = conv_output_size(h, kernel_size=5)  # 8 (PyTorch's keyword)
w = pool_output_size(h, pool_size=2, strides=2)  # 4 (Keras's keywords)
assert_type(h, int)
assert_type(w, int)
flat: int = 16 * w * w  # the Linear layer's in_features
assert flat == 256

same = conv_output_size(224, 7, stride=2, padding="same", framework="keras")
assert_type(same, int)
up = transposed_output_size(7, 3, stride=2, padding=1, output_padding=1)
assert_type(up, int)
causal = conv_output_size(100, kernel_size=3, dilation=4, padding="causal")
assert (same, up, causal) == (112, 14, 100)

hw = conv_output_size((28, 32), 3, padding=1)
assert_type(hw, tuple[int, ...])
rows, cols = hw
area: int = rows * cols
assert area == 28 * 32
pooled = pool_output_size([28, 32], (2, 4))
assert_type(pooled, tuple[int, ...])
assert pooled == (14, 8)
per_axis_kernel = conv_output_size(28, (3, 5))
assert_type(per_axis_kernel, tuple[int, ...])

lo, hi = convcalc.same_padding(28, 4)  # PyTorch: the odd pixel after
assert_type(convcalc.same_padding(28, 4), tuple[int, int])
assert_type(convcalc.same_padding((224, 224), kernel_size=7, strides=2, framework="keras"), tuple[tuple[int, int], ...])
assert_type(convcalc.full_padding(3, dilation=2), int)
pad_total: int = lo + hi + convcalc.full_padding(kernel_size=3)
assert (lo, hi, pad_total) == (1, 2, 5)

symbolic = conv_output_size("n", 3, padding=1)
assert str(symbolic) == "n"
assert str(transposed_output_size("n", 4, stride=2, padding=1)) == "2*n"


def channels_after(c: int, size: int) -> int:
    """Typed helper code: an int result flows into int arithmetic."""
    return c * conv_output_size(size, 3, stride=2, padding=1) ** 2


assert channels_after(8, 32) == 8 * 16 * 16

try:
    conv_output_size(64, 3, padding="vaild")
except ConvCalcError as error:  # a ValueError: misspelt modes are errors, never symbols
    assert "Did you mean 'valid'" in str(error)
try:
    conv_output_size(64, 3, stride=2.0)  # sizes are exact: a float is refused at run time
except ConvCalcTypeError:  # a TypeError too
    pass
assert convcalc.__version__
