"""Shape answers in the forms convcalc prints and users paste: (32, 26, 26), [32, 26, 26], 32x26x26,
Keras's (None, 26, 26, 32) and torchsummary's [-1, 32, 26, 26]."""

from __future__ import annotations

import pytest

from convcalc import ConvCalcError
from convcalc.check import check_question


def shape_q(answer: object, **fields: object) -> dict:
    return {"id": "s", "kind": "stack_shape", "spec": "hw5", "layer": 1, "answer": answer, **fields}


@pytest.mark.parametrize("answer", ["32x26x26", "(32, 26, 26)", "[32, 26, 26]", "[32,26,26]", " ( 32 , 26 , 26 ) ",
                                    "32, 26, 26", [32, 26, 26], "32×26×26", "(32, 26, 26,)"])
def test_channels_first_forms(answer):
    v = check_question(shape_q(answer))
    assert v.ok, (answer, v.given, v.correct)
    assert v.given == (32, 26, 26)


@pytest.mark.parametrize("answer", ["(None, 26, 26, 32)", "[None, 26, 26, 32]", "(none, 26, 26, 32)",
                                    '["None", 26, 26, 32]', "(?, 26, 26, 32)"])
def test_keras_form_is_read_channels_last_whatever_the_question_layout(answer):
    value = ["None", 26, 26, 32] if answer.startswith('["') else answer
    for layout, correct in (("nchw", (32, 26, 26)), ("nhwc", (26, 26, 32))):
        v = check_question(shape_q(value, layout=layout))
        assert v.ok, (answer, layout, v.given, v.correct)
        assert v.given == correct  # shown in the question's layout
        if layout == "nchw":
            assert any("Keras" in line and "channels last" in line for line in v.working)


def test_torchsummary_batch_minus_one_is_channels_first():
    assert check_question(shape_q("[-1, 32, 26, 26]")).ok
    v = check_question(shape_q("[-1, 32, 26, 26]", layout="nhwc"))
    assert v.ok and v.given == (26, 26, 32)


def test_keras_form_with_wrong_numbers_is_wrong_and_diagnosed():
    v = check_question(shape_q("(None, 13, 13, 32)", layer=2))  # hw5: conv, relu, pool: that is layer 3's
    assert not v.ok and v.given == (32, 13, 13)
    assert "wrong_layer" in [d.code for d in v.diagnoses]
    assert check_question(shape_q("(None, 13, 13, 32)", layer=3)).ok
    v = check_question(shape_q("(None, 24, 24, 32)", layer=1))
    assert not v.ok and v.correct == (32, 26, 26)


def test_flat_keras_form():
    v = check_question({"id": "d", "kind": "stack_shape", "spec": "hw5", "answer": "(None, 10)"})
    assert v.ok and v.given == (10,)


def test_a_literal_batch_is_still_a_mistake():
    v = check_question(shape_q("(1, 32, 26, 26)"))
    assert not v.ok and "batch_counted" in [d.code for d in v.diagnoses]


@pytest.mark.parametrize("answer", ["(32, 26", "[32, 26, 26)", "(None)", "(None, None, 26, 32)", "(32, -26, 26)",
                                    "()", "(32, 26, 26, None)", "(32; 26)"])
def test_malformed_shapes_name_the_answer(answer):
    with pytest.raises(ConvCalcError, match="answer"):
        check_question(shape_q(answer))


@pytest.mark.parametrize("kind, fields, answer", [
    ("outsize", {"size": "28x28", "kernel": 3}, "(26, 26)"),
    ("outsize", {"size": "28x28", "kernel": 3}, "[26, 26]"),
    ("pool", {"size": 26, "kernel": 2}, "(13,)"),
    ("rf", {"spec": "conv(8,3) conv(8,3)", "input": "1x16x16"}, "(5, 5)"),
])
def test_size_answers_in_brackets(kind, fields, answer):
    assert check_question({"id": "x", "kind": kind, "answer": answer, **fields}).ok


def test_cli_keras_answer(run_cli):
    result = run_cli("check", "stack_shape", "--spec", "hw5", "--layer", "3", "--answer", "(None, 13, 13, 32)")
    assert result.exit_code == 0, result.output
    assert "32x13x13" in result.output
