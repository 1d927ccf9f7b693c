"""One ``.npz`` per model: architecture (spec list as JSON), weights, optimiser state, resume point.

Layout of the archive (every entry a plain array, so ``np.load(...,
allow_pickle=False)`` reads it):

- ``__meta__``: a JSON string: ``format``, ``version``, ``input_shape``,
  ``layers`` (``[{"type": "Conv2D", "filters": 32, ...}, ...]``), ``dtype``,
  ``init``, ``seed``, ``compile`` (optimiser name and hyperparameters, loss,
  metrics, regularizer), ``optimizer_iterations``, ``train_state`` (the resume
  point, or null) and ``extra`` (caller's metadata, e.g. the command line's options);
- ``param/<layer>.<name>`` and ``buffer/<layer>.<name>``: weights and running statistics;
- ``opt/<layer>.<name>/<slot>``: optimiser state (momentum buffers, Adam moments);
- ``state/perm``: the sample order of the interrupted epoch;
- ``meta/<path>``: any NumPy array found inside the JSON metadata (e.g. the best
  weights an ``EarlyStopping`` callback keeps in ``train_state["callbacks"]``):
  the JSON holds ``{"__array__": "meta/<path>"}`` in its place, and
  :func:`read_archive` puts the array back. Files without such entries (written
  before callbacks' states were saved) read as before.

Files are written atomically: to a temporary file in the same folder, flushed
and synced, then moved over the target with ``os.replace``, so an interrupted
save never leaves a half-written model.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from convcalc import layers as specs
from convcalc.errors import ConvCalcError

__all__ = ["spec_to_dict", "spec_from_dict", "write_archive", "read_archive", "FORMAT", "VERSION"]

FORMAT = "convcalc-model"
VERSION = 1


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def spec_to_dict(spec: specs.Layer) -> dict[str, Any]:
    """``{"type": "Conv2D", "filters": 32, ...}``: the class name and every dataclass field.

    Examples
    --------
    >>> spec_to_dict(specs.Conv2D(8, 3))
    {'type': 'Conv2D', 'filters': 8, 'kernel_size': 3, 'stride': 1, 'padding': 0, 'dilation': 1, 'groups': 1, 'bias': True}
    >>> spec_from_dict(spec_to_dict(specs.MaxPool2D((2, 3))))
    MaxPool2D(pool_size=(2, 3), stride=None, padding=0, dilation=1, ceil_mode=False)
    """
    return {"type": type(spec).__name__, **{f.name: _jsonable(getattr(spec, f.name)) for f in fields(spec)}}


def spec_from_dict(data: dict[str, Any]) -> specs.Layer:
    """Inverse of :func:`spec_to_dict`."""
    name = data.get("type")
    cls = getattr(specs, str(name), None)
    if not (isinstance(cls, type) and issubclass(cls, specs.Layer)) or str(name).startswith("_"):
        raise ConvCalcError(f"Unknown layer type {name!r} in a saved model.")
    return cls(**{k: _tuples(v) for k, v in data.items() if k != "type"})


_ARRAY = "__array__"
_ARRAY_PREFIX = "meta/"


def _split_arrays(value: Any, path: tuple[str, ...], out: dict[str, np.ndarray]) -> Any:
    """``value`` with every ndarray moved into ``out`` under ``meta/<path>`` and a reference left in its place."""
    if isinstance(value, np.ndarray):
        key = _ARRAY_PREFIX + "/".join(path)
        while key in out:  # only if a dict key holds a "/"
            key += "_"
        out[key] = value
        return {_ARRAY: key}
    if isinstance(value, dict):
        return {k: _split_arrays(v, (*path, str(k)), out) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_split_arrays(v, (*path, str(i)), out) for i, v in enumerate(value)]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _join_arrays(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    """Inverse of :func:`_split_arrays`: references replaced by (and removed from) ``arrays``."""
    if isinstance(value, dict):
        ref = value.get(_ARRAY)
        if len(value) == 1 and isinstance(ref, str) and ref.startswith(_ARRAY_PREFIX) and ref in arrays:
            return arrays.pop(ref)
        return {k: _join_arrays(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_join_arrays(v, arrays) for v in value]
    return value


def write_archive(path: str | os.PathLike[str], meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write ``meta`` (JSON; arrays inside it as ``meta/...`` entries) and ``arrays`` to one ``.npz``, atomically."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ConvCalcError(f"Cannot save the model to '{target}': the folder '{folder}' does not exist.")
    inner: dict[str, np.ndarray] = {}
    meta = _split_arrays(meta, (), inner)
    payload = {"__meta__": np.array(json.dumps({"format": FORMAT, "version": VERSION, **meta}))}
    payload.update(arrays)
    payload.update(inner)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_archive(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``(meta, arrays)`` from a file written by :func:`write_archive`."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
    except FileNotFoundError:
        raise ConvCalcError(f"No saved model at '{path}'.") from None
    except (OSError, ValueError, EOFError) as error:
        raise ConvCalcError(f"'{path}' is not a readable convcalc model ({error}).") from None
    raw = arrays.pop("__meta__", None)
    try:
        meta = json.loads(str(raw)) if raw is not None else None
    except json.JSONDecodeError:
        meta = None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ConvCalcError(f"'{path}' is an .npz file but not a convcalc model (no '{FORMAT}' header).")
    if meta.get("version", 0) > VERSION:
        raise ConvCalcError(f"'{path}' was written by a newer convcalc (format version {meta['version']}).")
    return _join_arrays(meta, arrays), arrays
