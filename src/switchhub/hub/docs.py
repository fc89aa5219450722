"""A self-hosted API documentation page (no CDN): every operation, its interface IDs and parameters.

The OpenAPI descriptions are Markdown (headings, lists, code, tables): the page renders them with
the hub's safe renderer (hub/notices/markdown.py), which escapes everything else, so a description
can never put HTML or script on the page."""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from switchhub.hub.notices.markdown import render_markdown

router = APIRouter()


@router.get("/api/v1/docs", include_in_schema=False, response_class=HTMLResponse)
async def api_docs(request: Request) -> HTMLResponse:
    spec = request.app.openapi()
    rows = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            params = ", ".join(html.escape(p["name"]) for p in op.get("parameters", []))
            ids = ", ".join(op.get("x-interface-ids", []))
            about = html.escape(op.get("summary", ""))
            if op.get("description"):
                about += f'<div class="markdown">{render_markdown(op["description"])}</div>'
            rows.append(f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}</code></td>"
                        f"<td>{about}</td><td>{html.escape(ids)}</td><td>{params}</td></tr>")
    page = (
        "<!doctype html><html lang=ja><head><meta charset=utf-8><title>switchhub API 仕様</title>"
        "<link rel=stylesheet href=/static/app.css></head><body><main><h1>switchhub API 仕様</h1>"
        f"<div class=markdown id=api-description>{render_markdown(spec['info']['description'])}</div>"
        "<p>OpenAPI 3.1: <a href=/api/v1/openapi.json>/api/v1/openapi.json</a></p>"
        "<table><thead><tr><th>メソッド</th><th>パス</th><th>操作</th><th>インタフェースID</th><th>パラメータ</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table></main></body></html>"
    )
    return HTMLResponse(page)
