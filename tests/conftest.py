"""Shared test fixtures: golden-text comparison and CLI running."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import pytest

# Rich reads the terminal width when a Console is created: fix it before convcalc.cli is imported,
# so golden files do not depend on the machine's terminal.
os.environ["COLUMNS"] = "100"
os.environ.pop("FORCE_COLOR", None)

GOLDEN_DIR = Path(__file__).parent / "golden"
OVERWRITE = os.environ.get("CONVCALC_OVERWRITE_GOLDEN") == "1"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--overwrite", action="store_true", default=False,
                     help="Rewrite tests/golden/*.txt from the current output.")


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """Compare ``text`` with ``tests/golden/<name>.txt``.

    Regenerate with ``pytest --overwrite`` or ``CONVCALC_OVERWRITE_GOLDEN=1``.
    """
    overwrite = OVERWRITE or request.config.getoption("--overwrite")

    def check(name: str, text: str) -> None:
        path = GOLDEN_DIR / f"{name}.txt"
        if overwrite or not path.exists():
            if not overwrite and os.environ.get("CI"):
                pytest.fail(f"golden file {path} is missing; run pytest --overwrite locally and commit it")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        assert text == path.read_text(), f"output differs from {path} (pytest --overwrite to accept)"

    return check


@pytest.fixture
def run_cli() -> Callable[..., object]:
    """Run the convcalc CLI in-process with a fixed terminal width; returns the click Result."""
    from typer.testing import CliRunner

    from convcalc.cli.main import app

    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> object:
        return runner.invoke(app, list(args), input=input, env={"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"})

    return run
