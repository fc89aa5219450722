"""`switchhub-client`: the hub API from a shell (Typer + Rich), on `SwitchhubClient`.

Connection settings come from a profile (config.py), the environment and the flags; answers print
as a table or, with `--output json`, as the hub's JSON. A problem answer prints its Japanese
message and field issues and exits 1 (2 for bad local input, 3 when the hub cannot be reached).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from typer.core import TyperGroup

from switchhub.client.config import ConfigError, load_profile
from switchhub.client.errors import ApiError, TransportError
from switchhub.client.metering import CsvForm, MeteringParseError
from switchhub.client.operations import APPLICATION_KINDS
from switchhub.client.output import Printer
from switchhub.client.sync import SwitchhubClient

err = Console(stderr=True, soft_wrap=True)  # a message is one line, whatever the width
HELP = "スイッチング支援システム (switchhub) の API クライアント。接続先と証明書はプロファイル・環境変数・オプションで指定します。"


def _report(exc: ApiError) -> None:
    text = exc.title if not exc.detail or exc.detail == exc.title else f"{exc.title}: {exc.detail}"
    err.print(f"[red]エラー {exc.status} {exc.code}[/red]: {text}", highlight=False)
    for issue in exc.errors:
        err.print(f"  {issue.field}: {issue.message} ({issue.code})", highlight=False, markup=False)
    if exc.request_id:
        err.print(f"  request_id: {exc.request_id}", highlight=False)


class _Group(TyperGroup):
    """The root command: typed errors become a Japanese message and an exit code, not a traceback
    (1 problem answer, 2 configuration, 3 hub unreachable)."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ApiError as exc:
            _report(exc)
            raise typer.Exit(1) from exc
        except ConfigError as exc:
            err.print(f"[red]設定エラー[/red]: {exc}", highlight=False)
            raise typer.Exit(2) from exc
        except TransportError as exc:
            err.print(f"[red]ハブに接続できません[/red]: {exc}", highlight=False)
            raise typer.Exit(3) from exc


app = typer.Typer(cls=_Group, help=HELP, no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
relays_app = typer.Typer(help="廃止取次（一覧・登録・照会・判断・取下げ）", no_args_is_help=True)
apps_app = typer.Typer(help="異動申込（種別ごとの申込・訂正・取下げ・一覧）", no_args_is_help=True)
files_app = typer.Typer(help="計量データファイル（一覧・ダウンロード）", no_args_is_help=True)
usage_app = typer.Typer(help="使用量照会（パスワード申込・状況・照会）", no_args_is_help=True)
sandbox_app = typer.Typer(help="検証環境（時計・リセット）", no_args_is_help=True)
app.add_typer(relays_app, name="relays")
app.add_typer(apps_app, name="applications")
app.add_typer(files_app, name="files")
app.add_typer(usage_app, name="usage")
app.add_typer(sandbox_app, name="sandbox")


class State:
    def __init__(self, options: dict[str, Any], output: str) -> None:
        self.options, self.output = options, output
        self.printer = Printer(output)
        self._client: SwitchhubClient | None = None

    def client(self) -> SwitchhubClient:
        if self._client is None:
            o = self.options
            profile = load_profile(o.pop("profile"), path=o.pop("config"), overrides=o)
            language = self.options.get("lang") or "ja"
            self._client = SwitchhubClient(**profile.client_kwargs(), language=language)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def _state(ctx: typer.Context) -> State:
    return ctx.find_root().obj


@app.callback()
def main_options(
    ctx: typer.Context,
    profile: str = typer.Option(None, "--profile", "-p", help="プロファイル名（既定: default）"),
    config: Path = typer.Option(None, "--config", help="プロファイルファイル（既定: ~/.config/switchhub/client.toml）"),
    base_url: str = typer.Option(None, "--base-url", help="ハブの URL (https://…)"),
    cert: Path = typer.Option(None, "--cert", help="API 用クライアント証明書 (PEM)"),
    key: Path = typer.Option(None, "--key", help="クライアント証明書の秘密鍵 (PEM)"),
    ca: Path = typer.Option(None, "--ca", help="ハブのサーバー証明書を検証する CA (PEM)"),
    token: str = typer.Option(None, "--token", help="API 認証情報（トークン）"),
    token_file: Path = typer.Option(None, "--token-file", help="トークンを書いたファイル"),
    output: str = typer.Option("table", "--output", "-o", help="出力形式: table または json"),
    lang: str = typer.Option("ja", "--lang", help="ハブのメッセージの言語: ja または en"),
) -> None:
    if output not in ("table", "json"):
        raise typer.BadParameter("table または json を指定してください", param_hint="--output")
    options = {"profile": profile, "config": config, "base_url": base_url, "cert": cert, "key": key, "ca": ca,
               "token": token, "token_file": token_file, "lang": lang}
    state = State(options, output)
    ctx.obj = state
    ctx.call_on_close(state.close)


def _read_json(path: Path | None, sets: list[str] | None = None) -> dict[str, Any]:
    """A request body from a JSON file (`-` = stdin) and `--set field=value` options; a value is text
    (the request model converts "40" or "true"), or JSON when it starts with [ or {. A spid is never
    read as a number, so its leading zero survives."""
    body: dict[str, Any] = {}
    if path is not None:
        try:
            text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
            body = json.loads(text)
        except (OSError, ValueError) as exc:
            raise typer.BadParameter(f"JSON ファイルを読めません: {exc}", param_hint="--file") from exc
        if not isinstance(body, dict):
            raise typer.BadParameter("JSON のオブジェクトを指定してください", param_hint="--file")
    for item in sets or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"項目=値 の形で指定してください: {item}", param_hint="--set")
        if value[:1] in ("[", "{"):  # lists and objects as JSON; scalars stay text (the model converts)
            try:
                body[name] = json.loads(value)
            except ValueError as exc:
                raise typer.BadParameter(f"JSON として読めません: {item}", param_hint="--set") from exc
        else:
            body[name] = value
    return body


# -- supply points -------------------------------------------------------------------------------

@app.command(help="設備情報照会: 供給地点特定番号の地点情報 (facility lookup)")
def lookup(ctx: typer.Context, spid: str = typer.Argument(..., help="供給地点特定番号（22桁）")) -> None:
    s = _state(ctx)
    s.printer.show(s.client().lookup(spid), title=f"供給地点 {spid}")


@app.command(help="供給地点の検索: 住所・電柱番号・計器番号 (search)")
def search(ctx: typer.Context, area: str = typer.Option(None, help="エリアコード"),
           prefecture: str = typer.Option(None, help="都道府県"), city: str = typer.Option(None, help="市区町村"),
           town: str = typer.Option(None, help="町・字"), block: str = typer.Option(None, help="番地"),
           building: str = typer.Option(None, help="建物"), room: str = typer.Option(None, help="部屋"),
           pole_no: str = typer.Option(None, help="電柱番号"), meter_no: str = typer.Option(None, help="計器番号"),
           page: int = typer.Option(1, help="ページ"), per_page: int = typer.Option(20, help="1ページの件数")) -> None:
    s = _state(ctx)
    answer = s.client().search(area=area, prefecture=prefecture, city=city, town=town, block=block,
                               building=building, room=room, pole_no=pole_no, meter_no=meter_no, page=page,
                               per_page=per_page)
    footer = f"{answer.total} 件中 {len(answer.items)} 件（{page} ページ）"
    if answer.truncated:
        footer += " — 条件を絞ってください"
    s.printer.rows(answer, answer.items, "point", title="検索結果", footer=footer)


@app.command(help="一括設備情報照会: 最大 1,000 地点 (batch lookup)")
def batch(ctx: typer.Context, spids: list[str] = typer.Argument(None, help="供給地点特定番号"),
          file: Path = typer.Option(None, "--file", "-f", help="1行に1つの供給地点特定番号を書いたファイル")) -> None:
    s = _state(ctx)
    wanted = list(spids or [])
    if file is not None:
        wanted += [line.strip() for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not wanted:
        raise typer.BadParameter("供給地点特定番号を指定してください")
    answer = s.client().batch_lookup(wanted)
    footer = f"該当なし: {', '.join(answer.not_found) or 'なし'}; 失敗: {len(answer.failed)} 件"
    s.printer.rows(answer, answer.items, "point", title="一括照会", footer=footer)


@app.command(help="自社供給地点の一括取得: gzip / zstd の CSV / NDJSON をファイルへ (export)")
def export(ctx: typer.Context, out: Path = typer.Argument(..., help="保存先ファイル (.gz、zstd なら .zst)"),
           format: str = typer.Option("ndjson", "--format", help="ndjson または csv"),
           fields: str = typer.Option("standard", "--fields", help="standard（照合用の列）または full（全項目）"),
           compression: str = typer.Option("fast", "--compression", help="fast（gzip 1）、small（gzip 6）または zstd"),
           ) -> None:
    s = _state(ctx)
    with Progress(TextColumn("エクスポート"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=False) as bar, out.open("wb") as f:
        task = bar.add_task("export", total=None)

        def progress(rows: int, total: int | None) -> None:
            bar.update(task, completed=rows, total=total)

        rows = s.client().export(f, format=format, fields=fields, compression=compression, progress=progress)
    s.printer.show({"file": str(out), "rows": rows, "format": format, "fields": fields},
                   title="エクスポート完了")


# -- relays --------------------------------------------------------------------------------------

@relays_app.command("list", help="廃止取次の一覧: --role new（自社登録分）/ current（自社宛て）")
def relays_list(ctx: typer.Context, role: str = typer.Option("new", help="new または current"),
                status: str = typer.Option(None, help="ステータス"), spid: str = typer.Option(None),
                area: str = typer.Option(None, help="エリアコード"), page: int = typer.Option(1),
                per_page: int = typer.Option(20)) -> None:
    s = _state(ctx)
    answer = s.client().list_relays(role=role, status=status, spid=spid, area=area, page=page,
                                    per_page=per_page)
    s.printer.rows(answer, answer.items, "relay", title="廃止取次", footer=f"{answer.total} 件")


@relays_app.command("create", help="廃止取次の登録: JSON ファイルと --set 項目=値")
def relays_create(ctx: typer.Context, file: Path = typer.Option(None, "--file", "-f", help="登録内容の JSON"),
                  set_: list[str] = typer.Option(None, "--set", help="項目=値（複数可）")) -> None:
    s = _state(ctx)
    s.printer.show(s.client().register_relay(_read_json(file, set_)), title="廃止取次を登録しました")


@relays_app.command("show", help="廃止取次の照会")
def relays_show(ctx: typer.Context, relay_no: str) -> None:
    s = _state(ctx)
    s.printer.show(s.client().relay(relay_no), title=f"廃止取次 {relay_no}")


@relays_app.command("answer", help="廃止取次の判断: --decision 01 (OK) / 02 (NG)")
def relays_answer(ctx: typer.Context, relay_no: str,
                  decision: str = typer.Option(..., help="01: OK, 02: NG（ok / ng も可）"),
                  staff: str = typer.Option(..., help="判断した担当者名"),
                  ng_reason: list[str] = typer.Option(None, help="NG 理由コード（複数可）"),
                  memo: str = typer.Option(None, help="メモ")) -> None:
    s = _state(ctx)
    code = {"ok": "01", "ng": "02"}.get(decision.lower(), decision)
    s.printer.show(s.client().decide_relay(relay_no, code, staff, ng_reasons=ng_reason or None, memo=memo),
                   title=f"廃止取次 {relay_no} を判断しました")


@relays_app.command("withdraw", help="廃止取次の取下げ")
def relays_withdraw(ctx: typer.Context, relay_no: str, reason: str = typer.Option("", help="理由")) -> None:
    s = _state(ctx)
    s.printer.show(s.client().withdraw_relay(relay_no, reason), title=f"廃止取次 {relay_no} を取り下げました")


# -- applications --------------------------------------------------------------------------------

@apps_app.command("file", help="異動申込: KIND は " + " / ".join(APPLICATION_KINDS) + "（JSON ファイルと --set 項目=値）")
def applications_file(ctx: typer.Context, kind: str = typer.Argument(..., help="申込の種類"),
                      file: Path = typer.Option(None, "--file", "-f", help="申込内容の JSON"),
                      set_: list[str] = typer.Option(None, "--set", help="項目=値（複数可）")) -> None:
    s = _state(ctx)
    if kind not in APPLICATION_KINDS:
        raise typer.BadParameter(f"申込の種類は {', '.join(APPLICATION_KINDS)} のいずれかです", param_hint="KIND")
    s.printer.show(s.client().file_application(kind, _read_json(file, set_)), title="申込を受け付けました")


@apps_app.command("correct", help="申込の訂正（マッチング前）")
def applications_correct(ctx: typer.Context, application_no: str,
                         file: Path = typer.Option(None, "--file", "-f"),
                         set_: list[str] = typer.Option(None, "--set")) -> None:
    s = _state(ctx)
    s.printer.show(s.client().correct_application(application_no, _read_json(file, set_)), title="訂正しました")


@apps_app.command("withdraw", help="申込の取下げ")
def applications_withdraw(ctx: typer.Context, application_no: str,
                          reason: str = typer.Option(..., help="理由")) -> None:
    s = _state(ctx)
    s.printer.show(s.client().withdraw_application(application_no, reason), title="取り下げました")


@apps_app.command("list", help="自社の申込一覧（種別・工程・エリア・日付で絞込み）")
def applications_list(ctx: typer.Context, type: str = typer.Option(None, help="申込種別"),
                      stage: str = typer.Option(None, help="工程"), area: str = typer.Option(None),
                      spid: str = typer.Option(None), page: int = typer.Option(1),
                      per_page: int = typer.Option(20)) -> None:
    s = _state(ctx)
    answer = s.client().search_applications(type=type, stage=stage, area=area, spid=spid, page=page,
                                            per_page=per_page)
    s.printer.rows(answer, answer.items, "application", title="申込一覧", footer=f"{answer.total} 件")


@app.command(help="業務処理状況確認: 申込番号の状況 (application status)")
def status(ctx: typer.Context, application_no: str = typer.Argument(..., help="申込番号")) -> None:
    s = _state(ctx)
    s.printer.show(s.client().application(application_no), title=f"申込 {application_no}")


@app.command(help="異動情報の取得: カーソル以降の申込の変化。--follow で待ち続けます (feed)")
def feed(ctx: typer.Context, cursor: str = typer.Option("", help="前回の next_cursor"),
         follow: bool = typer.Option(False, "--follow", help="新しい変化を待ち続ける"),
         interval: float = typer.Option(5.0, help="--follow の問い合わせ間隔（秒）"),
         limit: int = typer.Option(None, help="1回の取得件数"),
         max_items: int = typer.Option(None, "--max-items", help="この件数で終了")) -> None:
    s = _state(ctx)
    it = s.client().feed(cursor, follow=follow, poll_interval=interval, limit=limit)
    count = 0
    try:
        for item in it:
            s.printer.line(item, "feed")
            count += 1
            if max_items is not None and count >= max_items:
                break
    except KeyboardInterrupt:
        pass
    finally:
        it.close()
        err.print(f"next_cursor: {it.cursor}", highlight=False)


# -- metering files ------------------------------------------------------------------------------

@files_app.command("list", help="計量データファイルの一覧（カーソル以降）")
def files_list(ctx: typer.Context, cursor: str = typer.Option(""),
               type: str = typer.Option(None, help="ファイル種別"),
               date_from: str = typer.Option(None), date_to: str = typer.Option(None),
               revision: str = typer.Option(None, help="latest または all"),
               per_page: int = typer.Option(None)) -> None:
    s = _state(ctx)
    answer = s.client().list_files(cursor, type=type, date_from=date_from, date_to=date_to, revision=revision,
                                   per_page=per_page)
    footer = f"next_cursor: {answer.next_cursor}" + ("（続きあり）" if answer.has_more else "")
    s.printer.rows(answer, answer.items, "file", title="計量データ", footer=footer)


@files_app.command("download", help="計量データファイルのダウンロード（--parse で内容を表示）")
def files_download(ctx: typer.Context, file_id: str, format: str = typer.Option("zip", help="zip または json"),
                   out: Path = typer.Option(None, "--out", help="保存先（既定: ファイル名）"),
                   parse: bool = typer.Option(False, "--parse", help="内容を読んで要約を表示")) -> None:
    s = _state(ctx)
    got = s.client().download_file(file_id, format=format)
    target = out or Path(got.name)
    target.write_bytes(got.content)
    summary: dict[str, Any] = {"file_id": file_id, "file": str(target), "bytes": len(got.content),
                               "sha256": got.sha256, "revision": got.revision}
    if parse:
        try:
            summary.update(_summary(got.parse()))
        except MeteringParseError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
    s.printer.show(summary, title="ダウンロードしました")


def _summary(parsed: Any) -> dict[str, Any]:
    if isinstance(parsed, CsvForm):
        return {"inner": parsed.name, "columns": parsed.columns, "rows": len(parsed.rows)}
    if isinstance(parsed, dict):
        return {"json_keys": sorted(parsed)}
    h = parsed.header
    return {"type": str(h.type), "operation_mode": h.operation_mode, "sender": h.sender_code,
            "receiver": h.receiver_code, "target": h.target.isoformat(), "points": len(parsed.points),
            "spids": [p.spid for p in parsed.points][:20]}


# -- usage ---------------------------------------------------------------------------------------

@usage_app.command("password", help="使用量照会パスワードの申込（JSON ファイルと --set 項目=値）")
def usage_password(ctx: typer.Context, file: Path = typer.Option(None, "--file", "-f"),
                   set_: list[str] = typer.Option(None, "--set")) -> None:
    s = _state(ctx)
    s.printer.show(s.client().request_usage_password(_read_json(file, set_)), title="パスワード申込")


@usage_app.command("status", help="使用量照会パスワード申込の状況（発行時に一度だけパスワードを表示）")
def usage_status(ctx: typer.Context, application_no: str) -> None:
    s = _state(ctx)
    s.printer.show(s.client().usage_password_status(application_no), title=f"申込 {application_no}")


@usage_app.command("inquiry", help="使用量照会: 1地点")
def usage_inquiry(ctx: typer.Context, spid: str,
                  password: str = typer.Option(..., prompt="パスワード", hide_input=True),
                  purpose: str = typer.Option(..., help="照会の目的")) -> None:
    s = _state(ctx)
    s.printer.show(s.client().query_usage(spid, password, purpose), title=f"使用量 {spid}")


@usage_app.command("batch", help="使用量照会: パスワードの全地点")
def usage_batch(ctx: typer.Context, spids: list[str],
                password: str = typer.Option(..., prompt="パスワード", hide_input=True),
                purpose: str = typer.Option(..., help="照会の目的")) -> None:
    s = _state(ctx)
    answer = s.client().query_usage_batch(spids, password, purpose)
    s.printer.rows(answer, answer.items, "usage_item", title="使用量照会")


# -- sandbox -------------------------------------------------------------------------------------

@sandbox_app.command("clock", help="検証環境の時計: 表示、--advance P3D / --to 日時 / --next-reading-day で移動")
def sandbox_clock(ctx: typer.Context, advance: str = typer.Option(None, help="進める期間 (ISO 8601, 例 P3D)"),
                  to: str = typer.Option(None, help="移動先の日時 (ISO 8601)"),
                  next_reading_day: bool = typer.Option(False, "--next-reading-day", help="次の検針日へ")) -> None:
    s = _state(ctx)
    chosen = [x for x in (advance, to, next_reading_day or None) if x]
    if len(chosen) > 1:
        raise typer.BadParameter("--advance、--to、--next-reading-day はどれか1つだけ指定してください")
    c = s.client()
    if advance:
        answer = c.advance_sandbox_clock(advance)
    elif to:
        answer = c.set_sandbox_clock(to)
    elif next_reading_day:
        answer = c.sandbox_clock_to_next_reading_day()
    else:
        answer = c.sandbox_clock()
    s.printer.show(answer, title="検証環境の時計")


@sandbox_app.command("reset", help="検証環境のデータを初期状態に戻す")
def sandbox_reset(ctx: typer.Context) -> None:
    s = _state(ctx)
    s.printer.show(s.client().sandbox_reset(), title="リセットしました")


def main() -> None:
    """Entry point of `switchhub-client` ([project.scripts])."""
    app()


if __name__ == "__main__":
    main()
