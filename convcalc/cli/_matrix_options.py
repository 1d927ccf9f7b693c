"""The options of `convcalc correlate` and `convcalc pool` as text: sizes, padding, --explain cells, --max-work.

Text in, library values out (the parsing itself is :mod:`convcalc.parse`'s);
errors are one line naming the option.
"""

from __future__ import annotations

from typing import Any, Optional

__all__ = ["max_work_option", "check_one_stdin", "MAX_EXPLAIN_CELLS"]


def _dims(m: list[list[Any]], source: str) -> str:
    """``2x3``, or ``2x3, from x.csv`` when the matrix came from a file."""
    from convcalc.matrix_input import FILE_SUFFIXES

    text = source.strip()
    named = text.lower().endswith(FILE_SUFFIXES) and len(text) <= 120 and not text.startswith(("[", "("))
    return f"{len(m)}x{len(m[0])}" + (f", from {text}" if named else "")


# --------------------------------------------------------------------------- option parsing (text only)
def max_work_option(text: Optional[str]) -> Optional[int]:
    """``--max-work``: ASCII digits only (``100000000`` or ``100_000_000``), at most 30 of them; 0 = no limit."""
    import re

    if text is None:
        return None
    body = text.strip().replace("_", "")
    if not re.fullmatch(r"[0-9]{1,30}", body, re.ASCII):
        from convcalc.errors import invalid

        raise invalid("max-work", text, "an int >= 0 in ASCII digits (0: no limit), e.g. --max-work 100000000")
    return int(body)

def _pair_option(text: str, name: str) -> Any:
    from convcalc.parse import parse_sizes

    return parse_sizes(text, name)


def _padding_option(text: Optional[str]) -> Any:
    if text is None:
        return None
    from convcalc.parse import parse_padding

    pad = parse_padding(text)
    if isinstance(pad, tuple) and len(pad) == 1 and isinstance(pad[0], tuple):
        pad = pad * 2  # one lo:hi pair applies to both axes
    return pad


def _check_framework(framework: str) -> None:
    """Refuse an unknown --framework even when --mode is not 'same' (the library only reads it for 'same')."""
    from convcalc.arithmetic import FRAMEWORKS

    if framework.strip().lower() not in FRAMEWORKS:
        from convcalc.errors import invalid

        raise invalid("framework", framework, "torch or keras (also pytorch, tf, tensorflow)")


def check_one_stdin(*matrices: Optional[str]) -> None:
    """Standard input can be read once: refuse ``-`` for two matrices before reading the first."""
    if sum(1 for m in matrices if m is not None and m.strip() == "-") > 1:
        from convcalc.errors import ConvCalcError

        raise ConvCalcError("only one matrix can come from standard input ('-'); give the other inline or as a file")


#: The most cells ``--explain all`` writes out (each is a window, a kernel and a sum: ~1 ms to render).
MAX_EXPLAIN_CELLS = 2_500


def _cells(explain: Optional[list[str]], rows: int, cols: int) -> list[tuple[int, int]]:
    """``["0,0", "1,2"]`` or ``["all"]`` to the output cells to explain, each once, in order."""
    from convcalc.errors import invalid

    cells: list[tuple[int, int]] = []
    if any(item.strip().lower() == "all" for item in explain or []) and rows * cols > MAX_EXPLAIN_CELLS:
        raise invalid("explain", "all", f"at most {MAX_EXPLAIN_CELLS:,} cells; this output has {rows * cols:,} "
                                        f"({rows}x{cols}): name the cells, e.g. --explain 0,0 --explain 1,2")
    for item in explain or []:
        if item.strip().lower() == "all":
            cells += [(i, j) for i in range(rows) for j in range(cols)]
            continue
        parts = item.replace("(", "").replace(")", "").split(",")
        try:
            i, j = (int(p) for p in parts)
        except ValueError:
            raise invalid("explain", item, "a cell I,J such as 0,0 (0-indexed), or 'all'") from None
        if not (0 <= i < rows and 0 <= j < cols):
            raise invalid("explain", item, f"a cell of the {rows}x{cols} output: I in 0..{rows - 1} and J in "
                                           f"0..{cols - 1} (0-indexed)")
        cells.append((i, j))
    return list(dict.fromkeys(cells))


def _describe(options: dict[str, Any], op: str) -> str:
    pad = options["padding"]
    words = [f"{options['mode']} {op}" if pad is None else f"{op}, padding {_text(pad)}"]
    if options["stride"] not in (1, (1, 1)):
        words.append(f"stride {_text(options['stride'])}")
    if options["dilation"] not in (1, (1, 1)):
        words.append(f"dilation {_text(options['dilation'])}")
    return ", ".join(words)


def _text(v: Any) -> str:
    return ",".join(map(str, v)) if isinstance(v, tuple) and not any(isinstance(p, tuple) for p in v) else str(v)
