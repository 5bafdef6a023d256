"""Labels on the pictures (maps, network): how wide a text is, and where it fits.

Widths come from the advance widths of the theme's interface font (Inter 400, the font the
pictures' labels are set in), read once from its `hmtx` table into data/inter-advances.json:
an average character width misjudges "Wagner" against "Iim" by a third, and a label that is
judged narrower than it is covers its neighbour. Kerning is ignored: it only narrows text.
"""
from __future__ import annotations

import functools
import json
from importlib import resources

Box = tuple[float, float, float, float]     # x0, y0, x1, y1
ASCENT, DESCENT = 0.96875, 0.2421875        # Inter's hhea ascender/descender, in em: a text's box
GAP = 3                                     # px between a mark and its label


@functools.lru_cache(maxsize=2)
def _advances(weight: int) -> tuple[dict[str, int], int, float]:
    data = json.loads(resources.files("dossier").joinpath("data/inter-advances.json")
                      .read_text(encoding="utf-8"))
    advances = data[str(weight)]
    widest = max(advances.values())         # a character outside the font: assume the widest
    return advances, data["units_per_em"], widest


def text_width(text: str, size: float, weight: int = 400) -> float:
    """The width in px of `text` set at `size` px in Inter of `weight` (400 or 600)."""
    advances, per_em, widest = _advances(weight)
    return sum(advances.get(c, widest) for c in text) * size / per_em


def overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place(x: float, y: float, r: float, text: str, size: float, taken: list[Box],
          bounds: Box, outward: float = 0.0) -> tuple[str, float, float, Box] | None:
    """Where the label `text` of a mark of radius `r` at (x, y) fits inside `bounds` without
    covering any box in `taken`: (text-anchor, x, baseline y, its box), or None. Right of the
    mark first, or left first when `outward` < 0 (labels pointing away from the picture's
    middle), then above and below."""
    w = text_width(text, size)
    up, down = ASCENT * size, DESCENT * size
    mid = y + (up - down) / 2                   # the baseline that centres the text on y
    right = ("start", x + r + GAP, mid)
    left = ("end", x - r - GAP, mid)
    above = ("middle", x, y - r - GAP - down)
    below = ("middle", x, y + r + GAP + up)
    for anchor, tx, ty in ((left, right) if outward < 0 else (right, left)) + (above, below):
        x0 = {"start": tx, "end": tx - w, "middle": tx - w / 2}[anchor]
        box = (x0, ty - up, x0 + w, ty + down)
        inside = (box[0] >= bounds[0] and box[1] >= bounds[1] and box[2] <= bounds[2]
                  and box[3] <= bounds[3])
        if inside and not any(overlap(box, other) for other in taken):
            return anchor, tx, ty, box
    return None
