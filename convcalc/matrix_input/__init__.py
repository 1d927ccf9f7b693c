"""Read a matrix from text, a file or stdin, keeping every number exact.

Accepted forms (every command that takes a matrix uses :func:`parse_matrix`):

* a bracket literal, JSON or Python style, commas optional (NumPy's printed
  form works too): ``"[[1, 0], [2, 9]]"``, ``"[[ 68  23] [-54 -19]]"``;
* rows separated by ``;`` (or new lines), entries by spaces or commas:
  ``"1 0; 2 9"``, ``"1,0;2,9"``;
* a ``.txt`` or ``.csv`` file in either form (blank lines and ``#`` comments
  are skipped), or a ``.npy`` file (NumPy is imported only then);
* ``"-"``: the same text read from standard input.

Numbers are ints (``-3``), fractions (``1/3``) or decimals (``0.5``, ``1e-3``);
fractions and decimals become exact :class:`fractions.Fraction` values. Nothing
is ever evaluated: the text goes through a small tokenizer.

Modules, all re-exported here (import from ``convcalc.matrix_input``): ``text``
(numbers, matrices and channel stacks from text), ``files`` (matrix and other
input files, their limits checked before reading) and ``sources`` (inline text,
a file or standard input: :func:`parse_matrix`, :func:`parse_tensor`).
"""


from __future__ import annotations

from convcalc.matrix_input.files import (
    FILE_SUFFIXES,
    MAX_CELLS,
    MAX_FILE_BYTES,
    read_file_bytes,
    read_matrix_file,
    text_of,
)
from convcalc.matrix_input.sources import parse_matrix, parse_tensor
from convcalc.matrix_input.text import (
    MAX_EXPONENT,
    MAX_NESTING,
    MAX_NUMBER_CHARS,
    matrix_from_text,
    matrix_from_value,
    parse_number,
    tensor_from_text,
)

__all__ = ["parse_number", "parse_matrix", "matrix_from_text", "matrix_from_value", "read_matrix_file",
           "read_file_bytes", "parse_tensor", "tensor_from_text", "FILE_SUFFIXES", "MAX_FILE_BYTES", "MAX_CELLS",
           # importable from here as before the split: text_of and the limits docs/limits.md names
           "text_of", "MAX_NUMBER_CHARS", "MAX_EXPONENT", "MAX_NESTING"]
