"""A small, safe Markdown renderer for notice bodies (no Markdown library is a dependency).

Supported: paragraphs, headings (`#` … `######`, shown as h2–h6 under the page's h1), bulleted
(`-`, `*`) and numbered (`1.`) lists, fenced code blocks, pipe tables (a header row, a `---` row,
body rows; `\|` is a literal bar; alignment colons are accepted and ignored, since the pages' CSP
allows no inline styles), and inline `code`, **strong**, *emphasis* and [links](https://…).
Everything is escaped: raw HTML in a body is shown as text, never interpreted, and a link is a
link only for http(s) URLs (javascript:, data: … stay plain text), opened with
rel="noopener noreferrer". The output is therefore safe to mark as Markup. The API documentation
page (hub/docs.py) renders the OpenAPI descriptions with it too.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_INLINE = re.compile(r"`(?P<code>[^`\n]+)`"
                     r"|\[(?P<text>[^\]\n]+)\]\((?P<url>[^)\s]+)\)"
                     r"|\*\*(?P<strong>[^*\n]+)\*\*"
                     r"|\*(?P<em>[^*\n]+)\*")
_SAFE_URL = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BULLET = re.compile(r"^\s*[-*]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d{1,9}[.)]\s+(.*)$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def _cells(line: str) -> list[str]:
    """A table row's cells: split on bars not escaped as `\\|`, the outer bars optional."""
    row = line.strip()
    row = row[1:] if row.startswith("|") else row
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    return [c.strip().replace("\\|", "|") for c in _CELL_SPLIT.split(row)]


def _is_table(lines: list[str], i: int) -> bool:
    return ("|" in lines[i] and i + 1 < len(lines) and bool(_TABLE_RULE.match(lines[i + 1]))
            and len(_cells(lines[i])) == len(_cells(lines[i + 1])))


def _table(lines: list[str], i: int) -> tuple[str, int]:
    """The table starting at line i (its header row), and the index of the first line after it.
    Every row has the header's number of cells (missing ones empty, extra ones dropped)."""
    header = _cells(lines[i])
    width = len(header)
    i += 2
    body: list[list[str]] = []
    while i < len(lines) and lines[i].strip() and "|" in lines[i]:
        body.append((_cells(lines[i]) + [""] * width)[:width])
        i += 1
    head = "".join(f"<th>{inline(c)}</th>" for c in header)
    rows = "".join("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>" for r in body)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>", i


def inline(text: str) -> str:
    """Escaped text with code, links, strong and emphasis (no nesting: simple and predictable)."""
    out, pos = [], 0
    for m in _INLINE.finditer(text):
        out.append(str(escape(text[pos:m.start()])))
        if m.group("code") is not None:
            out.append(f"<code>{escape(m.group('code'))}</code>")
        elif m.group("url") is not None:
            url = m.group("url")
            if _SAFE_URL.match(url):
                out.append(f'<a href="{escape(url)}" rel="noopener noreferrer">{escape(m.group("text"))}</a>')
            else:
                out.append(str(escape(m.group(0))))
        elif m.group("strong") is not None:
            out.append(f"<strong>{escape(m.group('strong'))}</strong>")
        else:
            out.append(f"<em>{escape(m.group('em'))}</em>")
        pos = m.end()
    out.append(str(escape(text[pos:])))
    return "".join(out)


def render_markdown(source: str) -> Markup:
    """The body as HTML; every character of the source is escaped or is Markdown syntax."""
    html: list[str] = []
    para: list[str] = []
    items: list[str] = []
    list_tag = ""

    def flush() -> None:
        nonlocal list_tag
        if para:
            html.append("<p>" + "<br>".join(inline(p) for p in para) + "</p>")
            para.clear()
        if items:
            html.append(f"<{list_tag}>" + "".join(f"<li>{inline(i)}</li>" for i in items) + f"</{list_tag}>")
            items.clear()
            list_tag = ""

    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip().startswith("```"):
            flush()
            code: list[str] = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                code.append(lines[i])
                i += 1
            html.append(f"<pre><code>{escape(chr(10).join(code))}</code></pre>")
            i += 1
            continue
        if _is_table(lines, i):
            flush()
            table, i = _table(lines, i)
            html.append(table)
            continue
        heading, bullet, numbered = _HEADING.match(line), _BULLET.match(line), _NUMBERED.match(line)
        if not line.strip():
            flush()
        elif heading:
            flush()
            level = min(len(heading.group(1)) + 1, 6)
            html.append(f"<h{level}>{inline(heading.group(2).strip())}</h{level}>")
        elif bullet or numbered:
            tag = "ul" if bullet else "ol"
            if para or (items and list_tag != tag):
                flush()
            list_tag = tag
            items.append((bullet or numbered).group(1))  # type: ignore[union-attr]
        else:
            if items:
                flush()
            para.append(line.strip())
        i += 1
    flush()
    return Markup("\n".join(html))
