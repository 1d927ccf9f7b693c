"""The files around a run: atomic writes, checking output paths up front, stale temporary files.

Rules (docs/training.md, "Files"):

- **Atomic writes.** :func:`atomic_write` writes to a temporary file in the target's folder,
  named ``.<name>.<pid>.<random>.tmp``, flushes and syncs it, then moves it over the target
  with ``os.replace``: a reader sees the old file or the new one, never half of one. If the
  write fails (a full disk, a permission), the temporary file is removed and a
  :class:`~convcalc.ConvCalcError` names the target and the reason.
- **Existing outputs are kept.** :func:`check_output` refuses a path that exists unless
  ``overwrite`` (``--overwrite``) or it is the run's own checkpoint (``--resume X`` writing
  ``X``); the refusal names the file and what it holds (:func:`describe`: "a resumable run at
  epoch 3 of 5", "a training history of 4 epochs").
- **Paths are checked before training.** A missing folder, a folder that is not writable, a
  folder where a file is expected: one error before the first batch.
- **Stale temporary files.** :func:`clean_stale_temps` removes, in the target's folder only,
  the temporary files of *that* target whose writer is dead: ``.<name>.<pid>.<random>.tmp``
  and the older ``<name>.tmp-<pid>``, only when no process ``pid`` exists (``os.kill(pid, 0)``
  says so). Files of live processes, other names and other folders are never touched.
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from convcalc.errors import ConvCalcError

__all__ = ["atomic_write", "check_output", "clean_stale_temps", "describe", "free_name", "regular_file", "temp_name"]

_META_LIMIT = 16 * 2**20  # a checkpoint's JSON header is read only when its declared size is below this


def temp_name(target: Path) -> Path:
    """``.<name>.<pid>.<random>.tmp`` next to ``target``."""
    return target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"


def _reason(error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return "no space left on the device"
    return error.strerror or str(error)


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], None], *, what: str = "the file") -> None:
    """Call ``write(f)`` on a temporary file next to ``path``, then move it over ``path``.

    Raises
    ------
    ConvCalcError
        ``"Cannot write <what> '<path>': <reason>"`` when any step fails; the temporary file is removed.
    """
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        raise ConvCalcError(f"Cannot write {what} '{target}': the folder '{folder}' does not exist.")
    tmp = temp_name(target)
    try:
        with open(tmp, "xb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except OSError as error:
        _remove(tmp)
        raise ConvCalcError(f"Cannot write {what} '{target}': {_reason(error)}.") from None
    except BaseException:
        _remove(tmp)
        raise


def _remove(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):  # someone else's process, or not a pid at all
        return pid > 0 and not isinstance(pid, bool)
    return True


def clean_stale_temps(path: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files a dead writer of ``path`` left in its folder; return them."""
    target = Path(path)
    folder = target.parent
    if "\x00" in str(path):
        return []
    name = re.escape(target.name)
    patterns = (re.compile(rf"\.{name}\.(\d{{1,10}})\.[0-9a-f]{{8}}\.tmp"), re.compile(rf"{name}\.tmp-(\d{{1,10}})"))
    removed = []
    try:
        entries = list(os.scandir(folder if str(folder) else "."))
    except OSError:
        return removed
    for entry in entries:
        for pattern in patterns:
            match = pattern.fullmatch(entry.name)
            if match and not _alive(int(match.group(1))) and entry.is_file(follow_symlinks=False):
                try:
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
                except OSError:
                    pass
    return removed


def _checkpoint_meta(path: Path) -> dict[str, Any] | None:
    """The JSON header of a convcalc ``.npz``, read alone (sizes checked), or None."""
    import numpy as np

    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("__meta__.npy")
            if info.file_size > _META_LIMIT:
                return None
            with archive.open(info) as member:
                raw = np.lib.format.read_array(member, allow_pickle=False)
        meta = json.loads(str(raw))
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile, RecursionError):
        return None
    return meta if isinstance(meta, dict) and meta.get("format") == "convcalc-model" else None


def describe(path: str | os.PathLike[str]) -> str:
    """What an existing file holds, in a few words, for a refusal to overwrite it."""
    target = Path(path)
    try:
        info = target.stat()
    except OSError:
        return "something convcalc cannot read"
    size = info.st_size
    if not stat.S_ISREG(info.st_mode):  # /dev/zero, a FIFO...: never read (it would not end)
        return "a device or other special file, not a regular file"
    if zipfile.is_zipfile(target):
        meta = _checkpoint_meta(target)
        if meta is None:
            return f"a zip archive of {size:,} bytes that is not a convcalc model"
        state = meta.get("train_state")
        extra = meta.get("extra") if isinstance(meta.get("extra"), dict) else {}
        config = extra.get("train_config") if isinstance(extra.get("train_config"), dict) else {}
        total = config.get("epochs", "?")
        if isinstance(state, dict):
            epoch, batch = state.get("epoch", 0), state.get("batch", 0)
            if batch:
                return f"a resumable run at epoch {epoch + 1} of {total} (batch {batch})"
            return f"a resumable run, {epoch} of {total} epochs done"
        model = config.get("model")
        return f"a trained model ({model})" if model else "a saved convcalc model"
    if target.suffix.lower() == ".json" and size < _META_LIMIT:
        try:
            data = json.loads(target.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            data = None
        if isinstance(data, dict) and isinstance(data.get("epochs"), list):
            return f"a training history of {len(data['epochs'])} epochs"
    if target.suffix.lower() in (".png", ".svg", ".pdf", ".jpg", ".jpeg"):
        return f"an image of {size:,} bytes"
    return f"{size:,} bytes"


def regular_file(path: str | os.PathLike[str], what: str) -> int:
    """The size of ``path`` if it is a regular file; else a ``ConvCalcError`` naming it (a folder, a device such
    as ``/dev/zero`` that never ends, a NUL in the name, a name too long, missing, unreadable)."""
    import stat

    if "\x00" in str(path):
        raise ConvCalcError(f"{str(path)!r} cannot be {what}: a file name cannot contain a NUL character.")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ConvCalcError(f"The file '{path}' does not exist.") from None
    except OSError as error:
        raise ConvCalcError(f"The file '{path}' cannot be read ({_reason(error)}).") from None
    if stat.S_ISDIR(info.st_mode):
        raise ConvCalcError(f"'{path}' is a folder, not a file; it cannot be {what}.")
    if not stat.S_ISREG(info.st_mode):
        raise ConvCalcError(f"'{path}' is not a regular file (a device or a pipe); it cannot be {what}.")
    return info.st_size


def check_output(path: str | os.PathLike[str], option: str, *, overwrite: bool = False,
                 own: str | os.PathLike[str] | None = None) -> None:
    """Refuse (``ConvCalcError``) an output path that cannot or may not be written, before any work.

    Parameters
    ----------
    path
        Where ``option`` (``"--save"``, ``"--history"``...) will write.
    option
        The option's name, for the message.
    overwrite
        Replace an existing file (``--overwrite``).
    own
        A file this run continues (``--resume``): writing it again is allowed.
    """
    if "\x00" in str(path):
        raise ConvCalcError(f"{option} {str(path)!r}: a file name cannot contain a NUL character.")
    try:
        _check_output(Path(path), path, option, overwrite, own)
    except OSError as error:  # a name too long, a path through a file, ...
        raise ConvCalcError(f"{option} '{path}': {_reason(error)}.") from None


def _check_output(target: Path, path: str | os.PathLike[str], option: str, overwrite: bool,
                  own: str | os.PathLike[str] | None) -> None:
    folder = target.parent
    if str(path).endswith(os.sep) or target.is_dir():
        raise ConvCalcError(f"{option} '{path}' is a folder; give a file name inside it.")
    if not folder.exists():
        raise ConvCalcError(f"{option} '{path}': the folder '{folder}' does not exist.")
    if not folder.is_dir():
        raise ConvCalcError(f"{option} '{path}': '{folder}' is not a folder.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConvCalcError(f"{option} '{path}': the folder '{folder}' is not writable.")
    if not target.exists():
        return
    if own is not None and os.path.exists(own) and os.path.samefile(target, own):
        return
    if not stat.S_ISREG(target.stat().st_mode):  # /dev/null, a FIFO: never replaced, even with --overwrite
        raise ConvCalcError(f"{option} '{path}' is a device or other special file, not a regular file; it is kept. "
                            "Give a file name.")
    if not overwrite:
        holds = describe(target)
        hint = f", --resume {path} to continue it" if holds.startswith("a resumable run") else ""
        raise ConvCalcError(f"{option} '{path}' already exists and holds {holds}; it is kept. Use --overwrite "
                            f"to replace it{hint}, or another file name.")
    if not os.access(target, os.W_OK) and not os.access(folder, os.W_OK):
        raise ConvCalcError(f"{option} '{path}' is not writable.")


def free_name(path: str | os.PathLike[str]) -> Path:
    """``path`` if it does not exist, else the first free ``<stem>-2<suffix>``, ``<stem>-3<suffix>``..."""
    target = Path(path)
    if not target.exists():
        return target
    for i in range(2, 10_000):
        candidate = target.with_name(f"{target.stem}-{i}{target.suffix}")
        if not candidate.exists():
            return candidate
    raise ConvCalcError(f"No free file name like '{target}' in '{target.parent}'.")
