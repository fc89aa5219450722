"""The statistics page: filters, an SVG line chart (one line per area) and bar chart (the range's
total per area) of one chosen metric, the figures as a table (20 rows a page) and a CSV download.
Both read the same service as the API."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from switchhub.hub.accounts.service import WebUser
from switchhub.hub.deps import tx
from switchhub.hub.statistics import service, svg
from switchhub.hub.web.render import error_texts, lang_of, render
from switchhub.hub.web.session import web_user
from switchhub.kernel.clock import get_clock
from switchhub.kernel.codes import Area
from switchhub.kernel.errors import InputError

router = APIRouter(include_in_schema=False)
FILTERS = ("period", "from", "to", "area", "metric")
PER_PAGE = 20
#: the columns of the page's table (the CSV has every metric)
TABLE_METRICS = ["application:05", "application:04", "application:03", "application:01", "relay:01", "relay:04",
                 "relay:07", "lookup", "usage_inquiry"]


def _filters(request: Request) -> dict[str, str]:
    return {k: str(request.query_params.get(k, "")).replace("\x00", "").strip()[:20] for k in FILTERS}


def charts(result: dict, metric: str, lang: str) -> tuple[str, str]:
    label = service.metric_label(metric, lang)
    periods = sorted({i["period_start"] for i in result["items"]})
    by_area: dict[str, list[int]] = {}
    for item in result["items"]:
        by_area.setdefault(item["area"], []).append(item["values"][metric])
    names = {a.value: a.label(lang) for a in Area}
    line = svg.line_chart("chart-trend", f"{label}（エリア別推移）" if lang != "en" else f"{label} by area over time",
                          periods, [(names[a], v) for a, v in by_area.items()])
    bar = svg.bar_chart("chart-areas", f"{label}（期間合計・エリア別）" if lang != "en" else f"{label}: total by area",
                        [(names[a], sum(v)) for a, v in by_area.items()])
    return line, bar


@router.get("/statistics")
async def statistics_page(request: Request, user: WebUser = Depends(web_user(service.READ))) -> Response:
    lang = lang_of(request)
    q = _filters(request)
    metric = q["metric"] if q["metric"] in service.METRICS else "application:05"
    try:
        page = max(1, min(1000, int(request.query_params.get("page", "1"))))
    except ValueError:
        page = 1
    errors: dict[str, str] = {}
    result, line, bar = None, "", ""
    try:
        query = service.parse_query(q, get_clock().today())
        async with tx(request) as conn:
            result = await service.read(conn, user.caller, query)
        line, bar = charts(result, metric, lang)
    except InputError as exc:
        errors = error_texts(exc, lang)[0]
    items = result["items"] if result else []
    pages = range(1, (len(items) + PER_PAGE - 1) // PER_PAGE + 1)
    return render(request, "statistics.html", {
        "user": user, "q": q, "metric": metric, "result": result, "errors": errors, "line_chart": line,
        "bar_chart": bar, "rows": items[(page - 1) * PER_PAGE:page * PER_PAGE], "page": page, "pages": pages,
        "areas": list(Area), "metrics": [(m, service.metric_label(m, lang)) for m in service.METRICS],
        "columns": [(m, service.metric_label(m, lang)) for m in TABLE_METRICS]})


@router.get("/statistics/download")
async def statistics_csv(request: Request, user: WebUser = Depends(web_user(service.READ))) -> Response:
    lang = lang_of(request)
    q = _filters(request)
    try:
        query = service.parse_query(q, get_clock().today())
    except InputError as exc:
        return render(request, "statistics.html", {
            "user": user, "q": q, "metric": "application:05", "result": None, "errors": error_texts(exc, lang)[0],
            "line_chart": "", "bar_chart": "", "rows": [], "page": 1, "pages": range(0), "areas": list(Area),
            "metrics": [], "columns": []}, status=422)
    async with tx(request) as conn:
        result = await service.read(conn, user.caller, query)
    name = f"statistics-{query.period}-{query.first.isoformat()}-{query.last.isoformat()}.csv"
    return Response(service.to_csv(result, lang), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}"'})
