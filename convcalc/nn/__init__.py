"""The small-CNN trainer: Keras-style ``Sequential`` models built from layer specs, trained with NumPy.

``Sequential(specs, input_shape)`` builds one trainable module per spec of
:mod:`convcalc.layers` (so ``model.summary()`` is ``convcalc stack``'s table);
``compile``/``fit``/``evaluate``/``predict``/``save``/``load`` follow Keras.
A branching :class:`convcalc.graph.Graph` (``res[...]``/``cat[...]`` specs, the functional
API) builds the same class (also named ``Model``), run node by node (:mod:`convcalc.nn.nodes`).
Convolution and pooling run on :mod:`convcalc.engine`. Optimisers follow
PyTorch's update rules, initialisers and regularizers Keras's. This package
imports NumPy; ``import convcalc`` does not. See ``docs/training.md``.

Examples
--------
>>> from convcalc.nn import Sequential
>>> model = Sequential.from_spec("hw5")
>>> model.count_params()
542230
"""

from __future__ import annotations

from convcalc.nn.activations import ELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh, elu, leaky_relu, relu, sigmoid, \
    softmax, tanh
from convcalc.nn.build import build_module
from convcalc.nn.callbacks import Callback, EarlyStopping, History, LambdaCallback, ModelCheckpoint
from convcalc.nn.init import INITIALIZERS, get_initializer, glorot_normal, glorot_uniform, he_normal, he_uniform, \
    ones, zeros
from convcalc.nn.layers import AvgPool2d, BatchNorm, Conv2d, Dense, Dropout, Flatten, GlobalPool2d, MaxPool2d, \
    ZeroPad2d
from convcalc.nn.losses import (LOSSES, BinaryCrossentropy, CategoricalCrossentropy, Loss, MeanAbsoluteError,
                                MeanSquaredError, SparseCategoricalCrossentropy, get_loss)
from convcalc.nn.model import Model, Sequential
from convcalc.nn.module import Module
from convcalc.nn.optim import OPTIMIZERS, SGD, Adam, Optimizer, get_optimizer
from convcalc.nn.regularizers import L1, L1L2, L2, Regularizer, get_regularizer
from convcalc.nn.training import TrainingDiverged, TrainingInterrupted

__all__ = [
    "Sequential", "Model", "Module", "build_module",
    "Dense", "Conv2d", "MaxPool2d", "AvgPool2d", "GlobalPool2d", "Flatten", "Dropout", "ZeroPad2d", "BatchNorm",
    "ReLU", "LeakyReLU", "ELU", "Sigmoid", "Tanh", "Softmax",
    "relu", "leaky_relu", "elu", "sigmoid", "tanh", "softmax",
    "Loss", "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "BinaryCrossentropy", "MeanSquaredError",
    "MeanAbsoluteError", "get_loss", "LOSSES",
    "Optimizer", "SGD", "Adam", "get_optimizer", "OPTIMIZERS",
    "zeros", "ones", "he_normal", "he_uniform", "glorot_normal", "glorot_uniform", "get_initializer", "INITIALIZERS",
    "Regularizer", "L1", "L2", "L1L2", "get_regularizer",
    "Callback", "LambdaCallback", "History", "EarlyStopping", "ModelCheckpoint",
    "TrainingDiverged", "TrainingInterrupted",
]  # fmt: skip
