"""The typed API (issue 10): tests/typing/user_code.py runs, and type-checks under mypy --strict.

.ci/run also checks it with pyright (from npm) after the README's editable install, which is what a
user's type checker sees; here mypy reads convcalc from this checkout (MYPYPATH) so the test does not
depend on how the package was installed.
"""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

USER_CODE = Path(__file__).parent / "typing" / "user_code.py"
ROOT = Path(__file__).resolve().parent.parent


def test_user_code_runs() -> None:
    namespace = runpy.run_path(str(USER_CODE))
    assert namespace["flat"] == 256 and namespace["hw"] == (28, 32)


def test_user_code_type_checks_under_mypy(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    env = {**os.environ, "MYPYPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
                           "--cache-dir", str(tmp_path / "cache"), str(USER_CODE)],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_py_typed_ships_with_the_package() -> None:
    import convcalc

    assert (Path(convcalc.__file__).parent / "py.typed").exists()
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"py.typed"' in pyproject
