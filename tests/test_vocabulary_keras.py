"""The Keras spellings of the vocabulary against Keras 3 itself (PyTorch backend, no TensorFlow).

The spec text is what a Keras user writes; the same layer is built in Keras on a channels-last
input. The output shape (Keras's ``(None, H, W, C)``, rotated to convcalc's ``(C, H, W)``) and
``count_params()`` (which counts batch norm's moving statistics, as convcalc's total does) must
agree, and the trainable count must equal Keras's trainable weights. This checks Keras's positional
orders too (``DepthwiseConv2D(kernel_size, strides, padding, depth_multiplier)``,
``UpSampling2D(size)``, ``Cropping2D(((top, bottom), (left, right)))``, channels-last
``Reshape``/``Permute`` targets).
"""

from __future__ import annotations

import os
from math import prod

import pytest

from convcalc.layers import channels_first
from convcalc.spec import parse_spec
from convcalc.stack import summarize

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
K = keras.layers

CASES = [
    ("DepthwiseConv2D(3, 2, 'same', 2)", lambda: K.DepthwiseConv2D(3, 2, "same", 2), (9, 9, 4)),
    ("DepthwiseConv2D(kernel_size=(3, 5), depth_multiplier=3, use_bias=False)",
     lambda: K.DepthwiseConv2D((3, 5), depth_multiplier=3, use_bias=False), (7, 8, 2)),
    ("SeparableConv2D(6, 3, depth_multiplier=2)", lambda: K.SeparableConv2D(6, 3, depth_multiplier=2), (8, 8, 4)),
    ("SeparableConv2D(16, 3, strides=2, padding='same', use_bias=False)",
     lambda: K.SeparableConv2D(16, 3, strides=2, padding="same", use_bias=False), (11, 11, 4)),
    ("Conv2D(12, 3, groups=3)", lambda: K.Conv2D(12, 3, groups=3), (8, 8, 6)),
    ("UpSampling2D((2, 3))", lambda: K.UpSampling2D((2, 3)), (4, 5, 3)),
    ("UpSampling2D(size=2, interpolation='bilinear')", lambda: K.UpSampling2D(2, interpolation="bilinear"), (4, 5, 3)),
    ("ZeroPadding2D(((1, 2), (3, 0)))", lambda: K.ZeroPadding2D(((1, 2), (3, 0))), (4, 5, 3)),
    ("Cropping2D(((1, 2), (0, 3)))", lambda: K.Cropping2D(((1, 2), (0, 3))), (6, 7, 2)),
    ("Cropping2D((1, 2))", lambda: K.Cropping2D((1, 2)), (6, 7, 2)),
    ("GlobalAveragePooling2D(keepdims=True)", lambda: K.GlobalAveragePooling2D(keepdims=True), (5, 6, 3)),
    ("GlobalMaxPooling2D()", lambda: K.GlobalMaxPooling2D(), (5, 6, 3)),
    ("BatchNormalization()", lambda: K.BatchNormalization(), (4, 4, 8)),
    ("BatchNormalization(center=False, scale=False)", lambda: K.BatchNormalization(center=False, scale=False),
     (4, 4, 8)),
    ("LayerNormalization()", lambda: K.LayerNormalization(), (4, 4, 8)),
    ("LayerNormalization(center=False)", lambda: K.LayerNormalization(center=False), (4, 4, 8)),
    ("GroupNormalization(groups=4)", lambda: K.GroupNormalization(groups=4), (4, 4, 8)),
    ("PReLU()", None, None),  # ambiguous without a prefix: tested in test_registry
    ("layers.PReLU()", lambda: K.PReLU(), (4, 4, 3)),
    ("layers.PReLU(shared_axes=[1, 2])", lambda: K.PReLU(shared_axes=[1, 2]), (4, 4, 3)),
    ("layers.ReLU(6)", lambda: K.ReLU(6), (4, 4, 3)),
    ("LeakyReLU(negative_slope=0.2)", lambda: K.LeakyReLU(negative_slope=0.2), (4, 4, 3)),
    ("Activation('gelu') Activation('swish') Activation('hard_swish') Activation('relu6')",
     lambda: keras.Sequential([K.Activation(a) for a in ("gelu", "swish", "hard_swish", "relu6")]), (4, 4, 3)),
    ("SpatialDropout2D(0.2)", lambda: K.SpatialDropout2D(0.2), (4, 4, 3)),
    ("Reshape((7, 7, 64))", lambda: K.Reshape((7, 7, 64)), (3136,)),
    ("Reshape((-1, 8))", lambda: K.Reshape((-1, 8)), (4, 4, 4)),
    ("Permute((2, 1, 3))", lambda: K.Permute((2, 1, 3)), (4, 5, 3)),
    ("Conv2DTranspose(8, 3, strides=2, padding='valid')", lambda: K.Conv2DTranspose(8, 3, strides=2), (5, 5, 4)),
    ("Dense(10, activation='silu')", lambda: K.Dense(10, activation="silu"), (20,)),
]
CASES = [case for case in CASES if case[1] is not None]


@pytest.mark.parametrize(("text", "make", "shape"), CASES, ids=[c[0] for c in CASES])
def test_keras_spelling_matches_keras(text: str, make, shape: tuple[int, ...]) -> None:  # noqa: ANN001
    model = keras.Sequential([keras.Input(shape), make()])
    summary = summarize(parse_spec(text), channels_first(shape))
    assert summary.output_shape == channels_first(tuple(model.output_shape[1:]))
    assert summary.total_params == model.count_params()
    assert summary.trainable_params == sum(prod(w.shape) for w in model.trainable_weights)
