"""The NumPy convolution engine: forward/backward function pairs (cs231n style).

Every ``*_forward`` returns ``(out, cache)`` with a named cache type and every
``*_backward`` takes ``(dout, cache)``. Layout NCHW, weights as PyTorch.
Sizes come from :mod:`convcalc.arithmetic`. Each fast kernel has a
``*_naive`` loop twin used as a test oracle. See ``docs/engine.md``.
"""

from __future__ import annotations

from convcalc.engine.conv import (
    ConvCache,
    conv1d_backward,
    conv1d_forward,
    conv2d_backward,
    conv2d_backward_naive,
    conv2d_forward,
    conv2d_forward_naive,
)
from convcalc.engine.conv_transpose import (
    ConvTransposeCache,
    conv_transpose2d_backward,
    conv_transpose2d_backward_naive,
    conv_transpose2d_forward,
    conv_transpose2d_forward_naive,
)
from convcalc.engine.conv_pool import (
    ConvPoolCache,
    conv2d_maxpool2d_backward,
    conv2d_maxpool2d_backward_naive,
    conv2d_maxpool2d_forward,
    conv2d_maxpool2d_forward_naive,
)
from convcalc.engine._blas import axpy
from convcalc.engine.batchnorm import (
    BatchNormCache,
    batch_norm_backward,
    batch_norm_backward_naive,
    batch_norm_forward,
    batch_norm_forward_naive,
)
from convcalc.engine._runtime import engine_threads, release_workspaces, tune_malloc
from convcalc.engine.gradcheck import numerical_gradient, rel_error
from convcalc.engine.merge import (
    add_backward,
    add_forward,
    concat_backward,
    concat_forward,
    multiply_backward,
    multiply_forward,
)
from convcalc.engine.pool import (
    PoolCache,
    avg_pool2d_backward,
    avg_pool2d_forward,
    max_pool2d_backward,
    max_pool2d_forward,
)
from convcalc.engine.pool1d import avg_pool1d_backward, avg_pool1d_forward, max_pool1d_backward, max_pool1d_forward
from convcalc.engine.pool_naive import (
    avg_pool2d_backward_naive,
    avg_pool2d_forward_naive,
    max_pool2d_backward_naive,
    max_pool2d_forward_naive,
)

__all__ = [
    "ConvCache",
    "ConvTransposeCache",
    "PoolCache",
    "conv2d_forward",
    "conv2d_backward",
    "conv2d_forward_naive",
    "conv2d_backward_naive",
    "ConvPoolCache",
    "conv2d_maxpool2d_forward",
    "conv2d_maxpool2d_backward",
    "conv2d_maxpool2d_forward_naive",
    "conv2d_maxpool2d_backward_naive",
    "conv1d_forward",
    "conv1d_backward",
    "conv_transpose2d_forward",
    "conv_transpose2d_backward",
    "conv_transpose2d_forward_naive",
    "conv_transpose2d_backward_naive",
    "max_pool2d_forward",
    "max_pool2d_backward",
    "max_pool2d_forward_naive",
    "max_pool2d_backward_naive",
    "avg_pool2d_forward",
    "avg_pool2d_backward",
    "avg_pool2d_forward_naive",
    "avg_pool2d_backward_naive",
    "max_pool1d_forward",
    "max_pool1d_backward",
    "avg_pool1d_forward",
    "avg_pool1d_backward",
    "numerical_gradient",
    "rel_error",
    "tune_malloc",
    "axpy",
    "release_workspaces",
    "engine_threads",
    "add_forward",
    "add_backward",
    "multiply_forward",
    "multiply_backward",
    "concat_forward",
    "concat_backward",
    "BatchNormCache",
    "batch_norm_forward",
    "batch_norm_backward",
    "batch_norm_forward_naive",
    "batch_norm_backward_naive",
]
