"""What an importer returns: the rows it read, each with its status, and the layers they build.

Every importer reads a model *statically* (text, ``ast``, JSON: nothing is ever
run, ``eval``-ed or unpickled) into an :class:`ImportedModel`: one
:class:`ImportedRow` per module or layer it met, in order, each ``ok``,
``partial`` (read, but on an assumption the row names) or ``unsupported``
(not understood; kept as a row with the reason, never dropped), and the
convcalc layer specs of the rows it could build.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from convcalc.errors import ConvCalcError
from convcalc.layers import Layer

__all__ = ["ImportedRow", "ImportedModel", "STATUSES", "build_layers", "read_bytes", "file_errors"]

#: Row statuses, from best to worst.
STATUSES = ("ok", "partial", "unsupported")


@dataclass(frozen=True)
class ImportedRow:
    """One module or layer as the importer met it.

    Attributes
    ----------
    path : str
        Where it stands in the model (``features.0``, ``line 12``).
    source : str
        The text it was read from (a repr, a call, a config's class name).
    status : str
        ``"ok"``, ``"partial"`` or ``"unsupported"``.
    reason : str
        Why a row is partial or unsupported (empty when ok).
    layers : tuple of Layer
        The specs this row builds (none when unsupported; several when an
        ``activation=`` adds one).
    inputs : tuple of str or None
        The paths of the rows whose outputs this row takes (``""`` is the
        model's input); ``None``, the default, means the row before it.
    """

    path: str
    source: str
    status: str = "ok"
    reason: str = ""
    layers: tuple[Layer, ...] = ()
    inputs: tuple[str, ...] | None = None


@dataclass
class ImportedModel:
    """A model read from a file or text: its rows, and the input shape when the source states one.

    ``input_shape`` is channels first (convcalc's order) whatever the source's
    layout; ``layout`` says how the source itself orders shapes (``"nhwc"`` for
    Keras), so tables can be shown the way its users read them.
    """

    rows: list[ImportedRow]
    input_shape: tuple[int, ...] | None = None
    layout: str = "nchw"
    kind: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def layers(self) -> list[Layer]:
        """The specs of every row that could be built, in order."""
        return [layer for row in self.rows for layer in row.layers]

    @property
    def partial(self) -> list[ImportedRow]:
        """The rows that are not ``ok``."""
        return [row for row in self.rows if row.status != "ok"]

    @property
    def branches(self) -> bool:
        """True when some row takes another input than the row before it (a graph, not a chain)."""
        previous = ""
        for row in self.rows:
            if row.inputs is not None and row.inputs != (previous,):
                return True
            previous = row.path
        return False

    def graph(self) -> Any:
        """The rows as a :class:`convcalc.graph.Graph` (rows with several layers become a chain of nodes).

        Raises
        ------
        ConvCalcError
            When a row that others take is unsupported: the graph cannot be analysed past it.
        """
        from convcalc.graph import Graph, Node

        nodes = [Node(0, "input", None, ())]
        last: dict[str, int] = {"": 0}
        previous = ""
        for row in self.rows:
            sources = row.inputs if row.inputs is not None else (previous,)
            missing = [name for name in sources if name not in last]
            if row.status == "unsupported" or missing:
                blocked = row if row.status == "unsupported" else next(r for r in self.rows if r.path in missing)
                raise ConvCalcError(f"the model branches, and {blocked.path!r} could not be read "
                                    f"({blocked.reason}); the graph cannot be analysed past it")
            inputs = tuple(last[name] for name in sources)
            for layer in row.layers:
                nodes.append(Node(len(nodes), row.path, layer, inputs))
                inputs = (len(nodes) - 1,)
            if len(inputs) != 1:
                raise ConvCalcError(f"row {row.path!r} takes {len(inputs)} inputs but builds no merge")
            last[row.path] = inputs[0]
            previous = row.path
        return Graph(tuple(nodes), self.input_shape)


def build_layers(call_text: str) -> tuple[Layer, ...]:
    """The convcalc specs of one layer call written in the spec language (``Conv2d(1, 8, 3)``).

    Raises
    ------
    ConvCalcError
        When the spec language does not know the call.

    Examples
    --------
    >>> build_layers("Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1))")
    (Conv2D(filters=8, kernel_size=(3, 3), stride=(1, 1), padding=0, dilation=1, groups=1, bias=True),)
    """
    from convcalc.spec import parse_spec

    layers = parse_spec(call_text if "\n" not in call_text else " ".join(call_text.split()))
    if not layers:  # pragma: no cover - parse_spec refuses an empty spec itself
        raise ConvCalcError(f"{call_text!r} builds no layer.")
    return tuple(layers)


@contextmanager
def file_errors(path: Path) -> Iterator[None]:
    """Turn the operating system's answers about ``path`` into one error line naming it."""
    try:
        yield
    except FileNotFoundError:
        raise ConvCalcError(f"{path}: no such file.") from None
    except PermissionError:
        raise ConvCalcError(f"{path}: the file is unreadable (permission denied).") from None
    except IsADirectoryError:
        raise ConvCalcError(f"{path}: is a directory, not a model file.") from None
    except OSError as error:
        raise ConvCalcError(f"{path}: the file cannot be read ({error.strerror or error}).") from None


def read_bytes(path: Path, limit: int, what: str) -> bytes:
    """The bytes of ``path``, refused (naming the file) past ``limit`` bytes before anything is read."""
    with file_errors(path):
        size = path.stat().st_size
        if size > limit:
            raise ConvCalcError(f"{path}: {size:,} bytes is over the {limit:,} {what} may have.")
        return path.read_bytes()
