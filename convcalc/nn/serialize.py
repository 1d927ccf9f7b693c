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

Files are written atomically (:func:`convcalc.nn.files.atomic_write`): to a
temporary file ``.<name>.<pid>.<random>.tmp`` in the same folder, flushed and
synced, then moved over the target with ``os.replace``, so an interrupted save
never leaves a half-written model (and the next run removes the temporary file
of a killed writer, :func:`convcalc.nn.files.clean_stale_temps`).
"""

from __future__ import annotations

import json
import os
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from convcalc import layers as specs
from convcalc.errors import ConvCalcError

__all__ = ["spec_to_dict", "spec_from_dict", "write_archive", "read_archive", "check_train_state",
           "check_declared_sizes", "FORMAT",
           "VERSION"]

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
    {'type': 'Conv2D', 'filters': 8, 'kernel_size': 3, 'stride': 1, 'padding': 0, 'dilation': 1, 'groups': 1, 'bias': True, 'in_channels': None}
    >>> spec_from_dict(spec_to_dict(specs.MaxPool2D((2, 3))))
    MaxPool2D(pool_size=(2, 3), stride=None, padding=0, dilation=1, ceil_mode=False)
    """
    return {"type": type(spec).__name__, **{f.name: _jsonable(getattr(spec, f.name)) for f in fields(spec)}}


def spec_from_dict(data: dict[str, Any]) -> specs.Layer:
    """Inverse of :func:`spec_to_dict`."""
    from convcalc.graph import merge

    name = data.get("type")
    cls = getattr(specs, str(name), None)
    if cls is None and str(name) in merge.__all__ and str(name) != "Merge":  # Add, Multiply, Concat
        cls = getattr(merge, str(name))
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
    from convcalc.nn.files import atomic_write

    atomic_write(target, lambda f: np.savez(f, **payload), what="the model")


def read_archive(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``(meta, arrays)`` from a file written by :func:`write_archive`.

    The archive is read by :func:`convcalc.data.npzfile.read_npz`, which checks the sizes the zip
    directory and every array header declare before inflating or allocating anything.
    """
    from convcalc.data.npzfile import read_npz

    if not os.path.exists(path):
        raise ConvCalcError(f"No saved model at '{path}'.")
    arrays = read_npz(path, what="convcalc model (.npz)")
    raw = arrays.pop("__meta__", None)
    try:
        meta = json.loads(str(raw)) if raw is not None and raw.dtype.kind == "U" and raw.ndim == 0 else None
    except (json.JSONDecodeError, RecursionError):
        meta = None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ConvCalcError(f"'{path}' is an .npz file but not a convcalc model (no '{FORMAT}' header).")
    version = meta.get("version", 0)
    if not isinstance(version, int) or version > VERSION:
        raise ConvCalcError(f"'{path}' was written by a newer convcalc (format version {version}).")
    return _join_arrays(meta, arrays), arrays


def check_declared_sizes(layers: list[specs.Layer], input_shape: Any, stored: dict[str, np.ndarray]) -> None:
    """Before building a loaded model: its layers may not declare more parameters than the file holds
    (a damaged or hostile file declaring ``Dense(10**12)`` would otherwise be allocated)."""
    from convcalc.stack import summarize

    declared = summarize(layers, tuple(int(v) for v in input_shape)).total_params
    held = sum(int(v.size) for v in stored.values())
    if declared > held:
        raise ConvCalcError(f"its layers declare {declared:,} parameters but it holds {held:,} values")


#: What a resume point holds: key -> (Python types allowed, description).
_STATE_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "epoch": ((int,), "an int >= 0"),
    "batch": ((int,), "an int >= 0"),
    "samples": ((int,), "an int >= 1"),
    "batch_size": ((int,), "an int >= 1"),
    "shuffle": ((bool,), "true or false"),
    "shuffle_rng": ((dict,), "a NumPy generator state"),
    "dropout_rng": ((dict,), "a NumPy generator state"),
    "loss_sum": ((int, float), "a number"),
    "correct": ((int,), "an int >= 0"),
    "seen": ((int,), "an int >= 0"),
    "seconds": ((int, float), "a number"),
    "history": ((list,), "a list of epochs"),
}


def check_train_state(state: Any, perm: Any, path: str | os.PathLike[str]) -> None:
    """Refuse (``ConvCalcError`` naming ``path``) a resume point that :func:`convcalc.nn.training.fit`
    could not continue from: missing or mistyped keys, a sample order that is not a permutation of
    the samples, a random generator state NumPy cannot restore."""
    def bad(problem: str) -> ConvCalcError:
        return ConvCalcError(f"'{path}' is a damaged convcalc checkpoint: {problem}.")

    if not isinstance(state, dict):
        raise bad("its resume point is not a JSON object")
    for key, (types, valid) in _STATE_KEYS.items():
        value = state.get(key)
        if key not in state:
            raise bad(f"its resume point lacks '{key}'")
        if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
            raise bad(f"its resume point has '{key}' = {str(value)[:60]!r}; expected {valid}")
        if isinstance(value, int) and not isinstance(value, bool) and value < (1 if "an int >= 1" == valid else 0):
            raise bad(f"its resume point has '{key}' = {value}; expected {valid}")
    n = state["samples"]
    if state["batch"] > -(-n // state["batch_size"]) or state["seen"] > n or state["correct"] > state["seen"]:
        raise bad(f"its resume point (batch {state['batch']}, {state['seen']} seen) does not fit {n} samples "
                  f"in batches of {state['batch_size']}")
    for key in ("shuffle_rng", "dropout_rng"):
        try:
            np.random.default_rng().bit_generator.state = state[key]
        except (TypeError, ValueError, KeyError, OverflowError) as error:
            raise bad(f"its '{key}' is not a random generator state NumPy can restore ({error})") from None
    if perm is not None:
        perm = np.asarray(perm)
        if perm.dtype.kind not in "iu" or perm.shape != (n,) or \
                not np.array_equal(np.sort(perm), np.arange(n, dtype=perm.dtype)):
            raise bad(f"its sample order 'state/perm' ({perm.dtype} {perm.shape}) is not a permutation of the "
                      f"{n} samples")
