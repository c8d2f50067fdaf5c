"""Charts drawn on the server as inline SVG: no script, no CDN, no font to fetch.

Small pure functions from series to SVG text. Every label is escaped here
(the templates mark the result safe), and an empty series draws an explicit
"no data" chart rather than an empty box.
"""
from __future__ import annotations

import html
from typing import Sequence

# Okabe-Ito: told apart with every common colour blindness; each line also has its own dash
# pattern, so the series survive a grey-scale print.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999"]
DASHES = ["", "6 3", "2 3", "8 3 2 3", "12 4", "3 6", "1 2", "10 2 2 2"]
CHAR_W = 7  # px per character at 12 px: enough to keep labels apart
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



def _x_labels_that_fit(labels: Sequence[str], left: float, step: float, gap: float = 12) -> list[int]:
    """Indexes of the x labels to draw: evenly spaced, none touching another, the last one kept when it fits."""
    last = len(labels) - 1

    def extent(i: int) -> tuple[float, float]:
        x, w = left + i * step, len(labels[i]) * CHAR_W
        if i == 0 and last > 0:
            return x, x + w
        if i == last and last > 0:
            return x - w, x
        return x - w / 2, x + w / 2

    widest = max(len(label) for label in labels) * CHAR_W + gap
    every = max(1, int(-(-widest // max(step, 1e-9))))
    shown: list[int] = []
    for i in list(range(0, last + 1, every)) + [last]:
        if shown and i <= shown[-1]:
            continue
        start, _ = extent(i)
        while shown and start < extent(shown[-1])[1] + gap:
            if i != last:
                break
            shown.pop()  # the last label says where the series ends: it wins over the one before it
        else:
            shown.append(i)
    return shown

def line_chart(title: str, labels: Sequence[str], series: dict[str, Sequence[float | None]], unit: str = "", width: int = 640, height: int = 260) -> str:
    """One line per series over shared x labels (months, weeks). None leaves a gap."""
    points = sum(1 for values in series.values() for v in values if v is not None)
    if not labels or points == 0:
        return empty_chart(title)
    left, right, top, bottom = 52, 36, 30, 48 + 16 * ((len(series) + 2) // 3)
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
    if unit:
        parts.append(f'<text x="4" y="12" fill="#555">{_e(unit.strip())}</text>')
    # As many x labels as fit side by side, chosen by the space each really takes: the first is drawn from its
    # point rightwards and the last up to its point (so neither leaves the chart), the others centred on theirs.
    for i in _x_labels_that_fit([str(label) for label in labels], left, step):
        x = left + i * step
        anchor = "start" if i == 0 and len(labels) > 1 else ("end" if i == len(labels) - 1 and len(labels) > 1 else "middle")
        parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 20}" text-anchor="{anchor}" fill="#555">{_e(labels[i])}</text>')
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
        dash = DASHES[n % len(DASHES)]
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<path d="{" ".join(d)}" fill="none" stroke="{colour}" stroke-width="2"{dashed}/>')
        for i, v in enumerate(values):
            if v is not None:
                x, y = xy(i, v)
                parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>{_e(name)} {_e(labels[i])}: {_e(_fmt(v))}{_e(unit)}</title></circle>')
        lx, ly = left + (n % 3) * (plot_w / 3), top + plot_h + 38 + 16 * (n // 3)
        room = int(plot_w / 3 - 28) // CHAR_W
        legend = str(name) if len(str(name)) <= room else str(name)[:max(room - 1, 1)] + "…"
        parts.append(f'<line x1="{lx:.1f}" y1="{ly - 7}" x2="{lx + 20:.1f}" y2="{ly - 7}" stroke="{colour}" stroke-width="2"{dashed}/>'
                     f'<text x="{lx + 24:.1f}" y="{ly - 3}" fill="#333">{_e(legend)}</text>')
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
        colour = PALETTE[0] if target is None else (PALETTE[2] if v >= target else PALETTE[1])
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="16" rx="2" fill="{colour}"><title>{_e(label)}: {_e(_fmt(v))}{_e(unit)}</title></rect>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 13}" fill="#333">{_e(_fmt(v))}{_e(unit)}</text>')
    if target is not None:
        x = label_w + target / high * bar_w
        parts.append(f'<line x1="{x:.1f}" y1="2" x2="{x:.1f}" y2="{height - 4}" stroke="#b22222" stroke-dasharray="4 3"/>')
    parts.append("</svg>")
    return "".join(parts)


__all__ = ["line_chart", "bar_chart", "empty_chart"]
