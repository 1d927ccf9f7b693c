"""ChannelSlice and ChannelShuffle against PyTorch 2.13: shapes from a forward pass, the values a shuffle
moves, ShuffleNet v2 units built as convcalc graphs (spec language and functional API) against
PyTorch modules written the way torchvision's are, and the inputs that must be refused."""

from __future__ import annotations

import pytest

from convcalc import ConvCalcError, summarize
from convcalc import layers as L
from convcalc.graph import Concat, Input, Model
from convcalc.spec import parse_spec

torch = pytest.importorskip("torch")
nn = torch.nn


def _shuffle(x, groups):  # noqa: ANN001, ANN201 - torchvision's channel_shuffle, written out
    n, c, h, w = x.shape
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).contiguous().view(n, -1, h, w)


@pytest.mark.parametrize(("start", "stop", "shape"), [(0, 58, (116, 7, 9)), (58, 116, (116, 7, 9)), (2, 3, (5, 4)),
                                                      (0, 5, (5, 4)), (3, 10, (12,)), (1, 4, (6, 2, 3, 4))])
def test_slice_shape_is_the_forward_pass(start: int, stop: int, shape: tuple[int, ...]) -> None:
    layer = L.ChannelSlice(start, stop)
    out = torch.zeros(2, *shape)[:, start:stop]
    assert layer.output_shape(shape) == tuple(out.shape[1:])
    assert layer.param_count(shape) == L.Params(0, 0)
    assert layer.rf_step(shape) == (L.RFStep(1, 1, 0, 1),) * (len(shape) - 1)
    for convention in ("torchvision", "torchinfo", "fvcore", "ptflops", "thop"):
        assert layer.macs_under(convention, shape, layer.output_shape(shape)) == 0


@pytest.mark.parametrize(("channels", "chunks"), [(116, 2), (5, 4), (7, 3), (6, 6), (3, 1), (1, 4), (10, 4)])
def test_chunk_slices_are_torch_chunk(channels: int, chunks: int) -> None:
    parts = torch.zeros(1, channels, 2, 2).chunk(chunks, dim=1)
    slices = L.chunk_slices(channels, chunks)
    assert [s.output_shape((channels, 2, 2)) for s in slices] == [tuple(p.shape[1:]) for p in parts]


@pytest.mark.parametrize(("channels", "chunks"), [(116, 2), (5, 4), (7, 3), (6, 6), (3, 1), (1, 4), (10, 4)])
def test_channel_chunk_is_torch_chunk_whatever_the_channels(channels: int, chunks: int) -> None:
    parts = torch.zeros(1, channels, 3, 2).chunk(chunks, dim=1)
    for index in range(chunks):
        layer = L.ChannelChunk(chunks, index)
        if index < len(parts):
            assert layer.output_shape((channels, 3, 2)) == tuple(parts[index].shape[1:])
            assert layer.param_count((channels, 3, 2)).total == 0
        else:  # torch.chunk gives fewer parts than asked: the missing part is an error naming both counts
            with pytest.raises(ConvCalcError, match=f"{channels} channels give {len(parts)} parts"):
                layer.output_shape((channels, 3, 2))


def test_split_slices_are_torch_split() -> None:
    parts = torch.zeros(1, 10, 2, 2).split([3, 5, 2], dim=1)
    slices = L.split_slices(10, [3, 5, 2])
    assert [s.output_shape((10, 2, 2)) for s in slices] == [tuple(p.shape[1:]) for p in parts]
    with pytest.raises(ConvCalcError, match="add up to the 10 channels. Got \\(3, 5\\)"):
        L.split_slices(10, [3, 5])  # a split that does not cover the channels
    with pytest.raises(ConvCalcError, match="'sizes'"):
        L.split_slices(10, [3, 8, -1])


@pytest.mark.parametrize("groups", [1, 2, 3, 4, 12])
def test_shuffle_is_nn_channel_shuffle_and_torchvisions(groups: int) -> None:
    x = torch.arange(2 * 12 * 3 * 5, dtype=torch.float32).reshape(2, 12, 3, 5)
    module_out = nn.ChannelShuffle(groups)(x)
    assert torch.equal(module_out, _shuffle(x, groups))  # the layer convcalc models is the one torchvision writes
    assert L.ChannelShuffle(groups).output_shape((12, 3, 5)) == tuple(module_out.shape[1:])
    assert L.ChannelShuffle(groups).param_count((12, 3, 5)).total == 0 == sum(
        p.numel() for p in nn.ChannelShuffle(groups).parameters())


BAD = [
    (L.ChannelShuffle(3), (116, 28, 28), r"ChannelShuffle\(3\) needs channels divisible by groups=3; got 116 channels"),
    (L.ChannelShuffle(4), (6,), "divisible by groups=4; got 6"),
    (L.ChannelSlice(0, 120), (116, 28, 28), r"stop=120 <= the input's 116 channels"),
    (L.ChannelSlice(116, 117), (116, 4, 4), "stop=117"),
    (L.ChannelSlice(0, 1), (), "needs an input with a channel axis"),
]


@pytest.mark.parametrize(("layer", "shape", "match"), BAD, ids=[str(b[0]) + str(b[1]) for b in BAD])
def test_impossible_inputs_are_refused_naming_both(layer: L.Layer, shape: tuple[int, ...], match: str) -> None:
    with pytest.raises(ConvCalcError, match=match):
        layer.output_shape(shape)
    with pytest.raises(ConvCalcError, match=match):
        layer.rf_step(shape)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: L.ChannelSlice(5, 5), "'stop' parameter must be an int > start=5"),
    (lambda: L.ChannelSlice(-1, 5), "'start' parameter must be an int >= 0"),
    (lambda: L.ChannelSlice(0, 2.5), "'stop'"),
    (lambda: L.ChannelShuffle(0), "'groups' parameter must be an int >= 1"),
    (lambda: L.ChannelShuffle(True), "'groups'"),
    (lambda: L.chunk_slices(8, 0), "'chunks'"),
    (lambda: L.ChannelChunk(2, 2), "'index' parameter must be an int from 0 to chunks - 1 = 1"),
    (lambda: L.ChannelChunk(0), "'chunks'"),
    (lambda: L.chunk_slices(0, 2), "'channels'"),
])
def test_bad_fields_are_refused(call, match: str) -> None:  # noqa: ANN001
    with pytest.raises(ConvCalcError, match=match):
        call()


def test_spec_spellings() -> None:
    assert parse_spec("slice(0, 58) channelslice(start=2, stop=4) shuffle(2) ChannelShuffle(groups=2) "
                      "nn.ChannelShuffle(3) chunk(2, 1)") == [L.ChannelSlice(0, 58), L.ChannelSlice(2, 4), L.ChannelShuffle(2),
                                                             L.ChannelShuffle(2), L.ChannelShuffle(3), L.ChannelChunk(2, 1)]
    assert str(L.ChannelSlice(0, 58)) == "ChannelSlice(0, 58)" and str(L.ChannelShuffle(2)) == "ChannelShuffle(2)"
    assert parse_spec(str(L.ChannelSlice(3, 9))) == [L.ChannelSlice(3, 9)]  # the label reads back
    with pytest.raises(ConvCalcError, match="'groups'"):
        parse_spec("shuffle(0)")


class _Unit(nn.Module):
    """A stride-1 ShuffleNet v2 unit as torchvision writes it: chunk, branch on the second half, cat, shuffle."""

    def __init__(self, c: int) -> None:
        super().__init__()
        half = c // 2
        self.branch2 = nn.Sequential(nn.Conv2d(half, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU(),
                                     nn.Conv2d(half, half, 3, padding=1, groups=half, bias=False),
                                     nn.BatchNorm2d(half), nn.Conv2d(half, half, 1, bias=False),
                                     nn.BatchNorm2d(half), nn.ReLU())

    def forward(self, x):  # noqa: ANN001, ANN201
        x1, x2 = x.chunk(2, dim=1)
        return _shuffle(torch.cat((x1, self.branch2(x2)), dim=1), 2)


def test_a_shufflenet_unit_in_the_spec_language_and_the_functional_api() -> None:
    c, half = 116, 58
    module = _Unit(c).eval()
    with torch.no_grad():
        out = module(torch.zeros(1, c, 28, 28))
    params = sum(p.numel() for p in module.parameters())
    branch = f"conv({half},1,bias=false) bn relu dwconv(3,p=1,bias=false) bn conv({half},1,bias=false) bn relu"
    spec = summarize(parse_spec(f"input({c}x28x28) cat[slice(0,{half}) | slice({half},{c}) {branch}] shuffle(2)"))
    chunked = summarize(parse_spec(f"input({c}x28x28) cat[chunk(2,0) | chunk(2,1) {branch}] shuffle(2)"))
    x = Input((c, 28, 28))
    first, second = (s(x) for s in L.chunk_slices(c, 2))
    y = second
    for layer in parse_spec(branch):
        y = layer(y)
    functional = summarize(Model(x, L.ChannelShuffle(2)(Concat()(first, y))))
    for summary in (spec, chunked, functional):
        assert summary.output_shape == tuple(out.shape[1:])
        assert summary.trainable_params == params
        assert summary.layers[-1].rf == (3, 3)  # one 3x3 depthwise on the branch; the slices and shuffle add none
