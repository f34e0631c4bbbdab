"""Bar charts drawn as server-rendered SVG: rows of (label, value) scaled to the largest."""

from collections.abc import Iterable

ROW_HEIGHT = 26
LABEL_WIDTH = 150
BAR_WIDTH = 300


def bar_rows(
    rows: Iterable[tuple[str, float | None]], *, unit: str = "", maximum: float | None = None
) -> dict:
    rows = list(rows)
    top = maximum or max((value or 0 for _, value in rows), default=0) or 1
    bars = []
    for index, (label, value) in enumerate(rows):
        width = 0 if value is None else max(0.0, min(1.0, value / top)) * BAR_WIDTH
        bars.append(
            {
                "label": label,
                "value": value,
                "shown": "—" if value is None else f"{value:g}{unit}",
                "y": index * ROW_HEIGHT,
                "width": round(width, 1),
            }
        )
    return {
        "bars": bars,
        "height": max(1, len(bars)) * ROW_HEIGHT,
        "label_width": LABEL_WIDTH,
        "bar_width": BAR_WIDTH,
        "total_width": LABEL_WIDTH + BAR_WIDTH + 70,
    }
