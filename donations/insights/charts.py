"""Charts drawn on the server: inline SVG and HTML, no JavaScript, no CDN, readable in print.

Every chart is decorative next to its data table (which carries the figures
for screen readers), so each SVG has a short title and points to the table.
Marked bars (Ramadan, Sha'ban, Dhu al-Hijjah, spikes) are drawn hatched as well
as coloured, so they still stand out printed in black and white.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD = 760, 220, 28
INK = "#1d4e89"
MARK = "#c2410c"

_DEFS = (
    '<defs><pattern id="{id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
    f'<rect width="6" height="6" fill="{MARK}"/><line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2"/>'
    "</pattern></defs>"
)


@dataclass
class Bar:
    label: str
    value: int
    marked: bool = False
    note: str = ""


def _svg(chart_id: str, title: str, body: str, height: int = HEIGHT) -> SafeString:
    return mark_safe(  # noqa: S308 - every text part below is escaped
        f'<svg class="insights-chart" role="img" aria-labelledby="{chart_id}-title" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title>{_DEFS.format(id=chart_id)}{body}</svg>'
    )


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar]) -> SafeString:
    """Vertical bars; labels slanted below so long month names do not overlap."""
    if not bars:
        return SafeString("")
    bottom = 90  # room for the slanted labels
    height_total = HEIGHT + bottom - PAD
    top = max((bar.value for bar in bars), default=0) or 1
    left = PAD + 50  # the first slanted label needs room
    step = (WIDTH - left - PAD) / len(bars)
    width = max(step * 0.8, 1)
    base = HEIGHT - PAD
    parts = [f'<line x1="{left}" y1="{base}" x2="{WIDTH - PAD}" y2="{base}" stroke="currentColor"/>']
    label_every = max(1, round(len(bars) / 24))
    for index, bar in enumerate(bars):
        height = max(bar.value, 0) / top * (HEIGHT - 2 * PAD)
        x = left + index * step + (step - width) / 2
        fill = f"url(#{chart_id}-hatch)" if bar.marked else INK
        tip = f"{bar.label}: {bar.value}" + (f" — {bar.note}" if bar.note else "")
        parts.append(
            f'<rect x="{x:.1f}" y="{base - height:.1f}" width="{width:.1f}" height="{height:.1f}" '
            f'fill="{fill}"><title>{escape(tip)}</title></rect>'
        )
        if bar.note:
            parts.append(
                f'<text x="{x + width / 2:.1f}" y="{base - height - 4:.1f}" font-size="11" '
                f'text-anchor="middle">★</text>'
            )
        if index % label_every == 0:
            cx = x + width / 2
            parts.append(
                f'<text x="{cx:.1f}" y="{base + 12}" font-size="10" text-anchor="end" '
                f'transform="rotate(-40 {cx:.1f} {base + 12})">{escape(bar.label)}</text>'
            )
    return _svg(chart_id, title, "".join(parts), height=height_total)


def line_chart(chart_id: str, title: str, points: Sequence[tuple[date, int, bool, str]]) -> SafeString:
    """A daily series; spikes get a hatched dot, annotated days a dashed line and a star."""
    if not points:
        return SafeString("")
    top = max(value for _day, value, _spike, _note in points) or 1
    step = (WIDTH - 2 * PAD) / max(len(points) - 1, 1)

    def xy(index: int, value: int) -> tuple[float, float]:
        return PAD + index * step, HEIGHT - PAD - value / top * (HEIGHT - 2 * PAD)

    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, p[1]) for i, p in enumerate(points)))
    parts = [
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="currentColor"/>',
        f'<polyline points="{line}" fill="none" stroke="{INK}" stroke-width="1.5"/>',
    ]
    label_every = max(1, len(points) // 8)
    for index, (day, value, spike, note) in enumerate(points):
        x, y = xy(index, value)
        if note:
            parts.append(
                f'<line x1="{x:.1f}" y1="{PAD}" x2="{x:.1f}" y2="{HEIGHT - PAD}" '
                f'stroke="{MARK}" stroke-dasharray="4 3">'
                f"<title>{escape(f'{day:%Y-%m-%d}: {note}')}</title></line>"
                f'<text x="{x:.1f}" y="{PAD - 8}" font-size="11" text-anchor="middle">★</text>'
            )
        if spike:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="url(#{chart_id}-hatch)" stroke="{MARK}">'
                f"<title>{escape(f'{day:%Y-%m-%d}: {value}')}</title></circle>"
            )
        if index % label_every == 0:
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - 8}" font-size="10" text-anchor="middle">{day:%Y-%m-%d}</text>'
            )
    return _svg(chart_id, title, "".join(parts))


def heat_style(value: int, top: int) -> SafeString:
    """The background of one heatmap cell: darker for more gifts; text stays readable."""
    share = value / top if top else 0
    light = 97 - round(share * 67)
    # Black text down to 50% lightness (contrast 4.8:1 or more), white below 49% (4.6:1 or more).
    colour = "#fff" if light < 50 else "#000"
    return format_html("background:hsl(212 60% {}%);color:{}", light, colour)
