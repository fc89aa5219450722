"""Web forms for filing every application type (P4–P6), built from the contract's request models.

One form per API kind; its fields, labels and choices come from the kind's request model
(contract/applications.py REQUESTS) and the code enums, so the form and the API can never ask
for different things. The view turns the form into that model and calls the same service
function as the API (`hub.applications.service.file`), which checks the permission and writes the
audit record. Customer and ampere changes show the point's current values first (requested
No.43/52), read through the facility lookup as the caller may see it.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from switchhub.contract.applications import REQUESTS
from switchhub.hub.accounts.service import WebUser
from switchhub.hub.applications import service as applications
from switchhub.hub.deps import tx
from switchhub.hub.points import service as facility
from switchhub.hub.web.labels import CODE_FIELDS, FIELD_LABELS
from switchhub.hub.web.render import error_texts, lang_of, render
from switchhub.hub.web.session import parse_form, read_form, web_actor, web_user
from switchhub.kernel.errors import SwitchhubError
from switchhub.kernel.spid import parse_spid

router = APIRouter(include_in_schema=False)

TITLES: dict[str, tuple[str, str]] = {
    "switch-start": ("スイッチング開始申請", "Switch-start"),
    "switch-end": ("スイッチング廃止申請", "Switch-end"),
    "termination": ("廃止申請（廃止・撤去）", "Termination"),
    "reconnection": ("再点申請", "Reconnection"),
    "customer-change": ("需要者情報変更申請", "Customer change"),
    "ampere-change": ("アンペア変更申請", "Ampere change"),
}
# the current values shown before a change (and the facility fields they come from)
CURRENT_VALUES: dict[str, tuple[str, ...]] = {
    "customer-change": ("customer_name_kana", "customer_name_kanji", "customer_phone"),
    "ampere-change": ("contract_current", "capacity_method", "contract_capacity"),
}


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    input: str  # text | number | date | time | checkbox | select
    required: bool
    choices: tuple[tuple[str, str], ...] = ()


def _base(annotation: Any) -> Any:
    """The annotation without `| None`."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def fields_of(kind: str, lang: str = "ja") -> list[FormField]:
    import datetime as dt

    out = []
    for name, info in REQUESTS[kind].model_fields.items():
        base = _base(info.annotation)
        label = FIELD_LABELS[name][1 if lang == "en" else 0] if name in FIELD_LABELS else (info.description or name)
        choices: tuple[tuple[str, str], ...] = ()
        if base is bool:
            widget = "checkbox"
        elif typing.get_origin(base) is typing.Literal:
            widget = "select"
            enum = CODE_FIELDS.get(name)
            choices = tuple((v, f"{v} {enum(v).label(lang)}" if enum else v) for v in typing.get_args(base))
        elif base is dt.date:
            widget = "date"
        elif base in (int, float):
            widget = "number"
        else:
            widget = "text"
        out.append(FormField(name, label, widget, info.is_required(), choices))
    return out


def body_of(kind: str, values: dict[str, str]) -> dict[str, Any]:
    """The form's values as the API body: empty means absent, numbers cast, checkboxes as booleans."""
    data: dict[str, Any] = {}
    for f in fields_of(kind):
        raw = (values.get(f.name) or "").strip()
        if f.input == "checkbox":
            data[f.name] = raw == "on"
        elif not raw:
            continue
        elif f.input == "number":
            base = _base(REQUESTS[kind].model_fields[f.name].annotation)
            try:
                data[f.name] = base(raw)
            except ValueError:
                data[f.name] = raw  # the model reports it as a field error
        else:
            data[f.name] = raw
    return data


async def _current_values(request: Request, user: WebUser, kind: str, spid: str) -> dict[str, Any] | None:
    """The point's current values for a change form, as the caller may see them (None: not shown)."""
    if kind not in CURRENT_VALUES or not spid:
        return None
    try:
        point = await facility.lookup(request.app.state.engine, request.app.state.areas,
                                      web_actor(request, user), parse_spid(spid))
    except SwitchhubError:
        return None
    return {k: point[k] for k in CURRENT_VALUES[kind] if k in point}


async def _page(request: Request, user: WebUser, kind: str, values: dict[str, Any], errors: dict[str, str],
                error: str | None, status: int = 200) -> Response:
    lang = lang_of(request)
    current = await _current_values(request, user, kind, str(values.get("spid") or ""))
    return render(request, "application_form.html", {
        "user": user, "kind": kind, "kinds": [(k, TITLES[k][1 if lang == "en" else 0]) for k in TITLES],
        "title": TITLES[kind][1 if lang == "en" else 0], "fields": fields_of(kind, lang), "v": values,
        "errors": errors, "error": error, "current": current,
        "current_labels": {k: FIELD_LABELS.get(k, (k, k))[1 if lang == "en" else 0] for k in current or {}},
    }, status=status)


@router.get("/applications/new")
async def application_form(request: Request, kind: str = "switch-start",
                           user: WebUser = Depends(web_user("hub:applications:write"))) -> Response:
    kind = kind if kind in REQUESTS else "switch-start"
    prefill = {k: str(request.query_params.get(k, ""))[:40] for k in ("spid", "relay_no", "switch_date")}
    return await _page(request, user, kind, {k: v for k, v in prefill.items() if v}, {}, None)


@router.post("/applications/new")
async def application_file(request: Request, user: WebUser = Depends(web_user("hub:applications:write"))
                           ) -> Response:
    form = await read_form(request, user)
    kind = form.get("kind") if form.get("kind") in REQUESTS else "switch-start"
    try:
        body = parse_form(REQUESTS[kind], body_of(kind, form.values))
        async with tx(request) as conn:
            answer = await applications.file(conn, request.app.state.areas, web_actor(request, user), kind, body)
    except SwitchhubError as exc:
        if exc.status == 403:
            raise
        errors, error = error_texts(exc, lang_of(request))
        return await _page(request, user, kind, form.values, errors, error)
    return RedirectResponse(f"/applications/{answer['application_no']}", status_code=303)
