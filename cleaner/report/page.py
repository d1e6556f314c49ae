"""The frame of a review page: one self-contained HTML file (styles and script inline, nothing
fetched), which a browser opens from `file://`."""

from __future__ import annotations

from html import escape

BASE_STYLE = """
:root { color-scheme: light dark; --mark: #fde68a; --own: #fecaca; --line: #8884; }
@media (prefers-color-scheme: dark) { :root { --mark: #854d0e; --own: #7f1d1d; } }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 110em; padding: 1em 2em; }
header table { border-collapse: collapse; } header td, header th { padding: .1em .8em .1em 0; text-align: right; }
header td:first-child, header th:first-child { text-align: left; }
.controls { position: sticky; top: 0; padding: .5em 0; background: Canvas; border-bottom: 1px solid var(--line); }
.controls label { margin-right: 1em; } .controls input[type=search] { width: 20em; }
mark { background: var(--mark); color: inherit; } .own { background: var(--own); }
.num { font-variant-numeric: tabular-nums; } .muted { opacity: .7; }
"""


def page(title: str, body: str, style: str = "", script: str = "") -> str:
    """A whole HTML document; `body` is HTML already escaped by the caller."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>\n<style>{BASE_STYLE}{style}</style></head>\n"
        f"<body>\n{body}\n<script>{script}</script>\n</body></html>\n"
    )
