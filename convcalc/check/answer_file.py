"""Answer files: read the ``[[question]]`` tables of a TOML file and check them all into a :class:`Report`.

File names inside the file resolve in its folder (or ``data_dir``) and never
outside it; the file's size is checked before it is read (:data:`MAX_ANSWER_FILE_BYTES`).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from convcalc.check.questions import check_parsed, parse_question
from convcalc.diagnose import Verdict
from convcalc.errors import ConvCalcError

__all__ = ["Report", "MAX_ANSWER_FILE_BYTES", "load_questions", "check_file"]


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
    return Report(tuple(check_parsed(q) for q in parsed), str(path))


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


def _is_dir(path: str | Path) -> bool:
    try:
        return Path(path).is_dir()
    except (OSError, ValueError):  # a name too long, a NUL byte
        return False
