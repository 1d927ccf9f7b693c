"""Check homework answers: each question is computed exactly, compared, and explained when wrong.

A question is a kind (``outsize``, ``transposed``, ``pool``, ``same_padding``,
``stack_shape``, ``params``, ``macs``, ``rf``, ``correlate``, ``convolve``,
``pool_exact``), the fields that define it, and the given ``answer``. Answer
files are TOML with one ``[[question]]`` table per question (format in
``docs/checking.md``); the command line builds the same tables from options.

Every correct answer comes from the library (:mod:`convcalc.arithmetic`,
:mod:`convcalc.working`, :mod:`convcalc.exact`, :mod:`convcalc.stack`); a
wrong answer gets the working and, when :mod:`convcalc.diagnose` recognises
the usual mistake behind it, a diagnosis.

Examples
--------
>>> v = check_question({"id": "q5.1", "kind": "outsize", "size": 16, "kernel": 2, "stride": 2,
...                     "padding": 1, "dilation": 4, "answer": 8})
>>> v.ok, v.correct
(False, (7,))
>>> [d.code for d in v.diagnoses]
['ceil_instead_of_floor']
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from convcalc.check_paths import resolve_inside
from convcalc.diagnose import Diagnosis, Verdict
from convcalc.errors import ConvCalcError, invalid

__all__ = ["KINDS", "Diagnosis", "Verdict", "Report", "parse_question", "check_question", "check_file",
           "load_questions"]


@dataclass(frozen=True)
class Report:
    """Every verdict of an answer file, in file order."""

    verdicts: tuple[Verdict, ...]
    source: str = ""

    @property
    def right(self) -> int:
        """How many answers are right."""
        return sum(v.ok for v in self.verdicts)

    @property
    def all_right(self) -> bool:
        """True when every answer is right (exit status 0)."""
        return self.right == len(self.verdicts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for autograders."""
        return {"source": self.source, "total": len(self.verdicts), "right": self.right,
                "wrong": len(self.verdicts) - self.right, "questions": [v.to_dict() for v in self.verdicts]}


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
    return _check_parsed(parse_question(table, index, base))


def _check_parsed(q: dict[str, Any]) -> Verdict:
    from convcalc import diagnose

    try:
        return diagnose.CHECKERS[q["kind"]](q)
    except ConvCalcError as error:
        message = str(error)
        if message.startswith("question "):
            raise
        raise ConvCalcError(f"question {q['id']!r}: {message}") from None


def _shown(text: str) -> str:
    """A name for a message: cut in the middle past 120 characters (repr, by the caller, escapes the rest)."""
    return text if len(text) <= 120 else f"{text[:60]}...{text[-40:]}"


#: Largest answer file read (bytes): 20,000 questions of a few lines each take about 1.5 MB.
MAX_ANSWER_FILE_BYTES = 32 * 2**20


def load_questions(path: str | Path) -> list[dict[str, Any]]:
    """Read the ``[[question]]`` tables of a TOML answer file (not yet parsed)."""
    from convcalc.matrix_input import read_file_bytes, text_of

    tomllib = _tomllib()
    p = Path(path)
    label = "answer file"
    named = f"answer file {_shown(str(p))!r}"
    text = text_of(read_file_bytes(p, max_bytes=MAX_ANSWER_FILE_BYTES, label=label), str(p), label)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConvCalcError(f"{named}: not valid TOML: {error}") from None
    except RecursionError:
        raise ConvCalcError(f"{named}: not valid TOML: nested too deeply") from None
    except ValueError:  # an int of more than 4,300 digits (Python's int-to-string limit), raised inside tomllib
        raise ConvCalcError(f"{named}: a number in it has more than 4,300 digits; sizes and answers have at most "
                            "100 (MAX_DIGITS)") from None
    questions = data.get("question")
    if not isinstance(questions, list) or not questions:
        raise ConvCalcError(f"{named}: no [[question]] tables found; see docs/checking.md for the format.")
    unknown = sorted(set(data) - {"question", "title"})
    if unknown:
        raise ConvCalcError(f"{named}: unknown top-level key {unknown[0]!r}; put questions in [[question]] tables.")
    return questions


def check_file(path: str | Path, data_dir: str | Path | None = None) -> Report:
    """Check every question of a TOML answer file.

    Parameters
    ----------
    path : str or Path
        The answer file.
    data_dir : str or Path, optional
        The folder the file's paths (``x = "x.csv"``, ``spec = "net.txt"``)
        resolve in. Defaults to the answer file's folder. Paths never leave it:
        absolute paths, ``..`` and symbolic links out of it are refused
        (:func:`convcalc.check_paths.resolve_inside`).

    Raises
    ------
    ConvCalcError
        The file is missing, is not TOML, or a question is malformed (the message
        names the question and the field), before anything is checked.
    """
    if data_dir is not None and not _is_dir(data_dir):
        shown = str(data_dir) if len(str(data_dir)) <= 120 else f"{str(data_dir)[:60]}...{str(data_dir)[-40:]}"
        raise ConvCalcError(f"--data-dir {shown!r} is not a folder.")
    base = Path(path).parent if data_dir is None else Path(data_dir)
    tables = load_questions(path)
    parsed = [parse_question(t, i, base) for i, t in enumerate(tables, start=1)]
    seen: set[str] = set()
    for q in parsed:
        if q["id"] in seen:
            raise ConvCalcError(f"question {q['id']!r}: field 'id' is used by two questions; ids must be unique.")
        seen.add(q["id"])
    return Report(tuple(_check_parsed(q) for q in parsed), str(path))


def _tomllib() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    try:  # pragma: no cover - Python 3.10 only
        import tomli

        return tomli
    except ModuleNotFoundError:  # pragma: no cover
        raise ConvCalcError("reading answer files on Python 3.10 needs the 'tomli' package: pip install tomli") \
            from None


# --------------------------------------------------------------------------- field parsers
ALIASES: dict[str, tuple[str, ...]] = {
    "size": ("in",), "kernel": ("k",), "stride": ("s",), "padding": ("p",), "dilation": ("d",),
    "output_padding": ("op_pad",), "ceil_mode": ("ceil",), "x": (), "f": ("kernel_matrix",),
    "input": ("in", "in_shape"), "relative_to": ("relative",), "op": ("pool",),
}


_ASCII_INT = re.compile(r"[+-]?[0-9]+", re.ASCII)
#: ``542_230`` or ``542,230``: separators only between groups of three digits (``1_6`` is not 16).
_GROUPED_INT = re.compile(r"[+-]?[0-9]{1,3}(?:([_,])[0-9]{3})(?:\1[0-9]{3})*", re.ASCII)
#: Most values in one size or shape field (``1x2x...``); convolutions have at most 3 spatial axes.
MAX_AXES = 8


def _int(value: Any, name: str, low: int | None = None) -> int:
    """An int from an int or its text (``542_230``, ``"542,230"``): ASCII digits, at most MAX_DIGITS of them."""
    from convcalc.expression import MAX_DIGITS, check_int

    if isinstance(value, str):
        text = value.strip()
        if _GROUPED_INT.fullmatch(text):
            text = text.replace(",", "").replace("_", "")
        if _ASCII_INT.fullmatch(text):
            if len(text.lstrip("+-")) > MAX_DIGITS:
                raise ConvCalcError(f"The {name!r} parameter has {len(text.lstrip('+-')):,} digits, more than "
                                    f"MAX_DIGITS = {MAX_DIGITS}.")
            value = int(text)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(name, value, "an int" + (f" >= {low}" if low is not None else "") + " (ASCII digits)")
    check_int(value, name)
    if low is not None and value < low:
        raise invalid(name, value, f"an int >= {low}")
    return value


def _unbracket(text: str, name: str, value: Any) -> str:
    """``"(32, 26, 26)"`` or ``"[32, 26, 26]"`` without the brackets (one matching pair, a trailing comma allowed)."""
    pairs = {"(": ")", "[": "]"}
    if text[:1] in pairs or text[-1:] in (")", "]"):
        if text[:1] not in pairs or text[-1:] != pairs[text[0]]:
            raise invalid(name, value, "a size or shape such as 26, 26x26, (32, 26, 26) or [32, 26, 26] "
                                       "(brackets must match)")
        text = text[1:-1].strip()
        if text.endswith(","):
            text = text[:-1].rstrip()
    return text


def _check_axes(count: int, name: str) -> None:
    if count > MAX_AXES:
        raise ConvCalcError(f"The {name!r} parameter has {count:,} values; at most {MAX_AXES} (MAX_AXES).")


def _ints(value: Any, name: str, low: int | None = None) -> tuple[int, ...]:
    """``7``, ``"7"``, ``"7x7"``, ``"28,32"``, ``"(28, 32)"``, ``"[28, 32]"`` or ``[28, 32]`` as a tuple of ints."""
    if isinstance(value, str):
        text = _unbracket(value.strip().lower().replace("×", "x"), name, value)
        parts = [t for t in text.replace("x", ",").split(",")] if text else []
        if not parts or any(not t.strip() for t in parts):
            raise invalid(name, value, "an int or ints such as 28x28 or 28,32")
        _check_axes(len(parts), name)
        return tuple(_int(t.strip(), name, low) for t in parts)
    if isinstance(value, (list, tuple)):
        if not value:
            raise invalid(name, value, "at least one int")
        _check_axes(len(value), name)
        return tuple(_int(v, name, low) for v in value)
    return (_int(value, name, low),)


def _geometry_value(low: int) -> Callable[[Any, Any], Any]:
    def parse(value: Any, base: Any = None, name: str = "") -> Any:
        values = _ints(value, name or "value", low)
        return values[0] if len(values) == 1 else values
    return parse


def _padding(value: Any, base: Any = None) -> Any:
    """An int, a mode, ``"0:1"`` pairs, or a list of ints / ``[lo, hi]`` pairs."""
    if isinstance(value, str):
        from convcalc.parse import parse_padding

        from convcalc.arithmetic import PADDING_MODES

        pad = parse_padding(value)
        if isinstance(pad, str) and pad not in PADDING_MODES:
            from convcalc.padding import padding_value

            padding_value(pad)  # raises the one message: the modes and the nearest one ('vaild': 'valid'?)
            raise invalid("padding", value, f"one of {', '.join(PADDING_MODES)}, an int >= 0, or lo:hi pairs")
        if not isinstance(pad, str) and any(not isinstance(v, int) for v in _flat(pad)):
            raise invalid("padding", value, "ints (no symbols) in an answer file")
        return pad
    if isinstance(value, list):
        return tuple(tuple(_int(v, "padding", 0) for v in item) if isinstance(item, list)
                     else _int(item, "padding", 0) for item in value)
    return _int(value, "padding", 0)


def _flat(value: Any) -> list[Any]:
    if isinstance(value, (tuple, list)):
        return [v for item in value for v in _flat(item)]
    return [value]


def _bool(value: Any, base: Any = None) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no"):
        return value.strip().lower() in ("true", "yes")
    raise invalid("value", value, "true or false")


def _choice(*choices: str) -> Callable[[Any, Any], str]:
    def parse(value: Any, base: Any = None) -> str:
        text = str(value).strip().lower()
        if text not in choices:
            raise invalid("value", value, f"one of {', '.join(choices)}")
        return text
    return parse


def _framework(value: Any, base: Any = None) -> str:
    from convcalc.arithmetic import FRAMEWORKS

    text = str(value).strip().lower()
    if text not in FRAMEWORKS:
        raise invalid("framework", value, "one of torch, keras")
    return FRAMEWORKS[text]


def _matrix(value: Any, base: Path | None = None, name: str = "X") -> Any:
    """A matrix written in the answer file, or read from a file inside its folder (contents never echoed)."""
    from convcalc import matrix_input

    if isinstance(value, str) and value.strip().lower().endswith(matrix_input.FILE_SUFFIXES):
        path = resolve_inside(value, Path.cwd() if base is None else base, name)
        return matrix_input.read_matrix_file(path, name, shown=value.strip(), echo=False)
    return matrix_input.matrix_from_value(value, name)


def _cell(value: Any, base: Any = None) -> tuple[int, int]:
    cell = _ints(value, "cell", 0)
    if len(cell) != 2:
        raise invalid("cell", value, "two ints [i, j] (0-indexed output cell)")
    return cell[0], cell[1]


def _number(value: Any, name: str = "answer") -> Any:
    from convcalc.matrix_input import matrix_from_value

    if isinstance(value, (list, tuple)):
        raise invalid(name, value, "one number (the field 'cell' asks for a single cell)")
    return matrix_from_value([[value]], name)[0][0]


def _tolerance(value: Any, base: Any = None) -> Any:
    number = _number(value, "tolerance")
    if number < 0:
        raise invalid("tolerance", value, "a number >= 0")
    return number


#: Largest spec file an answer file may name.
MAX_SPEC_BYTES = 2**20
_SPEC_FILE = re.compile(r"[/\\~]|^\.|\.[A-Za-z]\w{0,7}$")


class SpecFile(str):
    """A spec's text read from a file; ``file`` is its name as written (errors name it, never quote the text)."""

    file: str = ""


def _text(value: Any, base: Any = None) -> str:
    """A spec: a preset, a layer list, or (``@net.txt``, ``specs/net.txt``) a file inside the answer folder.

    Layer lists without a ``(`` and file texts are returned with a newline at
    the end, which the spec reader never takes for a file name: no string in an
    answer file is opened as a path outside its folder.
    """
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if not isinstance(value, str) or not value.strip():
        raise invalid("spec", value, "a preset name or a layer list such as 'conv3-32,pool2,fc10'")
    text = value.strip()
    from convcalc.presets import is_preset

    if "\n" in text or is_preset(text):
        return text
    if text.startswith("@") or ("(" not in text and _SPEC_FILE.search(text)):
        from convcalc.matrix_input import read_file_bytes, text_of

        written = text[1:] if text.startswith("@") else text
        path = resolve_inside(written, Path.cwd() if base is None else base, "spec")
        data = read_file_bytes(path, shown=written, max_bytes=MAX_SPEC_BYTES, label="spec")
        spec = SpecFile(text_of(data, written, "spec").rstrip() + "\n")
        spec.file = written
        return spec
    if re.fullmatch(r"[A-Za-z][\w-]*", text) and _cwd_file(text):
        return text + "()"  # one layer word that is also a file here: the spec reader would open it
    return text if "(" in text else text + "\n"


def _is_dir(path: str | Path) -> bool:
    try:
        return Path(path).is_dir()
    except (OSError, ValueError):  # a name too long, a NUL byte
        return False


def _cwd_file(name: str) -> bool:
    try:
        return Path(name).is_file()
    except (OSError, ValueError):
        return False


def _layer(value: Any, base: Any = None) -> int:
    return _int(value, "layer", 0)


PARSERS: dict[str, Callable[[Any, Any], Any]] = {
    "size": lambda v, b: _geometry_value(1)(v, b, "size"),
    "kernel": lambda v, b: _geometry_value(1)(v, b, "kernel"),
    "stride": lambda v, b: _geometry_value(1)(v, b, "stride"),
    "dilation": lambda v, b: _geometry_value(1)(v, b, "dilation"),
    "output_padding": lambda v, b: _geometry_value(0)(v, b, "output_padding"),
    "padding": _padding, "ceil_mode": _bool, "count_include_pad": _bool, "framework": _framework,
    "mode": _choice("valid", "same", "full"), "op": _choice("max", "avg"),
    "x": lambda v, b: _matrix(v, b, "x"), "f": lambda v, b: _matrix(v, b, "f"), "cell": _cell, "tolerance": _tolerance,
    "spec": _text, "input": lambda v, b: _ints(v, "input", 1), "layer": _layer,
    "relative_to": lambda v, b: _int(v, "relative_to", 0),
    "layout": _choice("nchw", "nhwc"), "batch": lambda v, b: _int(v, "batch", 1),
    "convention": _choice("torchvision", "torchinfo", "fvcore", "ptflops", "thop", "flops"),
}


def _params_convention(value: Any, base: Any = None) -> str:
    """``torch`` (also ``pytorch``), ``keras`` (also ``tf``, ``tensorflow``) or ``trainable``."""
    from convcalc.diagnose.stacks import PARAMS_CONVENTIONS

    text = str(value).strip().lower()
    text = {"pytorch": "torch", "tf": "keras", "tensorflow": "keras"}.get(text, text)
    if text not in PARAMS_CONVENTIONS:
        raise invalid("convention", value, "one of torch, keras, trainable")
    return text


#: Parsers that differ by kind: ``params`` counts by ``torch``/``keras``/``trainable``, ``macs`` by tool name.
KIND_PARSERS: dict[tuple[str, str], Callable[[Any, Any], Any]] = {("params", "convention"): _params_convention}


#: A leading batch axis that marks a printed shape's layout: Keras/TF print ``None`` (or ``?``) and
#: channels last; torchsummary prints ``-1`` and channels first.
_BATCH_MARKS = {"none": "nhwc", "?": "nhwc", "-1": "nchw"}


def _shape_answer(value: Any) -> tuple[tuple[int, ...], str | None]:
    """A shape answer and, when it carries a batch marker, the layout that marker implies.

    ``"32x26x26"``, ``"(32, 26, 26)"``, ``"[32, 26, 26]"``, ``[32, 26, 26]``: the
    question's layout (``None`` returned). ``"(None, 26, 26, 32)"`` (Keras's
    ``model.summary()``/``output_shape``): the batch axis dropped, ``"nhwc"``.
    ``"[-1, 32, 26, 26]"`` (torchsummary): the batch axis dropped, ``"nchw"``.

    Examples
    --------
    >>> _shape_answer("(None, 26, 26, 32)"), _shape_answer("[32, 26, 26]")
    (((26, 26, 32), 'nhwc'), ((32, 26, 26), None))
    """
    items: list[Any]
    if isinstance(value, str):
        text = _unbracket(value.strip(), "answer", value)
        items = [t.strip() for t in text.split(",")] if "," in text else [text]
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        return _ints(value, "answer", 1), None
    first = str(items[0]).strip().lower() if items else ""
    layout = _BATCH_MARKS.get(first)
    if layout is None or (first == "-1" and len(items) < 2):
        return _ints(value, "answer", 1), None
    rest = items[1:]
    if not rest or any(str(v).strip().lower() in _BATCH_MARKS and str(v).strip() != "-1" for v in rest):
        raise invalid("answer", value, "a shape such as (None, 26, 26, 32): one batch marker (None) first, "
                                       "then the sizes")
    return tuple(_int(v, "answer", 1) for v in rest), layout


def parse_answer(kind: str, value: Any, fields: dict[str, Any], base: Path | None = None) -> Any:
    """The given answer in the form the kind computes (see ``docs/checking.md``).

    A ``stack_shape`` answer with a batch marker (``None``: Keras, channels last;
    ``-1``: torchsummary, channels first) records that layout in
    ``fields["answer_layout"]``; the checker reads the answer in it.
    """
    if kind in ("outsize", "transposed", "pool", "rf"):
        return _ints(value, "answer")
    if kind == "same_padding":
        pad = _padding(value)
        if isinstance(pad, str):
            raise invalid("answer", value, "the padding as p, [lo, hi] or [[lo, hi], [lo, hi]]")
        if isinstance(pad, int):
            return ((pad, pad),)
        if all(isinstance(v, int) for v in pad):
            return (tuple(pad),) if isinstance(value, list) else tuple((v, v) for v in pad)
        return tuple(p if isinstance(p, tuple) and len(p) == 2 else (p, p) for p in pad)
    if kind == "stack_shape":
        shape, layout = _shape_answer(value)
        if layout is not None:
            fields["answer_layout"] = layout
        return shape
    if kind in ("params", "macs"):
        return _int(value, "answer", 0)
    if "cell" in fields:
        return _number(value)
    return _matrix(value, base, "answer")
