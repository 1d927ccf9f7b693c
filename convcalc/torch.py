"""PyTorch's positional order for convcalc's layer specs: ``convcalc.torch.Conv2d(3, 8, 3)``.

convcalc's classes take Keras's order (``Conv2D(filters, kernel_size, stride, ...)``),
so ``convcalc.Conv2D(3, 8, 3)`` is refused as ambiguous. The functions here take
PyTorch's order instead, starting with the input channels/features, and return the
same specs with that input size declared (checked against the real shape by
``output_shape``). They are made from the layer registry: one function per
PyTorch spelling (``Conv2d``, ``ConvTranspose2d``, ``Linear``, ``BatchNorm2d``,
``MaxPool2d``, ``Upsample``, ...), with PyTorch's keyword names too
(``out_channels``, ``out_features``, ``p``). No PyTorch is imported.

Examples
--------
>>> from convcalc import torch as T
>>> T.Conv2d(3, 8, 3)
Conv2D(filters=8, kernel_size=3, stride=1, padding=0, dilation=1, groups=1, bias=True)
>>> T.Conv2d(3, 8, 3).output_shape((3, 32, 32))
(8, 30, 30)
>>> T.Conv2d(3, 8, 3).output_shape((1, 32, 32))
Traceback (most recent call last):
...
convcalc.errors.ConvCalcError: in_channels=3 but the input has 1 channels (shape (1, 32, 32))
>>> T.Linear(5408, out_features=100).param_count((5408,))
Params(trainable=540900, non_trainable=0)
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

from convcalc.errors import ConvCalcError, ConvCalcTypeError
from convcalc.layers import REGISTRY, Layer
from convcalc.layers import LayerInfo
from convcalc.layers import spec_name as normal
from convcalc.spec.names import IGNORED_ARGUMENTS as _IGNORED
from convcalc.spec.names import MODELLED_VALUES as _ONLY

#: PyTorch's keyword names that differ from the spec fields.
_KEYWORDS = {"out_channels": "filters", "out_features": "units", "kernel_size": "kernel_size", "p": "rate",
             "num_groups": "groups"}
_AFFINE = ("affine", "elementwise_affine")


def _factory(spelling: str, info: LayerInfo) -> Callable[..., Layer]:
    order = tuple(info.torch_positional or ())

    def make(*args: Any, **kwargs: Any) -> Layer:
        if len(args) > len(order):
            raise ConvCalcTypeError(f"{spelling} takes at most {len(order)} positional arguments "
                                    f"({', '.join(n.lstrip('_') for n in order)}); got {len(args)}")
        given = dict(zip(order, args))
        for key, value in kwargs.items():
            name = _KEYWORDS.get(key, key)
            if name in given:
                raise ConvCalcTypeError(f"{spelling} got {name} twice")
            given[name] = value
        fields = {f.name for f in dataclasses.fields(info.cls)} | set(info.extra_args) | {"in_channels", "in_features"}
        for name in [n for n in given if n.startswith("_") or (n not in fields and n not in _AFFINE)]:
            key, value = normal(name), given.pop(name)
            if key in _ONLY and value not in _ONLY[key]:
                raise ConvCalcError(f"{spelling}: {name.lstrip('_')}={value!r} is not modelled; convcalc reads "
                                    f"only {' or '.join(repr(v) for v in _ONLY[key])}")
            if key not in _ONLY and key not in _IGNORED:
                raise ConvCalcTypeError(f"{spelling} has no argument {name!r}")
        for name in [n for n in given if n in _AFFINE]:
            if given.pop(name) is False:
                given["scale"] = given["bias"] = False
        cls: type = info.cls
        if info.adapt is not None:
            cls, given = info.adapt(f"nn.{spelling}", given)
        try:
            return cls(**given)
        except TypeError as error:
            raise ConvCalcError(f"{spelling}: {error}") from None

    make.__name__ = make.__qualname__ = spelling
    make.__doc__ = (f"``torch.nn.{spelling}({', '.join(n for n in order if not n.startswith('_'))})`` as a "
                    f":class:`convcalc.layers.{info.name}` spec (PyTorch's positional order).")
    return make


_FACTORIES = {spelling: _factory(spelling, info) for info in REGISTRY.values() for spelling in info.torch_names
              if not spelling.startswith("Lazy")}
globals().update(_FACTORIES)
__all__ = sorted(_FACTORIES)
