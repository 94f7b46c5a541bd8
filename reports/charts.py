"""Inline SVG charts for the HTML reports: no script, no external file, prints as vectors.

Every coordinate is formatted with a fixed number of decimals so that the same numbers always
give the same bytes (the reports are compared byte for byte across runs).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
BAR = "#c0392b"
BAR_ALT = "#2e6da4"
GRID = "#dddddd"
TEXT = "#333333"


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _text_width(text: str, size: float) -> float:
    """Rough rendered width: CJK characters are square, others about half as wide."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.55 for ch in text)


def hbar_chart(title: str, rows: Sequence[tuple[str, float, str]], *, max_value: float | None,
               width: int = 510, color: str = BAR) -> Markup:
    """Horizontal bars: (label, value, text shown after the bar); long Chinese labels fit."""
    if not rows:
        return Markup("")
    size = 13.0
    label_w = min(240.0, max(_text_width(label, size) for label, _, _ in rows) + 12)
    bar_h, gap, top = 18.0, 8.0, 30.0
    height = top + len(rows) * (bar_h + gap) + 6
    top_value = max_value if max_value else max((value for _, value, _ in rows), default=0.0)
    value_w = max(_text_width(shown, size) for _, _, shown in rows) + 10
    span = max(40.0, width - label_w - value_w)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{width}" height="{_n(height)}" viewBox="0 0 {width} {_n(height)}" '
        f'font-family="{FONT}" font-size="{_n(size)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="18" font-weight="bold" fill="{TEXT}">{escape(title)}</text>',
    ]
    for i, (label, value, shown) in enumerate(rows):
        y = top + i * (bar_h + gap)
        length = 0.0 if top_value <= 0 else max(0.0, min(1.0, value / top_value)) * span
        parts.append(
            f'<text x="{_n(label_w - 8)}" y="{_n(y + bar_h - 5)}" text-anchor="end" '
            f'fill="{TEXT}">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{_n(label_w)}" y="{_n(y)}" width="{_n(length)}" height="{_n(bar_h)}" '
            f'fill="{color}"/>'
        )
        parts.append(
            f'<text x="{_n(label_w + length + 6)}" y="{_n(y + bar_h - 5)}" '
            f'fill="{TEXT}">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(title: str, points: Sequence[tuple[str, float | None, str]], *,
               max_value: float = 100.0, width: int = 510, height: int = 240,
               color: str = BAR_ALT) -> Markup:
    """A line over periods (label, value or None for "not inspected", text at the point)."""
    if not points:
        return Markup("")
    left, right, top, bottom = 44.0, 40.0, 48.0, 36.0
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(1, len(points) - 1) if len(points) > 1 else 0.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="{FONT}" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="18" font-size="13" font-weight="bold" fill="{TEXT}">'
        f"{escape(title)}</text>",
    ]
    for tick in range(0, 5):
        value = max_value * tick / 4
        y = top + plot_h - plot_h * tick / 4
        parts.append(f'<line x1="{_n(left)}" y1="{_n(y)}" x2="{_n(left + plot_w)}" '
                     f'y2="{_n(y)}" stroke="{GRID}" stroke-width="1"/>')
        parts.append(f'<text x="{_n(left - 6)}" y="{_n(y + 4)}" text-anchor="end" '
                     f'fill="{TEXT}">{_n(value)}</text>')
    coords: list[tuple[float, float] | None] = []
    for i, (label, point, _) in enumerate(points):
        x = left + (i * step if len(points) > 1 else plot_w / 2)
        parts.append(f'<text x="{_n(x)}" y="{_n(top + plot_h + 20)}" text-anchor="middle" '
                     f'fill="{TEXT}">{escape(label)}</text>')
        if point is None:
            coords.append(None)
        else:
            ratio = max(0.0, min(1.0, point / max_value)) if max_value else 0.0
            coords.append((x, top + plot_h - ratio * plot_h))
    segment: list[str] = []
    for c in [*coords, None]:
        if c is None:
            if len(segment) > 1:
                parts.append(f'<polyline points="{" ".join(segment)}" fill="none" '
                             f'stroke="{color}" stroke-width="2"/>')
            segment = []
        else:
            segment.append(f"{_n(c[0])},{_n(c[1])}")
    for c, (_, _, shown) in zip(coords, points, strict=True):
        if c is None:
            continue
        parts.append(f'<circle cx="{_n(c[0])}" cy="{_n(c[1])}" r="3.5" fill="{color}"/>')
        parts.append(f'<text x="{_n(c[0])}" y="{_n(c[1] - 8)}" text-anchor="middle" '
                     f'fill="{TEXT}">{escape(shown)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
