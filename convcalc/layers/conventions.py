"""MAC counting conventions: each one asks the layer (``Layer.macs_under``), never a type switch.

Tools disagree on what one "MAC" or "FLOP" is (REFERENCE.md §1b, §1d): whether the
bias counts, whether the batch is included, which layers count at all. Every layer
spec answers, for one sample, how each of torchvision, torchinfo, fvcore, ptflops and
thop counts it (``macs_under``); this module applies the batch where the tool does
and doubles torchvision's count for ``flops``. A layer that does not answer a
convention raises; nothing falls back to 0.

Examples
--------
>>> from convcalc.layers import Conv2D
>>> [count_macs(Conv2D(8, 3), c, (3, 32, 32), (8, 30, 30), 2) for c in ("torchvision", "torchinfo", "flops")]
[194400, 403200, 388800]
"""

from __future__ import annotations

from collections.abc import Callable

from convcalc.errors import invalid
from convcalc.layers._base import Layer, Shape

#: Counting conventions: name -> one-line description (docs/stacks.md has the details).
CONVENTIONS = {
    "torchvision": "weight MACs of conv and dense layers, one sample, no bias (torchvision's 'GFLOPS')",
    "torchinfo": "torchinfo 1.8 'Mult-Adds': (weights + bias) x output positions for convs, params for "
                 "dense and batch norm, batch included",
    "fvcore": "fvcore 0.1.5 'flops': weight MACs (transposed conv on input positions), batch norm 2 per "
              "element, adaptive pools 1 per input element, batch included",
    "ptflops": "ptflops 0.7.5 (pytorch backend): MACs with bias, activations and pools per element, one sample",
    "thop": "thop 0.1.1 'MACs': weights x output elements, no bias, avg pools and softmax counted, batch included",
    "flops": "FLOPs = 2 x torchvision MACs (one multiply and one add), one sample",
}

#: Conventions whose tools count the whole batch (the others count one sample).
BATCHED = frozenset({"torchinfo", "fvcore", "thop"})


def count_macs(layer: Layer, convention: str, in_shape: Shape, out_shape: Shape, batch: int = 1) -> int:
    """``layer``'s count under ``convention`` for ``batch`` samples of ``in_shape`` (output ``out_shape``).

    Raises
    ------
    ConvCalcError
        An unknown convention, or a layer that does not say how the convention counts it.
    """
    if convention not in CONVENTIONS:
        raise invalid("convention", convention, "one of " + ", ".join(repr(c) for c in CONVENTIONS))
    if convention == "flops":
        return 2 * layer.macs_under("torchvision", in_shape, out_shape)
    count = layer.macs_under(convention, in_shape, out_shape)
    return count * batch if convention in BATCHED else count


def _counter(convention: str) -> Callable[[Layer, Shape, Shape, int], int]:
    def count(layer: Layer, i: Shape, o: Shape, n: int) -> int:
        return count_macs(layer, convention, i, o, n)

    return count


#: ``convention -> counter(layer, in_shape, out_shape, batch)``, what :func:`convcalc.stack.summarize` calls.
COUNTERS: dict[str, Callable[[Layer, Shape, Shape, int], int]] = {name: _counter(name) for name in CONVENTIONS}
