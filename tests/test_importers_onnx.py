"""ONNX files read from their nodes' attributes and weights' shapes, checked against PyTorch and ONNX.

PyTorch modules are exported (the TorchScript exporter, which needs no extra
package) and read back; shapes must equal the module's forward pass and
parameter counts ``sum(p.numel())``. Graphs written by hand with
``onnx.helper`` cover what exporters rarely write (``auto_pad``, ``MatMul`` +
``Add``, ``Reshape``), checked against ONNX's own shape inference.
"""

from __future__ import annotations

import sys
import warnings

import pytest

from convcalc import summarize
from convcalc.errors import ConvCalcError
from convcalc.importers import read_model
from convcalc.importers.onnx_model import read_onnx_file

onnx = pytest.importorskip("onnx")
torch = pytest.importorskip("torch")
nn = torch.nn
from onnx import TensorProto, helper  # noqa: E402


def _export(model, shape, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # no constant folding: folding merges an eval-mode BatchNorm into the conv before it (the file then
        # has the conv's new bias and no BatchNorm, and convcalc counts what the file holds)
        torch.onnx.export(model.eval(), (torch.zeros(1, *shape),), str(path), dynamo=False,
                          do_constant_folding=False)


MODELS = {
    "hw5-like": (lambda: nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                       nn.Linear(32 * 13 * 13, 100), nn.ReLU(), nn.Linear(100, 10),
                                       nn.Softmax(dim=1)), (1, 28, 28)),
    "strided, dilated, grouped, bn": (lambda: nn.Sequential(
        nn.Conv2d(4, 8, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
        nn.Conv2d(8, 8, 3, dilation=2, groups=4), nn.LeakyReLU(0.2),
        nn.MaxPool2d(3, stride=2, ceil_mode=True), nn.AvgPool2d(2, padding=1), nn.Flatten()), (4, 33, 31)),
    "transposed": (lambda: nn.Sequential(nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1),
                                         nn.Tanh()), (4, 7, 7)),
    "global pool head": (lambda: nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(),
                                               nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 5)),
                         (3, 16, 16)),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_exported_module_matches(name, tmp_path):
    factory, shape = MODELS[name]
    torch.manual_seed(0)
    model = factory()
    path = tmp_path / "model.onnx"
    _export(model, shape, path)
    imported = read_model(str(path))
    assert imported is not None and imported.input_shape == shape
    assert {row.status for row in imported.rows} == {"ok"}, imported.rows
    summary = summarize(imported.layers, shape)
    with torch.no_grad():
        out = model(torch.zeros(1, *shape))
    assert summary.output_shape == tuple(out.shape[1:])
    assert summary.trainable_params == sum(p.numel() for p in model.parameters())


def _graph_model(nodes, initializers, in_shape, tmp_path):
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, *in_shape])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    out = next(v for v in inferred.graph.value_info if v.name == nodes[-1].output[0]) \
        if nodes[-1].output[0] != "y" else inferred.graph.output[0]
    path = tmp_path / "g.onnx"
    onnx.save(model, str(path))
    return path, tuple(d.dim_value for d in out.type.tensor_type.shape.dim)[1:]


def _zeros(name, dims, dtype=TensorProto.FLOAT, values=None):
    count = 1
    for d in dims:
        count *= d
    return helper.make_tensor(name, dtype, dims, values if values is not None else [0] * count)


def test_hand_written_graph_against_onnx_shape_inference(tmp_path):
    """auto_pad SAME_UPPER with stride 2 (TensorFlow's 'same'), asymmetric pads, MatMul + Add, Reshape(0, -1)."""
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["a"], kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER"),
        helper.make_node("MaxPool", ["a"], ["b"], kernel_shape=[2, 2], pads=[0, 0, 1, 1], strides=[2, 2]),
        helper.make_node("Reshape", ["b", "shape"], ["c"]),
        helper.make_node("MatMul", ["c", "w2"], ["d"]),
        helper.make_node("Add", ["d", "b2"], ["y"]),
    ]
    inits = [_zeros("w1", [4, 3, 3, 3]), _zeros("shape", [2], TensorProto.INT64, [0, -1]),
             _zeros("w2", [4 * 4 * 4, 10]), _zeros("b2", [10])]
    path, expected = _graph_model(nodes, inits, (3, 15, 15), tmp_path)
    imported = read_onnx_file(path)
    assert {row.status for row in imported.rows} == {"ok"}, imported.rows
    summary = summarize(imported.layers, imported.input_shape)
    assert summary.output_shape == expected == (10,)
    assert summary.trainable_params == 4 * 27 + 64 * 10 + 10


class _ResidualConcat(nn.Module):
    """A residual add, then an Inception-style concatenation of two branches."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.left = nn.Conv2d(4, 6, 1)
        self.right = nn.Sequential(nn.Conv2d(4, 2, 1), nn.ReLU(), nn.Conv2d(2, 3, 3, padding=1))
        self.head = nn.Linear(9, 2)

    def forward(self, x):
        x = torch.relu(self.conv(x) + x)
        x = torch.cat([self.left(x), self.right(x)], dim=1)
        return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def test_branching_module_is_a_graph(tmp_path):
    model = _ResidualConcat()
    path = tmp_path / "graph.onnx"
    _export(model, (4, 8, 8), path)
    imported = read_onnx_file(path)
    assert imported.branches and {row.status for row in imported.rows} == {"ok"}, imported.rows
    summary = summarize(imported.graph(), imported.input_shape)
    with torch.no_grad():
        assert summary.output_shape == tuple(model(torch.zeros(1, 4, 8, 8)).shape[1:])
    assert summary.trainable_params == sum(p.numel() for p in model.parameters())


class _MobileBlock(nn.Module):
    """What torchvision's MobileNets and DenseNets export: ReLU6 (Clip with constant bounds), Hardswish,
    SiLU (Sigmoid then Mul), a squeeze-excitation gate (Mul broadcasting (C, 1, 1) over (C, H, W)), a
    one-tensor torch.cat (DenseNet's first layer) and dropout in eval mode."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU6())
        self.expand = nn.Sequential(nn.Conv2d(8, 16, 1), nn.Hardswish(), nn.Conv2d(16, 16, 3, padding=1, groups=16),
                                    nn.SiLU())
        self.squeeze = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(16, 4, 1), nn.ReLU(), nn.Conv2d(4, 16, 1),
                                     nn.Sigmoid())
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(16, 5))

    def forward(self, x):
        x = self.expand(torch.cat([self.stem(x)], 1))
        x = x * self.squeeze(x)
        return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(x, (1, 1)), 1))


def test_mobilenet_operators(tmp_path):
    model = _MobileBlock()
    path = tmp_path / "mobile.onnx"
    _export(model, (3, 17, 15), path)
    imported = read_onnx_file(path)
    assert {row.status for row in imported.rows} == {"ok"}, [r for r in imported.rows if r.status != "ok"]
    texts = [row.source for row in imported.rows]
    assert "ReLU6()" in texts and "Hardswish()" in texts and "Concat(axis=0)" in texts
    summary = summarize(imported.graph(), imported.input_shape)
    with torch.no_grad():
        assert summary.output_shape == tuple(model(torch.zeros(1, 3, 17, 15)).shape[1:])
    assert summary.trainable_params == sum(p.numel() for p in model.parameters())
    conv_macs = 8 * 3 * 9 * 9 * 8 + 16 * 8 * 9 * 8 + 16 * 9 * 9 * 8 + 16 * 4 + 4 * 16
    assert summary.total_macs == conv_macs + 16 * 5  # convs + linear, torchvision's convention


class _ViewHead(nn.Module):
    """Flattening by a computed shape: x.view(x.size(0), -1) and x.reshape(x.shape[0], n); ShuffleNet's
    view to (batch, 2, C/2, H, W) is not a flatten and stays a row with its reason."""

    def __init__(self, how: str) -> None:
        super().__init__()
        self.how = how
        self.conv = nn.Conv2d(3, 4, 3)
        self.head = nn.Linear(4 * 6 * 5, 2)

    def forward(self, x):
        x = self.conv(x)
        if self.how == "view":
            x = x.view(x.size(0), -1)
        elif self.how == "reshape":
            x = x.reshape(x.shape[0], 4 * 6 * 5)
        else:
            n, c, h, w = x.size()
            x = x.view(n, 2, c // 2, h, w).view(n, -1)
        return self.head(x)


@pytest.mark.parametrize("how", ["view", "reshape", "shuffle"])
@pytest.mark.parametrize("dynamic", [False, True])
def test_flatten_by_a_computed_shape(how, dynamic, tmp_path):
    model = _ViewHead(how).eval()
    path = tmp_path / "view.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(1, 3, 8, 7),), str(path), dynamo=False, do_constant_folding=False,
                          input_names=["x"], dynamic_axes={"x": {0: "batch"}} if dynamic else None)
    imported = read_onnx_file(path)
    if how == "shuffle":
        bad = [row for row in imported.rows if row.status != "ok"]
        assert bad and bad[0].source == "Reshape" and "is not read" in bad[0].reason
        return
    assert [(row.source.split("(")[0], row.status) for row in imported.rows] == \
        [("Conv2d", "ok"), ("Flatten", "ok"), ("Linear", "ok")]
    summary = summarize(imported.layers, (3, 8, 7))
    with torch.no_grad():
        assert summary.output_shape == tuple(model(torch.zeros(2, 3, 8, 7)).shape[1:])
    assert summary.trainable_params == sum(p.numel() for p in model.parameters())


def test_clip_other_than_relu6_and_hardsigmoid_alpha_are_rows(tmp_path):
    nodes = [helper.make_node("Constant", [], ["lo"], value=helper.make_tensor("lo", TensorProto.FLOAT, [], [-1.0])),
             helper.make_node("Constant", [], ["hi"], value=helper.make_tensor("hi", TensorProto.FLOAT, [], [1.0])),
             helper.make_node("Clip", ["x", "lo", "hi"], ["a"]),
             helper.make_node("HardSigmoid", ["a"], ["y"], alpha=0.2)]
    path, _ = _graph_model(nodes, [], (2, 4, 4), tmp_path)
    rows = read_onnx_file(path).rows
    assert [row.status for row in rows] == ["unsupported", "unsupported"]
    assert "Clip to [-1.0, 1.0]" in rows[0].reason and "alpha=0.2" in rows[1].reason


def test_unknown_operator_is_a_row(tmp_path):
    nodes = [helper.make_node("Relu", ["x"], ["a"]), helper.make_node("Erf", ["a"], ["y"])]
    path, _ = _graph_model(nodes, [], (2, 4, 4), tmp_path)
    rows = read_onnx_file(path).rows
    assert rows[1].status == "unsupported" and "Erf" in rows[1].reason


def test_not_onnx_and_truncated(tmp_path):
    fake = tmp_path / "fake.onnx"
    fake.write_bytes(b"this is not protobuf at all \xff\xfe" * 10)
    with pytest.raises(ConvCalcError, match="fake.onnx"):
        read_onnx_file(fake)
    real = tmp_path / "real.onnx"
    _export(MODELS["hw5-like"][0](), (1, 28, 28), real)
    data = real.read_bytes()
    real.write_bytes(data[: len(data) // 3])
    with pytest.raises(ConvCalcError, match="real.onnx"):
        read_onnx_file(real)


def test_without_the_extra_one_line(monkeypatch, tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"x")
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ConvCalcError, match=r"pip install 'convcalc\[onnx\]'"):
        read_onnx_file(path)


def test_a_bound_computed_from_the_shape_is_a_row_not_a_crash(tmp_path):
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Constant", [], ["i"], value=helper.make_tensor("i", TensorProto.INT64, [], [0])),
             helper.make_node("Gather", ["s", "i"], ["n"]),
             helper.make_node("Cast", ["n"], ["lo"], to=TensorProto.FLOAT),
             helper.make_node("Clip", ["x", "lo"], ["y"])]
    path, _ = _graph_model(nodes, [], (2, 4, 4), tmp_path)
    rows = read_onnx_file(path).rows
    assert [row.status for row in rows] == ["unsupported"] and "not a constant scalar" in rows[0].reason


# --------------------------------------------------------------------------- issue 12: splits, shuffles, Resize, Pad,
# ConvTranspose output_shape, auto_pad SAME_LOWER; each against onnxruntime (and ONNX's shape inference)
import numpy as np  # noqa: E402
from onnx import numpy_helper  # noqa: E402


def _const(name, values, dtype=np.int64):
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.array(values, dtype=dtype)))


def _weight(name, shape):
    return numpy_helper.from_array(np.zeros(shape, dtype=np.float32), name)


def _run(nodes, initializers, in_shape, tmp_path, opset=17):
    """Write the graph, run it on zeros with onnxruntime, read it with convcalc: (model, every output's shape)."""
    ort = pytest.importorskip("onnxruntime")  # CI installs it (.ci/run); the other tests here do not need it
    outputs = [o for n in nodes for o in n.output if n.op_type != "Constant"]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, *in_shape])],
                              [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
                              initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    path = tmp_path / "g.onnx"
    onnx.save(model, str(path))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"x": np.zeros((1, *in_shape), dtype=np.float32)})
    return read_onnx_file(path), {o: tuple(v.shape[1:]) for o, v in zip(outputs, got)}


def _every_row_matches(imported, truth, nodes):
    """Each row's convcalc shape against onnxruntime's for the node output it stands for."""
    summary = summarize(imported.graph(), imported.input_shape)
    by_node = {r.node: r.output_shape for r in summary.layers}
    outputs = {}
    for i, n in enumerate(n for n in nodes if n.op_type != "Constant"):
        for k, o in enumerate(n.output):
            outputs[(n.name or f"{n.op_type}") + ("" if k == 0 else f" (output {k})")] = o
    checked = 0
    for row in imported.rows:
        if row.layers:
            assert by_node[row.path] == truth[outputs[row.path]], row
            checked += 1
    return summary, checked


SPATIAL = [
    ("resize nearest x2", [_const("s", [1.0, 1.0, 2.0, 2.0], np.float32),
                           helper.make_node("Resize", ["x", "", "s"], ["y"], name="r", mode="nearest")],
     (3, 5, 7), "Upsample(scale_factor=(2.0, 2.0), mode='nearest')"),
    ("resize nearest x1.5", [_const("s", [1.0, 1.0, 1.5, 1.5], np.float32),
                             helper.make_node("Resize", ["x", "", "s"], ["y"], name="r", mode="nearest")],
     (3, 5, 7), "Upsample(scale_factor=(1.5, 1.5), mode='nearest')"),
    ("resize linear sizes", [_const("z", [1, 3, 9, 11]),
                             helper.make_node("Resize", ["x", "", "", "z"], ["y"], name="r", mode="linear")],
     (3, 5, 7), "Upsample(size=(9, 11), mode='bilinear')"),
    ("pad zeros", [_const("p", [0, 0, 1, 2, 0, 0, 3, 0]), helper.make_node("Pad", ["x", "p"], ["y"], name="p")],
     (3, 5, 7), "ZeroPad2D(((1, 3), (2, 0)))"),
    ("pad negative crops", [_const("p", [0, 0, -1, 0, 0, 0, -2, -3]),
                            helper.make_node("Pad", ["x", "p"], ["y"], name="p")],
     (3, 5, 7), "Cropping2D(((1, 2), (0, 3)))"),
    ("reduce mean keepdims", [helper.make_node("ReduceMean", ["x"], ["y"], name="m", axes=[2, 3])],
     (3, 5, 7), "GlobalAvgPool2D(keepdims=True)"),
    ("channel slice", [_const("a", [2]), _const("b", [9223372036854775807]), _const("ax", [1]),
                       helper.make_node("Slice", ["x", "a", "b", "ax"], ["y"], name="s")],
     (6, 5, 7), "ChannelSlice(2, 6)"),
    ("channel slice negative", [_const("a", [-4]), _const("b", [-1]), _const("ax", [-3]),
                                helper.make_node("Slice", ["x", "a", "b", "ax"], ["y"], name="s")],
     (6, 5, 7), "ChannelSlice(2, 5)"),
]


@pytest.mark.parametrize("name", [c[0] for c in SPATIAL])
def test_resize_pad_reduce_slice_against_onnxruntime(name, tmp_path):
    _, nodes, shape, source = next(c for c in SPATIAL if c[0] == name)
    imported, truth = _run(nodes, [], shape, tmp_path)
    assert [(r.status, r.source) for r in imported.rows] == [("ok", source)]
    summary, checked = _every_row_matches(imported, truth, nodes)
    assert checked == 1 and summary.output_shape == truth["y"]


def _conv(op, **attrs):
    return helper.make_node(op, ["x", "w"], ["y"], name="c", **attrs)


# (node, weight shape, input shape, expected status)
WINDOWS = [
    (_conv("Conv", kernel_shape=[3, 3], auto_pad="SAME_LOWER"), (4, 3, 3, 3), (3, 8, 9), "ok"),
    (_conv("Conv", kernel_shape=[4, 4], auto_pad="SAME_LOWER"), (4, 3, 4, 4), (3, 8, 9), "ok"),
    (_conv("Conv", kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_LOWER"), (4, 3, 3, 3), (3, 8, 9), "ok"),
    (_conv("Conv", kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER"), (4, 3, 3, 3), (3, 8, 9), "ok"),
    (_conv("Conv", kernel_shape=[5, 4], strides=[3, 2], auto_pad="SAME_LOWER"), (4, 3, 5, 4), (3, 10, 7), "ok"),
    (helper.make_node("MaxPool", ["x"], ["y"], name="c", kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_LOWER"),
     None, (3, 8, 9), "ok"),
    (helper.make_node("AveragePool", ["x"], ["y"], name="c", kernel_shape=[2, 2], strides=[2, 2],
                      auto_pad="SAME_LOWER"), None, (3, 7, 9), "ok"),
    (_conv("ConvTranspose", kernel_shape=[3, 3], strides=[2, 2], output_shape=[9, 11]), (3, 2, 3, 3), (3, 5, 6),
     "ok"),  # total padding 2 and 2: even, one split
    (_conv("ConvTranspose", kernel_shape=[3, 3], strides=[2, 2], output_shape=[10, 12]), (3, 2, 3, 3), (3, 5, 6),
     "partial"),  # total padding 1 and 1: odd, the spec and onnxruntime split it on opposite sides
    (_conv("ConvTranspose", kernel_shape=[4, 4], strides=[2, 2], auto_pad="SAME_UPPER"), (3, 2, 4, 4), (3, 5, 6),
     "ok"),
    (_conv("ConvTranspose", kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_LOWER"), (3, 2, 3, 3), (3, 5, 6),
     "partial"),
]


@pytest.mark.parametrize("case", range(len(WINDOWS)))
def test_auto_pad_and_output_shape_against_onnxruntime(case, tmp_path):
    node, weight, shape, status = WINDOWS[case]
    imported, truth = _run([node], [_weight("w", weight)] if weight else [], shape, tmp_path)
    assert [r.status for r in imported.rows] == [status], imported.rows
    summary, checked = _every_row_matches(imported, truth, [node])
    assert checked == 1 and summary.output_shape == truth["y"]
    inferred = onnx.shape_inference.infer_shapes(onnx.load(str(tmp_path / "g.onnx")), strict_mode=True)
    dims = tuple(d.dim_value for d in inferred.graph.output[0].type.tensor_type.shape.dim)
    assert dims in ((), (0,) * len(dims)) or dims[1:] == truth["y"]  # ONNX's own inference agrees where it answers
    if weight:
        assert summary.trainable_params == int(np.prod(weight))


def test_split_and_shuffle_graph_against_onnxruntime(tmp_path):
    """torchvision's unit pattern written by hand: Split on axis 1, a branch, Concat, Reshape-Transpose-Reshape."""
    nodes = [_const("sizes", [4, 4]), helper.make_node("Split", ["x", "sizes"], ["a", "b"], name="split", axis=1),
             helper.make_node("Conv", ["b", "w"], ["c"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             helper.make_node("Concat", ["a", "c"], ["cat"], name="cat", axis=1),
             _const("t5", [1, 2, 4, 5, 6]), helper.make_node("Reshape", ["cat", "t5"], ["r5"], name="r5"),
             helper.make_node("Transpose", ["r5"], ["t"], name="t", perm=[0, 2, 1, 3, 4]),
             _const("t4", [1, -1, 5, 6]), helper.make_node("Reshape", ["t", "t4"], ["y"], name="shuffle"),
             helper.make_node("ReduceMean", ["y"], ["m"], name="mean", axes=[2, 3], keepdims=0)]
    imported, truth = _run(nodes, [_weight("w", (4, 4, 3, 3))], (8, 5, 6), tmp_path)
    assert [(r.path, r.source) for r in imported.rows if r.status == "ok"] == [
        ("split", "ChannelSlice(0, 4)"), ("split (output 1)", "ChannelSlice(4, 8)"),
        ("conv", "Conv2d(4, 4, kernel_size=(3, 3), stride=(1, 1), padding=1, dilation=(1, 1), groups=1, bias=False)"),
        ("cat", "Concat(axis=0)"), ("shuffle", "ChannelShuffle(2)"), ("mean", "GlobalAvgPool2D(keepdims=False)")]
    summary, checked = _every_row_matches(imported, truth, nodes)
    assert checked == 6 and summary.output_shape == truth["m"] == (8,)


REFUSED_NODES = [
    ("Split sizes that do not cover the channels",
     [_const("sizes", [3, 4]), helper.make_node("Split", ["x", "sizes"], ["a", "b"], name="s", axis=1)],
     "Split sizes [3, 4] do not cover the 8 channels"),
    ("Split of 8 channels into 3", [helper.make_node("Split", ["x"], ["a", "b", "c"], name="s", axis=1)],
     "8 channels into 3 equal parts is impossible"),
    ("Split along H", [helper.make_node("Split", ["x"], ["a", "b"], name="s", axis=2)], "Split along axis 2"),
    ("shuffle groups not dividing", [_const("t5", [1, 3, -1, 5, 6]),
                                     helper.make_node("Reshape", ["x", "t5"], ["r"], name="r"),
                                     helper.make_node("Relu", ["r"], ["y"], name="relu")], "Reshape to [1, 3, -1, 5, 6] is not read"),
    ("a 5-d reshape not followed by the shuffle", [_const("t5", [1, 2, 4, 5, 6]),
                                                   helper.make_node("Reshape", ["x", "t5"], ["r"], name="r"),
                                                   helper.make_node("Relu", ["r"], ["y"], name="relu")],
     "followed by Relu is not read"),
    ("reflect pad", [_const("p", [0, 0, 1, 1, 0, 0, 1, 1]),
                     helper.make_node("Pad", ["x", "p"], ["y"], name="p", mode="reflect")], "Pad mode 'reflect'"),
    ("pad of channels", [_const("p", [0, 1, 0, 0, 0, 0, 0, 0]), helper.make_node("Pad", ["x", "p"], ["y"], name="p")],
     "batch or channel axis"),
    ("cubic resize", [_const("s", [1.0, 1.0, 2.0, 2.0], np.float32),
                      helper.make_node("Resize", ["x", "", "s"], ["y"], name="r", mode="cubic")], "mode 'cubic'"),
    ("mean over channels", [helper.make_node("ReduceMean", ["x"], ["y"], name="m", axes=[1])], "ReduceMean over axes"),
    ("slice with step 2", [_const("a", [0]), _const("b", [8]), _const("ax", [1]), _const("st", [2]),
                           helper.make_node("Slice", ["x", "a", "b", "ax", "st"], ["y"], name="s")], "steps [2]"),
]


@pytest.mark.parametrize("name", [c[0] for c in REFUSED_NODES])
def test_what_convcalc_cannot_read_exactly_is_an_unsupported_row_saying_why(name, tmp_path):
    _, nodes, reason = next(c for c in REFUSED_NODES if c[0] == name)
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 5, 6])],
                              [helper.make_tensor_value_info(o, TensorProto.FLOAT, None)
                               for o in nodes[-1].output])
    path = tmp_path / "g.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    rows = read_onnx_file(path).rows
    bad = [r for r in rows if r.status == "unsupported"]
    assert bad and reason in bad[0].reason, rows


@pytest.mark.parametrize("which", ["shufflenet", "upsample", "upsample-bilinear-size"])
def test_pytorch_exports_with_splits_shuffles_and_resize(which, tmp_path):
    from tests.test_importers_torch_module import TinyShuffleNet

    model, shape = {"shufflenet": (TinyShuffleNet(), (3, 32, 30)),
                    "upsample": (nn.Sequential(nn.Conv2d(3, 4, 3), nn.Upsample(scale_factor=2)), (3, 7, 9)),
                    "upsample-bilinear-size": (nn.Sequential(nn.Upsample(size=(9, 11), mode="bilinear"),
                                                             nn.Conv2d(3, 2, 1)), (3, 5, 6))}[which]
    path = tmp_path / "m.onnx"
    _export(model, shape, path)
    imported = read_onnx_file(path)
    assert {row.status for row in imported.rows} == {"ok"}, [r for r in imported.rows if r.status != "ok"]
    summary = summarize(imported.graph(), shape)
    with torch.no_grad():
        assert summary.output_shape == tuple(model.eval()(torch.zeros(1, *shape)).shape[1:])
    assert summary.trainable_params == sum(p.numel() for p in model.parameters())


def test_pytorch_zero_pad_export_computes_its_pads_and_says_so(tmp_path):
    path = tmp_path / "m.onnx"
    _export(nn.Sequential(nn.ZeroPad2d((1, 2, 0, 3)), nn.Conv2d(3, 2, 1)), (3, 5, 6), path)
    row = next(r for r in read_onnx_file(path).rows if r.status != "ok")
    assert row.source == "Pad" and "pads are computed by nodes convcalc does not evaluate" in row.reason
