"""Every trainable module's backward pass against the numerical gradient (float64), and the
modules' output shapes against the specs' predictions (the arithmetic core)."""

from __future__ import annotations

import numpy as np
import pytest

from convcalc import ConvCalcError
from convcalc import layers as L
from convcalc.engine import numerical_gradient, rel_error
from convcalc.nn import build_module
from convcalc.nn.activations import elu, leaky_relu, log_softmax, sigmoid, softmax

TOL = 1e-7

# (id, spec, input shape without the batch axis)
CASES = [
    ("conv_valid", L.Conv2D(3, 3), (2, 6, 5)),
    ("conv_pad_stride", L.Conv2D(2, 3, stride=2, padding=1), (2, 7, 6)),
    ("conv_same_even", L.Conv2D(2, (2, 4), padding="same"), (1, 5, 6)),
    ("conv_keras_same_stride", L.Conv2D(2, 3, stride=2, padding="same"), (1, 6, 7)),
    ("conv_dilated", L.Conv2D(2, 2, dilation=2), (2, 6, 6)),
    ("conv_groups", L.Conv2D(4, 3, groups=2, padding=1, bias=False), (4, 4, 4)),
    ("conv_k_equals_n", L.Conv2D(2, (4, 3)), (1, 4, 3)),
    ("maxpool", L.MaxPool2D(2), (2, 6, 6)),
    ("maxpool_overlap_pad", L.MaxPool2D(3, stride=2, padding=1), (2, 7, 6)),
    ("maxpool_ceil", L.MaxPool2D(2, ceil_mode=True), (1, 5, 7)),
    ("maxpool_dilated", L.MaxPool2D(2, stride=1, dilation=2), (1, 6, 5)),
    ("avgpool", L.AvgPool2D(2), (2, 6, 6)),
    ("avgpool_pad", L.AvgPool2D(3, stride=2, padding=1), (1, 7, 7)),
    ("avgpool_same_keras", L.AvgPool2D(2, padding="same"), (1, 5, 5)),
    ("adaptive_avg", L.AdaptiveAvgPool2D(2), (2, 6, 4)),
    ("global_avg", L.GlobalAvgPool2D(), (3, 4, 5)),
    ("global_max", L.GlobalMaxPool2D(keepdims=True), (3, 4, 5)),
    ("zeropad", L.ZeroPad2D(((1, 2), (0, 3))), (2, 3, 3)),
    ("batchnorm2d", L.BatchNorm2D(), (3, 4, 4)),
    ("batchnorm1d", L.BatchNorm1D(), (5,)),
    ("flatten", L.Flatten(), (2, 3, 4)),
    ("dense", L.Dense(4), (7,)),
    ("dense_nobias", L.Dense(3, bias=False), (5,)),
    ("relu", L.ReLU(), (2, 3, 3)),
    ("leaky_relu", L.LeakyReLU(0.2), (2, 3, 3)),
    ("elu", L.ELU(0.7), (2, 3, 3)),
    ("sigmoid", L.Sigmoid(), (6,)),
    ("tanh", L.Tanh(), (6,)),
    ("softmax", L.Softmax(), (5,)),
]
IDS = [c[0] for c in CASES]


def _module(spec, shape, seed=0):
    rng = np.random.default_rng(seed)
    module = build_module(spec, shape, rng=rng, dropout_rng=np.random.default_rng(1), init="glorot_normal",
                          dtype=np.float64)
    for array in module.params.values():  # non-trivial values everywhere (biases, BN gamma/beta too)
        array[...] = rng.standard_normal(array.shape)
    return module


def _input(shape, seed=2):
    # distinct values, away from ReLU's kink and pooling ties
    x = np.random.default_rng(seed).permutation(np.prod(shape)).reshape(shape).astype(np.float64)
    return (x - x.mean()) / x.std() + 0.01


@pytest.mark.parametrize("name,spec,shape", CASES, ids=IDS)
def test_output_shape_is_the_specs(name, spec, shape):
    module = _module(spec, shape)
    out = module.forward(_input((3, *shape)), training=True)
    assert out.shape == (3, *spec.output_shape(shape))


@pytest.mark.parametrize("name,spec,shape", CASES, ids=IDS)
def test_backward_matches_numerical_gradient(name, spec, shape):
    module = _module(spec, shape)
    x = _input((3, *shape))
    out = module.forward(x, training=True)
    dout = np.random.default_rng(3).standard_normal(out.shape)
    dx = module.backward(dout)
    grads = {k: g.copy() for k, g in module.grads.items()}

    def f(_):  # reads x and the parameters afresh, in training mode (batch statistics for BN)
        return module.forward(x, training=True)

    assert rel_error(dx, numerical_gradient(f, x, dout)) < TOL
    assert set(grads) == set(module.params)
    for key, param in module.params.items():
        assert rel_error(grads[key], numerical_gradient(f, param, dout)) < TOL, key


def test_dropout_is_inverted_and_seeded():
    spec = L.Dropout(0.25)
    a = build_module(spec, (1000,), rng=np.random.default_rng(0), dropout_rng=np.random.default_rng(5))
    b = build_module(spec, (1000,), rng=np.random.default_rng(0), dropout_rng=np.random.default_rng(5))
    x = np.ones((4, 1000), np.float32)
    out = a.forward(x, training=True)
    np.testing.assert_array_equal(out, b.forward(x, training=True))
    assert set(np.unique(out)) == {0.0, np.float32(1 / 0.75)}
    assert abs((out == 0).mean() - 0.25) < 0.02
    np.testing.assert_array_equal(a.backward(np.full_like(x, 2.0)), 2.0 * out)  # same mask, same scale
    np.testing.assert_array_equal(a.forward(x, training=False), x)


def test_dropout_gradient_with_its_mask():
    module = build_module(L.Dropout(0.5), (6,), rng=np.random.default_rng(0), dropout_rng=np.random.default_rng(0))
    x = _input((3, 6))
    out = module.forward(x, training=True)
    mask = module._mask.copy()
    dout = np.random.default_rng(1).standard_normal(out.shape)
    assert rel_error(module.backward(dout), numerical_gradient(lambda v: v * mask, x, dout)) < TOL


def test_batchnorm_running_statistics_follow_pytorch():
    module = _module(L.BatchNorm2D(), (2, 3, 3))
    x = _input((4, 2, 3, 3))
    module.forward(x, training=True)
    mean = x.mean(axis=(0, 2, 3))
    var = x.var(axis=(0, 2, 3), ddof=1)  # unbiased, as torch
    np.testing.assert_allclose(module.buffers["running_mean"], 0.1 * mean)
    np.testing.assert_allclose(module.buffers["running_var"], 0.9 + 0.1 * var)
    out = module.forward(x, training=False)  # inference uses the running statistics
    expected = (x - (0.1 * mean)[None, :, None, None]) / np.sqrt((0.9 + 0.1 * var) + 1e-5)[None, :, None, None]
    w, b = module.params["weight"], module.params["bias"]
    np.testing.assert_allclose(out, expected * w[None, :, None, None] + b[None, :, None, None], rtol=1e-12)


ACTIVATIONS = [
    ("relu", lambda x: np.maximum(x, 0), lambda x: np.where(x > 0, x, 0.0)),
    ("leaky", lambda x: leaky_relu(x, 0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
    ("elu", lambda x: elu(x, 2.0), lambda x: np.where(x > 0, x, 2.0 * (np.exp(np.minimum(x, 0)) - 1))),
    ("sigmoid", sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    ("softmax", softmax, lambda x: np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)),
    ("log_softmax", log_softmax, lambda x: x - np.log(np.exp(x).sum(axis=1, keepdims=True))),
]


@pytest.mark.parametrize("name,fn,naive", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_functions_equal_their_textbook_formulas(name, fn, naive):
    x = np.linspace(-4, 4, 24).reshape(4, 6)
    np.testing.assert_allclose(fn(x), naive(x), rtol=1e-12, atol=1e-15)


def test_softmax_and_sigmoid_are_stable_for_huge_inputs():
    x = np.array([[1000.0, 0.0, -1000.0]], dtype=np.float32)
    assert np.isfinite(softmax(x)).all() and np.isfinite(log_softmax(x)).all()
    np.testing.assert_allclose(softmax(x), [[1, 0, 0]], atol=1e-30)
    assert sigmoid(np.array([-1e4, 1e4], np.float32)).tolist() == [0.0, 1.0]


@pytest.mark.parametrize("spec", [L.Conv3D(2, 3), L.ConvTranspose2D(2, 3), L.MaxPool1D(2), L.AdaptiveAvgPool2D(4)],
                         ids=["conv3d", "transposed", "pool1d", "adaptive_uneven"])
def test_unsupported_specs_name_themselves(spec):
    shape = {1: (2, 8), 2: (2, 6, 6), 3: (2, 5, 5, 5)}[getattr(spec, "ndim", 2)]
    with pytest.raises(ConvCalcError, match="cannot train"):
        build_module(spec, shape, rng=np.random.default_rng(0), dropout_rng=np.random.default_rng(0))


def test_whole_model_gradients_with_relu_deferred_into_max_pool():
    """Sequential runs ReLU -> MaxPool2D as pool-then-ReLU; the parameter gradients must not change."""
    from convcalc.nn import Sequential
    from convcalc.nn.training import _step

    # overlapping windows: no fused convolution block, but the ReLU still moves after the pooling
    specs = [L.Conv2D(3, 3), L.ReLU(), L.MaxPool2D(3, stride=2), L.Flatten(), L.Dense(4), L.Softmax()]
    model = Sequential(specs, (1, 9, 9), dtype="float64", seed=0)
    assert [(type(s.module).__name__, s.first, s.stop) for s in model.steps[:2]] == \
        [("Conv2d", 0, 1), ("ReluMaxPool2d", 1, 3)]
    model.compile("sgd", "sparse_categorical_crossentropy", lr=0.0)  # lr 0: the step leaves the weights alone
    x, y = _input((5, 1, 9, 9)), np.array([0, 1, 2, 3, 0])
    _step(model, x, y, model.named_parameters())
    loss = model.loss.from_logits

    def f(_):
        return np.array(loss(model.forward(x, stop=-1), y)[0])

    for i, module in enumerate(model.modules):
        for key, param in module.params.items():
            assert rel_error(module.grads[key], numerical_gradient(f, param, np.array(1.0))) < TOL, (i, key)
    from convcalc.engine import max_pool2d_forward

    relu_then_pool, _ = max_pool2d_forward(np.maximum(model.modules[0].forward(x), 0), 3, 2)
    np.testing.assert_array_equal(model.forward(x, stop=3), relu_then_pool)


@pytest.mark.parametrize("specs, shape, fused", [
    ([L.Conv2D(3, 3), L.ReLU(), L.MaxPool2D(2)], (2, 9, 9), [True]),            # conv 7x7: last row dropped
    ([L.Conv2D(3, 3, padding=1), L.MaxPool2D(2)], (1, 8, 8), [True]),             # no ReLU between
    ([L.Conv2D(2, 3), L.ReLU(), L.MaxPool2D(2), L.Conv2D(4, 2), L.ReLU(), L.MaxPool2D(2)], (1, 12, 12),
     [True, True]),
    ([L.Conv2D(4, 3, groups=2), L.ReLU(), L.MaxPool2D(2)], (2, 8, 8), [False]),  # groups: pool-then-ReLU only
    ([L.Conv2D(3, 3), L.ReLU(), L.MaxPool2D(2, ceil_mode=True)], (1, 9, 9), [False]),  # a partial window
    ([L.Conv2D(3, 3), L.ReLU(), L.MaxPool2D(2, ceil_mode=True)], (1, 8, 8), [True]),   # ceil = floor here
    ([L.Conv2D(3, 3), L.ReLU(), L.MaxPool2D(2, padding=1)], (1, 8, 8), [False]),
])
def test_fused_conv_pool_blocks_train_exactly_like_the_modules_as_written(specs, shape, fused):
    """``Conv2D -> [ReLU ->] MaxPool2D`` runs as one engine pass: same outputs, same gradients, same step."""
    from convcalc.nn import Sequential
    from convcalc.nn.training import _step

    specs = specs + [L.Flatten(), L.Dense(3), L.Softmax()]
    models = [Sequential(specs, shape, dtype="float64", seed=1, fuse=fuse) for fuse in (True, False)]
    kinds = [type(s.module).__name__ for s in models[0].steps if type(s.module).__name__ in ("Conv2d",
                                                                                          "ConvMaxPool2d")]
    assert [kind == "ConvMaxPool2d" for kind in kinds] == fused
    assert [s.module for s in models[1].steps] == models[1].modules  # fuse=False runs the modules as written
    # seed 3: no two cells of a pooling window within the finite-difference step (seed 2 has one)
    x, y = _input((6,) + shape, seed=3), np.array([0, 1, 2, 0, 1, 2])
    np.testing.assert_allclose(models[0].predict(x), models[1].predict(x), rtol=1e-12)
    for model in models:
        model.compile("sgd", "sparse_categorical_crossentropy", lr=0.1, momentum=0.9)
    losses = [_step(m, x, y, m.named_parameters())[0] for m in models]
    assert losses[0] == pytest.approx(losses[1], rel=1e-12)
    for a, b in zip(models[0].modules, models[1].modules):
        for key in a.params:
            np.testing.assert_allclose(a.grads[key], b.grads[key], rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(a.params[key], b.params[key], rtol=1e-10, atol=1e-12)
    model = Sequential(specs, shape, dtype="float64", seed=1)
    model.compile("sgd", "sparse_categorical_crossentropy", lr=0.0)  # lr 0: the step leaves the weights alone
    _step(model, x, y, model.named_parameters())
    f = lambda _: np.array(model.loss.from_logits(model.forward(x, stop=-1), y)[0])  # noqa: E731
    for module in model.modules:
        for key, param in module.params.items():
            assert rel_error(module.grads[key], numerical_gradient(f, param, np.array(1.0))) < TOL


@pytest.mark.parametrize("options", [{"scale": False}, {"bias": False}, {"track_running_stats": False}])
def test_a_batch_norm_without_its_affine_or_statistics_is_refused_not_trained_affine(options):
    from convcalc import layers as L
    from convcalc.errors import ConvCalcError
    from convcalc.nn import Sequential

    with pytest.raises(ConvCalcError, match=f"{next(iter(options))}=False is not supported"):
        Sequential([L.Conv2D(4, 3), L.BatchNorm2D(**options), L.Flatten(), L.Dense(2)], (1, 6, 6))
