"""The phases-and-clocks chart: planned against actual over time, drawn server-side as SVG."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from html import escape

from bot.text.times import format_stamp


@dataclass(frozen=True)
class Bar:
    """One row: when it started, when it was due, when it was done (or None)."""

    label: str
    start: datetime
    due: datetime
    done: datetime | None
    kind: str  # phase | clock


def span(bars: list[Bar], now: datetime) -> tuple[datetime, datetime]:
    """The time window that shows every bar."""
    first = min(b.start for b in bars)
    last = max([b.due for b in bars] + [b.done for b in bars if b.done] + [now])
    if last <= first:
        last = first.replace(microsecond=0) if last < first else last
    return first, last


def svg(bars: list[Bar], *, now: datetime, title: str, legend: tuple[str, str, str], width: int = 900,
        say_time: Callable[[datetime], str] | None = None, aware: tuple[datetime, str] | None = None) -> str:
    """An SVG Gantt: pale bar = planned (start → due), dark mark = done; red when done late or overdue.

    `say_time` writes the axis ends as people read times (the workspace's zone and language); UTC otherwise.
    """
    say = say_time or (lambda when: format_stamp(when, "UTC"))
    if not bars:
        return ""
    row, top, left = 22, 40, 260
    height = top + row * len(bars) + 40
    first, last = span(bars, now)
    total = max((last - first).total_seconds(), 1.0)

    def x(when: datetime) -> float:
        return left + (width - left - 20) * (when - first).total_seconds() / total

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" font-family="sans-serif" '
             f'font-size="12">',
             f'<text x="10" y="20" font-size="14" font-weight="bold">{escape(title)}</text>']
    for i, bar in enumerate(bars):
        y = top + i * row
        late = (bar.done and bar.done > bar.due) or (not bar.done and now > bar.due)
        parts.append(f'<text x="10" y="{y + 14}">{escape(bar.label[:40])}</text>')
        parts.append(f'<rect x="{x(bar.start):.1f}" y="{y + 3}" width="{max(x(bar.due) - x(bar.start), 2):.1f}" '
                     f'height="12" fill="{"#f3c4c4" if late else "#c9daf0"}"><title>{escape(bar.label)}</title></rect>')
        parts.append(f'<line x1="{x(bar.due):.1f}" y1="{y}" x2="{x(bar.due):.1f}" y2="{y + 18}" stroke="#555" '
                     'stroke-dasharray="2,2"/>')
        if bar.done:
            parts.append(f'<rect x="{x(bar.done) - 3:.1f}" y="{y + 1}" width="6" height="16" '
                         f'fill="{"#c0392b" if late else "#1f5fa8"}"/>')
    if aware is not None:  # the moment the firm became aware: every clock counts from it
        ax = x(max(aware[0], first))
        parts.append(f'<line x1="{ax:.1f}" y1="{top - 6}" x2="{ax:.1f}" y2="{top + row * len(bars)}" '
                     f'stroke="#d68910" stroke-width="2"><title>{escape(aware[1])}</title></line>'
                     f'<text x="{ax + 3:.1f}" y="{top - 8}" fill="#d68910">{escape(aware[1])}</text>')
    y = top + row * len(bars) + 20
    parts.append(f'<text x="10" y="{y}">{escape(say(first))}</text>')
    parts.append(f'<text x="{width - 10}" y="{y}" text-anchor="end">{escape(say(last))}</text>')
    planned, done, late_word = legend
    parts.append(f'<rect x="260" y="{y - 10}" width="14" height="10" fill="#c9daf0"/>'
                 f'<text x="278" y="{y}">{escape(planned)}</text>'
                 f'<rect x="380" y="{y - 10}" width="6" height="10" fill="#1f5fa8"/>'
                 f'<text x="392" y="{y}">{escape(done)}</text>'
                 f'<rect x="480" y="{y - 10}" width="14" height="10" fill="#f3c4c4"/>'
                 f'<text x="498" y="{y}">{escape(late_word)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


TREND_COLOURS = ("#1f5fa8", "#c0392b", "#d68910", "#2e8b57")


def trends(series: list[tuple[str, list[tuple[str, float | None]]]], *, title: str, say: Callable[[float], str],
           width: int = 900, height: int = 320) -> str:
    """Key times across incidents, oldest left: a group of bars per incident, one bar per measure (hours)."""
    names = [name for name, _ in series[0][1]] if series else []
    values = [v for _, points in series for _, v in points if v is not None]
    if not names or not values:
        return ""
    top, left, bottom, right = 40, 70, 60, 20
    peak = max(values) or 1.0
    group = (width - left - right) / len(names)
    bar = max(2.0, min(18.0, group * 0.8 / len(series)))

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - v / peak)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} '
             f'{height}" role="img" aria-label="{escape(title)}" font-family="sans-serif" font-size="12">',
             f'<text x="10" y="20" font-size="14" font-weight="bold">{escape(title)}</text>',
             f'<line x1="{left}" y1="{y(peak):.1f}" x2="{width - right}" y2="{y(peak):.1f}" stroke="#e3e7ed"/>',
             f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - right}" y2="{y(0):.1f}" stroke="#999"/>',
             f'<text x="{left - 6}" y="{y(peak) + 4:.1f}" text-anchor="end">{escape(say(peak))}</text>',
             f'<text x="{left - 6}" y="{y(0) + 4:.1f}" text-anchor="end">0</text>']
    for i, name in enumerate(names):
        middle = left + group * (i + 0.5)
        parts.append(f'<text x="{middle:.1f}" y="{y(0) + 18:.1f}" text-anchor="middle">{escape(name)}</text>')
        for n, (label, points) in enumerate(series):
            value = points[i][1]
            if value is None:
                continue
            x = middle - bar * len(series) / 2 + bar * n
            parts.append(f'<rect x="{x:.1f}" y="{y(value):.1f}" width="{bar - 1:.1f}" '
                         f'height="{max(y(0) - y(value), 1):.1f}" fill="{TREND_COLOURS[n % len(TREND_COLOURS)]}">'
                         f'<title>{escape(name)} {escape(label)}: {escape(say(value))}</title></rect>')
    for n, (label, _) in enumerate(series):
        lx = left + n * 180
        parts.append(f'<rect x="{lx}" y="{height - 22}" width="14" height="10" '
                     f'fill="{TREND_COLOURS[n % len(TREND_COLOURS)]}"/><text x="{lx + 18}" y="{height - 13}">'
                     f'{escape(label)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
