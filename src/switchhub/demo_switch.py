"""A scripted switch against a running demo (`switchhub demo-switch`): the new retailer A0001 takes
over a point of M0300 through the relay, switch-start and switch-end, over mutual TLS."""

from __future__ import annotations

import json
import ssl
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from switchhub.config import Settings
from switchhub.runtime import cert_paths


def _client(settings: Settings, state: dict[str, Any], code: str, base: str) -> httpx.Client:
    api = state["clients"][f"{code}-api"]
    ctx = ssl.create_default_context(cafile=str(cert_paths(settings.certs_dir)["ca"]))
    ctx.load_cert_chain(api["cert"], api["key"])
    return httpx.Client(base_url=base, verify=ctx, timeout=30,
                        headers={"Authorization": f"Bearer {state['tokens'][code]}"})


def _step(console: Console, title: str, resp: httpx.Response) -> dict[str, Any]:
    body = resp.json()
    ok = resp.status_code < 300
    console.print(f"{'✔' if ok else '✘'} {title}: HTTP {resp.status_code}")
    if not ok:
        console.print(json.dumps(body, ensure_ascii=False, indent=1))
        raise SystemExit(1)
    return body


def run(settings: Settings, port: int, console: Console) -> None:
    state = json.loads((Path(settings.data_dir) / "demo-state.json").read_text())
    base = f"https://localhost:{port}"
    new, cur = _client(settings, state, "A0001", base), _client(settings, state, "M0300", base)
    export = cur.get("/api/v1/supply-points:export", params={"format": "ndjson"})
    import gzip

    spid = None
    for line in gzip.decompress(export.content).decode().splitlines():
        point = json.loads(line)
        smart = any(m.get("smart") for m in point.get("meters") or [])
        if smart and point["channel"] == "low" and point["capacity_method"] == "1" and point["contract_status"] == "1":
            probe = new.get(f"/api/v1/supply-points/{point['spid']}").json()
            if not probe.get("pending_applications") and not new.get(
                    "/api/v1/relays", params={"spid": point["spid"]}).json()["total"]:
                spid = point["spid"]
                break
    if spid is None:
        raise SystemExit("no free point of M0300 found")
    console.print(f"供給地点 {spid}（現小売 M0300 → 新小売 A0001）")
    relay = _step(console, "新小売 A0001: 廃止取次を登録", new.post("/api/v1/relays", json={
        "spid": spid, "current_retailer_code": "M0300", "contract_no": "DEMO-0001", "customer_name_kana": "デモ タロウ",
        "customer_name_kanji": "デモ 太郎", "address": "デモ住所", "requested_switch_date": "2099-12-31",
        "contact_name": "切替窓口", "contact_phone": "03-0000-0000"}))
    _step(console, "現小売 M0300: 廃止取次を判断 (OK)", cur.post(f"/api/v1/relays/{relay['relay_no']}/decision",
                                                            json={"decision": "01", "staff_name": "デモ担当"}))
    start = _step(console, "新小売 A0001: スイッチング開始申請", new.post("/api/v1/applications/switch-start", json={
        "spid": spid, "service_menu": "01", "capacity_method": "1", "contract_current": 30,
        "customer_name_kana": "デモ タロウ", "customer_name_kanji": "デモ 太郎", "customer_phone": "090-0000-0000",
        "consent": True, "relay_no": relay["relay_no"]}))
    end = _step(console, "現小売 M0300: スイッチング廃止申請", cur.post("/api/v1/applications/switch-end", json={
        "spid": spid, "switch_date": start["switch_date"], "relay_no": relay["relay_no"]}))
    console.print(f"  受付工程: 開始 {end['matched_with']} / 廃止 {end['application_no']} → {end['stage_name']}"
                  f"（スイッチング日 {start['switch_date']}）")
    for _ in range(40):
        status = new.get(f"/api/v1/relays/{relay['relay_no']}").json()["status_name"]
        if status != "判断済み(OK)":
            break
        time.sleep(0.25)
    console.print(f"  廃止取次 {relay['relay_no']}: {status}（エリアのイベントをワーカーがハブへ配信）")
    console.print("スイッチング日になるとワーカーが切替を実行し、設備情報の供給者項目は新小売にだけ表示されます。")
