"""Training branching models (res/cat/add/mul blocks, the functional API) with Sequential's own machinery.

Oracles: finite differences of the whole model's loss (float64) for the summed gradients of a node
read by several nodes; the uninterrupted run for an interrupted and resumed one (bit for bit, through
the API and through ``convcalc train --save/--resume``); the saved model's outputs for the loaded one.
PyTorch comparisons of random graphs are in tests/test_nn_graph_torch.py.
"""

from __future__ import annotations

import json
import os
import signal

import numpy as np
import pytest

from convcalc import layers as L
from convcalc.errors import ConvCalcError
from convcalc.graph import Add, Concat, Input, Model
from convcalc.nn import Sequential, TrainingInterrupted
from convcalc.nn.losses import get_loss
from convcalc.spec import load_stack
from tests.test_nn_model import InterruptAfter, _same_weights

RES = "conv(4,3,p=1) bn relu 2*[res[conv(4,3,p=1) bn relu conv(4,3,p=1) bn] relu] gap dense(3)"
CAT = "conv(4,3,p=1) relu cat[conv(2,1) | conv(3,3,p=1) bn relu | pool(3,s=1,p=1) | ] avgpool(2) flatten dense(3)"
SHAPE = (1, 6, 6)


def _graph_model(spec, seed=0, dtype="float32"):
    graph, _ = load_stack(spec, SHAPE, require_shape=False)
    model = Sequential(graph, SHAPE, seed=seed, init="he_normal", dtype=dtype)
    model.compile("sgd", "sparse_categorical_crossentropy", lr=0.1, momentum=0.9)
    return model


def _data(n, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.uniform(0, 0.3, (n, *SHAPE)).astype(np.float32)
    x[y == 0, :, :3] += 0.7
    x[y == 1, :, 3:] += 0.7
    return x, y


def _loss(model, x, y):
    out = model.forward(x, True, stop=model.loss_stop)
    return model.loss.from_logits(out, y)[0]


@pytest.mark.parametrize("spec", [RES, CAT, "conv(3,3,p=1) relu add[conv(3,1) | conv(3,3,p=1)] relu "
                                  "mul[conv(3,1) sigmoid | ] flatten dense(3)",
                                  "conv(4,3,p=1) relu mul[avgpool(6) conv(4,1) sigmoid | ] gap dense(3)"],
                         ids=["res", "cat", "add_mul", "se_gate_broadcast"])
def test_graph_gradients_match_finite_differences_of_the_loss(spec):
    """Every parameter's gradient (a shortcut's input gets the body's and the shortcut's sum) against
    centred differences of the batch loss, float64 (batch norm in training mode on the same batch)."""
    model = _graph_model(spec, dtype="float64")
    x, y = _data(5, 1)
    x = x.astype(np.float64)
    loss, d = model.loss.from_logits(model.forward(x, True, stop=model.loss_stop), y)
    model.backward(d, stop=model.loss_stop)
    grads = {f"{i}.{k}": g.copy() for i, m in enumerate(model.modules) for k, g in m.grads.items()}
    params = model.named_parameters()
    assert grads.keys() == params.keys() and len(params) > 4
    rng = np.random.default_rng(0)
    saved = model.get_weights()
    for name, array in params.items():
        for flat in rng.choice(array.size, size=min(3, array.size), replace=False):
            idx = np.unravel_index(flat, array.shape)
            old = array[idx]
            array[idx] = old + 1e-6
            up = _loss(model, x, y)
            array[idx] = old - 1e-6
            down = _loss(model, x, y)
            array[idx] = old
            assert abs((up - down) / 2e-6 - grads[name][idx]) < 1e-6 * max(1, abs(grads[name][idx])), name
    model.set_weights(saved)


def test_the_functional_api_and_the_spec_build_the_same_trainable_model():
    x = Input(SHAPE)
    stem = L.ReLU()(L.BatchNorm2D()(L.Conv2D(4, 3, padding=1)(x)))
    body = L.BatchNorm2D()(L.Conv2D(4, 3, padding=1)(L.ReLU()(L.BatchNorm2D()(L.Conv2D(4, 3, padding=1)(stem)))))
    y = L.ReLU()(Add()(body, stem))
    y = L.ReLU()(Concat()(L.Conv2D(2, 1)(y), y))
    out = L.Dense(3)(L.GlobalAvgPool2D()(y))
    functional = Sequential(Model(x, out), SHAPE, seed=3)
    spec = Sequential.from_spec("conv(4,3,p=1) bn relu res[conv(4,3,p=1) bn relu conv(4,3,p=1) bn] relu "
                                "cat[conv(2,1) | ] relu gap dense(3)", SHAPE, seed=3)
    assert functional.graph is not None and spec.graph is not None
    assert [type(m) for m in functional.modules] == [type(m) for m in spec.modules]
    _same_weights(functional, spec)
    xs, _ = _data(4)
    np.testing.assert_array_equal(functional.predict(xs), spec.predict(xs))
    assert functional.output_shape == (3,) and functional.summary().total_params == functional.count_params() + 3 * 4 * 2  # 3 BN x (mean, var)


def test_batch_norm_keeps_running_statistics_in_a_graph_and_uses_them_in_eval_mode():
    model = _graph_model(RES)
    x, y = _data(48)
    before = model.named_buffers()["1.running_mean"].copy()
    model.fit(x, y, batch_size=16, epochs=1)
    after = model.named_buffers()["1.running_mean"]
    assert not np.array_equal(before, after)
    eval_out = model.forward(x[:8])
    assert np.array_equal(eval_out, model.forward(x[:8]))  # eval mode: no statistics move
    np.testing.assert_array_equal(model.named_buffers()["1.running_mean"], after)
    assert not np.allclose(eval_out, model.forward(x[:8], True))  # batch statistics differ from the running ones


def test_a_graph_learns_saves_loads_and_is_the_same_model(tmp_path):
    model = _graph_model(CAT)
    x, y = _data(120)
    history = model.fit(x, y, batch_size=16, epochs=6)
    assert history.epochs[-1]["accuracy"] > 0.9 > history.epochs[0]["accuracy"] - 0.5
    path = tmp_path / "cat.npz"
    model.save(path)
    loaded = Sequential.load(path)
    assert loaded.graph is not None and [n.inputs for n in loaded.graph.nodes] == [n.inputs for n in model.graph.nodes]
    _same_weights(model, loaded)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.evaluate(x, y) == model.evaluate(x, y)


@pytest.mark.parametrize("k", [4, 8, 17])
def test_an_interrupted_graph_run_resumes_bit_for_bit(tmp_path, k):
    x, y = _data(90)
    reference = _graph_model(RES)
    reference.fit(x, y, batch_size=16, epochs=3)
    path = tmp_path / "ckpt.npz"
    with pytest.raises(TrainingInterrupted):
        _graph_model(RES).fit(x, y, batch_size=16, epochs=3, callbacks=[InterruptAfter(k)], checkpoint=path)
    resumed = Sequential.load(path)
    resumed.fit(x, y, batch_size=16, epochs=3, resume=True)
    _same_weights(reference, resumed)


def test_graph_errors_are_one_clear_line():
    with pytest.raises(ConvCalcError, match="Add: the shapes of its inputs do not broadcast"):
        Sequential.from_spec("conv(4,3) add[conv(4,3) | ] gap dense(2)", SHAPE)
    graph, _ = load_stack(RES, SHAPE, require_shape=False)
    model = Sequential(graph, SHAPE)
    model.loss = get_loss("sparse_categorical_crossentropy")
    with pytest.raises(ConvCalcError, match="expects inputs of shape"):
        model.predict(np.zeros((2, 1, 5, 5)))


TINY_RES = "conv(4,3,p=1) bn relu 2*[res[conv(4,3,p=1) bn relu conv(4,3,p=1) bn] relu] pool(4) flatten dense(10)"
ARGS = ["--model", TINY_RES, "--limit", "60", "--epochs", "2", "--batch-size", "20", "--lr", "0.05", "--momentum",
        "0.9"]


def test_cli_trains_a_residual_spec_and_resumes_it_after_ctrl_c(run_cli, tmp_path, monkeypatch):
    from convcalc.nn import training

    first = run_cli("train", *ARGS, "--json")
    assert first.exit_code == 0, first.output
    expected = json.loads(first.stdout)
    real_step, calls = training._step, []

    def step_then_ctrl_c(*args):
        calls.append(1)
        if len(calls) == 4:  # batch 1 of epoch 2
            os.kill(os.getpid(), signal.SIGINT)  # deferred to the end of this step
        return real_step(*args)

    monkeypatch.setattr(training, "_step", step_then_ctrl_c)
    path = tmp_path / "res.npz"
    assert run_cli("train", *ARGS, "--save", str(path)).exit_code == 130
    assert Sequential.load(path).graph is not None
    monkeypatch.setattr(training, "_step", real_step)
    out = run_cli("train", "--resume", str(path), "--json")
    assert out.exit_code == 0, out.output
    got = json.loads(out.stdout)
    assert [e["loss"] for e in got["epochs"]] == [e["loss"] for e in expected["epochs"]]
    assert got["test_accuracy"] == expected["test_accuracy"]


@pytest.mark.parametrize("damage", ["forward_reference", "not_a_list", "one_node_short", "bad_input_type"])
def test_a_damaged_graph_in_a_saved_model_is_one_clear_error(tmp_path, damage):
    from tests.test_nn_damaged_files import _rewrite

    model = _graph_model(RES)
    good = tmp_path / "good.npz"
    model.save(good)

    def change(meta):
        nodes = meta["graph"]
        if damage == "forward_reference":
            nodes[3]["inputs"] = [7]
        elif damage == "not_a_list":
            meta["graph"] = 5
        elif damage == "one_node_short":
            nodes.pop()
        else:
            nodes[2]["inputs"] = [[1]]

    bad = _rewrite(good, tmp_path / "bad.npz", change)
    with pytest.raises(ConvCalcError, match="damaged convcalc model"):
        Sequential.load(bad)


def test_a_branch_that_does_not_reach_the_output_gets_zero_gradients():
    graph, _ = load_stack("conv(4,3,p=1) as a conv(3,3) relu @a flatten dense(2)", SHAPE, require_shape=False)
    assert [n.inputs for n in graph.nodes] == [(), (0,), (1,), (2,), (1,), (4,)]
    model = Sequential(graph, SHAPE, seed=0)
    model.compile("sgd", "sparse_categorical_crossentropy", lr=0.1)
    dead = model.modules[1].params["weight"].copy()
    live = model.modules[0].params["weight"].copy()
    x, y = _data(16)
    model.fit(x, y % 2, batch_size=8, epochs=1)
    np.testing.assert_array_equal(model.modules[1].params["weight"], dead)
    assert not np.array_equal(model.modules[0].params["weight"], live)


@pytest.mark.parametrize("overwrite", [False, True])
def test_an_output_that_is_a_device_is_refused_even_with_overwrite(tmp_path, overwrite):
    from convcalc.nn.files import check_output

    link = tmp_path / "null.npz"
    link.symlink_to(os.devnull)
    with pytest.raises(ConvCalcError, match="special file, not a regular file; it is kept"):
        check_output(link, "--save", overwrite=overwrite)
    assert link.is_symlink()


def test_fused_batch_norm_relu_steps_compute_what_the_modules_compute():
    """fuse=True runs BatchNorm -> ReLU as one BatchNormReLU step (decided when the model is built); the values,
    gradients and running statistics equal those of the modules run one by one (float64), also for a pass that
    stops between the two, and a batch norm whose node has another reader is not fused."""
    inp = Input((3, 6, 6))
    bn = L.BatchNorm2D()(L.Conv2D(4, 3, padding=1)(inp))
    y = L.ReLU()(Add()(L.ReLU()(L.BatchNorm2D()(L.Conv2D(4, 3, padding=1)(L.ReLU()(bn)))), bn))
    graph = Model(inp, L.Dense(3)(L.GlobalAvgPool2D()(y)))
    models = [Sequential(graph, (3, 6, 6), dtype="float64", seed=1, fuse=fuse) for fuse in (True, False)]
    fused = [type(s.module).__name__ for s in models[0].steps]
    assert fused.count("BatchNormReLU") == 1 and fused.count("BatchNorm") == 1  # the first bn feeds two nodes
    assert [type(s.module).__name__ for s in models[1].steps] == [type(m).__name__ for m in models[1].modules]
    rng = np.random.default_rng(0)
    x, dout = rng.standard_normal((5, 3, 6, 6)), rng.standard_normal((5, 3))
    cut = next(s.first for s in models[0].steps if type(s.module).__name__ == "BatchNormReLU") + 1
    for stop in (None, cut):
        outs = [m.forward(x, True, stop=stop) for m in models]
        np.testing.assert_allclose(outs[0], outs[1], rtol=1e-12, atol=1e-12)
        d = rng.standard_normal(outs[0].shape)
        for m in models:
            m.backward(d if stop else dout, stop=stop)
        for a, b in zip(models[0].modules, models[1].modules):
            for k in a.params:
                np.testing.assert_allclose(a.grads[k], b.grads[k], rtol=1e-11, atol=1e-12)
            for k in a.buffers:
                np.testing.assert_allclose(a.buffers[k], b.buffers[k], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(models[0].predict(x), models[1].predict(x), rtol=1e-12, atol=1e-12)
