"""The vocabulary: Keras, PyTorch and short layer names, argument aliases, and the spec each name builds."""

from __future__ import annotations

import re
from typing import NamedTuple

from convcalc import layers as L

_CONV = ("filters", "kernel_size", "stride", "padding", "dilation", "groups", "bias")
_CONVT = ("filters", "kernel_size", "stride", "padding", "output_padding", "dilation", "groups", "bias")
_ALIASES = {
    "filters": ("filters", "outchannels", "out", "channels", "f", "c"),
    "kernel_size": ("kernelsize", "kernel", "k", "ks", "poolsize", "size"),
    "pool_size": ("poolsize", "kernelsize", "kernel", "k", "size"),
    "stride": ("stride", "strides", "s"),
    "padding": ("padding", "pad", "p"),
    "dilation": ("dilation", "dilationrate", "d"),
    "groups": ("groups", "g"),
    "bias": ("bias", "usebias"),
    "output_padding": ("outputpadding", "op"),
    "ceil_mode": ("ceilmode", "ceil"),
    "units": ("units", "outfeatures", "out", "features", "n"),
    "rate": ("rate", "p"),
    "negative_slope": ("negativeslope", "alpha", "slope"),
    "alpha": ("alpha",),
    "output_size": ("outputsize", "size"),
    "cropping": ("cropping", "crop"),
    "keepdims": ("keepdims",),
    "activation": ("activation", "act"),
    "in_channels": ("inchannels",),
    "in_features": ("infeatures",),
    "num_features": ("numfeatures",),
    "input_shape": ("inputshape",),
}
# Arguments that change nothing convcalc computes (shapes, parameters, MACs, receptive fields): accepted,
# dropped, and listed in docs/stacks.md. Every other argument is modelled, checked, or refused.
_IGNORED = {
    "name", "dtype", "device", "inplace",            # bookkeeping and memory reuse
    "returnindices",                                 # MaxPool2d: also returns the argmax, same output shape
    "countincludepad", "divisoroverride",            # AvgPool2d: the divisor, not the shape
    "eps", "epsilon", "momentum",                    # batch-norm arithmetic, not its size
    "seed", "noiseshape",                            # Dropout's mask
    "kernelinitializer", "biasinitializer", "kernelregularizer", "biasregularizer", "activityregularizer",
    "kernelconstraint", "biasconstraint", "betainitializer", "gammainitializer", "movingmeaninitializer",
    "movingvarianceinitializer", "betaregularizer", "gammaregularizer", "betaconstraint", "gammaconstraint",
    "depthwiseinitializer", "pointwiseinitializer", "depthwiseregularizer", "pointwiseregularizer",
    "depthwiseconstraint", "pointwiseconstraint", "biasinit",
    "synchronized", "renorm", "renormclipping", "renormmomentum",
}
# Arguments accepted only with the values convcalc models; any other value is refused with a word
# (each changes a count: affine/center/scale/track_running_stats/trainable/lora_rank change
# parameters, start_dim/end_dim change Flatten's shape, axis/dim the axis normalised or summed).
_ONLY: dict[str, tuple[object, ...]] = {
    "affine": (True,), "center": (True,), "scale": (True,), "trackrunningstats": (True,), "trainable": (True,),
    "lorarank": (None,), "startdim": (1,), "enddim": (-1,), "axis": (-1,), "dim": (1, -1),
    "paddingmode": ("zeros", "reflect", "replicate", "circular"),
    "dataformat": ("channels_last", "channels_first"),
}
_CHECKED = ("in_channels", "in_features", "num_features")
# Merge layers: a linear spec has one path, so these are refused (graphs write them as res[...] / cat[...]).
_MERGES = {"add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "concat", "cat", "dot"}


class _Entry(NamedTuple):
    cls: type
    positional: tuple[str, ...]
    torch_positional: tuple[str, ...] | None = None


def _family(cls1: type, cls2: type, cls3: type, stems: tuple[str, ...], positional: tuple[str, ...],
            torch_positional: tuple[str, ...] | None) -> dict[str, _Entry]:
    table = {}
    for dim, cls in ((1, cls1), (2, cls2), (3, cls3)):
        for stem in stems:
            table[f"{stem}{dim}d"] = _Entry(cls, positional, torch_positional)
    for stem in stems:
        table[stem] = _Entry(cls2, positional, torch_positional)
    return table


_MAXPOOL = ("pool_size", "stride", "padding", "dilation", "ceil_mode")
_AVGPOOL = ("pool_size", "stride", "padding", "ceil_mode")
_TABLE: dict[str, _Entry] = {
    **_family(L.Conv1D, L.Conv2D, L.Conv3D, ("conv", "convolution"), _CONV, ("in_channels", *_CONV)),
    **_family(L.ConvTranspose1D, L.ConvTranspose2D, L.ConvTranspose3D,
              ("convtranspose", "convtrans", "deconv", "tconv", "convt"), _CONVT,
              ("in_channels", "filters", "kernel_size", "stride", "padding", "output_padding", "groups", "bias",
               "dilation")),
    **_family(L.MaxPool1D, L.MaxPool2D, L.MaxPool3D, ("maxpool", "maxpooling", "pool", "mp"), _MAXPOOL,
              ("pool_size", "stride", "padding", "dilation", "_return_indices", "ceil_mode")),
    **_family(L.AvgPool1D, L.AvgPool2D, L.AvgPool3D, ("avgpool", "averagepooling", "avgpooling", "ap"),
              _AVGPOOL, _AVGPOOL),
    **_family(L.ZeroPad1D, L.ZeroPad2D, L.ZeroPad3D, ("zeropad", "zeropadding"), ("padding",), ("padding",)),
    **_family(L.Cropping1D, L.Cropping2D, L.Cropping3D, ("cropping", "crop"), ("cropping",), None),
    **_family(L.BatchNorm1D, L.BatchNorm2D, L.BatchNorm3D, ("batchnorm", "bn"), ("num_features",), ("num_features",)),
    **{f"conv{n}dtranspose": _Entry(cls, _CONVT) for n, cls in
       ((1, L.ConvTranspose1D), (2, L.ConvTranspose2D), (3, L.ConvTranspose3D))},
    "batchnormalization": _Entry(L.BatchNorm2D, ()),
    "adaptiveavgpool2d": _Entry(L.AdaptiveAvgPool2D, ("output_size",)),
    "adaptiveavgpool": _Entry(L.AdaptiveAvgPool2D, ("output_size",)),
    "globalavgpool2d": _Entry(L.GlobalAvgPool2D, ("keepdims",)),
    "globalaveragepooling2d": _Entry(L.GlobalAvgPool2D, ("keepdims",)),
    "globalavgpool": _Entry(L.GlobalAvgPool2D, ("keepdims",)),
    "gap": _Entry(L.GlobalAvgPool2D, ("keepdims",)),
    "globalmaxpool2d": _Entry(L.GlobalMaxPool2D, ("keepdims",)),
    "globalmaxpooling2d": _Entry(L.GlobalMaxPool2D, ("keepdims",)),
    "gmp": _Entry(L.GlobalMaxPool2D, ("keepdims",)),
    "flatten": _Entry(L.Flatten, ()),
    "dense": _Entry(L.Dense, ("units", "activation")),
    "linear": _Entry(L.Dense, ("units", "activation"), ("in_features", "units", "bias")),
    "fc": _Entry(L.Dense, ("units", "activation")),
    "dropout": _Entry(L.Dropout, ("rate",)),
    "drop": _Entry(L.Dropout, ("rate",)),
    "relu": _Entry(L.ReLU, ()),
    "leakyrelu": _Entry(L.LeakyReLU, ("negative_slope",)),
    "lrelu": _Entry(L.LeakyReLU, ("negative_slope",)),
    "elu": _Entry(L.ELU, ("alpha",)),
    "sigmoid": _Entry(L.Sigmoid, ()),
    "tanh": _Entry(L.Tanh, ()),
    "softmax": _Entry(L.Softmax, ()),
}
_ACTIVATIONS = {"relu": L.ReLU, "leakyrelu": L.LeakyReLU, "lrelu": L.LeakyReLU, "elu": L.ELU,
                "sigmoid": L.Sigmoid, "tanh": L.Tanh, "softmax": L.Softmax, "linear": None, "identity": None}
_WRAPPERS = {"sequential"}
_MODEL_ADD = "add"  # model.add(layer) unwraps; Keras's Add() merge layer is refused (see _MERGES)
_INPUTS = {"input", "in", "inputlayer"}
# PyTorch's exact spellings: their positional arguments start with the input channels/features.
_TORCH_NAMES = re.compile(r"^(Conv[123]d|ConvTranspose[123]d|MaxPool[123]d|AvgPool[123]d|ZeroPad[123]d|"
                          r"BatchNorm[123]d|Linear)$")

#: Every accepted layer name (normalised: lower case, no underscores) and the spec it builds.
LAYER_NAMES = {name: entry.cls.__name__ for name, entry in _TABLE.items()}


def _normal(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower().replace("_", "")


#: Example values for a "needs ..." message, per argument.
_EXAMPLES = {"in_channels": 1, "in_features": 784, "num_features": 32, "filters": 32, "kernel_size": 3,
             "pool_size": 2, "units": 10, "padding": 1, "output_size": 6}
