"""Trainable modules from layer specs: one module per spec, shapes from the spec itself.

:func:`build_module` is the only place that maps a :mod:`convcalc.layers` spec
to its :mod:`convcalc.nn` module, so a model's architecture is exactly its
spec list (which is what :meth:`Sequential.save` stores and ``convcalc stack``
summarises).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from convcalc import layers as specs
from convcalc.errors import ConvCalcError
from convcalc.graph import Graph, Merge
from convcalc.graph.merge import Add, Concat, Multiply
from convcalc.nn import activations, vocabulary
from convcalc.nn.layers import (AvgPool2d, BatchNorm, Conv2d, Dense, Dropout, Flatten, GlobalPool2d, MaxPool2d,
                                ZeroPad2d, unsupported)
from convcalc.nn.merges import AddMerge, ConcatMerge, MultiplyMerge
from convcalc.nn.module import Module

__all__ = ["build_module", "build_modules"]


def build_module(spec: specs.Layer, in_shape: tuple[int, ...], *, rng: np.random.Generator,
                 dropout_rng: np.random.Generator, init: str | Callable[..., np.ndarray] = "glorot_uniform",
                 dtype: np.dtype | type = np.float32) -> Module:
    """The trainable module for ``spec`` on inputs of shape ``in_shape`` (no batch axis).

    Parameters
    ----------
    spec : convcalc.layers.Layer
        The layer spec.
    in_shape : tuple of int
        Its input shape, ``(C, H, W)`` or ``(F,)`` (a merge's: its first input's).
    rng : numpy.random.Generator
        Draws the initial weights.
    dropout_rng : numpy.random.Generator
        The stream dropout masks are drawn from (shared by the model's dropout layers).
    init : str or callable
        Kernel initialiser (biases start at zero). Defaults to ``"glorot_uniform"`` (Keras's default).
    dtype : numpy dtype
        Parameter dtype. Defaults to float32.

    Raises
    ------
    ConvCalcError
        For a spec the trainer does not support (3-d layers, transposed convolutions).
    """
    kind = type(spec)
    if kind is Add:
        return AddMerge()
    if kind is Multiply:
        return MultiplyMerge()
    if kind is Concat:
        return ConcatMerge(spec.axis, len(in_shape))
    if kind is specs.Conv2D:
        return Conv2d(spec, in_shape, rng, init, dtype)
    if kind is specs.Dense:
        return Dense(spec, in_shape, rng, init, dtype)
    if kind is specs.MaxPool2D:
        return MaxPool2d(spec, in_shape)
    if kind is specs.AvgPool2D:
        return AvgPool2d(spec, in_shape)
    if kind is specs.Flatten:
        return Flatten()
    if kind is specs.Dropout:
        return Dropout(spec.rate, dropout_rng)
    if kind in (specs.GlobalAvgPool2D, specs.GlobalMaxPool2D):
        return GlobalPool2d("avg" if kind is specs.GlobalAvgPool2D else "max", spec.keepdims)
    if kind is specs.AdaptiveAvgPool2D and spec.rf_step(in_shape) is not None:
        window = tuple(n // o for n, o in zip(in_shape[1:], spec.output_shape(in_shape)[1:]))
        return AvgPool2d(specs.AvgPool2D(window), in_shape)
    if kind is specs.ZeroPad2D:
        return ZeroPad2d(spec)
    if kind in (specs.BatchNorm1D, specs.BatchNorm2D):
        spec.output_shape(in_shape)  # checks the rank
        off = [f"{name}=False" for name in ("scale", "bias", "track_running_stats") if not getattr(spec, name, True)]
        if off:  # the module has a learnable scale and shift and running statistics: never train another layer
            raise ConvCalcError(f"The trainer cannot train {spec.describe()} yet: its batch norm always has a "
                                f"learnable scale and shift and running statistics ({', '.join(off)} is not "
                                "supported).")
        return BatchNorm(in_shape[0], dtype)
    if kind is specs.SeparableConv2D:
        return vocabulary.SeparableConv2d(spec, in_shape, rng, init, dtype)
    if kind is specs.DepthwiseConv2D:
        return Conv2d(spec.depthwise(in_shape, spec.bias), in_shape, rng, init, dtype)
    if kind in (specs.Upsample, specs.UpSampling2D) and spec_mode(spec) == "nearest":
        return vocabulary.NearestUpsample2d(in_shape, spec.output_shape(in_shape))
    if kind is specs.GELU:
        return vocabulary.GELU(spec.approximate)
    if kind is specs.SiLU:
        return vocabulary.SiLU()
    if kind is specs.LayerNorm:
        spec.param_count(in_shape)  # checks normalized_shape against the input
        shape = spec.normalized_shape
        shape = (shape,) if isinstance(shape, int) else shape
        return vocabulary.Normalization(in_shape, "layer", normalized_shape=shape, scale=spec.scale, bias=spec.bias,
                                        dtype=dtype)
    if kind is specs.GroupNorm:
        spec.param_count(in_shape)  # checks that the groups divide the channels
        return vocabulary.Normalization(in_shape, "group", groups=spec.groups, scale=spec.scale, bias=spec.bias,
                                        dtype=dtype)
    if kind is specs.LeakyReLU:
        return activations.LeakyReLU(spec.negative_slope)
    if kind is specs.ELU:
        return activations.ELU(spec.alpha)
    simple = {specs.ReLU: activations.ReLU, specs.Sigmoid: activations.Sigmoid, specs.Tanh: activations.Tanh,
              specs.Softmax: activations.Softmax}
    if kind in simple:
        return simple[kind]()
    raise unsupported(spec)


def spec_mode(spec: specs.Layer) -> str:
    """An upsampling spec's interpolation: ``mode`` (Upsample) or ``interpolation`` (UpSampling2D)."""
    return str(getattr(spec, "mode", getattr(spec, "interpolation", "")))


def build_modules(layers: list[specs.Layer], graph: Graph | None, input_shape: tuple[int, ...], *,
                  rng: np.random.Generator, dropout_rng: np.random.Generator,
                  init: str | Callable[..., np.ndarray] = "glorot_uniform", dtype: np.dtype | type = np.float32,
                  ) -> tuple[list[Module], list[tuple[int, ...]], list[tuple[int, ...]]]:
    """One module per spec of a layer list (a chain) or of a graph's nodes after the input.

    Returns the modules, ``shapes`` (``shapes[i]`` the shape of node ``i``: 0 is the input, in a chain
    the input of module ``i``) and ``reads`` (``reads[i]``: the nodes module ``i`` reads). A module that
    reads the input gets ``input_grad = False`` (nothing is upstream of it).
    """
    reads: list[tuple[int, ...]] = ([tuple(n.inputs) for n in graph.nodes[1:]] if graph is not None
                                    else [(i,) for i in range(len(layers))])
    if graph is not None and graph.output != len(graph.nodes) - 1:
        raise ConvCalcError(f"the graph's output is node {graph.output}; the trainer needs it to be the last node")
    modules: list[Module] = []
    shapes: list[tuple[int, ...]] = [tuple(input_shape)]
    for index, (spec, ins) in enumerate(zip(layers, reads)):
        ins_shapes = [shapes[j] for j in ins]
        try:
            out_shape = tuple(spec.merge_shape(ins_shapes) if isinstance(spec, Merge)
                              else spec.output_shape(ins_shapes[0]))
        except ConvCalcError as error:
            raise ConvCalcError(f"layer {index} ({spec.describe()}) on input {ins_shapes[0]}: {error}") from None
        modules.append(build_module(spec, ins_shapes[0], rng=rng, dropout_rng=dropout_rng, init=init, dtype=dtype))
        shapes.append(out_shape)
        if ins == (0,) and hasattr(modules[-1], "input_grad"):  # nothing upstream of the input
            modules[-1].input_grad = False  # type: ignore[attr-defined]
    return modules, shapes, reads
