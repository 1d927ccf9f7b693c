"""Consoles shared by the commands: results on stdout, errors on stderr."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.text import Text

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def print_error(message: str) -> None:
    """One red line on stderr, never wrapped, no markup interpretation."""
    err_console.print(Text(f"error: {message}", style="bold red"), soft_wrap=True)


def print_json(data: Any) -> None:
    """Print one JSON object on stdout (plain, so pipes and autograders can read it)."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
