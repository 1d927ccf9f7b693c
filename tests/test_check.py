"""Answer checking: right answers pass, each usual mistake is recognised, malformed questions name the field."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from convcalc import ConvCalcError
from convcalc.check import KINDS, check_file, check_question, parse_question

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SEED_X = "1 0 -2 3 4 1; 2 9 5 6 0 -1; 0 -3 1 3 4 4; 6 5 2 0 6 8; -5 4 -3 1 3 -2; 4 1 2 8 9 7"
SEED_F = "-1 -1 -1; -1 8 -1; -1 -1 -1"
SEED_Y = [[68, 23, 30, -24], [-54, -19, 0, 6], [38, 8, -17, 27], [20, -47, -19, -13]]
THREE_CONVS = {"spec": "conv(8, 3) conv(8, 3) conv(8, 3)", "in": "1x16x16"}


def q(kind: str, answer: object, **fields: object) -> dict:
    return {"id": "t", "kind": kind, "answer": answer, **fields}


# --------------------------------------------------------------------------- right answers
RIGHT = [
    q("outsize", 7, **{"in": 16, "k": 2, "s": 2, "p": 1, "d": 4}),
    q("outsize", "7x7", size="16x16", kernel=2, stride=2, padding=1, dilation=4),
    q("outsize", [28, 32], size=[28, 32], kernel=3, padding="same"),
    q("outsize", 3, size=5, kernel=3, stride=2, padding="same", framework="keras"),
    q("transposed", 14, size=7, kernel=3, stride=2, padding=1, output_padding=1),
    q("pool", 13, size=26, kernel=2),
    q("pool", 16, size=32, kernel=1, stride=2, ceil_mode=True),
    q("same_padding", [1, 2], size=28, kernel=4),
    q("same_padding", "1:2", size=28, kernel=4),
    q("same_padding", 1, size=28, kernel=3),
    q("same_padding", [[2, 3], [2, 3]], size=[224, 224], kernel=7, stride=2, framework="keras"),
    q("correlate", SEED_Y, x=SEED_X, f=SEED_F),
    q("correlate", 68, x=SEED_X, f=SEED_F, cell=[0, 0]),
    q("convolve", [[1, 12, 20]], x="1 2", f="1 10", mode="full"),
    q("pool_exact", "5/3", x="1 2 3; 1 2 3; 0 1 2", kernel=3, op="avg", cell="0,0"),
    q("pool_exact", [[5, 8], [9, 7]], x="1 5 2 0; 3 4 8 1; 0 2 7 6; 9 1 3 3", kernel=2),
    q("pool_exact", [[1.67]], x="1 2 3; 1 2 3; 0 1 2", kernel=3, op="avg", tolerance=0.01),
    q("stack_shape", "32x13x13", spec="hw5", layer=3),
    q("params", 542_230, spec="hw5"),
    q("params", 179_926, spec="hw5-2conv"),
    q("params", "61,706", spec="lenet5"),
    q("macs", 736_488, spec="hw5"),
    q("rf", 5, relative_to=1, **THREE_CONVS),
    q("rf", [7, 7], **THREE_CONVS),
]


@pytest.mark.parametrize("table", RIGHT, ids=[f"{t['kind']}-{i}" for i, t in enumerate(RIGHT)])
def test_right_answers(table):
    v = check_question(table)
    assert v.ok, (v.correct, v.diagnoses)
    assert v.diagnoses == () and v.working


# --------------------------------------------------------------------------- every diagnosis
WRONG = [  # (expected code, question); each answer is the result of exactly that mistake
    ("ceil_instead_of_floor", q("outsize", 8, size=16, kernel=2, stride=2, padding=1, dilation=4)),
    ("dilation_forgotten", q("outsize", 9, size=16, kernel=2, stride=2, padding=1, dilation=4)),
    ("two_p_asymmetric", q("outsize", 16, size=16, kernel=3, padding="0:1")),
    ("padding_once", q("outsize", 16, size=16, kernel=3, stride=1, padding=2)),
    ("padding_forgotten", q("outsize", 14, size=16, kernel=3, padding=1)),
    ("plus_one_forgotten", q("outsize", 7, size=10, kernel=3)),
    ("transposed_formula_used", q("outsize", 12, size=10, kernel=3)),
    ("direct_formula_used", q("transposed", 4, size=8, kernel=4, stride=2, padding=1)),
    ("padding_added", q("transposed", 20, size=8, kernel=4, stride=2, padding=1)),
    ("n_times_s", q("transposed", 18, size=8, kernel=4, stride=2, padding=1)),
    ("output_padding_forgotten", q("transposed", 13, size=7, kernel=3, stride=2, padding=1, output_padding=1)),
    ("dilation_forgotten", q("transposed", 9, size=4, kernel=3, stride=2, dilation=2)),
    ("naive_ceil_mode", q("pool", 4, size=5, kernel=2, stride=2, padding=1, ceil_mode=True)),
    ("ceil_mode_ignored", q("pool", 2, size=5, kernel=2, ceil_mode=True)),
    ("ceil_instead_of_floor", q("pool", 3, size=5, kernel=2)),
    ("pool_stride_one", q("pool", 25, size=26, kernel=2)),
    ("odd_pixel_first", q("same_padding", [2, 1], size=28, kernel=4)),
    ("total_per_side", q("same_padding", 3, size=28, kernel=4)),
    ("symmetric_even", q("same_padding", 1, size=28, kernel=4)),
    ("dilation_forgotten", q("same_padding", 1, size=28, kernel=3, dilation=2)),
    ("stride_ignored", q("same_padding", [3, 3], size=224, kernel=7, stride=2, framework="keras")),
    ("layout_nhwc", q("stack_shape", [13, 13, 32], spec="hw5", layer=3)),
    ("layout_nchw", q("stack_shape", [32, 13, 13], spec="hw5", layer=3, layout="nhwc")),
    ("batch_counted", q("stack_shape", "1x32x13x13", spec="hw5", layer=3)),
    ("wrong_layer", q("stack_shape", "32x26x26", spec="hw5", layer=3)),
    ("bias_forgotten", q("params", 542_230 - 32 - 100 - 10, spec="hw5")),
    ("single_layer", q("params", 540_900, spec="hw5")),
    ("buffers_forgotten", q("params", 9_536, spec="conv(64, 7, s=2, p=3, bias=False) bn", input="3x224x224")),
    ("buffers_counted", q("params", 9_664, spec="conv(64, 7, s=2, p=3, bias=False) bn", input="3x224x224",
                          convention="torch")),
    ("flops_not_macs", q("macs", 2 * 736_488, spec="hw5")),
    ("macs_not_flops", q("macs", 736_488, spec="hw5", convention="flops")),
    ("bias_counted", q("macs", 194_688 + 32 * 26 * 26, spec="hw5", layer=1)),
    ("batch_counted", q("macs", 32 * 736_488, spec="hw5")),
    ("batch_forgotten", q("macs", 758_230, spec="hw5", convention="torchinfo", batch=4)),
    ("rf_wrong_reference", q("rf", 5, **THREE_CONVS)),
    ("rf_wrong_reference", q("rf", 7, relative_to=1, **THREE_CONVS)),
    ("kernel_flipped", q("correlate", "0 2; -1 1", x="1 2 0; 3 1 4; 0 2 2", f="1 0; 0 -1")),
    ("not_flipped", q("convolve", "0 -2; 1 -1", x="1 2 0; 3 1 4; 0 2 2", f="1 0; 0 -1")),
    ("transposed_matrix", q("correlate", [list(r) for r in zip(*SEED_Y)], x=SEED_X, f=SEED_F)),
    ("wrong_mode", q("correlate", "1 4 0; 2 2 0; 0 0 0", x="1 2 0; 3 1 4; 0 2 2", f="0 0; 0 1")),
    ("same_offset", q("correlate", "0 1 2; 0 3 1; 0 0 2", x="1 2 0; 3 1 4; 0 2 2", f="1 0", mode="same")),
    ("stride_ignored", q("correlate", SEED_Y, x=SEED_X, f=SEED_F, stride=2)),
    ("dilation_forgotten", q("correlate", [[6, 9, 12]], x="1 2 3 4 5", f="1 1 1", dilation=(1, 2))),
    ("window_shifted", q("correlate", 23, x=SEED_X, f=SEED_F, cell=[0, 0])),
    ("kernel_flipped", q("correlate", 2, x="1 2 0; 3 1 4; 0 2 2", f="1 0; 0 -1", cell=[0, 1])),
    ("wrong_cells", q("correlate", [r[:] for r in SEED_Y[:3]] + [[20, -47, -19, -31]], x=SEED_X, f=SEED_F)),
    ("wrong_shape", q("correlate", [[68]], x=SEED_X, f=SEED_F)),
    ("max_avg_swapped", q("pool_exact", [[3]], x="1 2 3; 1 2 3; 0 1 2", kernel=3, op="avg")),
    ("max_avg_swapped", q("pool_exact", "5/3", x="1 2 3; 1 2 3; 0 1 2", kernel=3, cell=[0, 0])),
    ("pool_stride_one", q("pool_exact", [[2, 3], [2, 3]], x="1 2 3; 1 2 3; 0 1 2", kernel=2)),
    ("ceil_instead_of_floor", q("pool_exact", [[2, 3], [1, 2]], x="1 2 3; 1 2 3; 0 1 2", kernel=2)),
    ("ceil_mode_ignored", q("pool_exact", [[2]], x="1 2 3; 1 2 3; 0 1 2", kernel=2, ceil_mode=True)),
    ("averages_rounded", q("pool_exact", [[2]], x="1 2 3; 1 2 3; 0 1 2", kernel=3, op="avg")),
    ("averages_rounded", q("pool_exact", [[1.67]], x="1 2 3; 1 2 3; 0 1 2", kernel=3, op="avg")),
    ("averages_rounded", q("pool_exact", 2, x="1 2 3; 1 2 3; 0 1 2", kernel=3, op="avg", cell=[0, 0])),
]


@pytest.mark.parametrize("code, table", WRONG, ids=[f"{c}-{i}" for i, (c, _) in enumerate(WRONG)])
def test_each_diagnosis_is_triggered(code, table):
    v = check_question(table)
    assert not v.ok
    codes = [d.code for d in v.diagnoses]
    assert code in codes, (v.given, v.correct, codes)
    assert all(d.message.endswith(".") for d in v.diagnoses)


def test_every_catalogue_code_is_tested():
    import convcalc.diagnose as diagnose

    documented = set(__import__("re").findall(r"``(\w+)``", diagnose.__doc__ or ""))
    tested = {code for code, _ in WRONG}
    missing = {c for c in documented if c.islower() and "_" in c} - tested - {"output_padding"}
    assert not missing, f"diagnoses without a triggering test: {sorted(missing)}"


def test_no_diagnosis_when_no_mistake_explains_the_answer():
    v = check_question(q("outsize", 100, size=16, kernel=3))
    assert not v.ok and v.diagnoses == ()


def test_wrong_matrix_lists_the_cells_and_their_working():
    v = check_question(q("correlate", [r[:] for r in SEED_Y[:2]] + [[38, 8, 17, 27], [20, -47, -19, -31]],
                         x=SEED_X, f=SEED_F))
    assert v.wrong_cells == ((2, 2), (3, 3))
    assert [w.cell for w in v.cells] == [(2, 2), (3, 3)]
    assert v.cells[0].total == -17
    d = {d.code: d.message for d in v.diagnoses}
    assert d["wrong_cells"] == "2 of 16 cells are wrong: (2,2) should be -17, not 17, (3,3) should be -13, not -31."


def test_working_reuses_the_arithmetic_working():
    v = check_question(q("outsize", 8, size=16, kernel=2, stride=2, padding=1, dilation=4))
    assert "(16 + 2*1 - 4*(2-1) - 1) // 2 + 1 = 7" in v.working
    assert "13 // 2 + 1 = 6 + 1 = 7" in v.working


def test_rf_working_is_the_seed_recurrence():
    v = check_question(q("rf", 5, relative_to=1, **THREE_CONVS))
    assert v.working[-2:] == ("on layer 2's output: 1*1 + (3 - 1) = 3", "on layer 1's output: 1*3 + (3 - 1) = 5")


def test_fraction_answers_in_json():
    v = check_question(q("pool_exact", [[1]], x="1 2 3; 1 2 3; 0 1 2", kernel=3, op="avg"))
    d = v.to_dict()
    assert d["correct"] == [["5/3"]] and d["given"] == [[1]] and d["verdict"] == "wrong"
    assert isinstance(v.correct[0][0], Fraction)


# --------------------------------------------------------------------------- the example files
def test_hw5_answers_all_green():
    report = check_file(EXAMPLES / "hw5_answers.toml")
    assert report.all_right, [(v.id, v.given, v.correct) for v in report.verdicts if not v.ok]
    ids = {v.id for v in report.verdicts}
    assert {"hw5-q3-Y", "hw5-q3-Y00", "hw5-q5.1", "hw5-q5.3-layer1", "hw5-q5.3-input", "hw5-cnn-params",
            "hw5-2conv-params", "lenet5-params"} <= ids


def test_wrong_answers_show_their_diagnosis():
    report = check_file(EXAMPLES / "wrong_answers.toml")
    assert report.right == 0
    for v in report.verdicts:
        expected = v.id.replace("-", "_")
        codes = [d.code for d in v.diagnoses]
        aliases = {"transposed_run_backwards": "direct_formula_used", "transposed_padding_added": "padding_added",
                   "same_odd_pixel_first": "odd_pixel_first", "same_stride_ignored": "stride_ignored",
                   "bias_counted_in_macs": "bias_counted", "channels_last": "layout_nhwc",
                   "rf_on_the_wrong_layer": "rf_wrong_reference", "bn_buffers_forgotten": "buffers_forgotten",
                   "bn_buffers_counted": "buffers_counted"}
        assert aliases.get(expected, expected) in codes, (v.id, codes)


# --------------------------------------------------------------------------- malformed questions
MALFORMED = [
    ({"kind": "outsize", "in": 16, "k": 3}, r"question 'q1': field 'answer' is missing"),
    ({"in": 16, "k": 3, "answer": 1}, r"question 'q1': field 'kind' is missing"),
    ({"kind": "outsise", "in": 16, "k": 3, "answer": 1}, r"field 'kind' must be one of outsize, .*Got 'outsise'"),
    ({"id": "a", "kind": "outsize", "k": 3, "answer": 1}, r"question 'a': field 'size' is missing"),
    ({"kind": "outsize", "in": 16, "k": 3, "strides": 2, "answer": 1}, r"field 'strides' is not used by kind"),
    ({"kind": "outsize", "in": 16, "k": 0, "answer": 1}, r"field 'k': The 'kernel' parameter must be an int >= 1"),
    ({"kind": "outsize", "in": "16q", "k": 3, "answer": 1}, r"field 'in': The 'size' parameter"),
    ({"kind": "outsize", "in": 16, "k": 3, "s": -1, "answer": 1}, r"field 's': The 'stride' parameter"),
    ({"kind": "outsize", "in": 16, "k": 3, "p": "wide", "answer": 1}, r"field 'p': The 'padding' parameter"),
    ({"kind": "outsize", "in": 16, "k": 3, "p": "vaild", "answer": 1}, r"field 'p': .*Did you mean 'valid'\?"),
    ({"kind": "outsize", "in": 16, "k": 3, "d": 0, "answer": 1}, r"field 'd': The 'dilation' parameter"),
    ({"kind": "outsize", "in": 16, "k": 3, "framework": "jax", "answer": 1}, r"field 'framework'"),
    ({"kind": "outsize", "in": 16, "k": 3, "answer": "seven"}, r"field 'answer': The 'answer' parameter"),
    ({"kind": "outsize", "in": 16, "k": 3, "k_": 1, "answer": 1}, r"field 'k_' is not used"),
    ({"kind": "outsize", "in": 16, "size": 16, "k": 3, "answer": 1}, r"field 'size' is given twice"),
    ({"kind": "pool", "in": 16, "k": 2, "ceil": "maybe", "answer": 1}, r"field 'ceil'.*true or false"),
    ({"kind": "transposed", "in": 4, "k": 3, "output_padding": -1, "answer": 1}, r"field 'output_padding'"),
    ({"kind": "correlate", "x": "1 2; 3", "f": "1", "answer": 1}, r"field 'x': The 'x' matrix is ragged"),
    ({"kind": "correlate", "x": "1 2", "f": "1 b", "answer": [[1]]}, r"field 'f': matrix f, row 1, column 2"),
    ({"kind": "correlate", "x": "1 2", "f": "1", "answer": "1 2; 3"}, r"field 'answer': The 'answer' matrix"),
    ({"kind": "correlate", "x": "1 2", "f": "1", "mode": "half", "answer": 1}, r"field 'mode'"),
    ({"kind": "correlate", "x": "1 2", "f": "1", "cell": [0], "answer": 1}, r"field 'cell'"),
    ({"kind": "correlate", "x": "1 2", "f": "1", "cell": [0, 0], "answer": [[1]]}, r"field 'answer'.*one number"),
    ({"kind": "correlate", "x": "1 2", "f": "1", "cell": [3, 0], "answer": 1}, r"field 'cell': \(3, 0\) is outside"),
    ({"kind": "correlate", "f": "1", "answer": 1}, r"field 'x' is missing"),
    ({"kind": "correlate", "x": "1 2", "f": "1", "tolerance": -1, "answer": 1}, r"field 'tolerance'"),
    ({"kind": "pool_exact", "x": "1 2", "kernel": 1, "op": "sum", "answer": 1}, r"field 'op'"),
    ({"kind": "params", "spec": "hw5", "layer": 99, "answer": 1}, r"field 'layer': 99 is not a layer"),
    ({"kind": "params", "spec": "hw5", "answer": -5}, r"field 'answer'"),
    ({"kind": "params", "spec": "conv(8, 3)", "answer": 5}, r"field 'input' is missing"),
    ({"kind": "rf", "relative_to": 3, "answer": 1, **THREE_CONVS}, r"field 'relative_to'"),
    ({"kind": "stack_shape", "spec": "hw5", "layout": "hwcn", "answer": 1}, r"field 'layout'"),
    ({"kind": "macs", "spec": "hw5", "convention": "mine", "answer": 1}, r"field 'convention'"),
    ({"kind": "outsize", "in": 2, "k": 5, "answer": 1}, r"question 'q1': kernel 5 is larger than the padded input"),
]


@pytest.mark.parametrize("table, message", MALFORMED, ids=[m[:40] for _, m in MALFORMED])
def test_malformed_questions_name_the_question_and_field(table, message):
    with pytest.raises(ConvCalcError, match=message):
        check_question(table)


def test_malformed_files(tmp_path):
    cases = {
        "missing.toml": (None, r"does not exist"),
        "bad.toml": ("[[question]\nkind = 1", r"not valid TOML"),
        "empty.toml": ("title = 'x'\n", r"no \[\[question\]\] tables"),
        "extra.toml": ("stuff = 1\n[[question]]\nkind='outsize'\nin=3\nk=1\nanswer=3\n", r"unknown top-level key"),
        "dup.toml": ("[[question]]\nid='a'\nkind='outsize'\nin=3\nk=1\nanswer=3\n" * 2, r"'a': field 'id' is used"),
        "second.toml": ("[[question]]\nkind='outsize'\nin=3\nk=1\nanswer=3\n[[question]]\nkind='pool'\nanswer=1\n",
                        r"question 'q2': field 'size' is missing"),
    }
    for name, (text, message) in cases.items():
        if text is not None:
            (tmp_path / name).write_text(text)
        with pytest.raises(ConvCalcError, match=message):
            check_file(tmp_path / name)


def test_matrix_fields_may_be_files_next_to_the_answers(tmp_path):
    (tmp_path / "x.csv").write_text("1,2,3\n4,5,6\n")
    (tmp_path / "a.toml").write_text("[[question]]\nkind='correlate'\nx='x.csv'\nf='1 1'\nanswer='3 5; 9 11'\n")
    assert check_file(tmp_path / "a.toml").all_right


def test_every_kind_is_documented_and_parses():
    assert set(KINDS) == {"outsize", "transposed", "pool", "same_padding", "stack_shape", "params", "macs", "rf",
                          "correlate", "convolve", "pool_exact"}
    parsed = parse_question({"kind": "pool-exact", "x": "1 2", "kernel": 1, "answer": "1 2"})
    assert parsed["kind"] == "pool_exact"
