"""Issue 15 in the spec language: hostile specs end quickly with one clear error, never a traceback.

Limits (named constants, listed in docs/limits.md): ``tokens.MAX_SPEC_CHARS`` characters,
``tokens.MAX_NUMBER_CHARS`` characters per number, ``parser.MAX_DEPTH`` levels of nesting.
"""

from __future__ import annotations

import pytest

from convcalc import ConvCalcError
from convcalc.spec import parse_spec
from convcalc.spec.parser import MAX_DEPTH
from convcalc.spec.tokens import MAX_NUMBER_CHARS, MAX_SPEC_CHARS


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5_000, 20_000])
def test_deep_nesting_is_refused_not_recursed(depth: int) -> None:
    for text in ("conv(" * depth + "8,3" + ")" * depth,
                 "Sequential(" * depth + "conv(8,3)" + ")" * depth,
                 "conv(8, " + "(" * depth + "3" + ")" * depth + ")",
                 "conv(8, " + "[" * depth + "3" + "]" * depth + ")"):
        with pytest.raises(ConvCalcError, match=f"nesting deeper than {MAX_DEPTH} levels"):
            parse_spec(text)


def test_nesting_below_the_limit_still_parses() -> None:
    depth = MAX_DEPTH // 2 - 1
    assert len(parse_spec("Sequential(" * depth + "conv(8,3)" + ")" * depth)) == 1


def test_a_long_spec_is_read_whole() -> None:
    """20,000 layers parse; the time is linear in the length (benchmarks/bench_spec.py)."""
    layers = parse_spec(" ".join(["relu"] * 20_000))
    assert len(layers) == 20_000


def test_too_long_a_spec_is_refused_naming_the_limit() -> None:
    with pytest.raises(ConvCalcError, match=f"the limit is {MAX_SPEC_CHARS:,}"):
        parse_spec("relu " * (MAX_SPEC_CHARS // 5 + 1))


@pytest.mark.parametrize("text", ["conv(" + "9" * 5_000 + ", 3)", "input(1x" + "9" * 5_000 + ") relu",
                                  "dropout(0." + "1" * 100 + ")", "conv(8, 3, s=" + "1" * (MAX_NUMBER_CHARS + 1) + ")"])
def test_huge_numbers_are_refused_before_int_conversion(text: str) -> None:
    with pytest.raises(ConvCalcError, match=f"a number longer than {MAX_NUMBER_CHARS} characters"):
        parse_spec(text)


@pytest.mark.parametrize("text", ["conv(８, 3)", "conv(8,3)\x00", "cönv(8, 3)", "conv(8, 3) \u200b"])
def test_non_ascii_digits_and_letters_are_unexpected_characters(text: str) -> None:
    with pytest.raises(ConvCalcError, match="unexpected character"):
        parse_spec(text)


@pytest.mark.parametrize("text", ["conv(" * 5_000 + "8,3" + ")" * 5_000, "relu " * 200 + "foo(3)" + " relu" * 200,
                                  "a" * 100_000, "conv(8, 3, " + "x" * 5_000 + "=1)",
                                  "dense(10, activation='" + "z" * 3_000 + "')"])
def test_errors_show_a_window_of_a_long_spec(text: str) -> None:
    """The caret line shows at most CONTEXT_CHARS of the spec (plus '...'), and long names are shortened."""
    from convcalc.spec.tokens import CONTEXT_CHARS

    with pytest.raises(ConvCalcError) as caught:
        parse_spec(text)
    lines = str(caught.value).splitlines()
    assert len(lines) == 3 and all(len(line) < 1_000 for line in lines), [len(line) for line in lines]
    assert len(lines[1]) <= CONTEXT_CHARS + 2 + 6
    shown = lines[1][2:]
    column = int(lines[0].split("column ")[1].split(":")[0])
    caret = lines[2].index("^") - 2
    if shown.startswith("..."):  # the window starts inside the line: the caret stays on the same character
        assert shown[caret] == text[column - 1]
    else:
        assert caret == column - 1


@pytest.mark.parametrize("text", ["conv(8,3)\x00", "\r0", "conv(8,\x1b[2J3)", "conv(8,3)\x7f", "relu\u2028foo"])
def test_control_characters_are_never_written_raw(text: str) -> None:
    """A NUL, carriage return or terminal escape in a spec shows escaped in the error, the caret still under it."""
    with pytest.raises(ConvCalcError) as caught:
        parse_spec(text)
    message = str(caught.value)
    assert message.isprintable() or set(message) - set(message.replace("\n", "")) == {"\n"}
    assert all(c.isprintable() for line in message.splitlines() for c in line), repr(message)
