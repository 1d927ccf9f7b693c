"""The ONNX operators on the channel axis and the window-setting ones that need the shapes before them.

Used by :mod:`convcalc.importers.onnx_model` (which reads the file): each function takes one
node (the reader's ``_Node``: its attributes, inputs and, when convcalc knows it, its data
input's shape ``(C, *spatial)``) and the constant values read so far, and answers with a spec
call or raises :class:`~convcalc.ConvCalcError` with the reason the reader writes on an
unsupported row.

- ``Slice``/``Split`` on axis 1: :class:`~convcalc.layers.ChannelSlice` bounds, as ONNX clamps
  them (negative values count from the end; ends past the channels stop there).
- torchvision's channel shuffle as the TorchScript exporter writes it: ``Reshape`` to
  ``(N, g, C/g, H, W)``, ``Transpose`` ``perm=[0, 2, 1, 3, 4]``, ``Reshape`` back to ``(N, C, H, W)``.
- ``ReduceMean``/``ReduceMax`` over H and W: a global pool.
- ``Resize``/``Upsample``: convcalc's ``Upsample`` (``o = floor(n * scale)``, ONNX's rule for
  ``coordinate_transformation_mode`` other than ``tf_crop_and_resize``), nearest or linear.
- ``Pad`` with constant zeros: ``ZeroPadding``; negative pads: ``Cropping``.
"""

from __future__ import annotations

from typing import Any

from convcalc.errors import ConvCalcError
from convcalc.importers._model import ImportedRow

__all__ = ["row_shape", "channel_op", "split_bounds"]

_Node = Any  # convcalc.importers.onnx_model._Node (imported here it would be a cycle)

def row_shape(row: ImportedRow, known: dict[str, tuple[int, ...] | None]) -> tuple[int, ...] | None:
    """The output shape convcalc computes for ``row`` from its inputs' (``None`` when it cannot)."""
    from convcalc.graph import Merge

    inputs = [known.get(name) for name in (row.inputs or ())]
    if row.status == "unsupported" or not inputs or any(shape is None for shape in inputs):
        return None
    shape: Any = inputs[0]
    try:
        for i, layer in enumerate(row.layers):
            shape = layer.merge_shape([s for s in inputs if s is not None]) if i == 0 and isinstance(layer, Merge) \
                else layer.output_shape(shape)
    except ConvCalcError:
        return None
    return tuple(shape)


def _ints(value: Any) -> list[int] | None:
    return list(value) if value is not None and all(isinstance(v, int) for v in value) else None


def _resolve(target: list[Any], full_in: list[Any]) -> list[Any] | None:
    """A Reshape target with ONNX's ``0`` (copy the input's size) and ``-1`` (what is left) filled in."""
    out = [full_in[i] if t == 0 and i < len(full_in) else t for i, t in enumerate(target)]
    rest = [v for v in out[1:] if v != -1]
    if not all(isinstance(v, int) and v > 0 for v in rest) or out[1:].count(-1) > 1:
        return None
    if -1 in out[1:]:
        total = 1
        for v in full_in[1:]:
            total *= v
        known = 1
        for v in rest:
            known *= v
        if total % known:
            return None
        out[out.index(-1, 1)] = total // known
    return out


def channel_op(node: _Node, data: str, in_shape: tuple[int, ...] | None, pending: dict[str, tuple[Any, ...]],
                values: dict[str, Any]) -> tuple[Any, ...] | None:
    """Channel slices, torchvision's channel shuffle (Reshape to 5-d, Transpose, Reshape back) and global means.

    Returns ``None`` for another node, ``("hold", state)`` for a middle step of the shuffle, or
    ``(status, spec text, reason)``.
    """
    op, inputs = node.op, list(node.node.input)
    if data in pending:
        step, groups, chw = pending[data]
        if step == 1 and op == "Transpose" and list(node.attrs.get("perm", [])) == [0, 2, 1, 3, 4]:
            return "hold", (2, groups, chw)
        if step == 2 and op == "Reshape" and node.has_input(1):
            target = values.get(inputs[1])
            c, h, w = chw
            resolved = _resolve(list(target), [1, c // groups, groups, h, w]) if target is not None else None
            if resolved is not None and len(resolved) == 4 and tuple(resolved[1:]) == chw:
                return "ok", f"ChannelShuffle({groups})", ""
        raise ConvCalcError(f"a Reshape to (N, {groups}, C/{groups}, H, W) followed by {op} is not read "
                            "(the channel shuffle is Reshape, Transpose perm=[0, 2, 1, 3, 4], Reshape back)")
    if op == "Reshape" and in_shape is not None and len(in_shape) == 3 and node.has_input(1):
        target = values.get(inputs[1])
        resolved = _resolve(list(target), [1, *in_shape]) if target is not None and len(target) == 5 else None
        if resolved is not None and resolved[1] * resolved[2] == in_shape[0] and tuple(resolved[3:]) == in_shape[1:]:
            return "hold", (1, resolved[1], tuple(in_shape))
        return None
    if op == "Slice":
        if in_shape is None:
            raise ConvCalcError("Slice of an activation whose shape convcalc does not know is not read")
        if node.has_input(1):
            starts, ends = (_ints(values.get(inputs[i])) for i in (1, 2))
            axes = _ints(values.get(inputs[3])) if node.has_input(3) else list(range(len(starts or ())))
            steps = _ints(values.get(inputs[4])) if node.has_input(4) else [1] * len(starts or ())
        else:  # opset < 10: attributes
            starts, ends = list(node.attrs.get("starts", [])), list(node.attrs.get("ends", []))
            axes, steps = list(node.attrs.get("axes", range(len(starts)))), [1] * len(starts)
        if starts is None or ends is None or axes is None or steps is None:
            raise ConvCalcError("Slice with bounds that are not constants is not read")
        rank = len(in_shape) + 1
        if [a % rank for a in axes] != [1] or steps != [1]:
            raise ConvCalcError(f"Slice on axes {axes} with steps {steps} is not read "
                                "(only a slice of the channels, axis 1, step 1, is)")
        channels = in_shape[0]
        lo, hi = (min(max(v + channels if v < 0 else v, 0), channels) for v in (starts[0], ends[0]))
        if lo >= hi:
            raise ConvCalcError(f"Slice [{starts[0]}:{ends[0]}] of {channels} channels is empty")
        return "ok", f"ChannelSlice({lo}, {hi})", ""
    if op in ("ReduceMean", "ReduceMax"):
        axes = node.attrs.get("axes")
        if axes is None and node.has_input(1):
            axes = _ints(values.get(inputs[1]))
        keep = bool(node.attrs.get("keepdims", 1))
        rank = len(in_shape) + 1 if in_shape is not None else 4
        if axes is None or rank != 4 or sorted(a % 4 for a in axes) != [2, 3]:
            raise ConvCalcError(f"{op} over axes {axes} is not read (only over H and W of (N, C, H, W) is)")
        return "ok", f"{'GlobalAvgPool2D' if op == 'ReduceMean' else 'GlobalMaxPool2D'}(keepdims={keep})", ""
    if op in ("Resize", "Upsample"):
        return _resize(node, in_shape, values)
    if op == "Pad":
        return _pad(node, in_shape, values)
    return None


def split_bounds(node: _Node, in_shape: tuple[int, ...] | None, values: dict[str, Any]) -> list[tuple[int, int]]:
    """The channel bounds of each output of a ``Split`` on axis 1 (sizes given, or ``num_outputs``/equal parts)."""
    if in_shape is None:
        raise ConvCalcError("Split of an activation whose shape convcalc does not know is not read")
    rank = len(in_shape) + 1
    axis = int(node.attrs.get("axis", 0))
    if axis % rank != 1:
        raise ConvCalcError(f"Split along axis {axis} is not read (only along the channels, axis 1)")
    channels, parts = in_shape[0], len(node.node.output)
    sizes = _ints(values.get(node.node.input[1])) if node.has_input(1) else node.attrs.get("split")
    if sizes is None and node.has_input(1):
        raise ConvCalcError("Split whose sizes are not constants is not read")
    if sizes is None:  # num_outputs (opset 18): ceil(C / n) each, the last smaller; before: equal parts
        size = -(-channels // parts)
        if "num_outputs" not in node.attrs and channels % parts:
            raise ConvCalcError(f"Split of {channels} channels into {parts} equal parts is impossible")
        sizes = [min(size, channels - i * size) for i in range(parts)]
    sizes = list(sizes)
    if len(sizes) != parts or sum(sizes) != channels or min(sizes) < 1:
        raise ConvCalcError(f"Split sizes {sizes} do not cover the {channels} channels in {parts} parts")
    starts = [sum(sizes[:i]) for i in range(parts)]
    return [(a, a + n) for a, n in zip(starts, sizes)]


def _resize(node: _Node, in_shape: tuple[int, ...] | None, values: dict[str, Any]) -> tuple[str, str, str]:
    """``Resize``/``Upsample`` as convcalc's Upsample: ``floor(n * scale)`` per axis, or the given sizes."""
    mode = node.attrs.get("mode", b"nearest")
    mode = mode.decode() if isinstance(mode, bytes) else str(mode)
    policy = node.attrs.get("keep_aspect_ratio_policy", b"stretch")
    if (policy.decode() if isinstance(policy, bytes) else str(policy)) != "stretch" or "axes" in node.attrs:
        raise ConvCalcError("Resize with keep_aspect_ratio_policy or axes is not read")
    if mode not in ("nearest", "linear"):
        raise ConvCalcError(f"Resize mode {mode!r} is not read (convcalc's Upsample is nearest or bilinear)")
    inputs = list(node.node.input)
    scales_at, sizes_at = (1, None) if node.op == "Upsample" else (2, 3)
    scales = values.get(inputs[scales_at]) if len(inputs) > scales_at and inputs[scales_at] else None
    sizes = values.get(inputs[sizes_at]) if sizes_at is not None and node.has_input(sizes_at) else None
    if node.op == "Upsample" and scales is None:
        scales = node.attrs.get("scales")
    rank = len(in_shape) + 1 if in_shape is not None else None
    if mode == "linear" and rank not in (4, None):
        raise ConvCalcError("Resize linear of other than (N, C, H, W) is not read (convcalc's bilinear is 2-d)")
    how = "bilinear" if mode == "linear" else "nearest"
    if scales:
        if len(scales) < 3 or list(scales[:2]) != [1.0, 1.0] or not all(isinstance(v, float) for v in scales):
            raise ConvCalcError(f"Resize with scales {scales} is not read (the batch and channels must keep scale 1)")
        factors = tuple(float(v) for v in scales[2:])
        return "ok", f"Upsample(scale_factor={factors}, mode='{how}')", ""
    if sizes and all(isinstance(v, int) for v in sizes[2:]) and len(sizes) >= 3:
        if in_shape is not None and sizes[1] != in_shape[0]:
            raise ConvCalcError(f"Resize to sizes {sizes} changes the channels")
        return "ok", f"Upsample(size={tuple(sizes[2:])}, mode='{how}')", ""
    raise ConvCalcError("Resize whose scales or sizes are not constants is not read")


def _pad(node: _Node, in_shape: tuple[int, ...] | None, values: dict[str, Any]) -> tuple[str, str, str]:
    """``Pad`` with constant zeros as ZeroPadding, a negative one as Cropping; other modes are refused."""
    mode = node.attrs.get("mode", b"constant")
    mode = mode.decode() if isinstance(mode, bytes) else str(mode)
    if mode != "constant":
        raise ConvCalcError(f"Pad mode {mode!r} is not read (convcalc's padding layer pads zeros)")
    inputs = list(node.node.input)
    pads = _ints(values.get(inputs[1])) if node.has_input(1) else list(node.attrs.get("pads", []))
    if pads is None:
        raise ConvCalcError("Pad whose pads are computed by nodes convcalc does not evaluate is not read")
    fill = values.get(inputs[2]) if node.has_input(2) else [node.attrs.get("value", 0.0)]
    if fill is None or len(fill) != 1 or fill[0] != 0:
        raise ConvCalcError(f"Pad with the constant {fill} is not read (only zeros are)")
    if node.has_input(3):
        raise ConvCalcError("Pad with axes is not read")
    rank = len(pads) // 2
    if in_shape is not None and rank != len(in_shape) + 1 or rank not in (3, 4, 5):
        raise ConvCalcError(f"Pad with pads {pads} is not read")
    if pads[0] or pads[1] or pads[rank] or pads[rank + 1]:
        raise ConvCalcError(f"Pad of the batch or channel axis (pads {pads}) is not read")
    pairs = tuple(zip(pads[2:rank], pads[rank + 2:]))
    nd = rank - 2
    if all(v >= 0 for pair in pairs for v in pair):
        return "ok", f"ZeroPad{nd}D({pairs if nd > 1 else pairs[0]})", ""
    if all(v <= 0 for pair in pairs for v in pair):
        return "ok", f"Cropping{nd}D({tuple((-a, -b) for a, b in pairs) if nd > 1 else (-pairs[0][0], -pairs[0][1])})", ""
    raise ConvCalcError(f"Pad that pads some sides and crops others (pads {pads}) is not read")
