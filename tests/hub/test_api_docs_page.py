"""The hub's API documentation page (`/api/v1/docs`) renders the OpenAPI document's Markdown
(issue 10: "the documentation page renders its Markdown"): headings, lists, code blocks and
tables become HTML, and anything else, `<script>` above all, stays text."""

from __future__ import annotations

import re

from switchhub.hub.notices.markdown import render_markdown


def _description(page: str) -> str:
    return re.search(r'<div class=markdown id=api-description>(.*?)</div><p>OpenAPI', page, re.S).group(1)


async def test_the_api_description_is_rendered_as_html(stack):
    async with stack.client("A0001") as c:
        r = await c.get("/api/v1/docs")
    assert r.status_code == 200
    about = _description(r.text)
    assert "<h2>認証 (authentication)</h2>" in about and "<h2>エラー (errors)</h2>" in about
    assert "<ol><li>" in about and "<code>Authorization: Bearer shk_…</code>" in about
    assert re.search(r"<pre><code>curl --cacert ca.pem .*/api/v1/me</code></pre>", about, re.S)
    # the error statuses of api.md as a table, one row each
    table = re.search(r"<table><thead><tr><th>status</th><th>意味 \(meaning\)</th></tr></thead>"
                      r"<tbody>(.*?)</tbody></table>", about, re.S).group(1)
    statuses = re.findall(r"<tr><td>(\d{3})</td><td>[^<]+</td></tr>", table)
    assert {"401", "403", "404", "409", "422", "429"} <= set(statuses)
    assert "**" not in about and "## " not in about  # no Markdown left as text


async def test_html_in_a_description_stays_text_on_the_page(stack):
    stack.hub_app.description += ("\n\n<script>alert(1)</script>\n\n| 項目 | 値 |\n"
                                  "|---|---|\n| <img src=x onerror=alert(1)> | `<b>` |\n")
    async with stack.client("A0001") as c:
        page = (await c.get("/api/v1/docs")).text
    assert "<script>" not in page and "<img" not in page and "<b>" not in page
    about = _description(page)
    assert "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>" in about
    assert ("<table><thead><tr><th>項目</th><th>値</th></tr></thead><tbody><tr>"
            "<td>&lt;img src=x onerror=alert(1)&gt;</td><td><code>&lt;b&gt;</code></td></tr>"
            "</tbody></table>") in about


def test_tables_in_markdown():
    src = ("前文\n\n| コード | 意味 | 備考 |\n| :--- | ---: | --- |\n| 01 | **承諾** | a \\| b |\n"
           "| 02 | 不承諾 |\n| 03 | x | y | extra |\n\n後文")
    assert str(render_markdown(src)) == (
        "<p>前文</p>\n"
        "<table><thead><tr><th>コード</th><th>意味</th><th>備考</th></tr></thead><tbody>"
        "<tr><td>01</td><td><strong>承諾</strong></td><td>a | b</td></tr>"
        "<tr><td>02</td><td>不承諾</td><td></td></tr>"
        "<tr><td>03</td><td>x</td><td>y</td></tr></tbody></table>\n"
        "<p>後文</p>")
    # not a table: no rule row, or a rule row of another width
    assert str(render_markdown("a | b\nc | d")) == "<p>a | b<br>c | d</p>"
    assert str(render_markdown("a | b\n---")) == "<p>a | b<br>---</p>"
