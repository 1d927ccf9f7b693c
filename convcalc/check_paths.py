"""Paths named inside an answer file: resolved inside one folder, never anywhere else.

An answer file is written by a student and run by a grader, so a path in it
(``x = "data/x.csv"``, ``spec = "net.txt"``) is untrusted. It resolves inside
the answer file's folder, or the ``--data-dir`` the grader names, and nowhere
else:

* absolute paths (``/etc/passwd``, ``C:\\x``), ``~`` and any ``..`` part are refused;
* the resolved path (symbolic links followed) must still lie inside the folder,
  so a symlink pointing out of it is refused too;
* the refusal is one line naming the field and the path as written; nothing
  outside the folder is opened, or even tested for existence.

Examples
--------
>>> import tempfile, pathlib
>>> base = pathlib.Path(tempfile.mkdtemp())
>>> resolve_inside("../secret.txt", base, "x")
Traceback (most recent call last):
...
convcalc.errors.ConvCalcError: the path '../secret.txt' leaves the answer file's folder ('..' is not allowed); paths in an answer file are relative to its folder (or to --data-dir)
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath

from convcalc.errors import ConvCalcError

__all__ = ["resolve_inside", "RULE"]

RULE = "paths in an answer file are relative to its folder (or to --data-dir)"


def resolve_inside(value: str, base: str | Path, field: str = "path") -> Path:
    """The file ``value`` names, resolved inside ``base``; refuses anything that would leave it.

    Parameters
    ----------
    value : str
        The path as written in the answer file.
    base : str or Path
        The folder paths are relative to (the answer file's, or ``--data-dir``).
    field : str
        The field that holds the path, for messages.

    Raises
    ------
    ConvCalcError
        Empty, NUL bytes, absolute, ``~``, a ``..`` part, or (after following
        symbolic links) outside ``base``.
    """
    text = value.strip()
    shown = text if len(text) <= 120 else f"{text[:60]}...{text[-40:]}"
    if not text or "\x00" in text:
        raise ConvCalcError(f"the path {shown!r} is empty or holds NUL bytes; {RULE}")
    win = PureWindowsPath(text)
    if text.startswith(("/", "\\", "~")) or win.drive or win.root or PurePosixPath(text).is_absolute():
        raise ConvCalcError(f"the path {shown!r} is absolute; {RULE}")
    parts = text.replace("\\", "/").split("/")
    if ".." in parts:
        raise ConvCalcError(f"the path {shown!r} leaves the answer file's folder ('..' is not allowed); {RULE}")
    root = os.path.realpath(base)
    try:
        resolved = os.path.realpath(os.path.join(root, *[p for p in parts if p not in ("", ".")]))
    except (OSError, ValueError):
        raise ConvCalcError(f"the path {shown!r} cannot be resolved; {RULE}") from None
    if os.path.commonpath([resolved, root]) != root:
        raise ConvCalcError(f"the path {shown!r} leads out of the answer file's folder (through a symbolic "
                            f"link); {RULE}")
    return Path(resolved)
