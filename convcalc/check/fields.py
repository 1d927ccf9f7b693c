"""The fields of a question: each field's parser, with its aliases and limits.

A question table's fields (``size``, ``kernel``, ``padding``, ``x``, ``spec``, ...)
are read here into the library's types, each by the parser :data:`PARSERS`
names for it (:data:`KIND_PARSERS` where a kind reads a field its own way).
Sizes are ints written in ASCII digits (``542_230`` and ``"542,230"`` too), at
most ``MAX_DIGITS`` of them; a size or shape has at most :data:`MAX_AXES`
values; matrices and spec files named in an answer file are read only from
inside its folder (:func:`convcalc.check_paths.resolve_inside`), never echoed.
Errors name the field and say what is valid.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

from convcalc.check_paths import resolve_inside
from convcalc.errors import ConvCalcError, invalid

__all__ = ["ALIASES", "PARSERS", "KIND_PARSERS", "MAX_AXES", "MAX_SPEC_BYTES", "SpecFile"]

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
