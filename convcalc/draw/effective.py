"""The effective receptive field: how strongly each input pixel moves one unit, at initialisation.

Luo, Li, Urtasun & Zemel, "Understanding the Effective Receptive Field in Deep
Convolutional Neural Networks" (NeurIPS 2016): back-propagate a gradient of 1
at one output unit (summed over its channels) through the network at
initialisation and look at ``|d unit / d input|``, averaged over random inputs
and weight draws. It runs on convcalc's own engine (:class:`convcalc.nn.Sequential`,
built from the same layer specs), so it needs NumPy, nothing else.
"""

from __future__ import annotations

from typing import Any

from convcalc.errors import ConvCalcError, invalid

__all__ = ["effective_field", "MAX_ERF_INPUT"]

#: Largest input (pixels per sample, all channels) the effective field is computed for.
MAX_ERF_INPUT = 3 * 256 * 256


def effective_field(layers: Any, input_shape: tuple[int, ...], unit: tuple[int, int], top: int,
                    *, samples: int = 8, seed: int = 0) -> list[list[float]]:
    """Mean ``|d y / d x|`` over ``samples`` random inputs and initialisations, summed over input channels
    and normalised to a maximum of 1: one value per input pixel (rows x columns).

    ``y`` is unit ``unit`` of layer ``top``'s output (1-based, as in :func:`convcalc.summarize`),
    summed over its channels.

    Examples
    --------
    >>> from convcalc.layers import Conv2D
    >>> field = effective_field([Conv2D(4, 3)], (1, 6, 6), (1, 1), 1, samples=2)
    >>> [[v > 0 for v in row[:5]] for row in field[:5]]  # exactly the 3x3 window at (1, 1) is non-zero
    [[False, False, False, False, False], [False, True, True, True, False], [False, True, True, True, False], [False, True, True, True, False], [False, False, False, False, False]]
    """
    import numpy as np

    from convcalc.graph import Graph
    from convcalc.nn import Sequential

    layers = layers if isinstance(layers, Graph) else list(layers)  # a graph (res/cat) runs as it is

    if isinstance(samples, bool) or not isinstance(samples, int) or not 1 <= samples <= 64:
        raise invalid("samples", samples, "an int from 1 to 64")
    if len(input_shape) != 3:
        raise ConvCalcError("the effective receptive field is drawn for 2-D inputs (C, H, W)")
    if int(np.prod(input_shape)) > MAX_ERF_INPUT:
        raise ConvCalcError(f"the effective receptive field is computed for inputs up to {MAX_ERF_INPUT:,} values; "
                            f"got {'x'.join(map(str, input_shape))}")
    total = np.zeros(input_shape[1:], dtype=np.float64)
    rng = np.random.default_rng(seed)
    for sample in range(samples):
        model = Sequential(layers, input_shape, seed=seed + sample, fuse=False, dtype="float64")
        for module in model.modules:  # the modules reading the input then return its gradient too
            if hasattr(module, "input_grad"):
                module.input_grad = True
        x = rng.standard_normal((1, *input_shape))
        out = model.forward(x, training=True, stop=top)
        if out.ndim != 4:
            raise ConvCalcError(f"layer {top} has no 2-D output grid to pick a unit from")
        dout = np.zeros_like(out)
        dout[0, :, unit[0], unit[1]] = 1.0
        grad = model.backward(dout, stop=top)
        if grad is None:
            raise ConvCalcError("the network gave no input gradient for the effective receptive field")
        total += np.abs(grad[0]).sum(axis=0)
    peak = total.max()
    if peak > 0:
        total /= peak
    return [[float(v) for v in row] for row in total]
