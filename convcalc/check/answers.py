"""The given answer of a question, read in the form its kind computes (see ``docs/checking.md``).

Sizes and receptive fields are tuples of ints, ``same_padding`` a ``(lo, hi)``
pair per axis, ``params``/``macs`` one int, a shape answer a tuple (with the
layout its batch marker implies, Keras's ``None`` or torchsummary's ``-1``),
and a correlation or pooling answer an exact matrix or one exact number.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from convcalc.check.fields import _int, _ints, _matrix, _number, _padding, _unbracket
from convcalc.errors import invalid

__all__ = ["parse_answer"]


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
