"""Reading the models people already have, statically: nothing is run, ``eval``-ed or unpickled.

- :mod:`~convcalc.importers.torch_text`: PyTorch ``print(model)`` output;
- :mod:`~convcalc.importers.keras_summary`: Keras ``model.summary()`` text;
- :mod:`~convcalc.importers.python_source`: PyTorch or Keras model code, read with ``ast``;
- :mod:`~convcalc.importers.keras_config`: ``.keras`` archives and Keras JSON configs;
- :mod:`~convcalc.importers.onnx_model`: ``.onnx`` files (needs the ``onnx`` extra).

Each reader returns an :class:`ImportedModel`: every module it met as a row
(``ok``, ``partial`` with the assumption made, or ``unsupported`` with the
reason; never dropped) and the convcalc layer specs they build.
:func:`read_model` picks the reader from the file's suffix or the text's look,
and returns ``None`` for text that is a plain convcalc spec.
"""

from __future__ import annotations

from pathlib import Path

from convcalc.errors import ConvCalcError
from convcalc.importers._model import STATUSES, ImportedModel, ImportedRow, read_bytes
from convcalc.importers.torch_text import looks_like_torch_print, read_torch_print

__all__ = ["ImportedModel", "ImportedRow", "STATUSES", "read_model", "read_model_text", "read_torch_print",
           "looks_like_torch_print", "MODEL_SUFFIXES", "MAX_TEXT_BYTES"]

#: File suffixes read as models rather than as convcalc specs.
MODEL_SUFFIXES = (".keras", ".json", ".onnx", ".py", ".txt")
#: Largest model text or file read (ResNet-152's print(model) is about 60 kB).
MAX_TEXT_BYTES = 16 * 1024 * 1024


def read_model_text(text: str, input_shape: tuple[int, ...] | None = None) -> ImportedModel | None:
    """Read pasted model text: ``print(model)`` output, Keras ``model.summary()`` or model code; ``None`` for a spec.

    ``input_shape`` (channels first, convcalc's order) is used where the text itself cannot show the
    input: a Keras Sequential model's summary has no input row. Other readers take the shape from
    the text or leave it to the caller.

    Examples
    --------
    >>> read_model_text("conv(8, 3) relu") is None
    True
    >>> [str(layer) for layer in read_model_text("model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU())").layers]
    ['Conv2D(8, 3, s=1, p=0)', 'ReLU']
    """
    if looks_like_torch_print(text):
        return read_torch_print(text)
    from convcalc.importers.keras_summary import looks_like_keras_summary, read_keras_summary

    if looks_like_keras_summary(text):  # Keras model.summary() output
        if input_shape is None:
            return read_keras_summary(text)
        from convcalc.layers import channels_last

        return read_keras_summary(text, channels_last(tuple(input_shape)))
    from convcalc.importers.python_source import looks_like_python, read_python_source

    if looks_like_python(text):
        return read_python_source(text)
    return None


def read_model(source: str, input_shape: tuple[int, ...] | None = None) -> ImportedModel | None:
    """Read a model file (``.keras``, ``.json``, ``.onnx``, ``.py``, ``.txt``) or pasted text; ``None`` for a spec.

    ``input_shape`` (channels first) is passed to :func:`read_model_text` for text that does not
    state its input (a Keras summary).

    Raises
    ------
    ConvCalcError
        Naming the file when it cannot be read or is not what its suffix says.
    """
    candidate = source.strip()
    if "\n" not in candidate and candidate.lower().endswith(MODEL_SUFFIXES):
        path = Path(candidate).expanduser()
        if candidate.lower().endswith(".onnx"):
            from convcalc.importers.onnx_model import read_onnx_file

            return read_onnx_file(path)
        if candidate.lower().endswith((".keras", ".json")):
            from convcalc.importers.keras_config import read_keras_file

            return read_keras_file(path)
        text = _read_text(path)
        if candidate.lower().endswith(".py"):
            from convcalc.importers.python_source import read_python_source

            try:
                return read_python_source(text)
            except ConvCalcError as error:
                raise ConvCalcError(f"{path}: {error}") from None
        try:
            return read_model_text(text, input_shape)
        except ConvCalcError as error:  # the reader names the line; the file is named here
            raise ConvCalcError(f"{path}: {error}") from None
    return read_model_text(source, input_shape)


def _read_text(path: Path) -> str:
    data = read_bytes(path, MAX_TEXT_BYTES, "a model file")
    if b"\0" in data:
        raise ConvCalcError(f"{path}: a binary file (it holds NUL bytes), not model text.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConvCalcError(f"{path}: not UTF-8 text (byte {error.start}).") from None
