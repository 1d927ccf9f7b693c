"""The classic figures of Dumoulin & Visin's guide (and the seed's examples), as ``draw`` arguments.

Used by the golden-SVG tests, by ``examples/pictures.py`` (which writes
``docs/img/``) and by ``docs/pictures.md``. Each entry: a file stem, the
guide's figure it corresponds to, and the keyword arguments of
:func:`convcalc.draw.draw`.

Examples
--------
>>> [name for name, _, _ in CLASSICS][:3]
['no_padding_no_strides', 'arbitrary_padding_no_strides', 'same_padding_no_strides']
"""

from __future__ import annotations

from typing import Any

__all__ = ["CLASSICS", "SEEDS"]

#: (name, caption, draw arguments): the guide's convolution and transposed convolution animations.
CLASSICS: list[tuple[str, str, dict[str, Any]]] = [
    ("no_padding_no_strides", "No padding, unit strides (guide fig. 2.1): 4x4 input, 3x3 kernel",
     {"size": (4, 4), "kernel": 3}),
    ("arbitrary_padding_no_strides", "Arbitrary padding, unit strides (fig. 2.2): 5x5 input, 4x4 kernel, padding 2",
     {"size": (5, 5), "kernel": 4, "padding": 2}),
    ("same_padding_no_strides", "Half (same) padding, unit strides (fig. 2.3): 5x5 input, 3x3 kernel, padding 1",
     {"size": (5, 5), "kernel": 3, "padding": 1}),
    ("full_padding_no_strides", "Full padding, unit strides (fig. 2.4): 5x5 input, 3x3 kernel, padding 2",
     {"size": (5, 5), "kernel": 3, "padding": "full"}),
    ("no_padding_strides", "No padding, strides (fig. 2.5): 5x5 input, 3x3 kernel, stride 2",
     {"size": (5, 5), "kernel": 3, "stride": 2}),
    ("padding_strides", "Padding, strides (fig. 2.6): 5x5 input, 3x3 kernel, stride 2, padding 1",
     {"size": (5, 5), "kernel": 3, "stride": 2, "padding": 1}),
    ("padding_strides_odd", "Padding, strides, odd (fig. 2.7): 6x6 input, 3x3 kernel, stride 2, padding 1 "
     "(the last row and column are never covered)", {"size": (6, 6), "kernel": 3, "stride": 2, "padding": 1}),
    ("dilation", "Dilation (fig. 5.1): 7x7 input, 3x3 kernel, dilation 2", {"size": (7, 7), "kernel": 3, "dilation": 2}),
    ("no_padding_no_strides_transposed", "Transposed, no padding, unit strides (fig. 4.1): 2x2 input, 3x3 kernel",
     {"size": (2, 2), "kernel": 3, "op": "transposed"}),
    ("same_padding_no_strides_transposed", "Transposed, half padding (fig. 4.3): 5x5 input, 3x3 kernel, padding 1",
     {"size": (5, 5), "kernel": 3, "padding": 1, "op": "transposed"}),
    ("no_padding_strides_transposed", "Transposed, no padding, strides (fig. 4.5): 2x2 input, 3x3 kernel, stride 2",
     {"size": (2, 2), "kernel": 3, "stride": 2, "op": "transposed"}),
    ("padding_strides_transposed", "Transposed, padding, strides (fig. 4.6): 3x3 input, 3x3 kernel, stride 2, "
     "padding 1", {"size": (3, 3), "kernel": 3, "stride": 2, "padding": 1, "op": "transposed"}),
    ("padding_strides_odd_transposed", "Transposed, padding, strides, odd (fig. 4.7): 3x3 input, 3x3 kernel, "
     "stride 2, padding 1, output_padding 1 (the extra row and column at the bottom/right)",
     {"size": (3, 3), "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1, "op": "transposed"}),
    ("padding_strides_odd_transposed_scatter", "The same transposed convolution drawn as a scatter: each input "
     "cell adds the kernel into the output", {"size": (3, 3), "kernel": 3, "stride": 2, "padding": 1,
                                             "output_padding": 1, "op": "transposed", "view": "scatter"}),
]

#: The seed's own questions.
SEEDS: list[tuple[str, str, dict[str, Any]]] = [
    ("hw5_dilation", "HW5: --in 16 --k 2 --s 2 --p 1 --d 4 (output 7; the even input cells are never read)",
     {"size": 16, "kernel": 2, "stride": 2, "padding": 1, "dilation": 4}),
    ("laplacian_6x6", "HW5 question 3 (README's correlate example): the 6x6 X and the 3x3 Laplacian-like F; "
     "output cell (0, 0) is 68", {
         "x": [[1, 0, -2, 3, 4, 1], [2, 9, 5, 6, 0, -1], [0, -3, 1, 3, 4, 4], [6, 5, 2, 0, 6, 8],
               [-5, 4, -3, 1, 3, -2], [4, 1, 2, 8, 9, 7]],
         "f": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], "size": None, "kernel": None, "cell": (0, 0)}),
    ("pool_ceil_dropped", "Max pooling in ceil mode: 5x5 input, 2x2 window, stride 2, padding 1 (PyTorch drops "
     "the window that would start in the right padding)",
     {"size": (5, 5), "kernel": 2, "stride": 2, "padding": 1, "op": "pool", "ceil_mode": True}),
]
