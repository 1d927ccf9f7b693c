"""``convcalc.from_torch``: a live module read through ``torch.fx`` tracing, checked against its forward pass."""

from __future__ import annotations

import pytest

import convcalc
from convcalc import summarize
from convcalc.errors import ConvCalcError, ConvCalcTypeError

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional


class MnistNet(nn.Module):
    """The PyTorch MNIST example: functional relu and max-pool, flatten in forward()."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return F.log_softmax(self.fc2(F.relu(self.fc1(x))), dim=1)


class ViewNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 5, stride=2, padding=2), nn.BatchNorm2d(8), nn.ReLU(),
                                      nn.MaxPool2d(3, stride=2, ceil_mode=True))
        self.head = nn.Linear(8 * 8 * 8, 4)

    def forward(self, x):
        x = self.features(x)
        return self.head(x.view(x.size(0), -1))


class Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        return torch.relu(self.conv(x) + x)


@pytest.mark.parametrize("factory, shape", [(MnistNet, (1, 28, 28)), (ViewNet, (3, 32, 32))])
def test_traced_module_matches_its_forward(factory, shape):
    model = factory().eval()
    imported = convcalc.from_torch(model, shape)
    assert {row.status for row in imported.rows} == {"ok"}, imported.rows
    summary = summarize(imported.layers, imported.input_shape)
    with torch.no_grad():
        out = model(torch.zeros(1, *shape))
    assert summary.output_shape == tuple(out.shape[1:])
    assert summary.trainable_params == sum(p.numel() for p in model.parameters())


class Inception(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(4, 3, 1)
        self.b = nn.Sequential(nn.Conv2d(4, 2, 1), nn.ReLU(), nn.Conv2d(2, 5, 3, padding=1))
        self.pool = nn.MaxPool2d(3, stride=1, padding=1)

    def forward(self, x):
        return torch.cat([self.a(x), self.b(x), self.pool(x)], dim=1)


@pytest.mark.parametrize("factory, shape", [(Residual, (4, 8, 8)), (Inception, (4, 9, 9))])
def test_branching_modules_are_graphs(factory, shape):
    model = factory().eval()
    imported = convcalc.from_torch(model, shape)
    assert imported.branches and {row.status for row in imported.rows} == {"ok"}, imported.rows
    summary = summarize(imported.graph(), imported.input_shape)
    with torch.no_grad():
        assert summary.output_shape == tuple(model(torch.zeros(1, *shape)).shape[1:])
    assert summary.trainable_params == sum(p.numel() for p in model.parameters())


def test_untraceable_forward_is_one_error():
    class Branchy(nn.Module):
        def forward(self, x):
            return x if x.sum() > 0 else -x

    with pytest.raises(ConvCalcError, match="torch.fx cannot trace Branchy"):
        convcalc.from_torch(Branchy())


def test_not_a_module():
    with pytest.raises(ConvCalcTypeError, match="torch.nn.Module"):
        convcalc.from_torch("resnet18")


class _EvalBlock(nn.Module):
    """torchvision's EfficientNet/ShuffleNet idioms: stochastic depth (identity in eval, torchvision's
    ``stochastic_depth(x, p, mode, training)`` written out here), dropout given ``training=self.training``,
    and sizes read with ``x.size()`` whose items feed arithmetic."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.head = nn.Linear(4, 3)

    def forward(self, x):
        batch, channels, height, width = x.size()
        y = stochastic_depth(self.conv(x), 0.2, "row", self.training)
        x = nn.functional.dropout(y + x, 0.5, training=self.training)
        x = nn.functional.adaptive_avg_pool2d(x, 1).view(batch, channels // 1)
        return self.head(x)


class _Shuffle(nn.Module):
    """ShuffleNet's channel shuffle: a view to (batch, groups, C/groups, H, W) is not a flatten."""

    def forward(self, x):
        batch, channels, height, width = x.size()
        x = x.view(batch, 2, channels // 2, height, width)
        return x.view(x.shape[0], -1)


def test_a_5d_view_that_is_not_a_shuffle_says_why():
    rows = convcalc.from_torch(_Shuffle(), (4, 3, 3)).rows
    assert [(row.status, row.source, row.inputs) for row in rows] == [("unsupported", "view", ("",))]
    assert "followed by call_method view is not read (the channel shuffle is view, transpose(1, 2), view back)" \
        in rows[0].reason


def stochastic_depth(x, p, mode, training=True):
    """torchvision.ops.stochastic_depth's signature (fx records the call by this name)."""
    if not training or p == 0.0:
        return x
    keep = torch.empty([x.shape[0]] + [1] * (x.ndim - 1)).bernoulli_(1 - p)
    return x * keep / (1 - p)


torch.fx.wrap("stochastic_depth")


def test_eval_identities_and_shape_arithmetic():
    model = _EvalBlock().eval()
    imported = convcalc.from_torch(model, (4, 6, 5))
    assert {row.status for row in imported.rows} == {"ok"}, imported.rows
    assert not any("getitem" in row.path or "floordiv" in row.path for row in imported.rows)
    summary = summarize(imported.graph(), (4, 6, 5))
    with torch.no_grad():
        assert summary.output_shape == tuple(model(torch.zeros(2, 4, 6, 5)).shape[1:])
    assert summary.trainable_params == sum(p.numel() for p in model.parameters())
    kept = [row.source for row in imported.rows if row.status == "ok"]
    assert kept.count("stochastic_depth") == 1 and kept.count("dropout") == 1  # identity rows, no layers
    assert all(not row.layers for row in imported.rows if row.source in ("stochastic_depth", "dropout"))


def test_stochastic_depth_in_training_mode_is_a_row():
    imported = convcalc.from_torch(_EvalBlock().train(), (4, 6, 5))
    row = next(r for r in imported.rows if "stochastic_depth" in r.path)
    assert row.status == "unsupported" and "model.eval()" in row.reason


# --------------------------------------------------------------------------- channel splits and shuffles (ShuffleNet)
def channel_shuffle(x, groups):
    """torchvision's channel_shuffle as shufflenetv2.py writes it (sizes from x.size(), view/transpose/view)."""
    batchsize, num_channels, height, width = x.size()
    x = x.view(batchsize, groups, num_channels // groups, height, width)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(batchsize, num_channels, height, width)


def _branch(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, stride, 1, groups=cout, bias=False), nn.BatchNorm2d(cout),
                         nn.Conv2d(cout, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class ShuffleUnit(nn.Module):
    """A ShuffleNet v2 unit as torchvision's InvertedResidual forward is written."""

    def __init__(self, inp, oup, stride):
        super().__init__()
        self.stride, half = stride, oup // 2
        if stride > 1:
            self.branch1 = nn.Sequential(nn.Conv2d(inp, inp, 3, stride, 1, groups=inp, bias=False), nn.BatchNorm2d(inp),
                                         nn.Conv2d(inp, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU(inplace=True))
        self.branch2 = _branch(inp if stride > 1 else half, half, stride)

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class TinyShuffleNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(3, 24, 3, 2, 1, bias=False), nn.BatchNorm2d(24), nn.ReLU(inplace=True))
        self.stage = nn.Sequential(ShuffleUnit(24, 48, 2), ShuffleUnit(48, 48, 1), ShuffleUnit(48, 48, 1))
        self.fc = nn.Linear(48, 10)

    def forward(self, x):
        return self.fc(self.stage(self.conv1(x)).mean([2, 3]))


class Idioms(nn.Module):
    """The other spellings: torch.chunk, torch.split with sizes, x[:, a:b], nn.ChannelShuffle,
    F.channel_shuffle, keepdim mean, torch.flatten(x, 1)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(12, 12, 3, padding=1)
        self.shuffle = nn.ChannelShuffle(3)
        self.fc = nn.Linear(12, 4)

    def forward(self, x):
        a, b, c = torch.split(x, [2, 4, 6], dim=1)
        p, q = torch.chunk(self.conv(x), 2, 1)
        y = torch.cat([b, c[:, 1:3], x[:, 9:12], p[:, :1], q[:, 5:6], a[:, 1:2]], dim=1)  # 12 channels
        y = F.channel_shuffle(self.shuffle(y), 4)
        return self.fc(torch.flatten(y.mean((-1, -2), keepdim=True), 1))


def _fx_shapes(model, shape):
    """Each traced node's output shape (no batch) from ShapeProp, by the path from_torch gives its row."""
    from torch.fx.passes.shape_prop import ShapeProp

    traced = torch.fx.symbolic_trace(model)
    with torch.no_grad():
        ShapeProp(traced).propagate(torch.zeros(2, *shape))
    out = {}
    for node in traced.graph.nodes:
        meta = node.meta.get("tensor_meta")
        key = node.target if node.op == "call_module" else f"{node.op} {node.name}"
        if hasattr(meta, "shape"):
            out.setdefault(key, []).append(tuple(meta.shape[1:]))
    return out


@pytest.mark.parametrize("factory, shape", [(TinyShuffleNet, (3, 32, 30)), (Idioms, (12, 5, 7)),
                                            (lambda: ShuffleUnit(116, 116, 1), (116, 28, 28))])
def test_shufflenet_idioms_match_the_forward_pass_row_by_row(factory, shape):
    model = factory().eval()
    imported = convcalc.from_torch(model, shape)
    assert {row.status for row in imported.rows} == {"ok"}, [r for r in imported.rows if r.status != "ok"]
    summary = summarize(imported.graph(), shape)
    with torch.no_grad():
        assert summary.output_shape == tuple(model(torch.zeros(2, *shape)).shape[1:])
    assert summary.trainable_params == sum(p.numel() for p in model.parameters())
    truth = _fx_shapes(model, shape)
    by_row = {r.node: r.output_shape for r in summary.layers}
    checked = 0
    for row in imported.rows:
        if row.layers:  # every row's shape is the one ShapeProp records for the same fx node
            assert by_row[row.path] in truth[row.path], row
            checked += 1
    assert checked == sum(1 for row in imported.rows if row.layers) >= 10
    sources = [row.source for row in imported.rows]
    if factory is TinyShuffleNet:
        assert sources.count("ChannelShuffle(2)") == 3 and sources.count("ChannelChunk(2, 1)") == 2
        assert "GlobalAvgPool2D(keepdims=False)" in sources
    if factory is Idioms:
        assert {"ChannelSlice(2, 6)", "ChannelSlice(1, 3)", "ChannelSlice(0, 1)", "ChannelShuffle(groups=3)",
                "ChannelShuffle(4)", "GlobalAvgPool2D(keepdims=True)", "Flatten()"} <= set(sources)


class _Hostile(nn.Module):
    def __init__(self, how):
        super().__init__()
        self.how = how

    def forward(self, x):
        if self.how == "chunk-dim2":
            a, b = x.chunk(2, dim=2)
            return a + b
        if self.how == "split-int":
            a, b = x.split(3, dim=1)
            return torch.cat([b, a], dim=1)
        if self.how == "chunk-past-the-end":
            return x.chunk(4, dim=1)[3]  # 5 channels give 3 parts: the forward pass itself fails
        if self.how == "shuffle-3-of-116":
            return channel_shuffle(x, 3)  # 116 % 3: the forward pass itself fails
        if self.how == "mean-channels":
            return x.mean(1)
        if self.how == "flatten-all":
            return torch.flatten(x)
        if self.how == "index-rows":
            return x[:, :, 1:3]
        if self.how == "open-slice":
            return x[:, 1:]
        raise AssertionError(self.how)


@pytest.mark.parametrize("how, status, reason", [
    ("chunk-dim2", "unsupported", "chunk along dim 2 is not read (dim 1 splits the channels)"),
    ("split-int", "partial", "a shorter last part is not known without the channel count"),
    ("mean-channels", "unsupported", "mean over dim=1 is not read"),
    ("flatten-all", "unsupported", "flatten(start_dim=0, end_dim=-1) is not read"),
    ("index-rows", "unsupported", "x[:, a:b], a slice of the channels, is"),
    ("open-slice", "unsupported", "x[:, a:b], a slice of the channels, is"),  # x[:, 1:] needs the channel count
])
def test_splits_and_reductions_convcalc_cannot_read_say_why(how, status, reason):
    rows = convcalc.from_torch(_Hostile(how), (4, 6, 6)).rows
    row = next(r for r in rows if r.status != "ok")
    assert row.status == status and reason in row.reason, rows


@pytest.mark.parametrize("how, shape, match", [
    ("chunk-past-the-end", (5, 4, 4), r"ChannelChunk\(4, 3\) needs part 3 .* but 5 channels give 3 parts"),
    ("shuffle-3-of-116", (116, 4, 4), r"ChannelShuffle\(3\) needs channels divisible by groups=3; got 116"),
])
def test_a_split_or_shuffle_the_channels_cannot_take_is_an_error_naming_both(how, shape, match):
    imported = convcalc.from_torch(_Hostile(how), shape)
    assert {row.status for row in imported.rows} == {"ok"}
    with pytest.raises(Exception):  # PyTorch refuses the same module on real data
        _Hostile(how)(torch.zeros(1, *shape))
    with pytest.raises(ConvCalcError, match=match):
        summarize(imported.graph(), shape)
