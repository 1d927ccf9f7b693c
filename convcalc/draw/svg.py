"""SVG text from a :class:`~convcalc.draw.layout.Scene`, with the standard library only.

Every drawn cell carries machine-readable attributes (``data-grid``,
``data-row``, ``data-col``, ``data-kind``; marks carry ``data-mark``) in the
library's coordinates, so a test or a script can read the geometry back from
the file. Several frames become one animated SVG: each frame is a group shown
in turn by a SMIL ``<animate>`` on ``visibility`` (browsers play it; a static
renderer shows the first frame).
"""

from __future__ import annotations

from html import escape

from convcalc.draw.layout import CELL_STYLES, FONT, MARK_STYLES, Rect, Scene, Text

__all__ = ["to_svg", "FRAME_SECONDS"]

#: Seconds each frame of an animation is shown.
FRAME_SECONDS = 0.6


def _num(v: float) -> str:
    if type(v) is int:
        return str(v)
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"


def _style(fill: str, stroke: str, dash: str, opacity: float | None = None) -> str:
    extra = f' stroke-dasharray="{dash}"' if dash else ""
    if opacity is None:
        return f' fill="{fill}" stroke="{stroke}"{extra}'
    return f' fill="{fill}" fill-opacity="{opacity}" stroke="{stroke}" stroke-width="2"{extra}'


_CELL = {kind: _style(*style) for kind, style in CELL_STYLES.items()}
_MARK = {mark: _style(fill, stroke, dash, opacity) for mark, (fill, opacity, stroke, dash) in MARK_STYLES.items()}


def _rect(item: Rect) -> str:
    # data- values are convcalc's own identifiers and ints: nothing to escape.
    data = "".join([f' data-{k}="{v}"' for k, v in item.data])
    cell = _CELL.get(item.style)
    if cell is not None:
        return (f'<rect x="{_num(item.x)}" y="{_num(item.y)}" width="{_num(item.w)}" height="{_num(item.h)}"'
                f'{cell}{data}/>')
    return (f'<rect x="{_num(item.x + 1)}" y="{_num(item.y + 1)}" width="{_num(item.w - 2)}" '
            f'height="{_num(item.h - 2)}"{_MARK[item.style]}{data}/>')


def _text(item: Text) -> str:
    anchor = "" if item.anchor == "start" else f' text-anchor="{item.anchor}"'
    weight = ' font-weight="bold"' if item.bold else ""
    return (f'<text x="{_num(item.x)}" y="{_num(item.y)}" font-size="{_num(item.size)}"{anchor}{weight} '
            f'fill="{item.color}">{escape(item.text)}</text>')


def _label(item: Rect) -> str:
    return (f'<text x="{_num(item.x + item.w / 2)}" y="{_num(item.y + item.h / 2 + item.label_size * 0.35)}" '
            f'font-size="{_num(item.label_size)}" text-anchor="middle" fill="#111">{escape(item.label)}</text>')


def _item(item: Rect | Text) -> str:
    return _rect(item) if isinstance(item, Rect) else _text(item)


def to_svg(scene: Scene, *, animate: bool = True, frame: int | None = None) -> str:
    """The scene as SVG text.

    ``frame`` draws only that frame (static); otherwise every frame is drawn, as
    an animation when ``animate`` and there are several, else all frames at once.

    Examples
    --------
    >>> from convcalc.draw.model import build_figure
    >>> from convcalc.draw.layout import layout
    >>> svg = to_svg(layout(build_figure(4, 3)))
    >>> svg.startswith("<svg") and svg.count('data-mark="window"')
    6
    """
    fig = scene.figure
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{scene.width}" height="{scene.height}" '
           f'viewBox="0 0 {scene.width} {scene.height}" font-family="{FONT}" data-op="{fig.op}" '
           f'data-view="{fig.view}" data-output="{"x".join(map(str, fig.output))}" '
           f'data-frames="{len(scene.frames)}">',
           f'<title>{escape(fig.title)}</title>',
           f'<rect width="{scene.width}" height="{scene.height}" fill="#ffffff"/>']
    labels = []
    for item in scene.base:
        out.append(_item(item))
        if isinstance(item, Rect) and item.label:
            labels.append(_label(item))
    frames = list(enumerate(scene.frames))
    if frame is not None:
        frames = [(frame, scene.frames[frame])]
    count = len(frames)
    total = count * FRAME_SECONDS
    for number, items in frames:
        attrs = f'class="frame" data-frame="{number}"'
        if animate and count > 1:
            start, stop = number / count, (number + 1) / count
            hidden = ' visibility="hidden"' if number else ""
            if number == 0:
                values, times = "visible;hidden", f"0;{stop:.6g}"
            else:
                values, times = "hidden;visible;hidden", f"0;{start:.6g};{stop:.6g}"
            out.append(f'<g {attrs}{hidden}><animate attributeName="visibility" values="{values}" '
                       f'keyTimes="{times}" dur="{total:.6g}s" calcMode="discrete" repeatCount="indefinite"/>')
        else:
            out.append(f"<g {attrs}>")
        out.extend(_item(item) for item in items)
        out.append("</g>")
    out.extend(labels)
    out.append("</svg>")
    return "\n".join(out) + "\n"
