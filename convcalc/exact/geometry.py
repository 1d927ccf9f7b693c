"""Where the windows sit: sizes, steps and padding of an exact correlation or pooling, from arithmetic."""

from __future__ import annotations

from dataclasses import dataclass

from convcalc._typing import as_tuple
from convcalc.arithmetic import check_pool_padding, conv_length, pool_length, resolve_padding
from convcalc.errors import ConvCalcError, invalid
from convcalc.exact.values import Matrix


def _ints(value: object, name: str) -> tuple[int, int]:
    """A stride or dilation: one int >= 1 for both axes, or a pair."""
    pair = as_tuple(value, 2, name)
    for v in pair:
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise invalid(name, value, "an int >= 1 or a pair of them" +
                          (" (1 means no dilation)" if name == "dilation" else ""))
    return pair[0], pair[1]


@dataclass(frozen=True)
class Geometry:
    """Where the kernel windows sit: sizes, steps and padding per axis (rows, columns).

    Attributes
    ----------
    size, kernel, stride, dilation : tuple of int
        ``(rows, columns)`` of the input, the kernel, the step and the dilation.
    padding : tuple of (int, int)
        ``((top, bottom), (left, right))`` zeros around the input.
    output : tuple of int
        ``(rows, columns)`` of the result, from :func:`convcalc.arithmetic.conv_length`
        (or ``pool_length`` for pooling).
    """

    size: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    padding: tuple[tuple[int, int], tuple[int, int]]
    output: tuple[int, int]

    def window(self, i: int, j: int) -> tuple[list[int], list[int]]:
        """Input rows and columns (unpadded coordinates; outside the input = padding) of cell (i, j)."""
        if not (0 <= i < self.output[0] and 0 <= j < self.output[1]):
            raise ConvCalcError(
                f"Cell ({i}, {j}) is outside the {self.output[0]}x{self.output[1]} output; "
                f"valid cells are (0..{self.output[0] - 1}, 0..{self.output[1] - 1})."
            )
        rows = [i * self.stride[0] + u * self.dilation[0] - self.padding[0][0] for u in range(self.kernel[0])]
        cols = [j * self.stride[1] + v * self.dilation[1] - self.padding[1][0] for v in range(self.kernel[1])]
        return rows, cols


def _conv_geometry(x: Matrix, f: Matrix, mode: str, stride: object, dilation: object, padding: object,
                   framework: str, flipped: bool) -> Geometry:
    s, d = _ints(stride, "stride"), _ints(dilation, "dilation")
    size = (len(x), len(x[0]))
    kernel = (len(f), len(f[0]))
    if padding is None:
        key = str(mode).strip().lower()
        if key not in ("valid", "same", "full"):
            raise invalid("mode", mode, "one of 'valid', 'same', 'full'")
        padding = key
    elif str(mode).strip().lower() != "valid":
        raise ConvCalcError(f"Give either mode={mode!r} or padding={padding!r}, not both.")
    pads = resolve_padding(padding, size, kernel, s, d, framework)
    if flipped and isinstance(padding, str) and padding.strip().lower() == "same":
        pads = tuple((hi, lo) for lo, hi in pads)  # SciPy convolve2d: centre of the full convolution
    for lo, hi in pads:
        if not (isinstance(lo, int) and isinstance(hi, int)):
            raise invalid("padding", padding, "concrete ints (no symbols) for an exact correlation")
    out = tuple(conv_length(size[a], kernel[a], s[a], pads[a][0], pads[a][1], d[a], axis=a) for a in (0, 1))
    return Geometry(size, kernel, s, d, (pads[0], pads[1]), out)  # type: ignore[arg-type]


def _pool_geometry(x: Matrix, kernel: object, stride: object, padding: object, dilation: object,
                   ceil_mode: bool) -> Geometry:
    k = _ints(kernel, "kernel")
    s = k if stride is None else _ints(stride, "stride")
    d = _ints(dilation, "dilation")
    size = (len(x), len(x[0]))
    pads = resolve_padding(padding, size, k, s, d, modes=("valid",), where="exact pooling")
    for lo, hi in pads:
        if not (isinstance(lo, int) and isinstance(hi, int)):
            raise invalid("padding", padding, "concrete ints for exact pooling")
    check_pool_padding(pads, k, d)  # the one rule outsize --pool, the engine and PyTorch share
    out = tuple(pool_length(size[a], k[a], s[a], pads[a][0], pads[a][1], d[a], ceil_mode, axis=a) for a in (0, 1))
    return Geometry(size, k, s, d, (pads[0], pads[1]), out)  # type: ignore[arg-type]


def _check_cell(i: object, j: object) -> None:
    """An output cell is given as two ints (0-indexed); its range is checked by :meth:`Geometry.window`."""
    for v, name in ((i, "i"), (j, "j")):
        if isinstance(v, bool) or not isinstance(v, int):
            raise invalid(name, v, "an int (0-indexed output cell)")
