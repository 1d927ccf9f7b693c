"""Write the figures of docs/pictures.md into docs/img/ (run from the repository root).

    python examples/pictures.py            # SVG (animated where there are several frames)
    python examples/pictures.py --png      # also a PNG of each (needs the plot extra, for viewers without SVG)

The cases are convcalc.draw.gallery's: the classic figures of Dumoulin & Visin's
guide and the seed's examples, plus a receptive field through HW5's network and
its stack table. Every number in them comes from convcalc's arithmetic.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from convcalc.draw import draw, receptive_field
from convcalc.draw.gallery import CLASSICS, SEEDS
from convcalc.draw.reprs import summary_svg
from convcalc.spec import load_stack
from convcalc.stack import summarize

OUT = Path(__file__).resolve().parent.parent / "docs" / "img"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--png", action="store_true", help="also write a PNG of each figure (first frame)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"directory (default {OUT})")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, _, kwargs in CLASSICS + SEEDS:
        picture = draw(**kwargs)
        written.append(picture.save(args.out / f"draw_{name}.svg"))
        if args.png:
            written.append(picture.save(args.out / f"draw_{name}.png"))
    rf = receptive_field("hw5", None, (6, 6))
    written.append(rf.save(args.out / "draw_rf_hw5.svg"))
    four = "conv(8,3) relu conv(8,3) relu conv(8,3) relu conv(8,3)"
    written.append(receptive_field(four, (1, 16, 16), (5, 5), effective=True).save(args.out / "draw_rf_effective.svg"))
    layers, shape = load_stack("hw5")
    path = args.out / "draw_stack_hw5.svg"
    path.write_text(summary_svg(summarize(layers, shape)))
    written.append(str(path))
    if args.png:
        written.append(rf.save(args.out / "draw_rf_hw5.png"))
    for path in written:
        print(path)


if __name__ == "__main__":
    main()
