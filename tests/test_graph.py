"""Graphs: hand-worked small graphs (aligned and misaligned), spec blocks, and random DAGs against an oracle.

The oracle for receptive fields is brute force, independent of the recurrences: on a 1-d
line extended without end (padding read as more input, Distill's convention), the span of
input positions that unit ``u`` of a node sees is the union over the kernel taps of the
spans of the units it reads, down to the input where unit ``u`` sees ``[u, u]``. A merge
unions its inputs' spans. Shapes are checked by running the same graph of PyTorch modules.
"""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from convcalc.errors import ConvCalcError
from convcalc.graph import Add, Concat, Graph, Input, Merge, Model, Multiply, Node
from convcalc.graph.fold import fold
from convcalc.layers import (
    AvgPool1D,
    BatchNorm2D,
    Conv1D,
    Conv2D,
    ConvTranspose2D,
    Cropping2D,
    Dense,
    GlobalAvgPool2D,
    MaxPool1D,
    MaxPool2D,
    ReLU,
    Sigmoid,
)
from convcalc.spec import load_stack, parse_spec, read_spec
from convcalc.spec.parser import MAX_DEPTH
from convcalc.stack import summarize
from tests.oracles import kernel_fits


# --------------------------------------------------------------------------- hand-worked graphs
def test_identity_residual_block_is_aligned() -> None:
    """Two 3x3 'same' convs (rf 5, centre 0) plus the identity (rf 1, centre 0): aligned, rf = max = 5."""
    x = Input((8, 16, 16))
    y = Conv2D(8, 3, padding=1)(ReLU()(Conv2D(8, 3, padding=1)(x)))
    rows = summarize(Model(x, Add()(y, x))).layers
    assert rows[-1].rf == (5, 5) and rows[-1].jump == (1, 1) and rows[-1].start == (0, 0)
    assert rows[-1].inputs == ("3", "input") and rows[-1].output_shape == (8, 16, 16)


def test_projection_shortcut_is_aligned() -> None:
    """ResNet's downsampling block: 3x3 s2 p1 (centre 0 + (1 - 1)*1 = 0) and 1x1 s2 p0 (centre 0): jump 2 both."""
    x = Input((8, 16, 16))
    main = Conv2D(16, 3, stride=2, padding=1)(x)
    short = Conv2D(16, 1, stride=2)(x)
    row = summarize(Model(x, Add()(main, short))).layers[-1]
    assert (row.rf, row.jump, row.start) == ((3, 3), (2, 2), (0, 0))


def test_even_kernel_shortcut_is_misaligned() -> None:
    """A 2x2 s2 shortcut is centred at 0.5, the 3x3 s2 p1 path at 0: the merge must be refused, naming both."""
    x = Input((8, 16, 16))
    main = Conv2D(16, 3, stride=2, padding=1, name=None)(x) if False else Conv2D(16, 3, stride=2, padding=1)(x)
    short = Conv2D(16, 2, stride=2)(x, name="short")
    with pytest.raises(ConvCalcError) as error:
        summarize(Model(x, Add()(main, short, name="join")))
    message = str(error.value)
    assert "node 'join'" in message and "input -> 1: jump 2, start 0" in message
    assert "input -> short: jump 2, start 0.5" in message


def test_different_jumps_are_misaligned() -> None:
    """16 -> conv k1 s4 -> 4 units (jump 4); 16 -> crop 4 each side -> 8 -> conv k1 s2 -> 4 units (jump 2).

    Same shapes, so the merge passes the shape check; the jumps differ, so it is refused.
    """
    x = Input((1, 16, 16))
    a = Conv2D(1, 1, stride=4)(x)
    b = Conv2D(1, 1, stride=2)(Cropping2D(4)(x))
    with pytest.raises(ConvCalcError, match=r"effective stride \(jump\) differs.*jump 4.*jump 2"):
        summarize(Model(x, Add()(a, b)))


def test_shape_mismatch_names_both_branches() -> None:
    """Add of (8, 16, 16) and (8, 8, 8): the message names each input node and its shape."""
    x = Input((8, 16, 16))
    a = Conv2D(8, 3, padding=1)(x, name="full")
    b = MaxPool2D(2)(x, name="half")
    with pytest.raises(ConvCalcError, match=r"full gives \(8, 16, 16\), half gives \(8, 8, 8\)"):
        summarize(Model(x, Add()(a, b)))


def test_inception_block_concatenates_channels_and_takes_the_largest_field() -> None:
    """1x1, 3x3 p1, 5x5 p2 and a 3x3 s1 p1 pool: all centred at 0 with jump 1; channels 4+8+2+3, rf max 5."""
    x = Input((16, 28, 28))
    branches = [Conv2D(4, 1)(x), Conv2D(8, 3, padding=1)(x), Conv2D(2, 5, padding=2)(x),
                Conv2D(3, 1)(MaxPool2D(3, stride=1, padding=1)(x))]
    row = summarize(Model(x, Concat()(branches))).layers[-1]
    assert row.output_shape == (17, 28, 28) and row.rf == (5, 5) and row.start == (0, 0)


def test_squeeze_excitation_gate_broadcasts_and_is_not_aligned_against() -> None:
    """x * sigmoid(fc(gap(x))): the (C, 1, 1) gate is broadcast, so only x's path is aligned; rf is the gate's."""
    x = Input((8, 7, 7))
    gate = Sigmoid()(Conv2D(8, 1)(GlobalAvgPool2D(keepdims=True)(x)))
    row = summarize(Model(x, Multiply()(x, gate))).layers[-1]
    assert row.output_shape == (8, 7, 7) and row.rf == (7, 7) and row.jump == (1, 1) and row.start == (0, 0)


def test_unet_skip_aligns_after_the_crop() -> None:
    """U-Net's deepest skip: 64 -> pool -> 2 valid convs -> up-conv x2 -> 56; the skip is cropped by 4.

    Path up: pool (rf 2, jump 2, start 0.5), conv3 x2 (rf 10, start 4.5), transposed k2 s2 (jump 1,
    start 4.5 + (0 - 1/2)*2/2 = 4); path skip: crop 4 (start 4). Equal jumps and centres: aligned.
    """
    x = Input((4, 64, 64))
    y = Conv2D(8, 3)(Conv2D(8, 3)(MaxPool2D(2)(x)))
    up = ConvTranspose2D(4, 2, stride=2)(y)
    row = summarize(Model(x, Concat()(Cropping2D(4)(x), up))).layers[-1]
    assert row.output_shape == (8, 56, 56) and row.jump == (1, 1) and row.start == (4, 4) and row.rf == (10, 10)
    shifted = Concat()(Cropping2D(((3, 5), (4, 4)))(x), up)
    with pytest.raises(ConvCalcError, match="start 3"):
        summarize(Model(x, shifted))


def test_fractional_jump_after_upsampling_is_exact() -> None:
    x = Input((4, 8, 8))
    row = summarize(Model(x, ConvTranspose2D(4, 2, stride=2)(x))).layers[-1]
    assert row.jump == (Fraction(1, 2),) * 2 and row.to_dict()["jump"] == "1/2"


def test_chain_through_the_graph_equals_the_list() -> None:
    layers = [Conv2D(8, 3), ReLU(), MaxPool2D(2), Conv2D(16, 3, stride=2)]
    a, b = summarize(layers, (1, 28, 28)), summarize(Graph.chain(layers, (1, 28, 28)))
    assert a == b or [r.to_dict() for r in a.layers] == [r.to_dict() for r in b.layers]


def test_functional_api_errors() -> None:
    x = Input((3, 8, 8))
    with pytest.raises(ConvCalcError, match="takes one input"):
        ReLU()(x, x)
    with pytest.raises(TypeError):
        ReLU()(3)
    other = Input((3, 8, 8), name="other")
    with pytest.raises(ConvCalcError, match="other than the model's input"):
        Model(x, Add()(x, other))
    with pytest.raises(ConvCalcError, match="named 'a'"):
        Model(x, Add()(ReLU()(x, name="a"), ReLU()(x, name="a")))


def test_a_branching_graph_is_not_a_layer_list() -> None:
    """Code written for layer lists (iterate, slice) gets one clear error from a branching graph."""
    graph, _ = load_stack("resnet18")
    with pytest.raises(ConvCalcError, match="branches"):
        list(graph)
    with pytest.raises(ConvCalcError, match="branches"):
        graph[:3]
    chain = Graph.chain([ReLU(), Sigmoid()])
    assert chain[1:] == [Sigmoid()] and len(chain) == 2


# --------------------------------------------------------------------------- the spec syntax
def test_spec_blocks_build_the_same_graph_as_the_functional_api() -> None:
    spec = "input(8x16x16) res[conv(8,3,p=1) bn relu conv(8,3,p=1) bn] relu res[conv(16,3,s=2,p=1) bn; conv(16,1,s=2) bn]"
    graph = read_spec(spec).layers
    x = Input((8, 16, 16))
    y = BatchNorm2D()(Conv2D(8, 3, padding=1)(ReLU()(BatchNorm2D()(Conv2D(8, 3, padding=1)(x)))))
    y = ReLU()(Add()(y, x))
    main = BatchNorm2D()(Conv2D(16, 3, stride=2, padding=1)(y))
    out = Add()(main, BatchNorm2D()(Conv2D(16, 1, stride=2)(y)))
    ours, theirs = summarize(graph), summarize(Model(x, out))
    assert [(r.name, r.inputs, r.output_shape, r.rf) for r in ours.layers] == [
        (r.name, r.inputs, r.output_shape, r.rf) for r in theirs.layers]


def test_spec_cat_repeat_names_and_references() -> None:
    graph = parse_spec("conv(8,3,p=1) as a 2*[conv(8,3,p=1) relu] cat[@a | conv(4,1) | ] conv(2,1)")
    rows = summarize(graph, (3, 10, 10)).layers
    names = [r.node for r in rows]
    assert names[0] == "a" and rows[-2].name == "Concat()" and rows[-2].inputs == ("a", names[5], names[4])
    assert rows[-2].output_shape == (20, 10, 10) and rows[-1].output_shape == (2, 10, 10)
    assert [r.scope for r in rows[1:5]] == [("2*[...]1",)] * 4


@pytest.mark.parametrize(("spec", "message"), [
    ("conv(8,3) @nowhere", "no node is named 'nowhere'"),
    ("conv(8,3) as a relu as a", "already used"),
    ("res[conv(8,1); conv(8,1); conv(8,1)]", "at most one shortcut"),
    ("cat[conv(8,1); conv(8,1)]", "split by"),
    ("0*[conv(8,1)]", "repetition count"),
    ("res[conv(8,1)", "to close the block"),
    ("conv(8,3) @", "node name after '@'"),
])
def test_spec_block_errors(spec: str, message: str) -> None:
    with pytest.raises(ConvCalcError, match=message):
        parse_spec(spec)


def test_deep_nesting_is_one_error_not_a_crash() -> None:
    """Issue 15: thousands of nested blocks or tuples give one error, never RecursionError."""
    for spec in ("res[" * 5000 + "relu" + "]" * 5000, "conv(" + "(" * 5000 + "1" + ")" * 5000 + ")"):
        with pytest.raises(ConvCalcError, match=f"deeper than {MAX_DEPTH}"):
            parse_spec(spec)


def test_a_long_spec_parses_without_recursion() -> None:
    graph = parse_spec("input(4x8x8) " + "res[conv(4,3,p=1) relu] " * 2000)
    assert len(graph.nodes) == 1 + 2000 * 3
    assert summarize(graph).layers[-1].rf == (4001, 4001)


def test_repetition_larger_than_the_node_limit_is_refused() -> None:
    with pytest.raises(ConvCalcError, match="more than"):
        parse_spec("10000*[10000*[relu]]")


# --------------------------------------------------------------------------- depth folding
def test_depth_folds_blocks_with_summed_counts() -> None:
    summary = summarize(*load_stack("resnet18"))
    rows = fold(summary.layers, 1)
    assert [r.node for r in rows][:8] == ["1", "2", "3", "4", "layer1", "layer2", "layer3", "layer4"]
    assert sum(r.params for r in rows) == summary.total_params
    assert sum(r.macs for r in rows) == summary.total_macs
    assert rows[5].output_shape == (128, 28, 28) and rows[5].inputs == ("layer1",) or rows[5].inputs
    assert len(fold(summary.layers, 2)) == 4 + 8 + 3
    with pytest.raises(ConvCalcError, match="'depth'"):
        fold(summary.layers, 0)


# --------------------------------------------------------------------------- random DAGs against the oracle
def _random_layer(rng: random.Random, length: int):  # type: ignore[no-untyped-def]
    kind = rng.choice(["conv", "conv", "max", "avg"])
    k = rng.randint(1, 4)
    s = rng.choice([1, 1, 2])
    d = rng.choice([1, 1, 2]) if kind != "avg" else 1
    p = rng.randint(0, k // 2)
    if not kernel_fits(length, k, d, p):
        return None
    if kind == "conv":
        return Conv1D(2, k, stride=s, padding=p, dilation=d)
    if kind == "max":
        return MaxPool1D(k, stride=s, padding=p, dilation=d)
    return AvgPool1D(k, stride=s, padding=p)


def _random_dag(rng: random.Random, size: int) -> Graph:
    length = rng.randint(8, 24)
    nodes = [Node(0, "input", None, ())]
    shapes = [(2, length)]
    while len(nodes) <= size:
        if len(nodes) > 2 and rng.random() < 0.3:
            by_shape: dict = {}
            for i, s in enumerate(shapes):
                by_shape.setdefault(s, []).append(i)
            groups = [g for g in by_shape.values() if len(g) > 1]
            if groups:
                group = rng.choice(groups)
                inputs = tuple(rng.sample(group, min(len(group), rng.randint(2, 3))))
                merge = rng.choice([Add(), Concat()])
                nodes.append(Node(len(nodes), str(len(nodes)), merge, inputs))
                shapes.append(merge.merge_shape([shapes[i] for i in inputs]))
                continue
        parent = rng.randrange(len(nodes))
        layer = _random_layer(rng, shapes[parent][1])
        if layer is None or shapes[parent][0] != 2:
            continue
        nodes.append(Node(len(nodes), str(len(nodes)), layer, (parent,)))
        shapes.append(layer.output_shape(shapes[parent]))
    return Graph(tuple(nodes), (2, length))


def _span(graph: Graph, memo: dict, index: int, unit: int) -> tuple[int, int]:
    """Brute force: the input positions unit ``unit`` of node ``index`` sees, on an endless line."""
    key = (index, unit)
    if key in memo:
        return memo[key]
    node = graph.nodes[index]
    if node.op is None:
        result = (unit, unit)
    elif isinstance(node.op, Merge):
        spans = [_span(graph, memo, p, unit) for p in node.inputs]
        result = (min(s[0] for s in spans), max(s[1] for s in spans))
    else:
        (k,), (s,), (d,) = node.op.window_geometry()
        lo = _pad(node.op)
        spans = [_span(graph, memo, node.inputs[0], unit * s - lo + t * d) for t in range(k)]
        result = (min(s[0] for s in spans), max(s[1] for s in spans))
    memo[key] = result
    return result


def _pad(layer) -> int:  # type: ignore[no-untyped-def]
    """The random layers have an int padding (the same on both sides)."""
    value = layer.padding
    return value if isinstance(value, int) else value[0]


def _centre(span: tuple[int, int]) -> Fraction:
    return Fraction(span[0] + span[1], 2)


def test_random_dags_against_the_brute_force_oracle() -> None:
    """300 random 1-d DAGs (convs, max/avg pools with padding, stride and dilation; Add/Concat merges):
    every row's rf/jump/start equals the brute-force spans, and a merge is refused exactly when
    two of its inputs' centres differ at unit 0 or 1 (an affine centre differs somewhere iff there)."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: thread start-up dominates otherwise
    try:
        _random_dags(torch)
    finally:
        torch.set_num_threads(threads)


def _random_dags(torch) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(2019)
    refused = aligned = 0
    for _ in range(300):
        graph = _random_dag(rng, rng.randint(3, 12))
        memo: dict = {}
        misaligned = None
        for node in graph.nodes[1:]:
            if isinstance(node.op, Merge) and misaligned is None:
                centres = {(_centre(_span(graph, memo, p, 0)), _centre(_span(graph, memo, p, 1))) for p in node.inputs}
                if len(centres) > 1:
                    misaligned = node.name
        try:
            summary = summarize(graph)
        except ConvCalcError as error:
            assert misaligned is not None and f"node {misaligned!r}" in str(error), str(error)
            refused += 1
            continue
        assert misaligned is None
        aligned += 1
        for row in summary.layers:
            for unit in (0, 1, row.output_shape[1] - 1):
                lo, hi = _span(graph, memo, row.index, unit)
                centre = Fraction(row.start[0]) + unit * row.jump[0]
                assert hi - lo + 1 == row.rf[0] and _centre((lo, hi)) == centre, (row, unit, lo, hi)
        _check_shapes_with_torch(torch, graph, summary)
    assert refused >= 10 and aligned >= 100, (refused, aligned)


def _check_shapes_with_torch(torch, graph: Graph, summary) -> None:  # type: ignore[no-untyped-def]
    values = [torch.ones(1, *graph.input_shape)]
    for node in graph.nodes[1:]:
        op = node.op
        ins = [values[p] for p in node.inputs]
        if isinstance(op, Add):
            out = sum(ins[1:], ins[0])
        elif isinstance(op, Concat):
            out = torch.cat(ins, 1)
        else:
            (k,), (s,), (d,) = op.window_geometry()
            lo = _pad(op)
            functional = torch.nn.functional
            if isinstance(op, Conv1D):
                out = functional.conv1d(ins[0], torch.ones(2, 2, k), None, s, lo, d)
            elif isinstance(op, MaxPool1D):
                out = functional.max_pool1d(ins[0], k, s, lo, d)
            else:
                out = functional.avg_pool1d(ins[0], k, s, lo)
        values.append(out)
    assert [tuple(v.shape[1:]) for v in values[1:]] == [r.output_shape for r in summary.layers]


def test_dense_after_a_graph_keeps_the_chain_rules() -> None:
    x = Input((4, 6, 6))
    y = Dense(3)(__import__("convcalc").layers.Flatten()(Add()(x, ReLU()(x))))
    assert summarize(Model(x, y)).layers[-1].rf == (6, 6)


def test_unet_written_in_the_spec_language_equals_the_preset() -> None:
    """Named encoder outputs (`as d1`) and crops into the decoder's concatenation (`cat[@d1 crop(88) | ]`)."""
    enc = ("input(1x572x572) 2*[conv(64,3) relu] as d1 pool(2) 2*[conv(128,3) relu] as d2 pool(2) "
           "2*[conv(256,3) relu] as d3 pool(2) 2*[conv(512,3) relu] as d4 pool(2) 2*[conv(1024,3) relu] ")
    dec = " ".join(f"convtranspose({c},2,s=2) cat[@d{level} crop({crop}) | ] 2*[conv({c},3) relu]"
                   for level, c, crop in ((4, 512, 4), (3, 256, 16), (2, 128, 40), (1, 64, 88)))
    ours = summarize(parse_spec(enc + dec + " conv(2,1)"))
    theirs = summarize(*load_stack("unet"))
    assert [(r.output_shape, r.params, r.macs, r.rf) for r in ours.layers] == [
        (r.output_shape, r.params, r.macs, r.rf) for r in theirs.layers]


def test_random_2d_dags_against_autograd() -> None:
    """60 random 2-d DAGs with per-axis kernels, strides, padding and dilation (convs, average pools,
    Add/Concat): for the centre unit of every node, the input cells whose gradient is non-zero in
    an all-ones PyTorch network span exactly start + i*jump -/+ (rf - 1)/2 on each axis (checked
    where that interval lies inside the input, so no padding clips the support)."""
    torch = pytest.importorskip("torch")
    from convcalc.layers import AvgPool2D

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    rng = random.Random(11)
    checked = 0
    try:
        for _ in range(60):
            size = rng.randint(14, 26)
            nodes = [Node(0, "input", None, ())]
            shapes = [(1, size, size)]
            while len(nodes) < rng.randint(4, 9):
                same = [i for i, s in enumerate(shapes) if shapes.count(s) > 1]
                if len(nodes) > 2 and same and rng.random() < 0.3:
                    pick = rng.sample([i for i in same if shapes[i] == shapes[same[0]]], 2)
                    merge = rng.choice([Add(), Concat()])
                    nodes.append(Node(len(nodes), str(len(nodes)), merge, tuple(pick)))
                    shapes.append(merge.merge_shape([shapes[i] for i in pick]))
                    continue
                parent = rng.randrange(len(nodes))
                k = (rng.randint(1, 3), rng.randint(1, 3))
                s = (rng.choice([1, 2]), rng.choice([1, 2]))
                d = (rng.choice([1, 2]), 1)
                p = (rng.randint(0, k[0] // 2), rng.randint(0, k[1] // 2))
                layer = Conv2D(1, k, stride=s, padding=p, dilation=d, bias=False) if rng.random() < 0.7 else \
                    AvgPool2D(k, stride=s, padding=p)
                try:
                    out = layer.output_shape((shapes[parent][0], *shapes[parent][1:]))
                except ConvCalcError:
                    continue
                if shapes[parent][0] != 1 or min(out[1:]) < 1:
                    continue
                nodes.append(Node(len(nodes), str(len(nodes)), layer, (parent,)))
                shapes.append(out)
            graph = Graph(tuple(nodes), (1, size, size))
            try:
                rows = summarize(graph).layers
            except ConvCalcError:
                continue  # misaligned: the 1-d test checks refusals against the oracle
            x = torch.ones(1, 1, size, size, dtype=torch.float64, requires_grad=True)
            values = [x]
            for node in graph.nodes[1:]:
                ins = [values[i] for i in node.inputs]
                op = node.op
                if isinstance(op, Add):
                    values.append(ins[0] + ins[1])
                elif isinstance(op, Concat):
                    values.append(torch.cat(ins, 1))
                elif isinstance(op, Conv2D):
                    weight = torch.ones(1, ins[0].shape[1], *op.kernel_size if isinstance(op.kernel_size, tuple)
                                        else (op.kernel_size,) * 2, dtype=torch.float64)
                    values.append(torch.nn.functional.conv2d(ins[0], weight, None, op.stride, op.padding, op.dilation))
                else:
                    values.append(torch.nn.functional.avg_pool2d(ins[0], op.pool_size, op.stride, op.padding))
            for row, value in zip(rows, values[1:]):
                assert tuple(value.shape[1:]) == row.output_shape
                unit = [(n - 1) // 2 for n in row.output_shape[1:]]
                lo = [Fraction(row.start[a]) + unit[a] * row.jump[a] - Fraction(row.rf[a] - 1, 2) for a in (0, 1)]
                hi = [lo[a] + row.rf[a] - 1 for a in (0, 1)]
                if any(lo[a] < 0 or hi[a] > size - 1 for a in (0, 1)):
                    continue
                (grad,) = torch.autograd.grad(value[0, :, unit[0], unit[1]].sum(), x, retain_graph=True)
                support = grad[0, 0].nonzero()
                for a in (0, 1):
                    assert (support[:, a].min().item(), support[:, a].max().item()) == (lo[a], hi[a]), (row, a)
                checked += 1
    finally:
        torch.set_num_threads(threads)
    assert checked >= 100, checked


def test_equal_layers_reuse_answers_but_not_across_check_only_fields() -> None:
    """analyse works a layer out once per (all fields, input shape); Conv2D's in_channels is left out of ==
    but not out of that key, so an equal twin with a wrong in_channels still fails."""
    a, b = Conv2D(1, 3, padding=1, in_channels=1), Conv2D(1, 3, padding=1, in_channels=2)
    assert a == b
    with pytest.raises(ConvCalcError, match="in_channels=2"):
        summarize([a, b], (1, 8, 8))
    rows = summarize([a] * 5 + [MaxPool2D(2), a], (1, 8, 8)).layers
    assert [r.output_shape for r in rows] == [(1, 8, 8)] * 5 + [(1, 4, 4)] * 2 and rows[-1].macs == 9 * 16


def test_memory_asks_the_layer_what_it_keeps() -> None:
    """SeparableConv2D keeps its depthwise output too (8x8x8 + 16x8x8 floats), not only its output."""
    from convcalc.layers import SeparableConv2D

    row = summarize([SeparableConv2D(16, 3)], (8, 10, 10)).layers[0]
    assert row.output_shape == (16, 8, 8) and row.activation_bytes == (8 * 64 + 16 * 64) * 4


@pytest.mark.parametrize(("k", "s", "p", "d"), [(2, 2, 0, 1), (3, 2, 1, 1), (4, 2, 1, 1), (5, 3, 2, 1), (3, 2, 0, 2),
                                                (4, 4, 0, 1), (7, 3, 3, 1)])
def test_transposed_conv_field_counts_and_centres_against_autograd(k: int, s: int, p: int, d: int) -> None:
    """A strided transposed conv is not shift-invariant; its row gives Distill's 'number of input features
    involved' (the most inputs any output reads) and the exact centre of each output's window,
    start + o*jump = (o + p - d(k - 1)/2)/s. Checked per output against autograd on all-ones weights."""
    torch = pytest.importorskip("torch")
    from convcalc.layers import ConvTranspose1D

    n = 12
    row = summarize([ConvTranspose1D(1, k, stride=s, padding=p, dilation=d, bias=False)], (1, n)).layers[0]
    x = torch.ones(1, 1, n, dtype=torch.float64, requires_grad=True)
    y = torch.nn.functional.conv_transpose1d(x, torch.ones(1, 1, k, dtype=torch.float64), None, s, p, 0, 1, d)
    assert tuple(y.shape[1:]) == row.output_shape and row.jump == (Fraction(1, s),)
    most = 0
    for o in range(y.shape[2]):
        (grad,) = torch.autograd.grad(y[0, 0, o], x, retain_graph=True)
        read = [i for i in range(n) if grad[0, 0, i] != 0]
        # every input this output reads lies in its continuous window around the centre
        centre = Fraction(row.start[0]) + o * row.jump[0]
        assert all(abs(i - centre) <= Fraction(d * (k - 1), 2 * s) for i in read)
        if all(0 <= (o + p - t * d) / s < n for t in range(k) if (o + p - t * d) % s == 0):
            most = max(most, len(read))  # outputs whose window lies inside the input
    assert most == row.rf[0]
