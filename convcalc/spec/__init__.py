"""The spec language: a one-line (or one-file) layer list, parsed safely (never ``eval``).

::

    conv(32, 3) pool(2) conv(64, 3) pool(2) flatten dense(100) dense(10)
    Conv2D(32, kernel_size=(3,3), strides=1, padding='valid', activation='relu') MaxPool2D((2,2)) Flatten()
    nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(5408, 10)

Layers are separated by spaces, commas, semicolons, ``|``, ``->`` or new lines;
``#`` starts a comment. Keras and PyTorch layer and argument names are both
accepted, plus short aliases (``conv``, ``pool``, ``fc``, ``k``, ``s``, ``p``,
``d``); names are case-insensitive, ``nn.``/``layers.`` prefixes and
underscores are ignored. PyTorch's own spellings (``Conv2d``, ``Linear``,
``BatchNorm2d``, ...) take PyTorch's positional order, whose ``in_channels`` /
``in_features`` are checked against the real shapes once the input is known.
``activation='relu'`` on a conv or dense layer adds the activation layer after
it. ``Sequential(...)`` / ``model.add(...)`` wrappers are unwrapped. The input
shape may be given in the spec: ``input(1x28x28)`` (channels first) or Keras's
``input_shape=(28, 28, 1)`` / ``Input(shape=(28, 28, 1))`` (channels last).

A syntax error names the line and column and draws a caret under the token.

Modules, re-exported here (import from ``convcalc.spec``): ``tokens`` (the
tokenizer and the caret error), ``parser`` (tokens to calls), ``names`` (the
layer and argument vocabulary), ``builder`` (calls to layer specs) and
``reading`` (:func:`read_spec`, :func:`parse_spec`, :func:`load_stack`,
:func:`parse_shape`).

Examples
--------
>>> [str(layer) for layer in parse_spec("conv(32,3) pool(2) flatten dense(10, activation='softmax')")]
['Conv2D(32, 3, s=1, p=0)', 'MaxPool2D(2)', 'Flatten()', 'Dense(10)', 'Softmax']
>>> parse_spec("nn.Conv2d(1, 8, kernel_size=3, stride=2, padding=1)")
[Conv2D(filters=8, kernel_size=3, stride=2, padding=1, dilation=1, groups=1, bias=True)]
>>> parse_spec("conv(32, 3 pool(2)")
Traceback (most recent call last):
...
convcalc.errors.ConvCalcError: spec syntax error at column 12: expected ',' or ')' in the arguments of conv; got 'pool'
  conv(32, 3 pool(2)
             ^
"""

from __future__ import annotations

from convcalc.spec.builder import ParsedSpec
from convcalc.spec.names import LAYER_NAMES
from convcalc.spec.reading import load_stack, parse_shape, parse_spec, read_spec

__all__ = ["ParsedSpec", "parse_spec", "read_spec", "load_stack", "parse_shape", "LAYER_NAMES"]
