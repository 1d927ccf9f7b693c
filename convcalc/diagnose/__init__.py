"""Compute each kind of question, compare the given answer, and recognise the usual mistakes.

A diagnosis is recognised by recomputing the answer the way the mistake would,
with the same library functions and one thing changed (the floor rounded up,
the dilation left out, ``2*p_lo`` for ``p_lo + p_hi``, the direct formula for a
transposed one, ...). When the given answer equals that recomputation, and it
differs from the right answer, the mistake is named. Nothing here re-derives a
size: every number comes from :mod:`convcalc.arithmetic`, :mod:`convcalc.exact`
or :mod:`convcalc.stack`.

One module per family of questions, on ``verdict`` (:class:`Verdict`,
:class:`Diagnosis` and the matching of a recomputed mistake): ``sizes``
(output sizes), ``padding`` ('same' padding), ``matrices`` (exact kinds) and
``stacks`` (shapes, counts, receptive fields). :data:`CHECKERS` maps each kind
to its checker.

The catalogue (``code``: what the student did):

* ``ceil_instead_of_floor``: rounded the division up.
* ``naive_ceil_mode``: ceil mode without PyTorch's last-window rule.
* ``ceil_mode_ignored``: floor where ceil mode was asked.
* ``dilation_forgotten``: used ``k`` instead of ``d*(k - 1) + 1``.
* ``two_p_asymmetric``: wrote ``2p`` where the padding is ``(p_lo, p_hi)``, ``p_lo != p_hi``.
* ``padding_once``: added ``p`` once instead of ``2p``.
* ``padding_forgotten``: left the padding out.
* ``plus_one_forgotten``: forgot the ``+ 1``.
* ``transposed_formula_used``: the transposed-convolution formula for a convolution.
* ``direct_formula_used``: the transposed formula run backwards (the direct formula).
* ``padding_added``: a transposed convolution's padding added instead of removed.
* ``n_times_s``: ``n*s`` instead of ``(n - 1)*s``.
* ``output_padding_forgotten``: a transposed convolution's ``output_padding`` left out.
* ``pool_stride_one``: pooling with stride 1 where the stride defaults to the window.
* ``odd_pixel_first``, ``total_per_side``, ``stride_ignored``, ``symmetric_even``: 'same' padding splits.
* ``flops_not_macs``, ``macs_not_flops``: a factor 2 (FLOPs count the multiply and the add).
* ``bias_counted``, ``bias_forgotten``, ``batch_counted``, ``batch_forgotten``: counting conventions.
* ``buffers_counted``, ``buffers_forgotten``: BatchNorm's running mean/variance counted where the
  question counts PyTorch's ``parameters()`` (``convention = "torch"``/``"trainable"``), or left out
  where it counts Keras's ``count_params()`` (``convention = "keras"``, the default).
* ``single_layer``: one layer's count where the network's total is asked.
* ``layout_nhwc``, ``layout_nchw``: channels last where the shape is channels first, or the reverse.
* ``wrong_layer``: the shape after the layer before or after the one asked about.
* ``rf_wrong_reference``: the receptive field measured on another layer.
* ``kernel_flipped``, ``not_flipped``, ``transposed_matrix``, ``wrong_mode``, ``same_offset``,
  ``stride_ignored``, ``window_shifted``, ``max_avg_swapped``, ``averages_rounded``: exact kinds.
* ``wrong_cells``: which cells of a matrix answer are wrong (always given for a wrong matrix of the
  right shape); ``wrong_shape`` when its shape differs.
"""

from __future__ import annotations

from typing import Any, Callable

from convcalc.diagnose.matrices import check_correlate, check_pool_exact
from convcalc.diagnose.padding import check_same_padding
from convcalc.diagnose.sizes import check_outsize, check_pool, check_transposed
from convcalc.diagnose.stacks import check_macs, check_params, check_rf, check_stack_shape
from convcalc.diagnose.verdict import Diagnosis, Verdict, exact_equal, plain, sizes_equal

__all__ = ["CHECKERS", "Diagnosis", "Verdict", "sizes_equal", "exact_equal", "plain"]


CHECKERS: dict[str, Callable[[dict[str, Any]], Verdict]] = {
    "outsize": check_outsize,
    "transposed": check_transposed,
    "pool": check_pool,
    "same_padding": check_same_padding,
    "correlate": check_correlate,
    "convolve": check_correlate,
    "pool_exact": check_pool_exact,
    "stack_shape": check_stack_shape,
    "params": check_params,
    "macs": check_macs,
    "rf": check_rf,
}
