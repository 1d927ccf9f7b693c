"""Pure builders: a :class:`~convcalc.working.Working` to Rich renderables (no printing here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group
from rich.text import Text

if TYPE_CHECKING:  # pragma: no cover
    from convcalc.working import AxisWorking, Working

TITLES = {"conv": "Convolution", "pool": "Pooling", "transposed": "Transposed convolution"}
LABEL_WIDTH = 12


def _line(label: str, value: str, style: str = "") -> Text:
    text = Text(f"{label:<{LABEL_WIDTH}}", style="bold cyan")
    text.append(value, style=style)
    return text


def _axis_lines(a: AxisWorking) -> list[Text]:
    lines = [
        _line("formula", a.formula),
        _line("substituted", f"{a.substituted} = {a.output}"),
        _line("steps" if "//" not in a.steps else "floor step", a.steps),
    ]
    lines += [_line("note", note, "yellow") for note in a.notes]
    return lines


def _same_working(a: AxisWorking, b: AxisWorking) -> bool:
    return (a.substituted, a.steps, a.notes) == (b.substituted, b.steps, b.notes)


def render_working(working: Working) -> Group:
    """The working as lines of text: a title, each axis (once if all agree), the answer.

    Examples
    --------
    >>> from rich.console import Console
    >>> from convcalc.working import explain_output_size
    >>> console = Console(record=True, width=100)
    >>> console.print(render_working(explain_output_size("conv", 16, 2, 2, 1, 4)))
    Convolution output size
    source      Dumoulin & Visin 2016, relationship 15; PyTorch Conv2d
    formula     o = (n + 2p - d*(k-1) - 1) // s + 1
    substituted (16 + 2*1 - 4*(2-1) - 1) // 2 + 1 = 7
    floor step  13 // 2 + 1 = 6 + 1 = 7
    note        the last 1 padded position is never covered by a window (only padding is dropped)
    output      7
    """
    parts: list[Text] = [Text(f"{TITLES[working.kind]} output size", style="bold"),
                         _line("source", working.source, "dim")]
    axes = working.axes
    if len(axes) == 1 or all(_same_working(axes[0], a) for a in axes[1:]):
        if len(axes) > 1:
            parts.append(Text(f"every axis ({len(axes)} axes)", style="bold"))
        parts += _axis_lines(axes[0])
    else:
        for a in axes:
            parts.append(Text(f"axis {a.axis}", style="bold"))
            parts += _axis_lines(a)
    answer = "x".join(str(v) for v in working.output)
    parts.append(_line("output", answer, "bold green"))
    return Group(*parts)
