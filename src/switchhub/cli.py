"""`switchhub` command line: demo | sandbox | hub | area | area-public | worker | db | certs | credentials |
contract | conformance | generate | status."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console

from switchhub.config import Settings

app = typer.Typer(help="switchhub — スイッチング支援システム", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="データベース (migrations)", no_args_is_help=True)
certs_app = typer.Typer(help="開発用認証局とクライアント証明書", no_args_is_help=True)
cred_app = typer.Typer(help="APIクレデンシャル", no_args_is_help=True)
contract_app = typer.Typer(help="ハブと一般送配電事業者システムの連携仕様 (hub ↔ T&D contract)", no_args_is_help=True)
readings_app = typer.Typer(help="計量値（30分電力量）", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(certs_app, name="certs")
app.add_typer(cred_app, name="credentials")
app.add_typer(contract_app, name="contract")
app.add_typer(readings_app, name="readings")
console = Console(soft_wrap=True)


def _settings() -> Settings:
    from switchhub.runtime import complete_settings

    return complete_settings(Settings.from_env())


def _fail(message: str) -> None:
    console.print(f"[red]エラー:[/red] {message}")
    raise typer.Exit(2)


@db_app.command("migrate")
def db_migrate(which: str = typer.Argument("all", help="hub | area | all")) -> None:
    """Alembic migrations to head."""
    from switchhub.db.embedded import resolve_urls
    from switchhub.db.migrate import upgrade

    if which not in ("hub", "area", "all"):
        _fail("hub / area / all のいずれかを指定してください")
    hub_url, area_url = resolve_urls(_settings())
    for name, url in (("hub", hub_url), ("area", area_url)):
        if which in (name, "all"):
            upgrade(name, url)
            console.print(f"{name}: migrated")


@app.command()
def generate(points: int = typer.Option(100_000, min=0, max=100_000_000, help="供給地点数"),
             seed: int = typer.Option(1, help="乱数シード（同じシードは同じデータ）"),
             replace: bool = typer.Option(False, help="既存の供給地点を置き換える"),
             readings: bool = typer.Option(True, help="計量値（30分値・月間確定値）も生成する")) -> None:
    """Deterministic synthetic data for all 10 areas (bulk-loaded with COPY)."""
    from switchhub.db.embedded import resolve_urls
    from switchhub.db.migrate import upgrade
    from switchhub.generate.load import generate as run

    hub_url, area_url = resolve_urls(_settings())
    upgrade("hub", hub_url)
    upgrade("area", area_url)
    result = run(hub_url, area_url, points, seed, replace=replace)
    console.print(result)
    if readings:
        from switchhub.generate.readings import generate_readings

        console.print(generate_readings(area_url, seed))


@certs_app.command("init")
def certs_init() -> None:
    """Create the development CA and the hub/area server and client certificates."""
    from switchhub.demo import init_certificates

    paths = init_certificates(_settings())
    for k, v in paths.items():
        console.print(f"{k}: {v}")


@certs_app.command("issue")
def certs_issue(operator: str = typer.Option(..., help="事業者コード (5文字)"),
                purpose: str = typer.Option("api", help="web | api"),
                name: str = typer.Option(..., help="証明書名（ファイル名）")) -> None:
    """Issue a client certificate from the development CA and register its fingerprint."""
    from switchhub.demo import issue_and_register

    if purpose not in ("web", "api"):
        _fail("purpose は web または api を指定してください")
    issued = asyncio.run(issue_and_register(_settings(), operator, purpose, name))
    console.print(f"certificate: {issued.cert_path}\nkey: {issued.key_path}\np12: {issued.p12_path}\n"
                  f"fingerprint (SHA-256): {issued.fingerprint_sha256}")


@cred_app.command("issue")
def credentials_issue(user: str = typer.Option(..., help="APIユーザのユーザID")) -> None:
    """Issue an API credential for a named API user (shown once, stored hashed).

    A refusal (unknown ID, not an API user) is one Japanese line and exit code 1, not a traceback."""
    from switchhub.demo import issue_token
    from switchhub.kernel.errors import SwitchhubError

    try:
        console.print(asyncio.run(issue_token(_settings(), user)))
    except SwitchhubError as error:
        console.print(f"[red]エラー:[/red] {error.detail_ja}", markup=True, highlight=False)
        raise typer.Exit(1)


@contract_app.command("openapi")
def contract_openapi(server: str = typer.Option("", help="servers[] に入れるエリアシステムのURL (optional)"),
                     out: Optional[Path] = typer.Option(None, "--out", help="出力するファイル（省略時は標準出力）"),
                     ) -> None:
    """Print (or write with --out) the area contract's OpenAPI 3.1 document (/area/v1) for grid
    operators with their own system; `docs/area-contract.openapi.json` is this command's output, kept
    equal by a test."""
    from switchhub.area.openapi import contract_document_text

    text = contract_document_text(server or None)
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    console.print(f"{out}: written")


@app.command()
def conformance(
    base_url: str = typer.Argument(..., help="試験するエリアシステムのURL (https://area.example)"),
    cert: Optional[Path] = typer.Option(None, help="ハブのクライアント証明書 (PEM)"),
    key: Optional[Path] = typer.Option(None, help="その秘密鍵 (PEM)"),
    ca: Optional[Path] = typer.Option(None, help="エリアのサーバ証明書を検証するCA (PEM)"),
    area: str = typer.Option("03", help="試験するエリアコード"),
    supplier: str = typer.Option("M0300", help="試験用の供給地点を供給している小売電気事業者"),
    other_retailer: str = typer.Option("A0001", help="供給していない小売電気事業者（スイッチング開始を申し込む）"),
    third_retailer: str = typer.Option("A0002", help="もう一つの供給していない小売電気事業者"),
    tso: str = typer.Option("", help="エリアの一般送配電事業者コード（省略時 T<エリア>00）"),
    tso_other: str = typer.Option("", help="他エリアの一般送配電事業者コード"),
    occto: str = typer.Option("OC000", help="広域機関のコード"),
    spid: Optional[str] = typer.Option(None, help="供給者の供給地点（省略時は一括取得から選ぶ）"),
    switch_spid: Optional[str] = typer.Option(None, help="スイッチング開始に使う供給者の別の供給地点"),
    unknown_spid: Optional[str] = typer.Option(None, help="エリアにない供給地点特定番号（省略時 <エリア>+9×20）"),
    deadline: Optional[float] = typer.Option(None, help="応答期限（秒、省略時は連携仕様の x-deadline-seconds）"),
    receiver: Optional[str] = typer.Option(None, help="イベント受信サーバを開く host:port（エリアの送信先をここに向ける）"),
    receiver_cert: Optional[Path] = typer.Option(None, help="受信サーバの証明書 (PEM)"),
    receiver_key: Optional[Path] = typer.Option(None, help="その秘密鍵 (PEM)"),
    receiver_ca: Optional[Path] = typer.Option(None, help="エリアのクライアント証明書を検証するCA（省略時 --ca）"),
    events_wait: float = typer.Option(15.0, help="イベントを待つ秒数"),
    lang: str = typer.Option("ja", help="ja | en"),
    as_json: bool = typer.Option(False, "--json", help="JSON で報告する"),
) -> None:
    """The area contract's conformance suite against a T&D system (exit code 0 all pass, 1 any failure).

    It files one switch-start and withdraws it: run it against a test instance (docs/conformance.md)."""
    from switchhub.conformance import Options, run_conformance
    from switchhub.kernel.spid import AREA_CODES

    if lang not in ("ja", "en"):
        _fail("--lang は ja または en を指定してください")
    if area not in AREA_CODES:
        _fail("エリアコードは 01〜10 で指定してください")
    if receiver and not (receiver_cert and receiver_key):
        _fail("--receiver には --receiver-cert と --receiver-key が必要です")
    files = (("cert", cert), ("key", key), ("ca", ca), ("receiver_cert", receiver_cert),
             ("receiver_key", receiver_key), ("receiver_ca", receiver_ca))
    paths = {name: str(value) if value else None for name, value in files}
    options = Options(**paths, area=area, supplier=supplier, other_retailer=other_retailer,
                      third_retailer=third_retailer, tso=tso, tso_other=tso_other, occto=occto, spid=spid,
                      switch_spid=switch_spid, unknown_spid=unknown_spid, deadline_s=deadline,
                      receiver=receiver, events_wait_s=events_wait)
    report = run_conformance(base_url, options)
    if as_json:
        typer.echo(report.to_json())
    else:
        report.render(Console(soft_wrap=False, width=160), lang)
    raise typer.Exit(0 if report.ok else 1)


def _ingest(area: str, run: Any) -> Any:
    """One CLI ingest: the area code checked, `run(area_url)` in one transaction; a refused file prints
    its per-row report and exits 1 (nothing was written)."""
    from switchhub.db.embedded import resolve_urls
    from switchhub.kernel.errors import InputError
    from switchhub.kernel.spid import AREA_CODES

    if area not in AREA_CODES:
        _fail("エリアコードは 01〜10 で指定してください")
    _, area_url = resolve_urls(_settings())
    try:
        return asyncio.run(run(area_url))
    except InputError as error:
        console.print(f"[red]エラー:[/red] {error.detail_ja}")
        for line in error.extra.get("report", []):
            console.print(f"{line['row']}行目 {line['field']}: {line['message']}", markup=False)
        raise typer.Exit(1)


@readings_app.command("ingest")
def readings_ingest(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV (spid,date,slot,kwh,status)"),
                    area: str = typer.Option(..., help="エリアコード (01〜10)")) -> None:
    """Ingest a meter data CSV (UTF-8 or CP932) into the area database; any bad row refuses the file."""
    from switchhub.area.readings.ingest_cli import ingest_file

    done = _ingest(area, lambda url: ingest_file(url, area, file))
    console.print(f"取り込みました: エリア{done.area} {done.rows}行 {done.days}地点日 (訂正 {done.revised_days})")


@readings_app.command("ingest-monthly")
def readings_ingest_monthly(file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                                        help="CSV (spid,billing_month,kwh,max_demand_kw,power_factor,"
                                                             "next_reading_date)"),
                            area: str = typer.Option(..., help="エリアコード (01〜10)")) -> None:
    """Ingest monthly confirmed totals (UTF-8 or CP932); any bad row refuses the file."""
    from switchhub.area.readings.ingest_cli import ingest_monthly_file

    done = _ingest(area, lambda url: ingest_monthly_file(url, area, file))
    console.print(f"取り込みました: エリア{done.area} {done.rows}行 (新規・変更 {done.written}, 訂正 {done.revised})")


@readings_app.command("fill-status")
def readings_fill_status() -> None:
    """Progress of the demo's background fill of 30-minute readings (area × month jobs, table size)."""
    from switchhub.db.embedded import resolve_urls
    from switchhub.generate.readings_fill import progress_of

    _, area_url = resolve_urls(_settings())
    console.print(asyncio.run(progress_of(area_url)).line())


@readings_app.command("ingest-curtailment")
def readings_ingest_curtailment(file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                                            help="CSV (spid,kind,starts_at,ends_at,reason,discount_rate)"),
                                area: str = typer.Option(..., help="エリアコード (01〜10)")) -> None:
    """Ingest curtailment / interruption events (制限・中止, UTF-8 or CP932); any bad row refuses the file."""
    from switchhub.area.readings.ingest_cli import ingest_curtailment_file

    done = _ingest(area, lambda url: ingest_curtailment_file(url, area, file))
    console.print(f"取り込みました: エリア{done.area} {done.rows}行 (新規・変更 {done.written})")


@app.command("status")
def set_status(kind: str = typer.Argument(..., help="certificate | user | operator"),
               key: str = typer.Argument(..., help="fingerprint / user ID / operator code"),
               status: str = typer.Argument(..., help="active | suspended | frozen")) -> None:
    """Suspend or reactivate a certificate, user or operator (takes effect on the next request)."""
    from switchhub.demo import change_status

    if kind not in ("certificate", "user", "operator"):
        _fail("certificate / user / operator のいずれかを指定してください")
    asyncio.run(change_status(_settings(), kind, key, status))
    console.print(f"{kind} {key}: {status}")


def _stoppable() -> None:
    """First thing in a service command: SIGTERM and SIGINT exit 0 also while it is starting."""
    from switchhub.stopping import exit_on_stop_signals

    exit_on_stop_signals()


def _serve_metrics(settings: Settings) -> None:
    """Prometheus metrics on 127.0.0.1:metrics_port next to the server, when configured; and the
    process's logging (console or JSON lines, SWITCHHUB_LOG_FORMAT: logs.py) with it."""
    from switchhub.logs import configure_logging
    from switchhub.metrics import start_metrics_server

    configure_logging()

    try:
        start_metrics_server(settings.metrics_port)
    except OSError as exc:
        _fail(f"メトリクスのポート {settings.metrics_port} を開けません: {exc}")


@app.command()
def hub(host: str = "127.0.0.1", port: int = 8443) -> None:
    """Serve the hub over TLS with required client certificates."""
    _stoppable()
    from switchhub.runtime import build_hub_app, cert_paths
    from switchhub.tlsserver import serve

    settings = _settings()
    _serve_metrics(settings)
    p = cert_paths(settings.certs_dir)
    serve(build_hub_app(settings), host=host, port=port, certfile=str(p["hub_server"]),
          keyfile=str(p["hub_server_key"]), ca_certs=str(p["ca"]))


@app.command()
def area(host: str = "127.0.0.1", port: int = 8444,
         areas: Optional[str] = typer.Option(None, help="担当エリア (例 03,06)。省略時は全10エリア")) -> None:
    """Serve the reference T&D area system over TLS (accepts only the hub's certificate)."""
    _stoppable()
    from switchhub.kernel.spid import AREA_CODES
    from switchhub.runtime import build_area_app, cert_paths
    from switchhub.tlsserver import serve

    settings = _settings()
    if areas:
        served = tuple(a.strip() for a in areas.split(",") if a.strip())
        if not served or any(a not in AREA_CODES for a in served):
            _fail("エリアコードは 01〜10 をカンマ区切りで指定してください")
        settings = settings.with_(served_areas=served)
    _serve_metrics(settings)
    p = cert_paths(settings.certs_dir)
    serve(build_area_app(settings), host=host, port=port, certfile=str(p["area_server"]),
          keyfile=str(p["area_server_key"]), ca_certs=str(p["ca"]))


@app.command("area-public")
def area_public(host: str = "127.0.0.1", port: int = 8445) -> None:
    """Serve the T&D's public page for customers (usage password requests) over TLS, no client certificate."""
    _stoppable()
    from switchhub.runtime import build_area_public_app, cert_paths
    from switchhub.tlsserver import serve

    settings = _settings()
    from switchhub.logs import configure_logging

    configure_logging()
    p = cert_paths(settings.certs_dir)
    serve(build_area_public_app(settings), host=host, port=port, certfile=str(p["area_server"]),
          keyfile=str(p["area_server_key"]), ca_certs=None, client_certs=False)


@app.command()
def worker(role: str = typer.Option("all", help="all | hub | area")) -> None:
    """Background jobs of hub and area (deadlines, matching sweep, outbox delivery, notifications)."""
    _stoppable()
    import logging

    from switchhub.stopping import run_until_stopped
    from switchhub.worker import run_worker

    if role not in ("all", "hub", "area"):
        _fail("role は all / hub / area のいずれかです")
    settings = _settings()
    _serve_metrics(settings)  # jobs run and failed, queue depth, outbox lag
    logging.getLogger("switchhub.readings_fill").setLevel(logging.INFO)  # the demo fill's progress lines
    run_until_stopped(run_worker(settings, role=role))  # SIGTERM stops it as SIGINT does (stopping.py)


@app.command()
def demo(points: int = typer.Option(100_000, min=100, max=10_000_000, help="生成する供給地点数"),
         seed: int = typer.Option(1, help="乱数シード"),
         port: int = typer.Option(8443, help="ハブのポート（エリアシステムは +1）")) -> None:
    """Start everything on this machine with generated data; Ctrl-C stops it."""
    from switchhub.demo import run_demo

    run_demo(_settings(), points=points, seed=seed, port=port, console=console)


@app.command()
def sandbox(tenant: str = typer.Option("default", help="テナント名（英小文字・数字・-_、テナントごとにデータと時計が別）"),
            points: int = typer.Option(10_000, min=100, max=10_000_000, help="生成する供給地点数"),
            seed: int = typer.Option(1, help="乱数シード"),
            port: int = typer.Option(8443, help="ハブのポート（エリアシステムは +1、需要者向けは +2）")) -> None:
    """The demo in sandbox mode (scenario stubs, movable clock, reset, test markers; docs/sandbox.md)."""
    from switchhub.sandbox.run import TENANT_NAME, run_sandbox

    if not TENANT_NAME.match(tenant):
        _fail("テナント名は英小文字・数字・-・_ の40文字以内で指定してください")
    run_sandbox(Settings.from_env(), tenant=tenant, points=points, seed=seed, port=port, console=console)


@app.command("demo-switch")
def demo_switch(port: int = typer.Option(8443, help="デモのハブのポート")) -> None:
    """Run a scripted switch against a running `switchhub demo` (relay → OK → start + end → matched)."""
    from switchhub.demo_switch import run

    run(_settings(), port, console)


def main() -> None:
    os.environ.setdefault("XDG_RUNTIME_DIR", str(Path("/tmp") / f"switchhub-run-{os.getuid()}"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, exist_ok=True)
    try:
        app()
    except ModuleNotFoundError as missing:  # a plain install is the client: the services are the server extra
        if (missing.name or "").split(".")[0] == "switchhub":
            raise
        console.print(f"[red]エラー:[/red] このコマンドにはサーバの依存パッケージ（{missing.name}）が必要です:"
                      ' pip install "switchhub\\[server]"', markup=True, highlight=False)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
