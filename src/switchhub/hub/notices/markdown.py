"""A small, safe Markdown renderer for notice bodies (no Markdown library is a dependency).

Supported: paragraphs, headings (`#` … `######`, shown as h2–h6 under the page's h1), bulleted
(`-`, `*`) and numbered (`1.`) lists, fenced code blocks, and inline `code`, **strong**, *emphasis*
and [links](https://…). Everything is escaped: raw HTML in a body is shown as text, never
interpreted, and a link is a link only for http(s) URLs (javascript:, data: … stay plain text),
opened with rel="noopener noreferrer". The output is therefore safe to mark as Markup.
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
