"""The vocabulary: Keras, PyTorch and short layer names, argument aliases, and the spec each name builds.

Layer names come from the registry (:data:`convcalc.layers.REGISTRY`): each layer
class declares its names, positional orders and PyTorch spellings next to its
code, so adding a layer never touches this file. What lives here is what the
spec language adds around layers: argument aliases, the arguments it drops or
checks, activation strings, wrappers, inputs and merges.
"""

from __future__ import annotations

from typing import NamedTuple

from convcalc.layers import REGISTRY, LayerInfo
from convcalc.layers import REGISTRY_VERSION as VERSION
from convcalc.layers import spec_name as normal

_ALIASES = {
    "filters": ("filters", "outchannels", "out", "channels", "f", "c"),
    "kernel_size": ("kernelsize", "kernel", "k", "ks", "poolsize", "size"),
    "pool_size": ("poolsize", "kernelsize", "kernel", "k", "size"),
    "stride": ("stride", "strides", "s"),
    "padding": ("padding", "pad", "p"),
    "dilation": ("dilation", "dilationrate", "d"),
    "groups": ("groups", "g", "numgroups"),
    "bias": ("bias", "usebias", "center"),
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
    "depth_multiplier": ("depthmultiplier", "multiplier", "m"),
    "scale_factor": ("scalefactor", "scale", "factor"),
    "target_shape": ("targetshape", "shape"),
    "normalized_shape": ("normalizedshape",),
    "num_parameters": ("numparameters",),
    "upscale_factor": ("upscalefactor", "r"),
    "downscale_factor": ("downscalefactor", "r"),
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
    "synchronized", "renormclipping", "renormmomentum", "aligncorners", "alphainitializer", "alpharegularizer",
    "alphaconstraint", "recomputescalefactor", "antialias",
}
# Arguments accepted only with the values convcalc models; any other value is refused with a word
# (each changes a count: affine/center/scale/track_running_stats/trainable/lora_rank change
# parameters, start_dim/end_dim change Flatten's shape, axis/dim the axis normalised or summed).
_ONLY: dict[str, tuple[object, ...]] = {
    "affine": (True,), "center": (True,), "scale": (True,), "trackrunningstats": (True,), "trainable": (True,),
    "lorarank": (None,), "startdim": (1,), "enddim": (-1,), "axis": (-1,), "dim": (1, -1),
    "paddingmode": ("zeros", "reflect", "replicate", "circular"),
    "dataformat": ("channels_last", "channels_first", None),
    "renorm": (False,),
}
#: Public names of the two tables above (what convcalc.torch and the docs use).
IGNORED_ARGUMENTS = _IGNORED
MODELLED_VALUES = _ONLY
_CHECKED = ("in_channels", "in_features", "num_features", "num_channels")
# Arguments that switch a normalisation's scale and shift together (PyTorch's affine, elementwise_affine).
_AFFINE = ("affine", "elementwiseaffine")
# Merge layers: a linear spec has one path, so these are refused (graphs write them as res[...] / cat[...]).
_MERGES = {"add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "concat", "cat", "dot"}


class _Entry(NamedTuple):
    cls: type
    positional: tuple[str, ...]
    torch_positional: tuple[str, ...] | None = None
    info: LayerInfo | None = None


#: Normalised name -> what it builds; PyTorch's exact spellings (``Conv2d``, ``LazyConv2d``, ...), which take
#: PyTorch's order; Keras's activation strings (``activation='gelu'``; 'linear' and 'identity' add no layer);
#: every accepted name and the class it builds. All rebuilt from the registry when it changes (:func:`_sync`).
_TABLE: dict[str, _Entry] = {}
_TORCH_SPELLINGS: dict[str, LayerInfo] = {}
_ACTIVATIONS: dict[str, type | None] = {}
LAYER_NAMES: dict[str, str] = {}
_SYNCED = [-1]


def _sync() -> None:
    """Rebuild the vocabulary in place if a layer was registered (or removed) since the last build."""
    if _SYNCED[0] == VERSION[0]:
        return
    for table in (_TABLE, _TORCH_SPELLINGS, _ACTIVATIONS, LAYER_NAMES):
        table.clear()
    for info in REGISTRY.values():
        for name in info.names:
            _TABLE[name] = _Entry(info.cls, info.name_positional.get(name, info.positional), info.torch_positional,
                                  info)
        if info.activation:
            _ACTIVATIONS.update(dict.fromkeys(info.names, info.cls))
    for info in REGISTRY.values():
        for spelling in info.torch_names:  # a PyTorch spelling is also a name, whatever its case
            _TORCH_SPELLINGS[spelling] = info
            _TABLE.setdefault(normal(spelling), _Entry(info.cls, info.positional, info.torch_positional, info))
    _ACTIVATIONS.update({"linear": None, "identity": None})
    LAYER_NAMES.update({name: entry.cls.__name__ for name, entry in _TABLE.items()})
    _SYNCED[0] = VERSION[0]


_sync()
#: Spellings Keras and PyTorch share but whose positional arguments mean different things (Keras's
#: ReLU(max_value, ...) vs PyTorch's ReLU(inplace); Flatten(data_format) vs Flatten(start_dim, end_dim)):
#: without nn./layers. and with positional arguments they are refused as ambiguous.
_SHARED_SPELLINGS = {"ReLU", "Flatten"}
_WRAPPERS = {"sequential"}
_MODEL_ADD = "add"  # model.add(layer) unwraps; Keras's Add() merge layer is refused (see _MERGES)
_INPUTS = {"input", "in", "inputlayer"}



_normal = normal


#: Example values for a "needs ..." message, per argument.
_EXAMPLES = {"in_channels": 1, "in_features": 784, "num_features": 32, "filters": 32, "kernel_size": 3,
             "pool_size": 2, "units": 10, "padding": 1, "output_size": 6, "groups": 8, "target_shape": "(64, 7, 7)",
             "dims": "(2, 1, 3)", "cropping": 1, "upscale_factor": 2, "downscale_factor": 2}


def name_table() -> str:
    """The spec language's layer names as a Markdown table, one row per registered layer class.

    docs/stacks.md holds this table verbatim (a test compares them), so the docs list
    exactly what the parser accepts.

    >>> print(name_table().splitlines()[2])
    | `Conv1D` | `conv1d`, `convolution1d`; PyTorch: `Conv1d`, `LazyConv1d` | filters, kernel_size, stride, padding, dilation, groups, bias | in_channels, filters, kernel_size, stride, padding, dilation, groups, bias |
    """
    rows = ["| layer | names (case and `_` ignored; PyTorch's exact spellings) | positional (Keras and short names) "
            "| positional (PyTorch spellings) |", "| --- | --- | --- | --- |"]
    for info in REGISTRY.values():
        names = ", ".join(f"`{n}`" for n in info.names)
        if info.torch_names:
            names += "; PyTorch: " + ", ".join(f"`{n}`" for n in info.torch_names)
        keras = [n for n in info.positional if not n.startswith("_")]
        own = "".join(f"; `{name}`: {', '.join(n.lstrip('_') for n in order) or 'none'}"
                      for name, order in info.name_positional.items())
        torch = ", ".join(n for n in info.torch_positional or () if not n.startswith("_")) or \
            ("none" if info.torch_positional is not None else "")
        rows.append(f"| `{info.name}` | {names} | {', '.join(keras)}{own} | {torch} |")
    return "\n".join(rows)
