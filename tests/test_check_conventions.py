"""`check params` counting conventions (torch / keras / trainable), checked against real PyTorch modules.

PyTorch counts ``sum(p.numel() for p in model.parameters())``: learnable weights only.
Keras's ``count_params()`` also counts BatchNorm's moving mean and variance (non-trainable
weights, PyTorch's buffers ``running_mean``/``running_var``). PyTorch's ``num_batches_tracked``
buffer is a step counter with no Keras counterpart and is counted by neither convention here.
"""

from __future__ import annotations

import json
import random

import pytest

from convcalc import ConvCalcError
from convcalc.check import check_question

torch = pytest.importorskip("torch")
nn = torch.nn

RESNET_STEM = "conv(64, 7, s=2, p=3, bias=False) bn"


def torch_counts(model: object) -> tuple[int, int]:
    """(learnable parameters, buffers without num_batches_tracked) of a real module."""
    learnable = sum(p.numel() for p in model.parameters())
    buffers = sum(b.numel() for name, b in model.named_buffers() if not name.endswith("num_batches_tracked"))
    return learnable, buffers


def params_q(answer: object, spec: str = RESNET_STEM, input: str = "3x224x224", **fields: object) -> dict:
    return {"id": "p", "kind": "params", "spec": spec, "input": input, "answer": answer, **fields}


def test_resnet_stem_counts_match_pytorch():
    stem = nn.Sequential(nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(64))
    learnable, buffers = torch_counts(stem)
    assert (learnable, buffers) == (9_536, 128)
    assert check_question(params_q(learnable, convention="torch")).ok
    assert check_question(params_q(learnable, convention="trainable")).ok
    assert check_question(params_q(learnable + buffers, convention="keras")).ok
    assert check_question(params_q(learnable + buffers)).ok  # default: keras, as `convcalc stack` totals


def test_pytorch_answer_to_keras_question_is_buffers_forgotten():
    v = check_question(params_q(9_536))  # the PyTorch student's number, the question counts Keras's way
    assert not v.ok and v.correct == 9_664
    assert [d.code for d in v.diagnoses] == ["buffers_forgotten"]
    assert "convention" in v.diagnoses[0].message and "torch" in v.diagnoses[0].message


def test_keras_answer_to_torch_question_is_buffers_counted():
    for convention in ("torch", "trainable"):
        v = check_question(params_q(9_664, convention=convention))
        assert not v.ok and v.correct == 9_536
        assert [d.code for d in v.diagnoses] == ["buffers_counted"]


def test_convention_shown_in_working_and_json():
    v = check_question(params_q(9_536, convention="torch"))
    assert v.ok and v.convention == "torch"
    assert any("parameters()" in line for line in v.working)
    assert v.to_dict()["convention"] == "torch"
    assert check_question(params_q(9_664)).to_dict()["convention"] == "keras"


def test_convention_aliases_and_bad_value():
    assert check_question(params_q(9_536, convention="PyTorch")).ok
    assert check_question(params_q(9_664, convention="tensorflow")).ok
    with pytest.raises(ConvCalcError, match=r"'convention'.*torch, keras, trainable"):
        check_question(params_q(9_536, convention="fvcore"))


def test_bias_forgotten_under_each_convention():
    spec = "conv(8, 3) bn relu flatten dense(10)"
    for convention in ("torch", "keras"):
        right = check_question(params_q(0, spec=spec, input="1x8x8", convention=convention)).correct
        without_bias = right - 8 - 10
        v = check_question(params_q(without_bias, spec=spec, input="1x8x8", convention=convention))
        assert "bias_forgotten" in [d.code for d in v.diagnoses], (convention, v)


def _random_net(rng: random.Random) -> tuple[str, object, tuple[int, int, int]]:
    """A random conv/bn/pool/dense stack as a spec string and the same PyTorch module."""
    c, h = rng.choice([1, 3]), rng.choice([12, 16])
    spec, mods = [], []
    channels, size = c, h
    for _ in range(rng.randint(1, 3)):
        out, k, bias = rng.choice([4, 6, 8]), rng.choice([1, 3]), rng.random() < 0.5
        spec.append(f"conv({out}, {k}, p={k // 2}, bias={bias})")
        mods.append(nn.Conv2d(channels, out, k, padding=k // 2, bias=bias))
        channels = out
        if rng.random() < 0.7:
            spec.append("bn")
            mods.append(nn.BatchNorm2d(channels))
        spec.append("relu")
        mods.append(nn.ReLU())
        if size >= 4 and rng.random() < 0.5:
            spec.append("maxpool(2)")
            mods.append(nn.MaxPool2d(2))
            size //= 2
    spec.append("flatten")
    mods.append(nn.Flatten())
    units = rng.choice([5, 10])
    spec.append(f"dense({units})")
    mods.append(nn.Linear(channels * size * size, units))
    if rng.random() < 0.5:
        spec.append("bn1d")
        mods.append(nn.BatchNorm1d(units))
    return " ".join(spec), nn.Sequential(*mods), (c, h, h)


@pytest.mark.parametrize("seed", range(12))
def test_random_networks_against_pytorch(seed):
    spec, model, shape = _random_net(random.Random(seed))
    x = torch.zeros(2, *shape)
    model.eval()(x)  # the module really runs with that input
    learnable, buffers = torch_counts(model)
    fields = {"spec": spec, "input": "x".join(map(str, shape))}
    for convention, expected in (("torch", learnable), ("trainable", learnable), ("keras", learnable + buffers)):
        v = check_question(params_q(expected, convention=convention, **fields))
        assert v.ok, (spec, convention, expected, v.correct)


def test_cli_table_names_the_convention(run_cli, tmp_path):
    path = tmp_path / "a.toml"
    path.write_text(f'[[question]]\nid = "stem"\nkind = "params"\nspec = "{RESNET_STEM}"\ninput = "3x224x224"\n'
                    f'convention = "torch"\nanswer = 9536\n\n'
                    f'[[question]]\nid = "stem-keras"\nkind = "params"\nspec = "{RESNET_STEM}"\n'
                    f'input = "3x224x224"\nanswer = 9536\n')
    result = run_cli("check", str(path))
    assert result.exit_code == 1, result.output
    rows = {line.split()[0]: line for line in result.output.splitlines()[2:4]}
    assert "params (torch)" in rows["stem"] and rows["stem"].rstrip().endswith("right")
    assert "params (keras)" in rows["stem-keras"] and "WRONG" in rows["stem-keras"]
    assert "running mean and variance" in result.output
    data = json.loads(run_cli("check", str(path), "--json").output)
    assert [q["convention"] for q in data["questions"]] == ["torch", "keras"]
    assert data["questions"][1]["diagnoses"][0]["code"] == "buffers_forgotten"


def test_cli_inline_convention(run_cli):
    result = run_cli("check", "params", "--spec", RESNET_STEM, "--in", "3x224x224", "--convention", "torch",
                     "--answer", "9536")
    assert result.exit_code == 0, result.output
    bad = run_cli("check", "params", "--spec", RESNET_STEM, "--in", "3x224x224", "--convention", "thop",
                  "--answer", "9536")
    assert bad.exit_code == 2 and "convention" in bad.output
