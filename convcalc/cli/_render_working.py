"""Pure builder: a :class:`~convcalc.working.Working` to labelled output lines (no printing here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from convcalc.cli._console import Line

if TYPE_CHECKING:  # pragma: no cover
    from convcalc.working import AxisWorking, Working

TITLES = {"conv": "Convolution", "pool": "Pooling", "transposed": "Transposed convolution"}


def _axis_lines(a: AxisWorking) -> list[Line]:
    lines = [
        Line("formula", a.formula),
        Line("substituted", f"{a.substituted} = {a.output}"),
        Line("steps" if "//" not in a.steps else "floor step", a.steps),
    ]
    return lines + [Line("note", note, "yellow") for note in a.notes]


def _same_working(a: AxisWorking, b: AxisWorking) -> bool:
    return (a.substituted, a.steps, a.notes) == (b.substituted, b.steps, b.notes)


def render_working(working: Working) -> list[Line]:
    """The working as labelled lines: a title, each axis (once if all agree), the answer.

    Examples
    --------
    >>> from convcalc.working import explain_output_size
    >>> for line in render_working(explain_output_size("conv", 16, 2, 2, 1, 4)):
    ...     print(f"{line.label:<12}{line.value}")
                Convolution output size
    source      Dumoulin & Visin 2016, relationship 15; PyTorch Conv2d
    formula     o = (n + 2p - d*(k-1) - 1) // s + 1
    substituted (16 + 2*1 - 4*(2-1) - 1) // 2 + 1 = 7
    floor step  13 // 2 + 1 = 6 + 1 = 7
    note        the last 1 padded position is never covered by a window (only padding is dropped)
    output      7
    """
    lines = [Line("", f"{TITLES[working.kind]} output size", "bold"), Line("source", working.source, "dim")]
    axes = working.axes
    if len(axes) == 1 or all(_same_working(axes[0], a) for a in axes[1:]):
        if len(axes) > 1:
            lines.append(Line("", f"every axis ({len(axes)} axes)", "bold"))
        lines += _axis_lines(axes[0])
    else:
        for a in axes:
            lines.append(Line("", f"axis {a.axis}", "bold"))
            lines += _axis_lines(a)
    lines.append(Line("output", "x".join(str(v) for v in working.output), "bold green"))
    return lines
