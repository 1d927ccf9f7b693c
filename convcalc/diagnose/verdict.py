"""The verdict of one question, and how a mistake is recognised: recompute it and compare."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Iterable

from convcalc.errors import ConvCalcError

Sizes = tuple[Any, ...]


@dataclass(frozen=True)
class Diagnosis:
    """A recognised mistake: a stable ``code`` for autograders and a sentence for people."""

    code: str
    message: str


@dataclass(frozen=True)
class Verdict:
    """The outcome of one question.

    Attributes
    ----------
    id, kind : str
        The question's id and kind.
    given, correct : object
        The parsed answer and the computed one (a tuple per axis for sizes, a
        matrix for exact kinds, an int for counts).
    ok : bool
        True when they agree.
    working : tuple of str
        How the correct answer is computed, as lines of text.
    diagnoses : tuple of Diagnosis
        The mistakes recognised in a wrong answer (may be empty).
    wrong_cells : tuple of (int, int)
        Matrix kinds: the cells of the answer that are wrong (0-indexed).
    cells : tuple
        Matrix kinds: :class:`convcalc.exact.CellWorking` (or ``PoolWorking``)
        of the first wrong cells, for rendering.
    fields : dict
        The question's parsed fields.
    convention : str
        The counting convention of ``correct`` (``params``: ``torch``, ``keras``
        or ``trainable``); empty for other kinds.
    label : str
        What the verdict table shows in its kind column (default: ``kind``), e.g.
        ``params (torch)`` when the count depends on the convention.
    """

    id: str
    kind: str
    given: Any
    correct: Any
    ok: bool
    working: tuple[str, ...] = ()
    diagnoses: tuple[Diagnosis, ...] = ()
    wrong_cells: tuple[tuple[int, int], ...] = ()
    cells: tuple[Any, ...] = ()
    fields: dict[str, Any] = field(default_factory=dict)
    convention: str = ""
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: exact values as ints or ``"a/b"`` strings (``convention`` for counts that have one)."""
        data: dict[str, Any] = {
            "id": self.id, "kind": self.kind, "given": plain(self.given), "correct": plain(self.correct),
            "ok": self.ok, "verdict": "right" if self.ok else "wrong", "working": list(self.working),
            "diagnoses": [{"code": d.code, "message": d.message} for d in self.diagnoses],
            "wrong_cells": [list(c) for c in self.wrong_cells],
        }
        if self.convention:
            data["convention"] = self.convention
        return data


def exact_equal(given: Any, correct: Any, tolerance: Fraction | int = 0) -> bool:
    """Exact (or within ``tolerance``) equality of two values."""
    if tolerance:
        try:
            return abs(given - correct) <= tolerance
        except TypeError:
            return False
    return bool(given == correct)


def plain(value: Any) -> Any:
    """Exact values for JSON: tuples become lists, whole Fractions ints, other Fractions ``"a/b"``."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bool) or isinstance(value, int) or value is None:
        return value
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else str(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return str(value)


def sizes_equal(given: Sizes, correct: Sizes) -> bool:
    """Per-axis equality; one value stands for every axis (``7`` answers ``7x7``).

    Examples
    --------
    >>> sizes_equal((7,), (7, 7)), sizes_equal((7, 8), (7, 7)), sizes_equal((7, 7), (7,))
    (True, False, True)
    """
    if len(given) == len(correct):
        return tuple(given) == tuple(correct)
    if len(given) == 1:
        return all(c == given[0] for c in correct)
    if len(correct) == 1:
        return all(g == correct[0] for g in given)
    return False


def _attempt(compute: Callable[[], Any]) -> Any:
    """A mistaken recomputation, or None when that mistake cannot even be computed."""
    try:
        return compute()
    except (ConvCalcError, ZeroDivisionError, IndexError):
        return None


def _match(given: Any, correct: Any, candidates: Iterable[tuple[str, Callable[[], Any], str]],
           equal: Callable[[Any, Any], bool]) -> tuple[Diagnosis, ...]:
    """Diagnoses whose recomputation equals the given answer (and differs from the right one).

    Candidates come most specific first. Several mistakes can lead to the same
    wrong number; every one that does is reported (once per code), in that order.
    """
    found: dict[str, Diagnosis] = {}
    for code, compute, message in candidates:
        if code in found:
            continue
        alt = _attempt(compute)
        if alt is not None and equal(given, alt) and not equal(alt, correct):
            found[code] = Diagnosis(code, message.format(alt=_show(alt)))
    return tuple(found.values())


def _show(value: Any) -> str:
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        return ", ".join(f"({lo}, {hi})" for lo, hi in value)
    if isinstance(value, tuple):
        return "x".join(str(v) for v in value)
    if isinstance(value, list):
        return f"{len(value)}x{len(value[0])} matrix"
    return f"{value:,}" if isinstance(value, int) else str(value)
