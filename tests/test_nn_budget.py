"""Memory and time estimates of a training run before any allocation (issues 10 and 15)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from convcalc.errors import ConvCalcError
from convcalc.nn import Sequential, budget, training
from convcalc.presets import preset


@pytest.mark.parametrize("spec,shape,batch", [
    ("hw5", (1, 28, 28), 128),
    ("lenet5", (1, 32, 32), 128),
    ("conv(8,5,p=2) relu conv(8,3) relu pool(2) flatten dense(10) softmax", (1, 28, 28), 64),
])
def test_the_activation_estimate_bounds_a_measured_training_step(spec, shape, batch):
    model = Sequential.from_spec(spec, shape)
    model.compile("sgd", "sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x, y = rng.random((batch, *shape), dtype=np.float32), rng.integers(0, 10, batch)
    params = model.named_parameters()
    training._step(model, x[:4], y[:4], params)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        training._step(model, x, y, params)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    estimate = budget.estimate_memory(model.layers, shape, batch, samples=batch, eval_samples=1)
    assert peak <= estimate.activations <= 6 * peak  # an upper bound, not absurdly loose


def test_parameters_and_optimiser_state_by_optimiser():
    layers, shape = preset("hw5")
    sgd = budget.estimate_memory(layers, shape, 32)
    momentum = budget.estimate_memory(layers, shape, 32, momentum=0.9)
    adam = budget.estimate_memory(layers, shape, 32, optimizer="adam", dtype="float64")
    assert sgd.parameters == 3 * 542230 * 4 and sgd.optimizer == 0
    assert momentum.optimizer == 2 * 542230 * 4
    assert adam.optimizer == 2 * 2 * 542230 * 8 and adam.parameters == 3 * 542230 * 8


def test_the_batch_is_capped_at_the_number_of_samples():
    layers, shape = preset("hw5")
    big = budget.estimate_memory(layers, shape, 10**9, samples=1000, eval_samples=1000)
    assert big.batch == 1000 and big.activations == budget.estimate_memory(layers, shape, 1000).activations


def test_a_huge_layer_is_refused_with_the_estimate_and_the_option():
    from convcalc.spec import read_spec

    layers = read_spec("flatten dense(1000000000000)").layers
    estimate = budget.estimate_memory(layers, (1, 28, 28), 32)
    with pytest.raises(ConvCalcError, match=r"--max-memory") as info:
        budget.check_memory(estimate, limit=8 * 10**9)
    assert "TB" in str(info.value) and "8 GB" in str(info.value)
    budget.check_memory(estimate, limit=estimate.total)  # the override lets it through


def test_available_memory_reads_meminfo_and_falls_back(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       24683792 kB\nMemAvailable:    1000 kB\n")
    assert budget.available_memory(str(meminfo)) == 1024000
    fallback = budget.available_memory(str(tmp_path / "missing"))
    assert fallback is None or fallback > 0


@pytest.mark.parametrize("text,expected", [("8G", 8 * 10**9), ("512MiB", 512 * 2**20), ("1.5gb", 15 * 10**8),
                                           ("100", 100), ("2 TB", 2 * 10**12)])
def test_parse_size(text, expected):
    assert budget.parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "-1G", "0", "8X", "1e9", "lots", "9" * 40])
def test_parse_size_refuses_with_the_option_name(text):
    with pytest.raises(ConvCalcError, match="max_memory"):
        budget.parse_size(text)


def test_train_refuses_a_huge_layer_before_allocating(run_cli):
    result = run_cli("train", "--model", "conv(4,3) relu flatten dense(1000000000000)", "--limit", "100",
                     "--epochs", "1")
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "--max-memory" in lines[0]
    assert "parameters" in lines[0] and "activations" in lines[0]


def test_train_refuses_a_batch_too_big_for_the_memory_and_max_memory_overrides(run_cli, monkeypatch):
    monkeypatch.setattr(budget, "available_memory", lambda *a: 2 * 10**6)
    args = ["--model", "conv(4,3) relu pool(2) flatten dense(10) softmax", "--limit", "300", "--epochs", "1",
            "--batch-size", "300", "--json"]
    refused = run_cli("train", *args)
    assert refused.exit_code == 2 and "--max-memory" in refused.output, refused.output
    assert run_cli("train", *args, "--max-memory", "1G").exit_code == 0
    bad = run_cli("train", *args, "--max-memory", "lots")
    assert bad.exit_code == 2 and "max_memory" in bad.output


def test_epoch_seconds_from_the_benchmark_rates():
    low, high = budget.estimate_epoch_seconds(736488, 60000)  # HW5 measured 6.66 s (docs/performance.md)
    assert low <= 6.66 <= high
    low, high = budget.estimate_epoch_seconds(416520, 60000)  # LeNet-5 4.98 s
    assert low <= 4.98 <= high * 1.01


def test_the_memory_check_comes_before_the_data_is_loaded(monkeypatch):
    from convcalc.nn import session

    def no_loading(*args, **kwargs):
        raise AssertionError("the dataset was loaded before the memory check")

    monkeypatch.setattr(session, "load_dataset", no_loading)
    with pytest.raises(ConvCalcError, match="--max-memory"):
        session.run(session.TrainConfig(model="flatten dense(1000000000000)", epochs=1))


def test_the_planned_input_pads_and_limits_as_prepare_data_does():
    from convcalc.nn import session

    assert session.planned_input(session.TrainConfig(model="lenet5", limit=100)) == ((1, 32, 32), 100, 1000)
    assert session.planned_input(session.TrainConfig(model="hw5", data="cifar-10")) == ((3, 32, 32), 50000, 10000)
    assert session.planned_input(session.TrainConfig(data="imagenet")) is None
    shape, n_train, n_test = session.planned_input(session.TrainConfig(model="vgg16"))
    assert shape == (1, 224, 224)  # mnist5k padded to VGG's 224x224: 5,000 x 200 kB of float32 images
    with pytest.raises(ConvCalcError, match=r"\(the dataset 1 GB, parameters"):
        session.check_memory(session.TrainConfig(model="vgg16"), shape, n_train, n_test, "1G",
                             data_bytes=4 * 5000 * 224 * 224)
