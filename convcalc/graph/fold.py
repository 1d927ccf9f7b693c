"""``--depth N``: fold the nodes of each block deeper than ``N`` into one row with summed counts.

As torchinfo's ``depth``: at depth 1 a ResNet shows ``conv1``, ``bn1``,
``relu``, ``maxpool``, then one row per stage (``layer1`` ...), ``avgpool``,
``fc``. Nodes carry their block path in :attr:`~convcalc.graph.Node.scope`;
a folded row sums parameters, MACs and activation bytes of its nodes, takes
the input shape of its first node and the output shape, receptive field,
jump and start of its last, and names as inputs the nodes outside the block
that feed it. ``--json`` keeps every node.

Examples
--------
>>> from convcalc.stack import summarize
>>> from convcalc.spec import parse_spec
>>> s = summarize(parse_spec("conv(8,3,p=1) res[conv(8,3,p=1) relu conv(8,3,p=1)] relu"), (8, 16, 16))
>>> [(r.name, r.params) for r in fold(s.layers, 1)]
[('Conv2D(8, 3, s=1, p=1)', 584), ('res1 (4 nodes)', 1168), ('ReLU', 0)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from convcalc.errors import invalid
from convcalc.graph.analysis import LayerRow
from convcalc.layers import Layer

__all__ = ["Block", "fold"]


@dataclass(frozen=True)
class Block(Layer):
    """A folded block in a table: its label and how many nodes it holds (no geometry of its own)."""

    label: str = ""
    size: int = 0

    def describe(self) -> str:
        return f"{self.label} ({self.size} node{'s' if self.size != 1 else ''})"


def fold(rows: Sequence[LayerRow], depth: int | None) -> tuple[LayerRow, ...]:
    """Rows with every block deeper than ``depth`` folded into one (``None``: no folding).

    Raises
    ------
    ConvCalcError
        ``depth`` is not an int >= 1.
    """
    if depth is None:
        return tuple(rows)
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
        raise invalid("depth", depth, "an int >= 1 (1 folds every top-level block into one row)")
    out: list[LayerRow] = []
    group: list[LayerRow] = []
    folded: dict[str, str] = {}  # node name -> the label of the row it was folded into

    def flush() -> None:
        if not group:
            return
        if len(group) == 1 and len(group[0].scope) < depth:
            row = group[0]
            out.append(replace(row, inputs=tuple(folded.get(n, n) for n in row.inputs)))
        else:
            members = {r.node for r in group}
            first, last = group[0], group[-1]
            label = group[0].scope[depth - 1]
            inputs = tuple(dict.fromkeys(folded.get(n, n) for r in group for n in r.inputs if n not in members))
            folded.update((n, label) for n in members)
            out.append(LayerRow(
                index=first.index, layer=Block(label, len(group)), name=Block(label, len(group)).describe(),
                input_shape=first.input_shape, output_shape=last.output_shape,
                params=sum(r.params for r in group), trainable=sum(r.trainable for r in group),
                non_trainable=sum(r.non_trainable for r in group), macs=sum(r.macs for r in group),
                activation_bytes=sum(r.activation_bytes for r in group),
                rf=last.rf, jump=last.jump, start=last.start, rf_step=None,
                node=label, inputs=inputs, scope=first.scope[:depth - 1]))
        group.clear()

    for row in rows:
        key = row.scope[:depth] if len(row.scope) >= depth else None
        if group and (key is None or group[0].scope[:depth] != key):
            flush()
        group.append(row)
        if key is None:
            flush()
    flush()
    return tuple(out)
