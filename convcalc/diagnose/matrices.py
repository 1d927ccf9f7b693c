"""Exact kinds: a correlation, convolution or pooling of a matrix, whole or one cell, and their mistakes."""

from __future__ import annotations

from typing import Any

from convcalc._typing import as_tuple
from convcalc.diagnose.verdict import Diagnosis, Verdict, _match, exact_equal
from convcalc.errors import ConvCalcError

#: How many wrong cells of a matrix answer get their working shown.
MAX_CELL_WORKINGS = 3


def _conv_options(q: dict[str, Any]) -> dict[str, Any]:
    return {"mode": q.get("mode", "valid"), "stride": q.get("stride", 1), "dilation": q.get("dilation", 1),
            "padding": q.get("padding"), "framework": q.get("framework", "torch")}


def _cell_of(q: dict[str, Any], y: list[list[Any]]) -> tuple[int, int]:
    i, j = q["cell"]
    if not (i < len(y) and j < len(y[0])):
        raise ConvCalcError(f"question {q['id']!r}: field 'cell': ({i}, {j}) is outside the "
                            f"{len(y)}x{len(y[0])} output.")
    return i, j


def _matrix_compare(given: Any, correct: list[list[Any]], tolerance: Any) -> tuple[bool, tuple[tuple[int, int], ...]]:
    if len(given) != len(correct) or len(given[0]) != len(correct[0]):
        return False, ()
    wrong = tuple((i, j) for i, row in enumerate(correct) for j, v in enumerate(row)
                  if not exact_equal(given[i][j], v, tolerance))
    return not wrong, wrong


def _equal_matrix(a: Any, b: Any) -> bool:
    return isinstance(a, list) and isinstance(b, list) and a == b


def check_correlate(q: dict[str, Any]) -> Verdict:
    """Exact correlation or convolution: a whole matrix, or one cell with ``cell = [i, j]``."""
    from convcalc import exact
    from convcalc.working import explain_output_size

    flip = q["kind"] == "convolve"
    options = _conv_options(q)
    op, other = (exact.convolve, exact.correlate) if flip else (exact.correlate, exact.convolve)
    x, f = q["x"], q["f"]
    y = op(x, f, **options)
    tolerance = q.get("tolerance", 0)
    explain = lambda i, j: exact.explain(x, f, i, j, convolve=flip, **options)  # noqa: E731
    size_w = explain_output_size("conv", (len(x), len(x[0])), (len(f), len(f[0])), options["stride"],
                                 options["padding"] if options["padding"] is not None else options["mode"],
                                 options["dilation"], framework=options["framework"])
    subs = [f"{a.substituted} = {a.output}" for a in size_w.axes]
    working = [f"Y is {len(y)}x{len(y[0])}: " + (f"{subs[0]} on both axes" if subs[0] == subs[1] else
                                                  f"rows {subs[0]}; columns {subs[1]}")]
    flipped_name = "the kernel flipped (convolution)" if not flip else "the kernel not flipped (correlation)"
    if "cell" in q:
        i, j = _cell_of(q, y)
        correct, given = y[i][j], q["answer"]
        ok = exact_equal(given, correct, tolerance)
        w = explain(i, j)
        working.append(f"Y({i},{j}) = sum(window * {'flip(F)' if flip else 'F'}) = {w.sum_text()}")
        diagnoses: tuple[Diagnosis, ...] = ()
        if not ok:
            candidates = [("kernel_flipped" if not flip else "not_flipped", lambda: other(x, f, **options)[i][j],
                           f"That is the value with {flipped_name}: {{alt}}.")]
            for di, dj in ((0, 1), (0, -1), (1, 0), (-1, 0)):
                if 0 <= i + di < len(y) and 0 <= j + dj < len(y[0]):
                    candidates.append(("window_shifted", lambda a=i + di, b=j + dj: y[a][b],
                                       f"That is Y({i + di},{j + dj}): the window is one step off."))
            diagnoses = _match(given, correct, candidates, lambda a, b: exact_equal(a, b, tolerance))
        return Verdict(q["id"], q["kind"], given, correct, ok, tuple(working), diagnoses,
                       cells=() if ok else (w,), fields=q)
    given = q["answer"]
    ok, wrong = _matrix_compare(given, y, tolerance)
    diagnoses = ()
    if not ok:
        candidates = [("kernel_flipped" if not flip else "not_flipped", lambda: other(x, f, **options),
                       f"Your matrix is the result with {flipped_name}.")]
        candidates.append(("transposed_matrix", lambda: [list(r) for r in zip(*y)],
                           "Your matrix is the right one transposed (rows and columns swapped)."))
        for mode in ("valid", "same", "full"):
            if options["padding"] is None and mode != options["mode"]:
                candidates.append(("wrong_mode", lambda m=mode: op(x, f, **{**options, "mode": m}),
                                   f"Your matrix is the {mode!r} result; the question asks for {options['mode']!r}."))
        if options["padding"] is None and options["mode"] == "same":
            candidates.append(("same_offset", lambda: op(x, f, **{**options, "mode": "valid", "padding": _swapped_same(
                x, f, options, flip)}), "Your 'same' result puts the odd pixel of padding on the other side; "
                                        "correlation (SciPy, PyTorch) pads it at the bottom/right, SciPy's "
                                        "convolve2d at the top/left."))
        for name in ("stride", "dilation"):
            if options[name] not in (1, (1, 1)):
                candidates.append(("stride_ignored" if name == "stride" else "dilation_forgotten",
                                   lambda n=name: op(x, f, **{**options, n: 1}), f"Your matrix ignores the {name}."))
        diagnoses = _match(given, y, candidates, _equal_matrix)
        diagnoses += _wrong_cells_diagnosis(given, y, wrong)
    cells = tuple(explain(i, j) for i, j in wrong[:MAX_CELL_WORKINGS])
    for w in cells:
        working.append(f"Y({w.cell[0]},{w.cell[1]}) = {w.sum_text()}")
    return Verdict(q["id"], q["kind"], given, y, ok, tuple(working), diagnoses, wrong, cells, fields=q)


def _swapped_same(x: Any, f: Any, options: dict[str, Any], flip: bool) -> tuple:
    from convcalc.arithmetic import resolve_padding

    pads = resolve_padding("same", (len(x), len(x[0])), (len(f), len(f[0])), as_tuple(options["stride"], 2, "stride"),
                           as_tuple(options["dilation"], 2, "dilation"), options["framework"])
    return pads if flip else tuple((hi, lo) for lo, hi in pads)


def _wrong_cells_diagnosis(given: Any, correct: list[list[Any]], wrong: tuple[tuple[int, int], ...]
                           ) -> tuple[Diagnosis, ...]:
    if len(given) != len(correct) or len(given[0]) != len(correct[0]):
        return (Diagnosis("wrong_shape", f"Your matrix is {len(given)}x{len(given[0])}; the output is "
                                         f"{len(correct)}x{len(correct[0])}."),)
    shown = ", ".join(f"({i},{j}) should be {correct[i][j]}, not {given[i][j]}" for i, j in wrong[:6])
    more = f", and {len(wrong) - 6} more" if len(wrong) > 6 else ""
    total = len(correct) * len(correct[0])
    return (Diagnosis("wrong_cells", f"{len(wrong)} of {total} cells are wrong: {shown}{more}."),)


def check_pool_exact(q: dict[str, Any]) -> Verdict:
    """Exact max or average pooling of a matrix, whole or one ``cell``."""
    from convcalc import exact

    x, op = q["x"], q.get("op", "max")
    geometry = {"kernel": q["kernel"], "stride": q.get("stride"), "padding": q.get("padding", 0),
                "ceil_mode": q.get("ceil_mode", False)}
    include = q.get("count_include_pad", True)

    def pool(kind: str, **changes: Any) -> list[list[Any]]:
        g = {**geometry, **changes}
        if kind == "max":
            return exact.max_pool(x, dilation=q.get("dilation", 1), **g)
        return exact.avg_pool(x, count_include_pad=include, **g)

    y = pool(op)
    tolerance = q.get("tolerance", 0)
    work = lambda i, j: exact.explain_pool(x, i, j, dilation=q.get("dilation", 1), op=op,  # noqa: E731
                                           count_include_pad=include, **geometry)
    working = [f"{'Max' if op == 'max' else 'Average'} pooling gives a {len(y)}x{len(y[0])} matrix"]
    other = "avg" if op == "max" else "max"
    if "cell" in q:
        i, j = _cell_of(q, y)
        correct, given = y[i][j], q["answer"]
        ok = exact_equal(given, correct, tolerance)
        w = work(i, j)
        working.append(f"Y({i},{j}) = {w.text()}")
        candidates = [("max_avg_swapped", lambda: pool(other)[i][j], f"That is the {other} of the window.")]
        if op == "avg":
            candidates.append(("averages_rounded", lambda: _rounded(correct),
                               "You rounded the average; it is the exact fraction {alt}".replace("{alt}", str(correct))
                               + "."))
        diagnoses = () if ok else _match(given, correct, candidates, lambda a, b: exact_equal(a, b, tolerance))
        return Verdict(q["id"], q["kind"], given, correct, ok, tuple(working), diagnoses,
                       cells=() if ok else (w,), fields=q)
    given = q["answer"]
    ok, wrong = _matrix_compare(given, y, tolerance)
    diagnoses: tuple[Diagnosis, ...] = ()
    if not ok:
        candidates = [("max_avg_swapped", lambda: pool(other), f"Your matrix is the {other} pooling.")]
        if q.get("stride") is None:
            candidates.append(("pool_stride_one", lambda: pool(op, stride=1),
                               "You slid the window by 1; a pooling stride defaults to the window size."))
        candidates.append(("ceil_mode_ignored" if geometry["ceil_mode"] else "ceil_instead_of_floor",
                           lambda: pool(op, ceil_mode=not geometry["ceil_mode"]),
                           "Your matrix uses the other rounding (ceil mode or floor) for the number of windows."))
        if op == "avg":
            candidates.append(("averages_rounded", lambda: [[_rounded(v) for v in row] for row in y],
                               "You rounded the averages; they are exact fractions such as 5/3."))
        diagnoses = _match(given, y, candidates, _equal_matrix)
        if not any(d.code == "averages_rounded" for d in diagnoses) and op == "avg" and \
                len(given) == len(y) and len(given[0]) == len(y[0]) and \
                all(abs(given[i][j] - y[i][j]) < 1 for i, j in wrong):
            diagnoses += (Diagnosis("averages_rounded", "Your averages are rounded; give exact fractions such as "
                                                        "5/3 (or set a tolerance in the question)."),)
        diagnoses += _wrong_cells_diagnosis(given, y, wrong)
    cells = tuple(work(i, j) for i, j in wrong[:MAX_CELL_WORKINGS])
    working += [f"Y({w.cell[0]},{w.cell[1]}) = {w.text()}" for w in cells]
    return Verdict(q["id"], q["kind"], given, y, ok, tuple(working), diagnoses, wrong, cells, fields=q)


def _rounded(v: Any) -> Any:
    """Round half up to an int, as a student rounding 5/3 to 2 would."""
    from fractions import Fraction

    return int(Fraction(v) + Fraction(1, 2)) if Fraction(v) >= 0 else -int(-Fraction(v) + Fraction(1, 2))
