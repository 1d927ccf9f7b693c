"""A question: its kind, its fields, and its verdict.

:func:`parse_question` validates one ``[[question]]`` table (the fields each kind
takes are :data:`KIND_FIELDS`) and parses its fields and its answer;
:func:`check_question` computes the right answer with the library and compares
(:mod:`convcalc.diagnose` holds one checker per kind).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from convcalc.check.answers import parse_answer
from convcalc.check.fields import ALIASES, KIND_PARSERS, PARSERS
from convcalc.diagnose import Verdict
from convcalc.errors import ConvCalcError

__all__ = ["GEOMETRY", "KIND_FIELDS", "KINDS", "parse_question", "check_question", "check_parsed"]


# --------------------------------------------------------------------------- kinds and their fields
GEOMETRY = ("size", "kernel", "stride", "padding", "dilation")
#: Fields each kind accepts (besides id, kind, answer, text), and which are required.
KIND_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "outsize": (GEOMETRY + ("framework",), ("size", "kernel")),
    "transposed": (GEOMETRY + ("output_padding",), ("size", "kernel")),
    "pool": (GEOMETRY + ("ceil_mode", "framework"), ("size", "kernel")),
    "same_padding": (("size", "kernel", "stride", "dilation", "framework"), ("size", "kernel")),
    "correlate": (("x", "f", "mode", "stride", "dilation", "padding", "framework", "cell", "tolerance"),
                  ("x", "f")),
    "convolve": (("x", "f", "mode", "stride", "dilation", "padding", "framework", "cell", "tolerance"),
                 ("x", "f")),
    "pool_exact": (("x", "kernel", "stride", "padding", "dilation", "ceil_mode", "op", "count_include_pad",
                    "cell", "tolerance"), ("x", "kernel")),
    "stack_shape": (("spec", "input", "layer", "layout"), ("spec",)),
    "params": (("spec", "input", "layer", "convention"), ("spec",)),
    "macs": (("spec", "input", "layer", "convention", "batch"), ("spec",)),
    "rf": (("spec", "input", "layer", "relative_to"), ("spec",)),
}
KINDS = tuple(KIND_FIELDS)
_COMMON = ("id", "kind", "answer", "text")


def parse_question(table: dict[str, Any], index: int = 1, base: Path | None = None) -> dict[str, Any]:
    """Validate one question table and parse its fields; errors name the question and the field.

    Returns a dict with ``id``, ``kind``, ``answer`` (parsed for the kind) and
    the parsed fields under their canonical names (aliases such as ``in``,
    ``k``, ``s``, ``p``, ``d`` are accepted).

    Examples
    --------
    >>> q = parse_question({"kind": "outsize", "in": "28x28", "k": 3, "answer": "26x26"})
    >>> q["id"], q["size"], q["answer"]
    ('q1', (28, 28), (26, 26))
    """
    if not isinstance(table, dict):
        raise ConvCalcError(f"question #{index} must be a table of fields; got {table!r}.")
    qid = str(table.get("id", f"q{index}"))
    where = f"question {qid!r}"
    kind = table.get("kind")
    if kind is None:
        raise ConvCalcError(f"{where}: field 'kind' is missing; use one of {', '.join(KINDS)}.")
    kind = str(kind).strip().lower().replace("-", "_")
    if kind not in KIND_FIELDS:
        raise ConvCalcError(f"{where}: field 'kind' must be one of {', '.join(KINDS)}. Got {table['kind']!r}.")
    allowed, required = KIND_FIELDS[kind]
    aliases = {alias: name for name in allowed for alias in (name, *ALIASES.get(name, ()))}
    parsed: dict[str, Any] = {"id": qid, "kind": kind}
    for key, value in table.items():
        name = aliases.get(str(key).lower().replace("-", "_"))
        if key in _COMMON or name in ("id", "kind", "text"):
            if key == "text":
                parsed["text"] = str(value)
            continue
        if name is None:
            raise ConvCalcError(f"{where}: field {key!r} is not used by kind {kind!r}; "
                                f"its fields are {', '.join(allowed)}, answer.")
        if name in parsed:
            raise ConvCalcError(f"{where}: field {name!r} is given twice (as {key!r} and an alias).")
        parse = KIND_PARSERS.get((kind, name), PARSERS[name])
        parsed[name] = _field(where, key, lambda: parse(value, base))
    for name in required:
        if name not in parsed:
            raise ConvCalcError(f"{where}: field {name!r} is missing; kind {kind!r} needs {', '.join(required)}.")
    if "answer" not in table:
        raise ConvCalcError(f"{where}: field 'answer' is missing.")
    parsed["answer"] = _field(where, "answer", lambda: parse_answer(kind, table["answer"], parsed, base))
    return parsed


def _field(where: str, key: str, parse: Callable[[], Any]) -> Any:
    try:
        return parse()
    except ConvCalcError as error:
        raise ConvCalcError(f"{where}: field {key!r}: {error}") from None


def check_question(table: dict[str, Any], index: int = 1, base: Path | None = None) -> Verdict:
    """Parse, compute and compare one question (a dict as in a ``[[question]]`` table).

    File names in it (matrices, spec files) resolve inside ``base`` (default:
    the working directory) and never outside it (:mod:`convcalc.check_paths`).

    Raises
    ------
    ConvCalcError
        A malformed question, or a geometry that cannot be computed; the
        message names the question (and the field when one is at fault).
    """
    return check_parsed(parse_question(table, index, base))


def check_parsed(q: dict[str, Any]) -> Verdict:
    """The verdict on a parsed question; an error is prefixed with the question's id (once)."""
    from convcalc import diagnose

    try:
        return diagnose.CHECKERS[q["kind"]](q)
    except ConvCalcError as error:
        message = str(error)
        if message.startswith("question "):
            raise
        raise ConvCalcError(f"question {q['id']!r}: {message}") from None
