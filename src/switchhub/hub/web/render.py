"""Templates, the message catalogue (Japanese first, English second) and HTML error pages.

Pages never mask or filter fields: they render what the service returned, which the
visibility policy already decided. Labels come from here and from `kernel.codes`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from switchhub.hub.accounts import permissions
from switchhub.hub.web import labels
from switchhub.kernel.errors import SwitchhubError

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
LANG_COOKIE = "switchhub_lang"

UI = {
    "title": ("スイッチング支援システム", "Switching Support System"),
    "login": ("ログイン", "Log in"), "logout": ("ログアウト", "Log out"),
    "user_id": ("ユーザID", "User ID"), "password": ("パスワード", "Password"),
    "portal": ("ポータル", "Portal"), "facility": ("設備情報照会", "Facility lookup"),
    "search": ("供給地点特定番号検索", "Supply point search"), "calendar": ("定例検針日カレンダー", "Reading calendar"),
    "api_docs": ("API仕様", "API documentation"), "submit_lookup": ("照会", "Look up"), "submit_search": ("検索", "Search"),
    "narrow": ("検索結果が100件を超えました。条件を追加して絞り込んでください", "More than 100 matches: narrow your search"),
    "no_results": ("該当する供給地点はありません", "No supply points match"),
    "csrf": ("画面の有効期限が切れました。もう一度操作してください", "The form expired; please try again"),
    "area_required": ("エリアを選択してください", "Choose an area"),
    "prefecture_required": ("都道府県を入力してください（または引込柱番号・計器番号で検索）",
                            "Enter a prefecture (or search by pole or meter number)"),
    "meter_no": ("計器番号", "Meter no."), "area_auto": ("（都道府県から判定）", "(from the prefecture)"),
    "address": ("住所", "Address"), "count": ("{total} 件 — {page} ページ目", "{total} matches — page {page}"),
    "top100": ("（上位100件）", "(first 100)"), "show": ("表示", "Show"), "year": ("年", "Year"),
    "reading_code": ("基本検針日", "Reading-day code"), "month": ("{m}月", "{m}"), "back": ("ポータルへ戻る", "Back to the portal"),
    "hello": ("{name} さん", "{name}"),
    "facility_desc": ("供給地点特定番号で設備情報を照会します", "Look up a supply point by its ID"),
    "search_desc": ("住所・引込柱番号・計器番号で供給地点を探します", "Find supply points by address, pole or meter number"),
    "calendar_desc": ("エリアごとの定例検針日", "Each area's reading days"),
    "api_desc": ("OpenAPI 3.1 とインタフェースID", "OpenAPI 3.1 and interface IDs"),
    "otp": ("ワンタイムパスワード（管理者・ヘルプデスク・設定したユーザ）",
            "One-time password (administrators, helpdesk, users who set one up)"),
    "no_sharing": ("ユーザIDは一人ひとりに発行されます。共有しないでください。",
                   "Each user ID belongs to one person. Do not share it."),
    "city_required": ("市区町村を入力してください", "Enter a city"),
    "password_change": ("パスワード変更", "Change password"),
    "password_expired": ("パスワードの有効期限が切れています。新しいパスワードを設定してください",
                         "Your password has expired; please set a new one"),
    "password_changed": ("パスワードを変更しました", "Your password has been changed"),
    "current_password": ("現在のパスワード", "Current password"), "new_password": ("新しいパスワード", "New password"),
    "new_password_again": ("新しいパスワード（確認）", "New password (again)"),
    "password_mismatch": ("確認用のパスワードが一致しません", "The two new passwords differ"),
    "password_policy": ("12文字以上、ユーザIDと異なり、過去5回に使用していないもの",
                        "At least 12 characters, not your user ID, none of your last 5"),
    "change": ("変更する", "Change"),
    "reauth": ("本人確認", "Confirm it is you"), "admin_menu": ("管理", "Administration"),
    "reauth_desc": ("管理者の操作を続けるには、パスワードをもう一度入力してください（ワンタイムパスワードを設定している場合はそれも）",
                    "To continue with an administrative action, enter your password again (and your one-time password if you set one up)"),
    "continue": ("続ける", "Continue"), "otp_if_enabled": ("ワンタイムパスワード（設定している場合）", "One-time password (if set up)"),
    "relays": ("廃止取次", "Relays"), "applications": ("スイッチング申込", "Switching applications"),
    "my_applications": ("申込一覧", "Applications"),
    "my_applications_desc": ("申込の受付工程を種別・工程・エリア・日付で確認します",
                             "Your applications by type, stage, area and date"),
    "awaiting_decision": ("判断待ちの廃止取次", "Relays awaiting your decision"),
    "awaiting_decision_desc": ("自社宛の廃止取次のうち判断待ちのもの", "Relays addressed to you, not yet decided"),
    "count_unit": ("件", ""),
    "metering": ("計量データ", "Metering data"),
    "metering_desc": ("30分電力量・確定使用量・標準化帳票のダウンロード", "Download 30-minute energy, billing usage and forms"),
    "usage_reviews": ("使用量照会申請 審査", "Usage password reviews"),
    "usage_request": ("使用量照会申請", "Usage password request"), "usage_query": ("使用量照会", "Usage inquiry"),
    "area_down": ("エリア「{area}」の一般送配電事業者システムに接続できないため、そのエリアの結果は含まれていません",
                  "The system of area {area} is unavailable; its results are not included"),
    # issue 9 part C: OCCTO administration (operators, certificates, API repository)
    "admin_operators": ("事業者管理", "Operators"), "admin_operator_new": ("事業者の登録", "Register an operator"),
    "admin_certificates": ("クライアント証明書", "Client certificates"),
    "admin_certificate_new": ("クライアント証明書の登録", "Register a client certificate"),
    "api_repository": ("API リポジトリ", "API repository"),
    "api_repository_desc": ("APIの運用情報（メンテナンス・インタフェースのバージョン・変更履歴）と現在の OpenAPI 文書",
                            "API operating information (maintenance, interface versions, change log) and the"
                            " current OpenAPI document"),
    # -- issue 9 (E): notification settings, delivery log, notices -------------------------------
    "notify_settings": ("通知設定", "Notification settings"), "notify_deliveries": ("配信ログ", "Delivery log"),
    "notify_subscriptions": ("メール通知の購読", "E-mail subscriptions"), "notify_email": ("メールアドレス", "E-mail"),
    "notify_kind": ("イベント種別", "Event kind"), "notify_kinds": ("イベント種別", "Event kinds"),
    "notify_kinds_empty": ("（選択なし: すべてのイベント）", "(none chosen: every event)"),
    "notify_all_kinds": ("すべてのイベント", "Every event"), "notify_user": ("利用者", "User"),
    "notify_subscribe": ("購読する", "Subscribe"), "notify_unsubscribe": ("購読解除", "Unsubscribe"),
    "notify_none": ("ありません", "None"), "notify_webhooks": ("Webhook", "Webhooks"),
    "notify_url": ("URL（https://）", "URL (https://)"), "notify_add_webhook": ("Webhookを登録", "Add webhook"),
    "notify_state": ("状態", "Status"), "notify_active": ("有効", "Active"), "notify_stopped": ("停止", "Stopped"),
    "notify_test": ("テスト配信", "Test delivery"), "notify_disable": ("停止する", "Stop"),
    "notify_hook_created": ("Webhookを登録しました:", "Webhook added:"),
    "notify_secret_once": ("署名用シークレットはこの画面でのみ表示されます。控えてから画面を閉じてください。",
                           "The signing secret is shown only on this page; keep it before leaving."),
    "notify_secret": ("署名用シークレット", "Signing secret"),
    "notify_done_subscribed": ("購読を登録しました", "Subscribed"),
    "notify_done_unsubscribed": ("購読を解除しました", "Unsubscribed"),
    "notify_done_disabled": ("Webhookを停止しました", "Webhook stopped"),
    "notify_test_queued": ("テスト配信を登録しました。配信されると状態が「配信済み」になります",
                           "The test delivery is queued; its status becomes Delivered once sent"),
    "notify_any": ("すべて", "Any"), "notify_filter": ("絞り込み", "Filter"), "notify_created": ("登録日時", "Created"),
    "notify_channel": ("経路", "Channel"), "notify_target": ("宛先", "Target"), "notify_attempts": ("試行回数", "Attempts"),
    "notify_next": ("次回再試行", "Next retry"), "notify_error": ("最後のエラー", "Last error"),
    "notify_delivered_at": ("配信日時", "Delivered"),
    "notices": ("インフォメーション", "Notices"), "notices_admin": ("インフォメーション管理", "Manage notices"),
    "notices_unread": ("未読 {n} 件", "{n} unread"), "notices_none": ("インフォメーションはありません", "No notices"),
    "notice_title": ("件名", "Title"), "notice_body": ("本文", "Body"),
    "notice_markdown": ("Markdown（見出し #、箇条書き -、**強調**、[リンク](https://…)。HTMLは使えません）",
                        "Markdown (# headings, - lists, **strong**, [links](https://…); no HTML)"),
    "notice_audience": ("対象", "Audience"), "notice_operator": ("対象事業者（特定の事業者のとき）", "Operator (for one operator)"),
    "notice_start": ("掲載開始", "From"), "notice_end": ("掲載終了", "Until"), "notice_state": ("状態", "Status"),
    "notice_read": ("既読", "Read"), "notice_unread": ("未読", "Unread"), "notice_new": ("新規登録", "New notice"),
    "notice_edit": ("変更", "Change"), "notice_save": ("変更を保存", "Save"), "notice_publish": ("登録する", "Publish"),
    "notice_withdraw": ("取り下げる", "Withdraw"), "notice_withdraw_reason": ("取り下げの理由", "Reason"), "notice_preview": ("表示例", "Preview"),
    "notice_active": ("掲載", "Active"), "notice_withdrawn": ("取り下げ", "Withdrawn"),
    "notice_published": ("通知済み", "Announced"),
    "notice_done_created": ("インフォメーションを登録しました", "Notice published"),
    "notice_done_changed": ("インフォメーションを変更しました", "Notice changed"),
    "notice_done_withdrawn": ("インフォメーションを取り下げました", "Notice withdrawn"),
    # issue 9 part F: statistics and the anomaly report
    "statistics": ("統計情報", "Statistics"),
    "statistics_desc": ("エリア別・月別/週別の申込・廃止取次・照会の件数", "Applications, relays and lookups per area and period"),
    "stat_period": ("集計単位", "Period"), "stat_month": ("月別", "Monthly"), "stat_week": ("週別（ISO週）", "Weekly (ISO week)"),
    "stat_from": ("期間（から）", "From"), "stat_to": ("期間（まで）", "To"), "stat_area": ("エリア", "Area"),
    "stat_all": ("すべて", "All"), "stat_metric": ("グラフの指標", "Chart metric"), "stat_csv": ("CSVダウンロード", "Download CSV"),
    "stat_refreshed": ("集計時刻", "Computed at"), "stat_table": ("期間・エリア別の件数", "Figures per period and area"),
    "stat_period_start": ("期間", "Period"),
    "anomalies": ("アクセスログ分析", "Access-log analysis"),
    "anomalies_desc": ("定期的なアクセスログ解析で検出した事象", "Findings of the regular access-log analysis"),
    "anomaly_status": ("状態", "Status"), "anomaly_open": ("未確認", "Open"), "anomaly_acknowledged": ("確認済み", "Acknowledged"),
    "anomaly_kind": ("種別", "Kind"), "anomaly_operator": ("事業者", "Operator"), "anomaly_user": ("ユーザID", "User ID"),
    "anomaly_window": ("対象期間", "Window"), "anomaly_figures": ("数値", "Figures"),
    "anomaly_note": ("確認メモ", "Note"), "anomaly_ack": ("確認済みにする", "Acknowledge"),
    "anomaly_acked_by": ("確認者", "Acknowledged by"), "anomaly_none": ("該当する事象はありません", "No findings"),
    # -- issue 9 D: operators' own user administration (users, CSV, API credentials, TOTP) --
    "users_admin": ("ユーザ管理", "Users"), "user_new": ("ユーザの登録", "New user"),
    "users_csv": ("ユーザの一括登録・変更（CSV）", "Bulk users (CSV)"), "user_detail": ("ユーザ詳細", "User"),
    "display_name": ("氏名", "Name"), "email": ("メールアドレス", "E-mail"), "role": ("権限", "Role"),
    "status": ("状態", "Status"), "all": ("すべて", "All"), "filter": ("絞り込む", "Filter"),
    "register": ("登録する", "Register"), "save": ("変更する", "Save"),
    "role_admin": ("管理者", "Administrator"), "role_general": ("一般", "General"), "role_api": ("APIユーザ", "API user"),
    "role_helpdesk": ("ヘルプデスク", "Helpdesk"),
    "status_active": ("利用中", "Active"), "status_frozen": ("凍結", "Frozen"), "status_suspended": ("停止中", "Suspended"),
    "status_deleted": ("削除済み", "Deleted"),
    "suspend": ("利用停止", "Suspend"), "restore": ("利用再開", "Restore"), "delete": ("削除", "Delete"),
    "reset_password": ("パスワード再設定（凍結解除）", "Reset password (unfreeze)"),
    "shown_once": ("この画面を閉じると二度と表示されません。安全な方法で本人に伝えてください",
                   "This is shown only once; pass it on to the user securely"),
    "initial_password": ("初期パスワード（ワンタイム）", "Initial one-time password"),
    "must_change": ("次回ログイン時にパスワードの変更が必要です", "The password must be changed at the next login"),
    "totp_secret": ("TOTPシークレット", "TOTP secret"), "totp_uri": ("認証アプリ登録用URI", "otpauth URI"),
    "credentials": ("APIクレデンシャル", "API credentials"), "issue_credential": ("発行する", "Issue"),
    "label": ("ラベル", "Label"), "key_id": ("キーID", "Key ID"), "created_at": ("作成日時", "Created"),
    "last_used": ("最終利用", "Last used"), "revoked": ("失効", "Revoked"), "revoke": ("失効させる", "Revoke"),
    "totp": ("ワンタイムパスワード（TOTP）", "One-time password (TOTP)"), "totp_start": ("設定を開始する", "Start"),
    "totp_enable": ("有効にする", "Enable"), "totp_disable": ("解除する", "Disable"),
    "totp_code": ("確認コード（認証アプリの6桁）", "Code (six digits from your app)"),
    "helpdesk_reset": ("ヘルプデスクによるパスワード再設定", "Helpdesk password reset"),
    "validate": ("検証する", "Validate"), "apply": ("登録・変更する（全件）", "Apply (all rows)"),
    "csv_file": ("CSVファイル（Shift_JIS または UTF-8）", "CSV file (Shift_JIS or UTF-8)"),
    "back_to_users": ("ユーザ一覧へ", "Back to users"),
    "password_one_time": ("管理者が発行したワンタイムパスワードでログインしました。新しいパスワードを設定してください",
                          "You logged in with a one-time password from your administrator; please set a new one"),
    # --- issue 9 G: break-glass, helpdesk, access log ---
    "bg": ("緊急時アクセス", "Break-glass access"), "bg_new": ("緊急時アクセスの申請", "Request break-glass access"),
    "bg_desc": ("災害時に、指名した利用者が指定エリア・指定項目を期間限定で参照できるようにします（広域機関の承認が必要）",
                "During a declared disaster, named users see named fields in named areas for a limited time (OCCTO approves)"),
    "bg_id": ("許可番号", "Grant no."), "bg_operator": ("対象事業者コード", "Operator code"),
    "bg_users": ("対象利用者ID（カンマ・空白区切り）", "User IDs (comma or space separated)"),
    "bg_classes": ("開示する項目区分", "Field classes"), "bg_supplier": ("供給者項目（需要者氏名・電話番号など）",
                                                               "Supplier fields (customer name, phone …)"),
    "bg_tso_only": ("送配電限定項目（負荷設備・送配電連絡事項）", "T&D-only fields (load equipment, T&D notes)"),
    "bg_areas": ("対象エリア", "Areas"), "bg_title": ("災害名", "Disaster"), "bg_reason": ("必要な理由", "Reason"),
    "bg_starts": ("開始日時", "Starts"), "bg_ends": ("終了日時（最長7日）", "Ends (at most 7 days)"),
    "bg_status": ("状態", "Status"), "bg_in_force": ("現在有効", "In force now"),
    "bg_requested_by": ("申請者", "Requested by"), "bg_decided_by": ("承認・却下者", "Decided by"),
    "bg_note": ("メモ", "Note"), "bg_approve": ("承認する", "Approve"), "bg_reject": ("却下する", "Reject"),
    "bg_revoke": ("取り消す（早期終了）", "Revoke (end early)"), "bg_submit": ("申請する", "Request"),
    "bg_history": ("履歴", "History"), "bg_none": ("緊急時アクセス許可はありません", "No break-glass grants"),
    "access_log": ("アクセスログ", "Access log"), "access_log_all": ("全事業者", "all operators"),
    "access_log_own": ("自社分", "your operator"), "al_action": ("操作", "Action"), "al_from": ("日付（から）", "From"),
    "al_to": ("日付（まで）", "To"), "al_csv": ("CSVダウンロード", "Download CSV"), "al_at": ("日時", "Time"),
    "al_resource": ("対象", "Resource"), "al_fields": ("項目", "Fields"), "al_outcome": ("結果", "Outcome"),
    "al_from_addr": ("接続元", "From"), "helpdesk": ("ヘルプデスク", "Helpdesk"),
    "hd_relays": ("廃止取次の検索", "Search relays"), "hd_applications": ("申込の検索", "Search applications"),
    "hd_withdraw": ("取消", "Withdraw"), "hd_reason": ("取消理由", "Reason"),
    "hd_withdrawn": ("廃止取次 {no} を取り消しました", "Relay {no} was withdrawn"),
    "yes": ("はい", "Yes"), "no": ("いいえ", "No"),
}


def msg(key: str, lang: str) -> str:
    return UI[key][1 if lang == "en" else 0]


def lang_of(request: Request) -> str:
    """?lang= (remembered in a cookie), then the cookie, then Accept-Language; Japanese by default."""
    for chosen in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if chosen in ("ja", "en"):
            return chosen
    return "en" if request.headers.get("accept-language", "").lower().startswith("en") else "ja"


def set_cookie(resp: Response, name: str, value: str) -> None:
    resp.set_cookie(name, value, secure=True, httponly=True, samesite="strict", path="/")


def render(request: Request, name: str, ctx: dict[str, Any], status: int = 200) -> HTMLResponse:
    lang = lang_of(request)
    user = ctx.get("user")

    def can(permission: str) -> bool:  # for navigation only; every action checks again in its service
        return user is not None and permissions.allowed(user.caller, permission)

    base = {"request": request, "lang": lang, "t": lambda k: msg(k, lang), "labels": labels, "can": can}
    resp = templates.TemplateResponse(request, name, {**base, **ctx}, status_code=status)
    if request.query_params.get("lang") in ("ja", "en"):
        set_cookie(resp, LANG_COOKIE, lang)
    return resp


def error_texts(exc: SwitchhubError, lang: str) -> tuple[dict[str, str], str | None]:
    """Field messages go next to their fields; anything else (area down, not found) is one message."""
    errors: dict[str, str] = {}
    for e in exc.errors:  # every message of a field, not only the last
        field, text = e.field.split(".")[0], e.message_en if lang == "en" else e.message_ja
        errors[field] = f"{errors[field]} / {text}" if field in errors else text
    return errors, None if errors else (exc.detail_en if lang == "en" else exc.detail_ja)


def html_error(request: Request, exc: SwitchhubError) -> HTMLResponse:
    """An error page for the Web (the API answers problem+json instead)."""
    lang = lang_of(request)
    message = exc.detail_en if lang == "en" else exc.detail_ja
    user = getattr(request.state, "web_user", None)
    return render(request, "error.html", {"user": user, "message": message}, status=exc.status)
