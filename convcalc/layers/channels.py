"""Channel-axis moves without arithmetic: a slice of the channels and ShuffleNet's channel shuffle.

``ChannelSlice(start, stop)`` keeps channels ``start .. stop - 1`` (Python's half-open
range), as ``x[:, start:stop]``, one output of ``torch.chunk(x, n, dim=1)`` /
``torch.split(x, sizes, dim=1)`` or of ONNX's ``Split``/``Slice`` on axis 1. A split
into several parts is one node per part, each a ``ChannelSlice`` of the same input
(:func:`chunk_slices`, :func:`split_slices`); ``ChannelChunk(chunks, index)`` is part
``index`` of ``torch.chunk(x, chunks, dim=1)`` with its bounds taken from the input's
channels when the graph is analysed (what an importer writes when it does not know the
channel count). ``ChannelShuffle(groups)`` is
ShuffleNet's shuffle (Zhang et al. 2018, section 3.1; Ma et al. 2018 for v2):
``(C, ...)`` viewed as ``(groups, C/groups, ...)``, the first two axes swapped and
flattened back, as ``torch.nn.ChannelShuffle(groups)``. Neither has parameters or
multiply-accumulates, and neither moves a position: the receptive-field step is the
identity on every spatial axis.

Examples
--------
>>> ChannelSlice(0, 58).output_shape((116, 28, 28)), ChannelShuffle(2).output_shape((116, 28, 28))
((58, 28, 28), (116, 28, 28))
>>> [str(s) for s in chunk_slices(116, 2)]
['ChannelSlice(0, 58)', 'ChannelSlice(58, 116)']
"""

from __future__ import annotations

from dataclasses import dataclass

from convcalc.errors import ConvCalcError, invalid
from convcalc.layers._base import Layer, RFStep, Shape
from convcalc.layers._checks import _is_int, _Uncounted
from convcalc.layers._registry import register

__all__ = ["ChannelSlice", "ChannelChunk", "ChannelShuffle", "chunk_slices", "split_slices"]

_IDENTITY = RFStep(1, 1, 0, 1)


def _channels(layer: Layer, in_shape: Shape) -> int:
    if len(in_shape) < 1 or not all(_is_int(n) for n in in_shape[:1]):
        raise ConvCalcError(f"{layer.describe()} needs an input with a channel axis, (C, ...); got {tuple(in_shape)}")
    return in_shape[0]


@register(names=("channelslice", "slice"), positional=("start", "stop"),
          not_trained="the trainer has no channel slice yet (a split of the channels is a graph of slices)")
@dataclass(frozen=True)
class ChannelSlice(_Uncounted, Layer):
    """Channels ``start`` to ``stop - 1`` of ``(C, ...)``, as ``x[:, start:stop]`` in PyTorch.

    ``0 <= start < stop <= C``; the output has ``stop - start`` channels and the same
    positions. One output of ``torch.chunk``/``torch.split`` along ``dim=1`` or of
    ONNX's ``Split``/``Slice`` on axis 1.

    Examples
    --------
    >>> ChannelSlice(58, 116).output_shape((116, 28, 28))
    (58, 28, 28)
    >>> ChannelSlice(0, 120).output_shape((116, 28, 28))
    Traceback (most recent call last):
    ...
    convcalc.errors.ConvCalcError: ChannelSlice(0, 120) needs stop=120 <= the input's 116 channels (shape (116, 28, 28))
    """

    start: int
    stop: int

    def __post_init__(self) -> None:
        if not _is_int(self.start) or self.start < 0:
            raise invalid("start", self.start, "an int >= 0 (the first channel kept)")
        if not _is_int(self.stop) or self.stop <= self.start:
            raise invalid("stop", self.stop, f"an int > start={self.start} (one past the last channel kept)")

    def output_shape(self, in_shape: Shape) -> Shape:
        channels = _channels(self, in_shape)
        if self.stop > channels:
            raise ConvCalcError(f"{self.describe()} needs stop={self.stop} <= the input's {channels} channels "
                                f"(shape {tuple(in_shape)})")
        return (self.stop - self.start, *in_shape[1:])

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        """The identity on every spatial axis: a slice of the channels moves no position."""
        self.output_shape(in_shape)
        return (_IDENTITY,) * (len(in_shape) - 1)

    def describe(self) -> str:
        return f"ChannelSlice({self.start}, {self.stop})"


@register(names=("channelchunk", "chunk"), positional=("chunks", "index"),
          not_trained="the trainer has no channel split yet (a split of the channels is a graph of chunks)")
@dataclass(frozen=True)
class ChannelChunk(_Uncounted, Layer):
    """Part ``index`` of ``torch.chunk(x, chunks, dim=1)``: :class:`ChannelSlice` bounds from the input's channels.

    PyTorch's rule: parts of ``ceil(C / chunks)`` channels, the last one what is left,
    so ``C`` may give fewer than ``chunks`` parts (5 channels in 4 chunks: 2, 2, 1);
    an ``index`` past the last part is an error naming both.

    Examples
    --------
    >>> ChannelChunk(2, 1).output_shape((116, 28, 28)), ChannelChunk(2, 1).bounds(116)
    ((58, 28, 28), (58, 116))
    >>> ChannelChunk(4, 3).output_shape((5, 2, 2))
    Traceback (most recent call last):
    ...
    convcalc.errors.ConvCalcError: ChannelChunk(4, 3) needs part 3 of torch.chunk(x, 4, dim=1), but 5 channels give 3 parts (shape (5, 2, 2))
    """

    chunks: int
    index: int = 0

    def __post_init__(self) -> None:
        if not _is_int(self.chunks) or self.chunks < 1:
            raise invalid("chunks", self.chunks, "an int >= 1")
        if not _is_int(self.index) or not 0 <= self.index < self.chunks:
            raise invalid("index", self.index, f"an int from 0 to chunks - 1 = {self.chunks - 1}")

    def bounds(self, channels: int) -> tuple[int, int]:
        """``(start, stop)`` of this part on ``channels`` channels (:func:`chunk_slices`'s rule)."""
        parts = chunk_slices(channels, self.chunks)
        if self.index >= len(parts):
            raise ConvCalcError(f"{self.describe()} needs part {self.index} of torch.chunk(x, {self.chunks}, dim=1), "
                                f"but {channels} channels give {len(parts)} parts")
        return parts[self.index].start, parts[self.index].stop

    def output_shape(self, in_shape: Shape) -> Shape:
        channels = _channels(self, in_shape)
        try:
            start, stop = self.bounds(channels)
        except ConvCalcError as error:
            raise ConvCalcError(f"{error} (shape {tuple(in_shape)})") from None
        return (stop - start, *in_shape[1:])

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        """The identity on every spatial axis, as :class:`ChannelSlice`."""
        self.output_shape(in_shape)
        return (_IDENTITY,) * (len(in_shape) - 1)

    def describe(self) -> str:
        return f"ChannelChunk({self.chunks}, {self.index})"


@register(names=("channelshuffle", "shuffle"), positional=("groups",), torch_names=("ChannelShuffle",),
          torch_positional=("groups",), not_trained="the trainer has no channel shuffle yet")
@dataclass(frozen=True)
class ChannelShuffle(_Uncounted, Layer):
    """ShuffleNet's channel shuffle, as ``torch.nn.ChannelShuffle(groups)``: shape unchanged.

    ``(C, ...)`` is viewed as ``(groups, C/groups, ...)``, the two axes are swapped and
    flattened back (torchvision's ``channel_shuffle``: ``view``, ``transpose(1, 2)``,
    ``view``). ``C`` must be divisible by ``groups``.

    Examples
    --------
    >>> ChannelShuffle(2).output_shape((116, 28, 28))
    (116, 28, 28)
    >>> ChannelShuffle(3).output_shape((116, 28, 28))
    Traceback (most recent call last):
    ...
    convcalc.errors.ConvCalcError: ChannelShuffle(3) needs channels divisible by groups=3; got 116 channels (shape (116, 28, 28))
    """

    groups: int

    def __post_init__(self) -> None:
        if not _is_int(self.groups) or self.groups < 1:
            raise invalid("groups", self.groups, "an int >= 1")

    def output_shape(self, in_shape: Shape) -> Shape:
        channels = _channels(self, in_shape)
        if channels % self.groups:
            raise ConvCalcError(f"{self.describe()} needs channels divisible by groups={self.groups}; "
                                f"got {channels} channels (shape {tuple(in_shape)})")
        return tuple(in_shape)

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        """The identity on every spatial axis: channels move, positions do not."""
        self.output_shape(in_shape)
        return (_IDENTITY,) * (len(in_shape) - 1)

    def describe(self) -> str:
        return f"ChannelShuffle({self.groups})"


def chunk_slices(channels: int, chunks: int) -> list[ChannelSlice]:
    """The parts of ``torch.chunk(x, chunks, dim=1)`` on ``channels`` channels, one slice each.

    PyTorch's rule: every part has ``ceil(channels / chunks)`` channels but the last,
    which has what is left, so there may be fewer than ``chunks`` parts
    (``torch.chunk`` of 5 channels into 4 gives sizes 2, 2, 1).

    >>> [(s.start, s.stop) for s in chunk_slices(5, 4)]
    [(0, 2), (2, 4), (4, 5)]
    """
    if not _is_int(channels) or channels < 1:
        raise invalid("channels", channels, "an int >= 1")
    if not _is_int(chunks) or chunks < 1:
        raise invalid("chunks", chunks, "an int >= 1")
    size = -(-channels // chunks)
    return [ChannelSlice(start, min(start + size, channels)) for start in range(0, channels, size)]


def split_slices(channels: int, sizes: tuple[int, ...] | list[int]) -> list[ChannelSlice]:
    """The parts of ``torch.split(x, sizes, dim=1)`` (or ONNX's ``Split`` with ``split=sizes``), one slice each.

    The sizes must cover the channels exactly: their sum is ``channels``.

    >>> [str(s) for s in split_slices(116, (58, 58))]
    ['ChannelSlice(0, 58)', 'ChannelSlice(58, 116)']
    >>> split_slices(116, (58, 50))
    Traceback (most recent call last):
    ...
    convcalc.errors.ConvCalcError: The 'sizes' parameter must be ints >= 1 that add up to the 116 channels. Got (58, 50).
    """
    sizes = tuple(sizes)
    if not sizes or not all(_is_int(s) and s >= 1 for s in sizes) or sum(sizes) != channels:
        raise invalid("sizes", sizes, f"ints >= 1 that add up to the {channels} channels")
    bounds = [sum(sizes[:i]) for i in range(len(sizes) + 1)]
    return [ChannelSlice(lo, hi) for lo, hi in zip(bounds, bounds[1:])]
