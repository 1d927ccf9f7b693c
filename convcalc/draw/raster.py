"""PNG and GIF pictures of a :class:`~convcalc.draw.layout.Scene` through Pillow (the ``plot`` extra).

Pillow comes with matplotlib (``pip install 'convcalc[plot]'``); without it
:func:`require_pillow` raises one clear :class:`~convcalc.ConvCalcError`. The
raster draws the same scene as the SVG writer: cells, index numbers, marks
(blended with their opacity over the cell below), then cell values on top.
"""

from __future__ import annotations

from typing import Any

from convcalc.draw.layout import CELL_STYLES, MARK_STYLES, Rect, Scene, Text, text_width
from convcalc.errors import ConvCalcError

__all__ = ["require_pillow", "render_png", "render_gif", "FRAME_MS"]

#: Milliseconds each GIF frame is shown.
FRAME_MS = 600
MISSING = ("PNG and GIF pictures need Pillow, which comes with the plot extra: pip install 'convcalc[plot]' "
           "(SVG needs nothing: use -o FILE.svg)")


def require_pillow() -> Any:
    """Import Pillow's Image module, or raise a ConvCalcError saying how to install it."""
    try:
        from PIL import Image, ImageDraw, ImageFont  # noqa: F401
    except ImportError:
        raise ConvCalcError(MISSING) from None
    return Image


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _blend(under: tuple[int, int, int], over: tuple[int, int, int], alpha: float) -> tuple[int, int, int]:
    return tuple(round(u * (1 - alpha) + o * alpha) for u, o in zip(under, over))  # type: ignore[return-value]


_FONTS: dict[tuple[float, bool], Any] = {}


def _font(size: float, bold: bool = False) -> Any:
    from PIL import ImageFont

    key = (size, bold)
    if key not in _FONTS:
        names = ("DejaVuSans-Bold.ttf", "Arial Bold.ttf") if bold else ("DejaVuSans.ttf", "Arial.ttf")
        for name in names:
            try:
                _FONTS[key] = ImageFont.truetype(name, round(size))
                break
            except OSError:
                continue
        else:
            try:
                _FONTS[key] = ImageFont.load_default(round(size))
            except TypeError:  # Pillow < 10.1: one bitmap size
                _FONTS[key] = ImageFont.load_default()
    return _FONTS[key]


def _dashed(draw: Any, box: tuple[float, float, float, float], color: tuple[int, int, int], dash: str,
            width: int = 1) -> None:
    on, off = (float(v) for v in dash.split(","))
    x0, y0, x1, y1 = box
    for (ax, ay, bx, by) in ((x0, y0, x1, y0), (x1, y0, x1, y1), (x0, y1, x1, y1), (x0, y0, x0, y1)):
        length = abs(bx - ax) + abs(by - ay)
        t = 0.0
        while t < length:
            u = min(t + on, length)
            if ax == bx:
                draw.line((ax, ay + t, bx, ay + u), fill=color, width=width)
            else:
                draw.line((ax + t, ay, ax + u, by), fill=color, width=width)
            t = u + off


def _draw_rect(draw: Any, item: Rect, scale: float, under: dict) -> None:
    box = (item.x * scale, item.y * scale, (item.x + item.w) * scale - 1, (item.y + item.h) * scale - 1)
    if item.style in CELL_STYLES:
        fill, stroke, dash = CELL_STYLES[item.style]
        fill_rgb = _rgb(fill)
        under[(item.x, item.y)] = fill_rgb
        if dash:
            draw.rectangle(box, fill=fill_rgb)
            _dashed(draw, box, _rgb(stroke), dash)
        else:
            draw.rectangle(box, fill=fill_rgb, outline=_rgb(stroke))
        return
    fill, opacity, stroke, dash = MARK_STYLES[item.style]
    below = under.get((item.x, item.y), (255, 255, 255))
    inner = (box[0] + scale, box[1] + scale, box[2] - scale, box[3] - scale)
    width = max(1, round(2 * scale))
    if opacity == 0:
        draw.rectangle(inner, outline=_rgb(stroke), width=width)
    elif dash:
        draw.rectangle(inner, fill=_blend(below, _rgb(fill), opacity))
        _dashed(draw, inner, _rgb(stroke), dash, width)
    else:
        draw.rectangle(inner, fill=_blend(below, _rgb(fill), opacity), outline=_rgb(stroke), width=width)


def _draw_text(draw: Any, item: Text, scale: float) -> None:
    font = _font(item.size * scale, item.bold)
    anchor = {"start": "ls", "middle": "ms", "end": "rs"}[item.anchor]
    draw.text((item.x * scale, item.y * scale), item.text, fill=_rgb(item.color), font=font, anchor=anchor)


def _label(draw: Any, item: Rect, scale: float) -> None:
    font = _font(item.label_size * scale)
    draw.text(((item.x + item.w / 2) * scale, (item.y + item.h / 2) * scale), item.label, fill=(17, 17, 17),
              font=font, anchor="mm")


def _base(scene: Scene, scale: float) -> tuple[Any, dict]:
    Image = require_pillow()
    from PIL import ImageDraw

    image = Image.new("RGB", (round(scene.width * scale), round(scene.height * scale)), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    under: dict = {}
    for item in scene.base:
        if isinstance(item, Rect):
            _draw_rect(draw, item, scale, under)
        else:
            _draw_text(draw, item, scale)
    return image, under


def _frame(scene: Scene, base: Any, under: dict, number: int | None, scale: float) -> Any:
    from PIL import ImageDraw

    image = base.copy()
    draw = ImageDraw.Draw(image)
    if number is not None:
        for item in scene.frames[number]:
            if isinstance(item, Rect):
                _draw_rect(draw, item, scale, under)
            else:
                _draw_text(draw, item, scale)
    for item in scene.base:
        if isinstance(item, Rect) and item.label:
            _label(draw, item, scale)
    return image


def render_png(scene: Scene, path: str, *, frame: int = 0, scale: float = 2.0) -> tuple[int, int]:
    """Write one frame as a PNG (``scale`` pixels per layout unit); returns its ``(width, height)``."""
    base, under = _base(scene, scale)
    image = _frame(scene, base, under, frame if scene.frames else None, scale)
    image.save(path, format="PNG", optimize=False)
    return image.size


def _bbox(items: tuple, scale: float, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """Pixel box around a frame's shapes (text boxes estimated generously)."""
    x0 = y0 = float("inf")
    x1 = y1 = 0.0
    for item in items:
        if isinstance(item, Rect):
            box = (item.x, item.y, item.x + item.w, item.y + item.h)
        else:
            width = text_width(item.text, item.size) * 1.3 + 4
            left = item.x - (width if item.anchor == "end" else width / 2 if item.anchor == "middle" else 0)
            box = (left, item.y - item.size * 1.2, left + width, item.y + item.size * 0.5)
        x0, y0, x1, y1 = min(x0, box[0]), min(y0, box[1]), max(x1, box[2]), max(y1, box[3])
    return (max(0, int(x0 * scale) - 2), max(0, int(y0 * scale) - 2),
            min(size[0], int(x1 * scale) + 3), min(size[1], int(y1 * scale) + 3))


def _swatches(scene: Scene) -> list[tuple[int, int, int]]:
    """Every colour a frame can paint: each mark blended over each cell kind, and the strokes."""
    colors = []
    for fill, opacity, stroke, _ in MARK_STYLES.values():
        colors.append(_rgb(stroke))
        for cell_fill, _, _ in CELL_STYLES.values():
            colors.append(_blend(_rgb(cell_fill), _rgb(fill), opacity))
    return colors


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _join(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def _frame_boxes(items: tuple, labels: list[Rect], scale: float,
                 size: tuple[int, int]) -> tuple[list[tuple[int, int, int, int]], list[Rect]]:
    """Pixel boxes a frame changes (marks per grid, each text apart), grown over the labelled cells they
    touch and merged where they overlap; and those labels (redrawn inside the boxes)."""
    groups: dict[object, list] = {}
    for n, item in enumerate(items):
        key = dict(item.data).get("grid", "marks") if isinstance(item, Rect) else n
        groups.setdefault(key, []).append(item)
    boxes = [_bbox(tuple(group), scale, size) for group in groups.values()]
    touched: list[Rect] = []
    while True:
        changed = False
        for index, box in enumerate(boxes):
            for item in labels:
                cell = (int(item.x * scale), int(item.y * scale), int((item.x + item.w) * scale) + 1,
                        int((item.y + item.h) * scale) + 1)
                if _overlap(box, cell):
                    if item not in touched:
                        touched.append(item)
                    if _join(box, cell) != box:
                        box = boxes[index] = _join(box, cell)
                        changed = True
        merged: list[tuple[int, int, int, int]] = []
        for box in boxes:
            for index, other in enumerate(merged):
                if _overlap(box, other):
                    merged[index] = _join(box, other)
                    changed = True
                    break
            else:
                merged.append(box)
        boxes = merged
        if not changed:
            return boxes, touched


def render_gif(scene: Scene, path: str, *, scale: float = 1.0) -> int:
    """Write every frame as an animated GIF that loops; returns the number of frames.

    The still parts are drawn and quantised once; each frame redraws only the boxes
    its marks and caption cover, quantised to the same palette and pasted in.
    """
    from PIL import Image, ImageDraw

    clean, under = _base(scene, scale)
    with_labels = _frame(scene, clean, under, None, scale)
    # The palette: the still picture plus a strip of every colour a frame may add.
    colors = _swatches(scene)
    sample = Image.new("RGB", (with_labels.width, with_labels.height + 8 * len(colors)), (255, 255, 255))
    sample.paste(with_labels, (0, 0))
    strip = ImageDraw.Draw(sample)
    for n, color in enumerate(colors):
        strip.rectangle((0, with_labels.height + 8 * n, with_labels.width, with_labels.height + 8 * n + 7), fill=color)
    palette = sample.quantize(colors=255, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    still = with_labels.quantize(palette=palette, dither=Image.Dither.NONE)
    work = clean.copy()  # no cell labels: each frame draws those inside its boxes once, over its marks
    draw = ImageDraw.Draw(work)
    labels = [item for item in scene.base if isinstance(item, Rect) and item.label]
    frames = []
    for items in scene.frames or ((),):
        if not items:
            frames.append(still)
            continue
        boxes, touched = _frame_boxes(items, labels, scale, work.size)
        for item in items:
            if isinstance(item, Rect):
                _draw_rect(draw, item, scale, under)
            else:
                _draw_text(draw, item, scale)
        for item in touched:  # inside the boxes: outside them the work image is not restored
            _label(draw, item, scale)
        frame = still.copy()
        for box in boxes:
            frame.paste(work.crop(box).quantize(palette=palette, dither=Image.Dither.NONE), box[:2])
            work.paste(clean.crop(box), box[:2])  # back to the still picture for the next frame
        frames.append(frame)
    frames[0].save(path, format="GIF", save_all=True, append_images=frames[1:], duration=FRAME_MS, loop=0,
                   optimize=False, disposal=1)
    return len(frames)
