"""The brief's four surfaces: terminal, Markdown, self-contained HTML, JSON.

HTML carries its styles inline and its charts as server-drawn SVG: the file
opens the same on a laptop with no network. The emailed HTML (``to_html(brief,
email=True)``) draws its charts as tables of inline-styled cells instead, because
Gmail and Outlook show no SVG; it has no script and fetches nothing either. Every string
that came from a repository, a calendar or a blocker report goes through
Jinja2's autoescape or ``html.escape``.
"""
from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

from ..reports import as_json, to_plain
from .compose import Brief
from .document import Bars, Bullets, DocSection, Para, Person, Table, document
from ..present.sanitize import SafeConsole, clean, clean_json
from ..present.terminal import fit_table

TEMPLATES = Path(__file__).parent / "templates"
FORMATS = ("table", "markdown", "html", "json")


def _amount(value: float, unit: str) -> str:
    """``2 commits``, ``1 commit``, ``40%``: a bar's value with its unit, singular for one."""
    if not unit:
        return f"{value:g}"
    if unit == "%":
        return f"{value:g}%"
    return f"{value:g} {unit[:-1] if value == 1 and unit.endswith('s') else unit}"


def title_of(brief: Brief) -> str:
    return "The leader's brief" if brief.audience is None else f"The brief for {brief.audience}"


def header_lines(brief: Brief) -> list[str]:
    generated = dt.datetime.fromtimestamp(brief.generated_at, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    repos = ", ".join(brief.repositories) or "none ingested"
    lines = [f"Window: {brief.window_label}", f"Repositories: {repos}", f"Generated {generated}"]
    if brief.audience is not None and brief.window.people is not None:
        count = len(brief.window.people)
        lines.insert(0, f"About {brief.audience}: {count} {'person' if count == 1 else 'people'}, their commits and blocker reports only")
    return lines


# -- JSON ----------------------------------------------------------------------------------

def to_json(brief: Brief) -> str:
    data = to_plain(brief)
    data["sections"] = [{**to_plain(s), "has_content": s.has_content} for s in brief.sections]
    return as_json(data)


# -- Markdown ------------------------------------------------------------------------------

def _md(text: str) -> str:
    """Escape what Markdown would otherwise read as markup in repository text."""
    out = "".join("\\" + ch if ch in "\\`*_[]<>|" else ch for ch in text)
    # '#' is a heading only at the start of a line; "#12" inside a sentence stays as written.
    return "\\" + out if out.startswith("#") else out


def to_markdown(brief: Brief) -> str:
    lines = [f"# {_md(title_of(brief))}", ""]
    lines += [f"- {_md(line)}" for line in header_lines(brief)]
    lines.append("")
    for section in document(brief):
        lines += [f"## {_md(section.title)}", ""]
        for block in section.blocks:
            lines += _md_block(block) + [""]
    return "\n".join(lines).rstrip() + "\n"


def _md_block(block) -> list[str]:
    if isinstance(block, Para):
        return [f"_{_md(block.text)}_" if block.tone in ("note", "error") else _md(block.text)]
    if isinstance(block, Bullets):
        head = [f"**{_md(block.title)}**", ""] if block.title else []
        return head + [f"- {_md(item)}" for item in block.items]
    if isinstance(block, Table):
        head = [f"**{_md(block.title)}**", ""] if block.title else []
        rows = ["| " + " | ".join(_md(c) for c in block.columns) + " |", "|" + "|".join("---:" if i in block.numeric else "---" for i in range(len(block.columns))) + "|"]
        rows += ["| " + " | ".join(_md(c).replace("\n", " ") for c in row) + " |" for row in block.rows]
        return head + rows
    if isinstance(block, Bars):
        return [f"**{_md(block.title)}**", ""] + [f"- {_md(label)}: {_amount(value, block.unit)}" for label, value in zip(block.labels, block.values)]
    if isinstance(block, Person):
        out = [f"**{_md(block.name)}**" + (f" ({_md(block.detail)})" if block.detail else "")]
        out += [f"- {_md(kind)}: {_md(text)}" + (f" [{_md(evidence)}]" if evidence else "") for kind, text, evidence in block.reasons]
        return out
    return [_md(str(block))]


# -- terminal --------------------------------------------------------------------------------

def print_terminal(brief: Brief, console) -> None:
    from rich.markup import escape
    from rich.panel import Panel
    from rich.text import Text

    console.print(Panel("\n".join(escape(line) for line in header_lines(brief)), title=f"[bold]{escape(title_of(brief))}[/]", expand=False))
    styles = {"note": "dim italic", "warn": "yellow", "good": "green", "error": "bold red", "plain": ""}
    for section in document(brief, compact=True):
        console.rule(f"[bold]{escape(section.title)}")
        for block in section.blocks:
            if isinstance(block, Para):
                console.print(Text(block.text, style=styles.get(block.tone, "")))
            elif isinstance(block, Bullets):
                if block.title:
                    console.print(Text(block.title, style="bold"))
                for item in block.items:
                    console.print(Text("  • " + item))
            elif isinstance(block, Table):
                console.print(fit_table(block.columns, block.rows, console.width, numeric=block.numeric, title=block.title))
            elif isinstance(block, Bars):
                console.print(Text(block.title, style="bold"))
                width = max((len(label) for label in block.labels), default=0)
                for label, value in zip(block.labels, block.values):
                    length = int(round(30 * value / block.maximum)) if block.maximum else 0
                    bar = "█" * length
                    if block.target is not None:
                        mark = int(round(30 * block.target / block.maximum))
                        bar = bar.ljust(30)
                        bar = bar[:mark] + "│" + bar[mark + 1:]
                    console.print(Text(f"  {label.ljust(width)} {bar} {_amount(value, block.unit)}"))
            elif isinstance(block, Person):
                console.print(Text(block.name, style="bold cyan") + Text(f"  {block.detail}" if block.detail else "", style="dim"))
                for kind, text, evidence in block.reasons:
                    console.print(Text(f"  • {kind}: ", style="bold") + Text(text) + Text(f"  [{evidence}]" if evidence else "", style="dim"))
        console.print()


# -- HTML ------------------------------------------------------------------------------------

def bars_svg(block: Bars) -> str:
    """A horizontal bar chart as inline SVG: no script, no font or file to fetch."""
    label_width = min(max((len(label) for label in block.labels), default=4) * 7 + 12, 300)
    bar_width = 420
    row = 26
    height = row * len(block.labels) + 28
    width = label_width + bar_width + 90
    scale = bar_width / block.maximum if block.maximum else 0
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'style="font:12px system-ui,sans-serif;max-width:100%;height:auto">',
             f"<title>{html.escape(block.title)}</title>"]
    for i, (label, value) in enumerate(zip(block.labels, block.values)):
        y = 8 + i * row
        parts.append(f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end" fill="#333">{html.escape(label)}</text>')
        if block.secondary is not None:
            parts.append(f'<rect x="{label_width}" y="{y + 13}" width="{block.secondary[i] * scale:.1f}" height="6" fill="#c9d3e0"><title>{html.escape(block.secondary_label or "")}: {block.secondary[i]:g}</title></rect>')
        colour = "#3b6ea5"
        if block.target is not None:
            colour = "#2e8b57" if value >= block.target else "#d08a1e"
        parts.append(f'<rect x="{label_width}" y="{y + 2}" width="{max(value * scale, 1):.1f}" height="{10 if block.secondary is not None else 16}" rx="2" fill="{colour}"/>')
        parts.append(f'<text x="{label_width + value * scale + 6:.1f}" y="{y + 14}" fill="#333">{html.escape(_amount(value, block.unit))}</text>')
    if block.target is not None:
        x = label_width + block.target * scale
        parts.append(f'<line x1="{x:.1f}" y1="2" x2="{x:.1f}" y2="{height - 18}" stroke="#b22222" stroke-dasharray="4 3"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - 4}" text-anchor="middle" fill="#b22222">target {block.target:g}{html.escape(block.unit)}</text>')
    elif block.secondary_label:
        parts.append(f'<rect x="{label_width}" y="{height - 14}" width="14" height="6" fill="#c9d3e0"/><text x="{label_width + 20}" y="{height - 7}" fill="#555">{html.escape(block.secondary_label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


BAR_COLOUR = "#3b6ea5"
BASELINE_COLOUR = "#c9d3e0"
MET_COLOUR, BELOW_COLOUR = "#2e8b57", "#d08a1e"


def _bar_cells(share: float, colour: str, height: int) -> str:
    """One bar as a row of two cells, ``share`` (0 to 1) of the width filled: what every mail client draws."""
    filled = max(1, min(100, round(share * 100)))
    cell = f'<td width="{filled}%" bgcolor="{colour}" style="width:{filled}%;background:{colour};height:{height}px;line-height:{height}px;font-size:1px;padding:0;border:0">&nbsp;</td>'
    rest = f'<td style="padding:0;border:0;font-size:1px;line-height:{height}px">&nbsp;</td>' if filled < 100 else ""
    return (f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="width:100%;border-collapse:collapse;margin:0">'
            f"<tr>{cell}{rest}</tr></table>")


def bars_table(block: Bars) -> str:
    """A horizontal bar chart as a table of inline-styled cells: no SVG, image, script or style sheet,
    so Gmail and Outlook show it as drawn. A target is a column saying whether each bar meets it."""
    cell = "padding:3px 6px;border:0;font:13px Arial,Helvetica,sans-serif;color:#333;vertical-align:middle"
    rows = []
    for i, (label, value) in enumerate(zip(block.labels, block.values)):
        share = value / block.maximum if block.maximum else 0
        colour = BAR_COLOUR if block.target is None else (MET_COLOUR if value >= block.target else BELOW_COLOUR)
        bar = _bar_cells(share, colour, 12 if block.secondary is not None else 16)
        if block.secondary is not None:
            bar += _bar_cells(block.secondary[i] / block.maximum if block.maximum else 0, BASELINE_COLOUR, 5)
        extra = ""
        if block.target is not None:
            extra = f'<td style="{cell};white-space:nowrap;color:{colour}">{"meets" if value >= block.target else "below"} {html.escape(_amount(block.target, block.unit))}</td>'
        elif block.secondary is not None:
            extra = f'<td style="{cell};white-space:nowrap;color:#555">{html.escape(_amount(block.secondary[i], block.unit))} before</td>'
        rows.append(
            f'<tr><td style="{cell};text-align:right;white-space:nowrap;width:30%">{html.escape(label)}</td>'
            f'<td style="{cell};width:50%">{bar}</td>'
            f'<td style="{cell};white-space:nowrap">{html.escape(_amount(value, block.unit))}</td>{extra}</tr>'
        )
    legend = []
    if block.target is not None:
        legend.append(f"target {_amount(block.target, block.unit)}")
    if block.secondary_label:
        legend.append(f"thin bar: {block.secondary_label}")
    foot = f'<tr><td></td><td colspan="3" style="{cell};color:#555;font-size:12px">{html.escape("; ".join(legend))}</td></tr>' if legend else ""
    return (f'<table role="presentation" class="bars" width="100%" cellpadding="0" cellspacing="0" border="0" '
            f'style="width:100%;max-width:760px;border-collapse:collapse;margin:4px 0 12px">'
            + "".join(rows) + foot + "</table>")


def to_html(brief: Brief, email: bool = False) -> str:
    """The brief as one self-contained page; ``email``: its charts as tables (see the top)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    from markupsafe import Markup

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    template = env.get_template("brief.html.j2")
    sections = document(brief)
    return template.render(
        brief=brief,
        header=header_lines(brief),
        title=title_of(brief),
        sections=sections,
        present={s.key: s.has_content for s in brief.sections},
        kind_of=lambda block: type(block).__name__.lower(),
        # bars_svg and bars_table escape every label themselves; Markup keeps Jinja from escaping their own tags.
        chart_for=lambda block: Markup(bars_table(block) if email else bars_svg(block)),
    )


def render(brief: Brief, fmt: str, console=None) -> str | None:
    """Text of the brief in ``fmt``; the terminal format prints and returns None."""
    if fmt == "json":
        return clean_json(to_json(brief))
    if fmt == "markdown":
        return clean(to_markdown(brief))
    if fmt == "html":
        return clean(to_html(brief))
    if fmt == "email":
        return clean(to_html(brief, email=True))
    if console is None:
        console = SafeConsole()
    print_terminal(brief, console)
    return None


__all__ = ["render", "to_json", "to_markdown", "to_html", "bars_table", "title_of", "print_terminal", "FORMATS", "DocSection"]
