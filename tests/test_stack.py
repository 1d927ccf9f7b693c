"""summarize(): receptive fields against independent oracles, published tables, totals, options, errors."""

from __future__ import annotations

import random
from math import prod

import pytest

from convcalc import ConvCalcError
from convcalc.layers import (
    AvgPool2D,
    BatchNorm2D,
    Conv2D,
    ConvTranspose2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool2D,
    Layer,
    MaxPool2D,
    ReLU,
    Softmax,
    ZeroPad2D,
)
from convcalc.stack import CONVENTIONS, Summary, rf_working, summarize
from tests.oracles import dilated_span

HW5 = [Conv2D(32, 3), ReLU(), MaxPool2D(2), Flatten(), Dense(100), ReLU(), Dense(10), Softmax()]


# --------------------------------------------------------------------------- random stacks
def _axis_pair(rng: random.Random) -> object:
    return rng.choice([0, 1, 2, (rng.randint(0, 2), rng.randint(0, 2))])


def random_spatial_stack(rng: random.Random, depth: int, filters: int = 1) -> list[Layer]:
    """Convs, pools and pads with per-axis kernels, strides, paddings (int or (lo, hi)) and dilations."""
    layers: list[Layer] = []
    for _ in range(depth):
        kind = rng.choice(["conv", "conv", "conv", "max", "avg", "pad", "relu"])
        k = (rng.randint(1, 4), rng.randint(1, 4))
        s = (rng.randint(1, 3), rng.randint(1, 2))
        if kind == "conv":
            pads = (_axis_pair(rng), _axis_pair(rng))
            d = (rng.randint(1, 3), rng.randint(1, 2))
            layers.append(Conv2D(filters, k, stride=s, padding=pads, dilation=d))
        elif kind == "max":
            p = (rng.randint(0, k[0] // 2), rng.randint(0, k[1] // 2))
            layers.append(MaxPool2D(k, stride=s, padding=p, dilation=(rng.randint(1, 2), 1),
                                    ceil_mode=rng.random() < 0.3))
        elif kind == "avg":
            p = (rng.randint(0, k[0] // 2), rng.randint(0, k[1] // 2))
            layers.append(AvgPool2D(k, stride=s, padding=p, ceil_mode=rng.random() < 0.3))
        elif kind == "pad":
            layers.append(ZeroPad2D(((rng.randint(0, 2), rng.randint(0, 2)), (rng.randint(0, 2), rng.randint(0, 2)))))
        else:
            layers.append(ReLU())
    return layers


def _geometry(layer: Layer, axis: int) -> tuple[int, int, int, int]:
    """(kernel, stride, padding before, dilation) read from the spec's fields, not from rf_step."""
    def at(value: object) -> object:
        return value[axis] if isinstance(value, tuple) else value

    if isinstance(layer, (Conv2D, MaxPool2D, AvgPool2D)):
        k = at(layer.kernel_size if isinstance(layer, Conv2D) else layer.pool_size)
        s = at(layer.stride) if layer.stride is not None else k
        p = at(layer.padding)
        lo = p[0] if isinstance(p, tuple) else p
        return k, s, lo, at(getattr(layer, "dilation", 1))
    if isinstance(layer, ZeroPad2D):
        return 1, 1, layer.padding[axis][0], 1
    return 1, 1, 0, 1


def brute_force_field(layers: list[Layer], unit: int, axis: int) -> set[int]:
    """Every reference position one top unit reads, by expanding index sets layer by layer (padding included)."""
    positions = {unit}
    for layer in reversed(layers):
        k, s, lo, d = _geometry(layer, axis)
        positions = {i * s - lo + m * d for i in positions for m in range(k)}
    return positions


def _valid_summaries(seed: int, count: int, depth: tuple[int, int], size: tuple[int, int]):
    rng = random.Random(seed)
    made = 0
    while made < count:
        layers = random_spatial_stack(rng, rng.randint(*depth))
        shape = (1, rng.randint(*size), rng.randint(*size))
        rf_from = rng.randint(0, len(layers) - 1) if rng.random() < 0.3 else 0
        try:
            summary = summarize(layers, shape, rf_from=rf_from)
        except ConvCalcError:
            continue  # impossible geometry: skipped explicitly
        made += 1
        yield layers, shape, rf_from, summary


def test_rf_jump_start_match_brute_force_index_sets() -> None:
    """300 random stacks: rf, jump and start of every layer equal the span, shift and centre of the index sets."""
    for layers, _, rf_from, summary in _valid_summaries(seed=20191104, count=300, depth=(1, 7), size=(20, 60)):
        for row in summary.layers[rf_from:]:
            above = layers[rf_from:row.index]
            for axis in (0, 1):
                first, second = brute_force_field(above, 0, axis), brute_force_field(above, 1, axis)
                assert row.rf[axis] == max(first) - min(first) + 1, (layers, row.index, axis)
                assert row.start[axis] == (max(first) + min(first)) / 2, (layers, row.index, axis)
                assert row.jump[axis] == min(second) - min(first), (layers, row.index, axis)


def test_distill_closed_forms_on_random_stacks() -> None:
    """r0 = sum (k_l - 1) prod_{i<l} s_i + 1 and u0 = -sum p_l prod_{i<l} s_i (Araujo et al. 2019, eqs. 2 and 6)."""
    for layers, _, rf_from, summary in _valid_summaries(seed=7, count=100, depth=(1, 8), size=(30, 80)):
        for axis in (0, 1):
            steps = [_geometry(layer, axis) for layer in layers[rf_from:]]
            strides = [1]
            for _, s, _, _ in steps:
                strides.append(strides[-1] * s)
            r0 = sum((dilated_span(k, d) - 1) * strides[i] for i, (k, _, _, d) in enumerate(steps)) + 1
            u0 = -sum(lo * strides[i] for i, (_, _, lo, _) in enumerate(steps))
            last = summary.layers[-1]
            assert last.rf[axis] == r0
            assert last.jump[axis] == strides[-1]
            assert last.start[axis] == u0 + (r0 - 1) / 2


def test_rf_working_top_down_equals_bottom_up() -> None:
    for layers, shape, rf_from, summary in _valid_summaries(seed=3, count=60, depth=(1, 6), size=(30, 60)):
        working = rf_working(layers, shape, rf_from=rf_from)
        assert working.rf == summary.layers[-1].rf


# --------------------------------------------------------------------------- torch autograd oracle
def test_rf_and_centre_match_autograd_on_all_ones_networks() -> None:
    """Gradient support of an interior output unit of the real network (ones weights, pools as ones kernels)."""
    torch = pytest.importorskip("torch")

    def as_torch(layer: Layer) -> torch.nn.Module:
        if isinstance(layer, (Conv2D, MaxPool2D, AvgPool2D)):
            k, s, _, d = (tuple(g[i] for g in (_geometry(layer, 0), _geometry(layer, 1))) for i in range(4))
            pads = [layer.padding] * 2 if isinstance(layer.padding, int) else list(layer.padding)
            (top, bottom), (left, right) = (p if isinstance(p, tuple) else (p, p) for p in pads)
            conv = torch.nn.Conv2d(1, 1, k, s, 0, d, bias=False).double()
            torch.nn.init.ones_(conv.weight)
            return torch.nn.Sequential(torch.nn.ZeroPad2d((left, right, top, bottom)), conv)
        if isinstance(layer, ZeroPad2D):
            (top, bottom), (left, right) = layer.padding
            return torch.nn.ZeroPad2d((left, right, top, bottom))
        return torch.nn.Identity()

    checked = 0
    for layers, shape, _, _ in _valid_summaries(seed=11, count=80, depth=(1, 6), size=(40, 90)):
        summary = summarize(layers, shape)
        net = torch.nn.Sequential(*(as_torch(layer) for layer in layers))
        x = torch.ones(1, *shape, dtype=torch.float64, requires_grad=True)
        out = net(x)
        last = summary.layers[-1]
        unit = [out.shape[2 + a] // 2 for a in (0, 1)]
        lo = [last.start[a] + unit[a] * last.jump[a] - (last.rf[a] - 1) / 2 for a in (0, 1)]
        hi = [lo[a] + last.rf[a] - 1 for a in (0, 1)]
        if any(lo[a] < 0 or hi[a] > shape[1 + a] - 1 for a in (0, 1)):
            continue  # the field reaches the padding: the real network cannot show all of it
        out[0, 0, unit[0], unit[1]].backward()
        support = x.grad[0, 0].nonzero()
        for a in (0, 1):
            assert support[:, a].min().item() == lo[a] and support[:, a].max().item() == hi[a], (layers, a)
        checked += 1
    assert checked >= 20


def test_transposed_conv_stride_one_rf_matches_autograd() -> None:
    torch = pytest.importorskip("torch")
    layer = ConvTranspose2D(1, (3, 4), padding=(1, 2), dilation=(2, 1), bias=False)
    summary = summarize([layer], (1, 20, 20))
    module = torch.nn.ConvTranspose2d(1, 1, (3, 4), padding=(1, 2), dilation=(2, 1), bias=False).double()
    torch.nn.init.ones_(module.weight)
    x = torch.ones(1, 1, 20, 20, dtype=torch.float64, requires_grad=True)
    module(x)[0, 0, 10, 10].backward()
    support = x.grad[0, 0].nonzero()
    row = summary.layers[0]
    for a in (0, 1):
        lo = row.start[a] + 10 * row.jump[a] - (row.rf[a] - 1) / 2
        assert support[:, a].min().item() == lo and support[:, a].max().item() == lo + row.rf[a] - 1


def test_strided_transposed_conv_has_a_fractional_jump() -> None:
    """A stride-2 transposed conv puts its outputs half an input unit apart: jump 1/2, exact.

    Output o of ConvTranspose(k=3, s=2, p=0) takes the inputs i with 2i in [o - 2, o]: at most
    floor(2/2) + 1 = 2 of them (rf 3 + 1*1 = 4), centred at (o - 1)/2 conv units, so the first
    output's centre is 1 + (-1/2)*1 = 0.5; the conv after it adds (3 - 1)*(1/2) = 1 to the size.
    """
    from fractions import Fraction

    summary = summarize([Conv2D(4, 3), ConvTranspose2D(4, 3, stride=2), Conv2D(4, 3)], (1, 12, 12))
    assert summary.layers[0].rf == (3, 3)
    assert summary.layers[1].rf == (4, 4) and summary.layers[1].jump == (Fraction(1, 2),) * 2
    assert summary.layers[1].start == (0.5, 0.5)
    assert summary.layers[2].rf == (5, 5) and summary.layers[2].start == (1, 1)
    assert summarize([Conv2D(4, 3), ConvTranspose2D(4, 3, stride=2), Conv2D(4, 3)], (1, 12, 12),
                     rf_from=2).layers[2].rf == (3, 3)


# --------------------------------------------------------------------------- shapes through random stacks vs PyTorch
def test_random_stacks_shapes_and_params_match_pytorch() -> None:
    pytest.importorskip("torch")
    from tests.test_layers import torch_counts, torch_layer, torch_output_shape

    rng = random.Random(42)
    checked = 0
    while checked < 40:
        layers = random_spatial_stack(rng, rng.randint(1, 5), filters=rng.randint(1, 4))
        layers.insert(rng.randint(0, len(layers)), rng.choice([BatchNorm2D(), Dropout(0.3), ReLU()]))
        if rng.random() < 0.5:
            layers += [Flatten(), Dense(rng.randint(1, 9)), Softmax()]
        shape = (rng.randint(1, 3), rng.randint(12, 40), rng.randint(12, 40))
        try:
            summary = summarize(layers, shape)
        except ConvCalcError:
            continue
        current = shape
        for row, layer in zip(summary.layers, layers):
            module = torch_layer(layer, current)
            assert row.output_shape == torch_output_shape(module, current), (layers, row.index)
            counts = torch_counts(module)
            assert (row.trainable, row.non_trainable) == (counts.trainable, counts.non_trainable)
            current = row.output_shape
        checked += 1


# --------------------------------------------------------------------------- published figures
SEED_HW5_Q53 = [Conv2D(8, 3), Conv2D(8, 3), Conv2D(8, 3)]


def test_seed_hw5_question_5_3() -> None:
    """Three 3x3 stride-1 layers: 5 on layer 1's output (the seed's answer), 7 on the input."""
    assert summarize(SEED_HW5_Q53, (1, 16, 16), rf_from=1).layers[-1].rf == (5, 5)
    assert summarize(SEED_HW5_Q53, (1, 16, 16)).layers[-1].rf == (7, 7)
    working = rf_working(SEED_HW5_Q53, (1, 16, 16), rf_from=1)
    assert [sizes[0] for sizes in working.sizes] == [5, 3, 1]  # RF1 = 5, RF2 = 3, RF3 = 1 as in the seed


def _endpoints(layers: list[Layer], names: list[str | None]) -> dict[str, tuple[int, int, int]]:
    summary = summarize(layers, (3, 224, 224))
    result = {}
    for row, name in zip(summary.layers, names):
        if name:
            padding = (row.rf[0] - 1) / 2 - row.start[0]  # Distill's effective padding P
            result[name] = (row.rf[0], row.jump[0], padding)
    return result


# google-research/receptive_field RECEPTIVE_FIELD_TABLE.md (TF-Slim models): end-point -> (RF, stride, padding)
VGG16_TABLE = {
    "conv1_1": (3, 1, 1), "pool1": (6, 2, 2), "conv2_1": (10, 2, 4), "pool2": (16, 4, 6), "conv3_1": (24, 4, 10),
    "conv3_2": (32, 4, 14), "pool3": (44, 8, 18), "conv4_1": (60, 8, 26), "conv4_2": (76, 8, 34),
    "pool4": (100, 16, 42), "conv5_1": (132, 16, 58), "conv5_2": (164, 16, 74), "pool5": (212, 32, 90),
}
ALEXNET_V2_TABLE = {
    "conv1": (11, 4, 0), "pool1": (19, 8, 0), "conv2": (51, 8, 16), "conv3": (99, 16, 32), "conv4": (131, 16, 48),
    "conv5": (163, 16, 64), "pool5": (195, 32, 64),
}


def test_vgg16_receptive_fields_match_the_published_table() -> None:
    from convcalc.presets import preset

    layers, _ = preset("vgg16")
    names: list[str | None] = []
    block, conv = 1, 1
    for layer in layers:
        if isinstance(layer, Conv2D):
            names.append(f"conv{block}_{conv}")
            conv += 1
        elif isinstance(layer, MaxPool2D):
            names.append(f"pool{block}")
            block, conv = block + 1, 1
        else:
            names.append(None)
    found = _endpoints(layers, names)
    assert {name: found[name] for name in VGG16_TABLE} == VGG16_TABLE


def test_alexnet_v2_receptive_fields_match_the_published_table() -> None:
    """TF-Slim alexnet_v2: conv1 11x11/4 VALID, 3x3/2 pools, SAME convs 5x5, 3x3, 3x3, 3x3."""
    layers = [Conv2D(64, 11, stride=4), MaxPool2D(3, stride=2), Conv2D(192, 5, padding="same"),
              MaxPool2D(3, stride=2), Conv2D(384, 3, padding="same"), Conv2D(384, 3, padding="same"),
              Conv2D(256, 3, padding="same"), MaxPool2D(3, stride=2)]
    names = ["conv1", "pool1", "conv2", None, "conv3", "conv4", "conv5", "pool5"]
    assert _endpoints(layers, names) == ALEXNET_V2_TABLE


def test_distill_centres_sit_on_the_grid_with_half_kernel_padding() -> None:
    """Distill: if p_l = (k_l - 1)/2 for every layer, the centres are 0, S, 2S, ..."""
    summary = summarize([Conv2D(4, 3, padding=1), Conv2D(4, 5, stride=2, padding=2), Conv2D(4, 7, stride=3,
                                                                                              padding=3)], (1, 30, 30))
    assert [row.start for row in summary.layers] == [(0, 0)] * 3
    assert summary.layers[-1].jump == (6, 6)


# --------------------------------------------------------------------------- counting conventions
def test_conv_vector_of_reference_md() -> None:
    """REFERENCE.md section 4 item 6: Conv2d(3, 8, 3) on 3x32x32 (30x30 outputs)."""
    layer = [Conv2D(8, 3)]
    assert summarize(layer, (3, 32, 32)).total_macs == 194_400
    assert summarize(layer, (3, 32, 32), convention="torchinfo").total_macs == 201_600
    assert summarize(layer, (3, 32, 32), convention="flops").total_macs == 388_800


# Measured with torchinfo 1.8.0, thop 0.1.1.post2209072238, ptflops 0.7.5 (default pytorch backend) and
# fvcore 0.1.5.post20221221 on the PyTorch module each spec describes, batch 1 and batch 2:
# case -> {convention: (batch 1, batch 2)}.
MEASURED = {
    "conv": (Conv2D(8, 3), (3, 32, 32), dict(torchinfo=(201600, 403200), thop=(194400, 388800),
                                             ptflops=(201600, 201600), fvcore=(194400, 388800))),
    "conv-grouped": (Conv2D(8, 3, groups=2, stride=2, padding=1), (4, 16, 16),
                     dict(torchinfo=(9728, 19456), thop=(9216, 18432), ptflops=(9728, 9728), fvcore=(9216, 18432))),
    "conv-transposed": (ConvTranspose2D(6, 3, stride=2, padding=1, output_padding=1), (4, 7, 7),
                        dict(torchinfo=(43512, 87024), thop=(42336, 84672), ptflops=(11760, 11760),
                             fvcore=(10584, 21168))),
    "dense": (Dense(10), (20,), dict(torchinfo=(210, 420), thop=(200, 400), ptflops=(210, 210), fvcore=(200, 400))),
    "maxpool": (MaxPool2D(2), (3, 8, 8), dict(torchinfo=(0, 0), thop=(0, 0), ptflops=(384, 384), fvcore=(0, 0))),
    "avgpool": (AvgPool2D(3, 2), (3, 9, 9), dict(torchinfo=(0, 0), thop=(48, 96), ptflops=(486, 486), fvcore=(0, 0))),
    "gap": (GlobalAvgPool2D(), (3, 8, 8), dict(torchinfo=(0, 0), thop=(195, 390), ptflops=(384, 384),
                                               fvcore=(192, 384))),
    "batchnorm": (BatchNorm2D(), (3, 8, 8), dict(torchinfo=(6, 12), thop=(768, 1536), ptflops=(384, 384),
                                                 fvcore=(384, 768))),
    "relu": (ReLU(), (3, 8, 8), dict(torchinfo=(0, 0), thop=(0, 0), ptflops=(384, 384), fvcore=(0, 0))),
    "softmax": (Softmax(), (10,), dict(torchinfo=(0, 0), thop=(29, 58), ptflops=(10, 10), fvcore=(0, 0))),
    "dropout": (Dropout(0.5), (3, 8, 8), dict(torchinfo=(0, 0), thop=(0, 0), ptflops=(0, 0), fvcore=(0, 0))),
}


@pytest.mark.parametrize("case", MEASURED)
def test_conventions_reproduce_the_tools(case: str) -> None:
    layer, shape, expected = MEASURED[case]
    for convention, (one, two) in expected.items():
        assert summarize([layer], shape, convention=convention).total_macs == one, convention
        assert summarize([layer], shape, convention=convention, batch=2).total_macs == two, convention


def test_default_and_flops_conventions_ignore_batch_and_bias() -> None:
    for batch in (1, 3):
        assert summarize(HW5, (1, 28, 28), batch=batch).total_macs == 736_488
        assert summarize(HW5, (1, 28, 28), batch=batch, convention="flops").total_macs == 2 * 736_488
    assert set(CONVENTIONS) == {"torchvision", "torchinfo", "fvcore", "ptflops", "thop", "flops"}


# --------------------------------------------------------------------------- rows, totals, options
def test_rows_sum_to_the_totals() -> None:
    summary = summarize(HW5, (1, 28, 28), batch=4, dtype="float16")
    assert summary.total_params == sum(r.params for r in summary.layers) == 542_230
    assert summary.trainable_params == 542_230 and summary.non_trainable_params == 0
    assert summary.total_macs == sum(r.macs for r in summary.layers)
    assert summary.activation_bytes == sum(r.activation_bytes for r in summary.layers)
    assert summary.layers[0].activation_bytes == 4 * 32 * 26 * 26 * 2
    assert summary.input_bytes == 4 * 784 * 2 and summary.param_bytes == 542_230 * 2
    assert summary.total_bytes == summary.input_bytes + summary.activation_bytes + summary.param_bytes


def test_batchnorm_running_stats_are_non_trainable() -> None:
    summary = summarize([Conv2D(4, 3), BatchNorm2D()], (1, 8, 8))
    assert (summary.trainable_params, summary.non_trainable_params) == (40 + 8, 8)


def test_nhwc_layout_is_the_same_network_in_keras_order() -> None:
    first = summarize(HW5, (1, 28, 28))
    last = summarize(HW5, (28, 28, 1), layout="nhwc")
    assert last.layers[0].output_shape == (26, 26, 32) and last.input_shape == (28, 28, 1)
    assert [r.output_shape[-1:] + r.output_shape[:-1] for r in last.layers if len(r.output_shape) > 1] == [
        r.output_shape for r in first.layers if len(r.output_shape) > 1]
    assert (last.total_params, last.total_macs) == (first.total_params, first.total_macs)
    assert [r.rf for r in last.layers] == [r.rf for r in first.layers]


def test_rf_through_flatten_and_dense_covers_the_grid() -> None:
    rows = summarize(HW5, (1, 28, 28)).layers
    assert [r.rf[0] for r in rows] == [3, 3, 4, 4, 28, 28, 28, 28]
    assert rows[4].start == (13.5, 13.5)  # the centre of a 28-pixel image


def test_rf_from_a_flat_layer_and_from_the_last() -> None:
    assert summarize(HW5, (1, 28, 28), rf_from=4).layers[4].rf == (13, 13)
    rows = summarize(HW5, (1, 28, 28), rf_from=8).layers
    assert all(r.rf is None for r in rows[:7]) and rows[7].rf == (1, 1)
    assert summarize([Dense(5), ReLU()], (7,)).layers[0].rf is None  # no spatial axis to follow


def test_to_dict_is_the_json_contract() -> None:
    data = summarize(HW5, (1, 28, 28)).to_dict()
    assert {"layers", "total_params", "total_macs"} <= set(data)
    first = data["layers"][0]
    assert {"name", "output_shape", "params", "macs", "rf", "jump", "start"} <= set(first)
    assert (first["name"], first["output_shape"], first["rf"], first["start"]) == ("Conv2D(32, 3, s=1, p=0)",
                                                                                  [32, 26, 26], 3, 1)
    per_axis = summarize([Conv2D(2, (3, 5))], (1, 9, 9)).to_dict()["layers"][0]
    assert (per_axis["rf"], per_axis["start"]) == ([3, 5], [1, 2])


ERRORS = [
    (dict(layers=HW5[:4] + [Conv2D(8, 3)]), r"layer 5 \(Conv2D\(8, 3, s=1, p=0\)\): Conv2D needs an input"),
    (dict(layers=[Conv2D(8, 3), Conv2D(8, 3), Conv2D(64, 5)], input_shape=(1, 8, 8)),
     r"^layer 3 \(Conv2D\(64, 5, s=1, p=0\)\): kernel 5 is larger than the padded input 4"),
    (dict(layers=[Conv2D(8, 3), "relu"]), "layer 2: expected a layer spec"),
    (dict(layout="nwhc"), "'layout'"),
    (dict(convention="keras"), "'convention'"),
    (dict(dtype="float8"), "'dtype'"),
    (dict(batch=0), "'batch'"),
    (dict(rf_from=9), "'rf_from'"),
    (dict(rf_from=-1), "'rf_from'"),
    (dict(input_shape=(1, 0, 28)), "'input_shape'"),
    (dict(input_shape="1x28x28"), "'input_shape'"),
]


@pytest.mark.parametrize(("changes", "match"), ERRORS, ids=[m for _, m in ERRORS])
def test_errors_name_the_layer_or_the_parameter(changes: dict, match: str) -> None:
    arguments = dict(layers=HW5, input_shape=(1, 28, 28)) | changes
    with pytest.raises(ConvCalcError, match=match) as caught:
        summarize(arguments.pop("layers"), arguments.pop("input_shape"), **arguments)
    error = caught.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


def test_rf_working_refuses_a_layer_without_rf() -> None:
    with pytest.raises(ConvCalcError, match=r"layer 2 \(ConvTranspose2D"):
        rf_working([Conv2D(4, 3), ConvTranspose2D(4, 3, stride=2)], (1, 9, 9))


def test_summary_is_a_frozen_dataclass() -> None:
    summary = summarize(HW5, (1, 28, 28))
    assert isinstance(summary, Summary) and prod(summary.output_shape) == 10
    with pytest.raises(AttributeError):
        summary.total_params = 0  # type: ignore[misc]
