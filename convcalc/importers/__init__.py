"""Reading the models people already have, statically: nothing is run, ``eval``-ed or unpickled.

- :mod:`~convcalc.importers.torch_text`: PyTorch ``print(model)`` output.

Each reader returns an :class:`ImportedModel`: every module it met as a row
(``ok``, ``partial`` with the assumption made, or ``unsupported`` with the
reason; never dropped) and the convcalc layer specs they build.
"""

from __future__ import annotations

from convcalc.importers._model import STATUSES, ImportedModel, ImportedRow
from convcalc.importers.torch_text import looks_like_torch_print, read_torch_print

__all__ = ["ImportedModel", "ImportedRow", "STATUSES", "read_torch_print", "looks_like_torch_print"]
