"""Charts drawn on the server as inline SVG: no script, no CDN, no font to fetch.

Small pure functions from series to SVG text. Every label is escaped here
(the templates mark the result safe), and an empty series draws an explicit
"no data" chart rather than an empty box.
"""
from __future__ import annotations

import html
from typing import Sequence

PALETTE = ["#3b6ea5", "#d08a1e", "#2e8b57", "#b22222", "#6a5acd", "#20b2aa", "#8b4513", "#708090"]
FONT = "font:12px system-ui,-apple-system,sans-serif"


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _fmt(value: float) -> str:
    if value is None:
        return "–"
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _nice(value: float) -> float:
    """The round number at or above ``value`` (1, 2, 2.5, 4, 5 or 10 times a power of ten), so the four grid steps read well."""
    import math

    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 2.5, 4, 5, 10) if m * power >= value)


def empty_chart(title: str, note: str = "no data yet", width: int = 560, height: int = 80) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart empty" role="img" viewBox="0 0 {width} {height}" data-points="0" style="{FONT}">'
            f"<title>{_e(title)}</title><text x=\"{width / 2}\" y=\"{height / 2}\" text-anchor=\"middle\" fill=\"#777\">{_e(note)}</text></svg>")


def line_chart(title: str, labels: Sequence[str], series: dict[str, Sequence[float | None]], unit: str = "", width: int = 640, height: int = 260) -> str:
    """One line per series over shared x labels (months, weeks). None leaves a gap."""
    points = sum(1 for values in series.values() for v in values if v is not None)
    if not labels or points == 0:
        return empty_chart(title)
    left, right, top, bottom = 52, 36, 16, 44 + 16 * ((len(series) + 2) // 3)
    plot_w, plot_h = width - left - right, height - top - bottom
    high = _nice(max((v for values in series.values() for v in values if v is not None), default=0) or 1)
    step = plot_w / max(len(labels) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + i * step, top + plot_h - (v / high) * plot_h

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart line" role="img" viewBox="0 0 {width} {height}" data-points="{points}" style="{FONT}">',
             f"<title>{_e(title)}</title>"]
    for k in range(5):  # grid and y ticks
        v = high * k / 4
        y = top + plot_h - plot_h * k / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e3e6ea"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{_e(_fmt(v))}</text>')
    every = max(1, len(labels) // 8)
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            x = left + i * step
            parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle" fill="#555">{_e(label)}</text>')
    for n, (name, values) in enumerate(series.items()):
        colour = PALETTE[n % len(PALETTE)]
        d, pen = [], "M"
        for i, v in enumerate(values):
            if v is None:
                pen = "M"
                continue
            x, y = xy(i, v)
            d.append(f"{pen}{x:.1f},{y:.1f}")
            pen = "L"
        parts.append(f'<path d="{" ".join(d)}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, v in enumerate(values):
            if v is not None:
                x, y = xy(i, v)
                parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>{_e(name)} {_e(labels[i])}: {_e(_fmt(v))}{_e(unit)}</title></circle>')
        lx, ly = left + (n % 3) * (plot_w / 3), top + plot_h + 34 + 16 * (n // 3)
        parts.append(f'<rect x="{lx:.1f}" y="{ly - 9}" width="12" height="4" fill="{colour}"/><text x="{lx + 16:.1f}" y="{ly - 4}" fill="#333">{_e(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float], unit: str = "", width: int = 640, target: float | None = None) -> str:
    """Horizontal bars, one per label, value printed at the end."""
    pairs = [(label, v) for label, v in zip(labels, values) if v is not None]
    if not pairs:
        return empty_chart(title)
    label_w = min(max(len(str(label)) for label, _ in pairs) * 7 + 12, 220)
    row = 24
    height = row * len(pairs) + 16
    bar_w = width - label_w - 80
    high = max(max(v for _, v in pairs), target or 0) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart bars" role="img" viewBox="0 0 {width} {height}" data-points="{len(pairs)}" style="{FONT}">',
             f"<title>{_e(title)}</title>"]
    for i, (label, v) in enumerate(pairs):
        y = 8 + i * row
        text = str(label)
        if len(text) > 30:
            text = text[:29] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y + 13}" text-anchor="end" fill="#333">{_e(text)}</text>')
        w = max(v / high * bar_w, 1)
        colour = PALETTE[0] if target is None else ("#2e8b57" if v >= target else "#d08a1e")
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="16" rx="2" fill="{colour}"><title>{_e(label)}: {_e(_fmt(v))}{_e(unit)}</title></rect>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 13}" fill="#333">{_e(_fmt(v))}{_e(unit)}</text>')
    if target is not None:
        x = label_w + target / high * bar_w
        parts.append(f'<line x1="{x:.1f}" y1="2" x2="{x:.1f}" y2="{height - 4}" stroke="#b22222" stroke-dasharray="4 3"/>')
    parts.append("</svg>")
    return "".join(parts)


__all__ = ["line_chart", "bar_chart", "empty_chart"]
