"""Click parameter types shared by the commands.

:class:`AsciiInt` is an int option written with the ASCII digits 0-9 only (optionally bounded, as
click's ``IntRange``): Python's ``int()``, which click uses, also reads Arabic-Indic or fullwidth
digits (``--epochs ١٦`` would be 16), while every size convcalc reads refuses them
(``convcalc.expression``). Use it as ``typer.Option("--epochs", click_type=AsciiInt(min=1))``.
"""

from __future__ import annotations

from typing import Any

try:  # Typer >= 0.26 vendors click
    from typer._click.types import IntRange
except ImportError:  # pragma: no cover - older Typer uses click itself
    from click.types import IntRange

__all__ = ["AsciiInt"]


class AsciiInt(IntRange):
    """An int option written with the ASCII digits 0-9 only, as every size in convcalc: Python's ``int()``
    would also read Arabic-Indic or fullwidth digits (``--epochs ١٦`` would train 16 epochs)."""

    name = "integer"

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, str) and not value.strip().isascii():
            self.fail(f"{value!r} is not an integer written with the digits 0-9.", param, ctx)
        return super().convert(value, param, ctx)
