"""Pictures of convolution geometry: SVG with no dependency, PNG/GIF with the ``plot`` extra.

>>> from convcalc.draw import draw
>>> picture = draw(16, 2, stride=2, padding=1, dilation=4, cell=(3,))   # the seed's HW5 question
>>> picture.output
(7,)
>>> picture.svg().count('data-mark="window"')
2

``draw`` takes the arguments of :func:`convcalc.explain_output_size` and
returns a :class:`Picture`: ``svg()``, ``save("f.svg" | "f.png" | "f.gif")``,
and ``_repr_svg_`` so Jupyter shows it. Every number in a picture comes from
:mod:`convcalc.arithmetic` and :mod:`convcalc.exact` (see
:mod:`convcalc.draw.model`); receptive fields from :func:`convcalc.summarize`
(:mod:`convcalc.draw.receptive`).

Modules: ``model`` (geometry to figure), ``layout`` (figure to shapes),
``svg`` (writer), ``raster`` (PNG/GIF), ``receptive`` (receptive-field
pictures), ``reprs`` (HTML of results for notebooks), ``server`` (the
``convcalc serve`` explorer page).
"""

from __future__ import annotations

import os
from typing import Any

from convcalc.draw.layout import Scene, layout
from convcalc.draw.model import MAX_CELLS_PER_AXIS, MAX_FRAMES, Figure, build_figure
from convcalc.draw.svg import to_svg
from convcalc.errors import ConvCalcError, invalid

__all__ = ["Picture", "draw", "receptive_field", "save", "FORMATS", "MAX_CELLS_PER_AXIS", "MAX_FRAMES"]

FORMATS = (".svg", ".png", ".gif")


class Picture:
    """A drawn figure: ``svg()``, ``save(path)``, and Jupyter display through ``_repr_svg_``."""

    def __init__(self, figure: Figure, scene: Scene | None = None) -> None:
        self.figure = figure
        self._scene: Scene | None = scene

    @property
    def scene(self) -> Scene:
        if self._scene is None:
            self._scene = layout(self.figure)
        return self._scene

    @property
    def output(self) -> tuple[int, ...]:
        """The output size per axis (from :mod:`convcalc.arithmetic`)."""
        return self.figure.output

    def svg(self, *, animate: bool = True, frame: int | None = None) -> str:
        """SVG text: animated when there are several frames (``frame`` picks one)."""
        if frame is not None and not 0 <= frame < len(self.scene.frames):
            raise invalid("frame", frame, f"an int from 0 to {len(self.scene.frames) - 1}")
        return to_svg(self.scene, animate=animate, frame=frame)

    def _repr_svg_(self) -> str:
        return self.svg()

    def save(self, path: str | os.PathLike) -> str:
        """Write ``.svg`` (animated when several frames), ``.png`` (first frame) or ``.gif`` (every frame)."""
        return save(self.scene, path)

    def __repr__(self) -> str:
        return f"Picture({self.figure.title!r}, frames={len(self.figure.frames)})"


def save(scene: Scene, path: str | os.PathLike) -> str:
    """Write ``scene`` to ``path`` in the format its suffix names; returns the path."""
    text = os.fspath(path)
    suffix = os.path.splitext(text)[1].lower()
    if suffix not in FORMATS:
        raise invalid("output file", text, "a name ending in .svg, .png or .gif")
    if "\x00" in text:
        raise invalid("output file", text, "a file name without a NUL character")
    folder = os.path.dirname(os.path.abspath(text))
    if not os.path.isdir(folder):
        raise ConvCalcError(f"Cannot write the picture {text!r}: the folder {folder!r} does not exist.")
    if os.path.isdir(text):
        raise ConvCalcError(f"Cannot write the picture {text!r}: it is a folder.")
    if suffix != ".svg":
        from convcalc.draw.raster import require_pillow

        require_pillow()
    # Written next to the target and renamed over it, so a failed write never leaves half a picture.
    temp = os.path.join(folder, f".{os.path.basename(text)}.{os.getpid()}.tmp")
    try:
        if suffix == ".svg":
            with open(temp, "w", encoding="utf-8") as handle:
                handle.write(to_svg(scene))
        elif suffix == ".png":
            from convcalc.draw.raster import render_png

            render_png(scene, temp)
        else:
            from convcalc.draw.raster import render_gif

            render_gif(scene, temp)
        os.replace(temp, text)
    except (OSError, ValueError) as error:  # ValueError: a name the system refuses (e.g. too long for it)
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise ConvCalcError(f"Cannot write the picture {text!r}: {reason.lower()}.") from None
    finally:
        if os.path.exists(temp):
            os.remove(temp)
    return text


def draw(size: Any, kernel: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1, *, op: str = "conv",
         ceil_mode: bool = False, output_padding: Any = 0, framework: str = "torch",
         cell: tuple[int, ...] | None = None, view: str = "direct", x: Any = None, f: Any = None,
         pool_op: str = "max") -> Picture:
    """Draw a convolution (``op="conv"``), pooling (``"pool"``) or transposed convolution (``"transposed"``).

    Parameters are those of :func:`convcalc.explain_output_size`; ``cell`` is
    one output cell (``(i, j)``, or ``(j,)`` in 1-D), None for every position;
    ``view`` is ``"direct"`` (a transposed convolution as the equivalent direct
    convolution over the stretched, padded input) or ``"scatter"``; ``x`` and
    ``f`` are matrices whose numbers are drawn (a convolution; a transposed convolution, values from
    :func:`convcalc.exact.conv_transpose` / ``explain_transposed``; pooling takes ``x`` only, with
    ``pool_op`` ``"max"`` or ``"avg"``, values from :func:`convcalc.exact.max_pool` / ``avg_pool``).

    Raises
    ------
    ConvCalcError
        Bad geometry (as :func:`convcalc.conv_output_size`), a cell outside the
        output, a picture wider than :data:`MAX_CELLS_PER_AXIS` cells or an
        animation of more than :data:`MAX_FRAMES` frames.
    """
    return Picture(build_figure(size, kernel, stride, padding, dilation, op=op, ceil_mode=ceil_mode,
                                output_padding=output_padding, framework=framework, cell=cell, view=view,
                                x=x, f=f, pool_op=pool_op))


def receptive_field(layers: Any, input_shape: Any, unit: tuple[int, ...], layer: int | None = None, *,
                    effective: bool = False) -> Picture:
    """Which cells of the input and of every layer's output reach ``unit`` of layer ``layer``'s output.

    ``layers`` is a list of layer specs (or a preset name / spec string, read by
    :func:`convcalc.spec.load_stack`, with ``input_shape`` None for a preset's
    own); ``layer`` defaults to the last layer with a spatial output. ``effective`` adds the
    effective receptive field (gradient magnitudes at initialisation, through convcalc's engine).

    Examples
    --------
    >>> picture = receptive_field("hw5", None, (6, 6))
    >>> [g["field"] for g in picture.figure.params["grids"]][0]
    [[12, 15], [12, 15]]
    """
    from convcalc.draw.receptive import receptive_scene

    if isinstance(layers, str):
        from convcalc.spec import load_stack

        layers, input_shape = load_stack(layers, None if input_shape is None else tuple(input_shape))
    scene = receptive_scene(layers, tuple(input_shape), tuple(unit), layer, effective=effective)
    return Picture(scene.figure, scene)
