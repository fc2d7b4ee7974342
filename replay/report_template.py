"""The HTML around the report's figures: one self-contained page, no external resource.

Everything is inline: the stylesheet here, the figures as SVG elements. Inline SVG needs
no namespace declarations in HTML (the parser puts ``<svg>`` in the SVG namespace and
maps ``xlink:href``), so ``inline_svg`` drops them together with matplotlib's RDF
metadata: the page then names no URL at all, and nothing could be fetched on opening.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from typing import Any

CSS = """
:root { --fg: #1d2733; --muted: #5b6b7c; --line: #dfe5ec; --bg: #f6f8fa; --card: #ffffff;
        --pass: #1a7f37; --fail: #cf222e; --na: #8c959f; --accent: #0b5cad; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
       font: 15px/1.45 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
header { background: #14263b; color: #fff; padding: 22px 32px 18px; }
header h1 { margin: 0 0 4px; font-size: 22px; font-weight: 600; }
header .sub { color: #b9c7d6; font-size: 13px; }
main { max-width: 1280px; margin: 0 auto; padding: 20px 24px 40px; }
h2 { font-size: 17px; margin: 28px 0 10px; color: #14263b; border-bottom: 2px solid var(--line);
     padding-bottom: 4px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; }
.kpi { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.kpi .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.kpi .value { font-size: 20px; font-weight: 600; margin-top: 2px; }
.kpi .value.pos { color: var(--pass); } .kpi .value.neg { color: var(--fail); }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 16px; }
figure.plot { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
              margin: 0; padding: 10px 12px 8px; }
figure.plot.wide { grid-column: 1 / -1; }
figure.plot svg { width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 13px; padding: 4px 4px 2px; }
figcaption b { color: var(--fg); }
table { border-collapse: collapse; background: var(--card); border: 1px solid var(--line);
        border-radius: 8px; font-size: 13.5px; margin: 4px 0 8px; }
th, td { padding: 5px 12px; border-bottom: 1px solid var(--line); text-align: right; }
th { background: #eef2f6; color: #30404f; font-weight: 600; }
td.l, th.l { text-align: left; }
tr:last-child td { border-bottom: none; }
.status { font-weight: 700; font-size: 12px; padding: 2px 8px; border-radius: 10px; color: #fff; }
.status.pass { background: var(--pass); } .status.fail { background: var(--fail); }
.status.na { background: var(--na); }
.tables { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
.note { color: var(--muted); font-size: 13px; max-width: 980px; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 10px 0 30px; }
"""

_XML_PROLOG = re.compile(r"^.*?(?=<svg\b)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_NAMESPACES = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')
_SIZE = re.compile(r'(<svg\b[^>]*?)\s+width="[^"]*"\s+height="[^"]*"')
_IDS = re.compile(r'\bid="([^"]+)"')
_REFS = re.compile(r'(href="#|url\(#)([^")]+)')


def inline_svg(svg: str, prefix: str) -> str:
    """Matplotlib's SVG document as an element for an HTML page: no prolog, no metadata,
    no namespace URLs, scalable, every id prefixed so that figures never share one."""
    svg = _XML_PROLOG.sub("", svg, count=1)
    svg = _METADATA.sub("", svg, count=1)
    svg = _NAMESPACES.sub("", svg)
    svg = _SIZE.sub(r"\1", svg, count=1)
    svg = _IDS.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = _REFS.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)
    return svg.strip()


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def fmt(value: Any, spec: str = ".4g") -> str:
    """A number for a table: ``-`` for None or NaN."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return "-" if not math.isfinite(value) else format(value, spec)
    return esc(value)


def table(head: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1, caption: str = "") -> str:
    """An HTML table; the first ``left`` columns are left-aligned. Cells are HTML already."""
    th = "".join(
        f'<th class="l">{esc(h)}</th>' if i < left else f"<th>{esc(h)}</th>" for i, h in enumerate(head)
    )
    body = "".join(
        "<tr>"
        + "".join(f'<td class="l">{c}</td>' if i < left else f"<td>{c}</td>" for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def kpi(label: str, value: str, tone: str = "") -> str:
    return (
        f'<div class="kpi"><div class="label">{esc(label)}</div><div class="value {tone}">{value}</div></div>'
    )


def status_badge(status: str) -> str:
    cls = {"pass": "pass", "fail": "fail"}.get(status, "na")
    return f'<span class="status {cls}">{esc(status.upper())}</span>'


def figure(plot_id: str, svg: str, caption: str, points: int, wide: bool = False) -> str:
    """One plot: the inline SVG with its caption; ``data-points`` counts what it drew."""
    cls = "plot wide" if wide else "plot"
    return (
        f'<figure class="{cls}" id="{plot_id}" data-points="{points}">{inline_svg(svg, plot_id)}'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def page(title: str, subtitle: str, sections: Sequence[str]) -> str:
    """The whole document."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{esc(title)}</title>'
        f"<style>{CSS}</style></head><body><header><h1>{esc(title)}</h1>"
        f'<div class="sub">{subtitle}</div></header><main>{"".join(sections)}</main>'
        "<footer>papermm session report: every figure is derived from the session's event log "
        "(papermm report SESSION_DIR rebuilds it).</footer></body></html>\n"
    )
