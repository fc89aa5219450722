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
    # issue 10: the sandbox's self-service page (its own texts: web/developer_views.py)
    "sandbox_developers": ("サンドボックス開発者", "Sandbox developers"),
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
    # --- issue 9: English for the administration pages ---
    "n_total": ("{n} 件", "{n} in total"), "operator_code": ("事業者コード", "Operator code"),
    "operator_name": ("事業者名", "Operator name"), "contact": ("連絡先", "Contact"),
    "op_active": ("有効", "Active"), "op_suspended": ("利用停止", "Suspended"),
    "op_certs": ("この事業者の証明書", "This operator's certificates"), "op_cert_new": ("証明書を登録", "Register a certificate"),
    "op_admin_created": ("管理者ユーザを登録しました（この画面でのみ表示）", "Administrator registered (shown only on this page)"),
    "op_initial_password": ("初期パスワード", "Initial password"),
    "op_change_first": ("— 初回ログイン時に変更が必要です。", "— it must be changed at the first login."),
    "op_totp_uri": ("ワンタイムパスワード（認証アプリに登録）:", "One-time password (add it to an authenticator app):"),
    "op_once": ("この画面を閉じると再表示できません。安全な方法で本人に伝えてください。",
                "It cannot be shown again once you leave this page; pass it on to the user securely."),
    "op_edit": ("事業者情報の変更", "Change the operator's details"),
    "op_reason": ("理由（任意、監査記録に残ります）", "Reason (optional, kept in the audit record)"),
    "op_suspend_note": ("利用停止にすると、この事業者の証明書・ユーザによる次のリクエストから拒否されます。",
                        "Once suspended, the next request by this operator's certificates and users is refused."),
    "op_suspend": ("利用停止にする", "Suspend"), "op_restore": ("利用を再開する", "Restore"),
    "op_first_admin": ("最初の管理者ユーザの登録", "Register the first administrator"),
    "op_first_admin_note": ("初期パスワードとワンタイムパスワードの設定情報は登録直後に一度だけ表示されます。以後のユーザは事業者の管理者が登録します。",
                            "The initial password and the one-time password setup are shown once, right after registering."
                            " Further users are registered by the operator's administrator."),
    "op_admin_submit": ("管理者ユーザを登録する", "Register the administrator"),
    "op_name": ("事業者名（漢字）", "Operator name (kanji)"), "op_name_kana": ("事業者名（カナ）", "Operator name (kana)"),
    "op_contact_name": ("連絡先担当者名", "Contact person"), "op_contact_phone": ("連絡先電話番号", "Contact phone"),
    "op_contact_email": ("連絡先メールアドレス", "Contact e-mail"),
    "op_incumbent_areas": ("みなし小売のエリア（小売電気事業者のみ）", "Incumbent retail areas (retailers only)"),
    "op_code_field": ("事業者コード（英大文字・数字5桁）", "Operator code (5 capital letters or digits)"),
    "op_done_registered": ("事業者を登録しました", "Operator registered"),
    "op_done_changed": ("事業者情報を変更しました", "Operator details changed"),
    "op_done_suspended": ("利用停止にしました（次のリクエストから拒否されます）", "Suspended (the next request is refused)"),
    "op_done_active": ("利用を再開しました", "Restored"),
    "cert_upload_note": ("クライアント証明書（PEM形式、秘密鍵は含めない）をアップロードしてください。内容を確認してから登録します。",
                         "Upload the client certificate (PEM, without the private key); you check its contents before it is registered."),
    "cert_file": ("証明書ファイル", "Certificate file"), "cert_paste": ("または PEM を貼り付け", "or paste the PEM"),
    "cert_inspect": ("内容を確認する", "Check the contents"), "cert_facts": ("証明書の内容", "Certificate contents"),
    "cert_fingerprint": ("フィンガープリント（SHA-256）", "Fingerprint (SHA-256)"),
    "cert_fingerprint_col": ("フィンガープリント (SHA-256)", "Fingerprint (SHA-256)"),
    "cert_subject": ("サブジェクト", "Subject"), "cert_issuer": ("発行者", "Issuer"), "cert_validity": ("有効期間", "Valid"),
    "cert_register": ("この内容で登録する", "Register this certificate"), "cert_restart": ("やり直す", "Start again"),
    "cert_purpose": ("用途", "Purpose"), "cert_areas": ("対象エリア（エリアシステム用のみ）", "Areas (area systems only)"),
    "cert_purpose_web": ("Web端末用", "Web terminal"), "cert_purpose_api": ("API用", "API"),
    "cert_purpose_area": ("エリアシステム用", "Area system"),
    "cert_count": ("{n} 件（有効期限の近い順）", "{n} (soonest expiry first)"), "cert_expires": ("有効期限", "Expires"),
    "cert_days_left": ("残り{n}日", "{n} days left"),
    "cert_done_registered": ("証明書を登録しました", "Certificate registered"),
    "cert_done_suspended": ("証明書を利用停止にしました（次のリクエストから拒否されます）",
                            "Certificate suspended (the next request is refused)"),
    "cert_done_active": ("証明書の利用を再開しました", "Certificate restored"),
    "api_openapi_download": ("OpenAPI 文書（JSON）をダウンロード", "Download the OpenAPI document (JSON)"),
    "api_info_admin": ("運用情報の管理", "Manage operating information"), "api_maintenance": ("メンテナンス情報", "Maintenance"),
    "api_no_maintenance": ("予定されているメンテナンスはありません", "No maintenance is planned"),
    "api_jst": ("（日本時間）", "(Japan time)"), "api_versions": ("インタフェースのバージョン", "Interface versions"),
    "api_changes": ("変更履歴", "Change log"), "api_interface": ("インタフェース", "Interface"),
    "api_version": ("バージョン", "Version"), "api_remarks": ("備考", "Remarks"), "api_date": ("日付", "Date"),
    "api_content": ("内容", "Details"), "api_new_entry": ("新規登録", "New entry"), "api_kind": ("種類", "Kind"),
    "api_title_field": ("件名・インタフェース名（メンテナンス・バージョン）", "Title or interface (maintenance, version)"),
    "api_version_field": ("バージョン（バージョン・変更履歴）", "Version (version, change log)"),
    "api_starts_field": ("開始日時（メンテナンス、日本時間）", "Starts (maintenance, Japan time)"),
    "api_ends_field": ("終了日時（メンテナンス、日本時間）", "Ends (maintenance, Japan time)"),
    "api_date_field": ("日付（変更履歴）", "Date (change log)"), "api_interface_name": ("インタフェース名", "Interface name"),
    "api_starts": ("開始", "Starts"), "api_ends": ("終了", "Ends"), "delete_it": ("削除する", "Delete"),
    "done_created": ("登録しました", "Registered"), "done_changed": ("変更しました", "Changed"),
    "done_deleted": ("削除しました", "Deleted"),
    "hd_relay_no": ("取次番号", "Relay no."), "hd_spid": ("供給地点特定番号", "Supply point ID"),
    "hd_relay_operator": ("事業者コード（新小売・現小売）", "Operator code (new or current retailer)"),
    "hd_status": ("ステータス", "Status"), "hd_registered_from": ("登録日（から）", "Registered from"),
    "hd_registered_to": ("登録日（まで）", "Registered until"), "hd_new_retailer": ("新小売", "New retailer"),
    "hd_current_retailer": ("現小売", "Current retailer"), "hd_deadline": ("判断期限", "Decision deadline"),
    "hd_registered_at": ("登録日時", "Registered"), "hd_application_no": ("申込番号", "Application no."),
    "hd_applicant": ("申込者（事業者コード）", "Applicant (operator code)"), "hd_type": ("申込種別", "Application type"),
    "hd_stage": ("受付工程", "Stage"), "hd_received_from": ("受付日（から）", "Received from"),
    "hd_received_to": ("受付日（まで）", "Received until"), "hd_kind": ("種別", "Type"), "hd_stage_col": ("工程", "Stage"),
    "hd_planned": ("予定日", "Planned date"), "hd_received": ("受付日", "Received"), "hd_applicant_col": ("申込者", "Applicant"),
    "date_format": ("日付は YYYY-MM-DD 形式で入力してください", "Dates are YYYY-MM-DD"),
    "unknown_status": ("ステータスが正しくありません", "Unknown status"),
    "csv_columns": ("列:", "Columns:"),
    "csv_columns_note": ("（操作は create／change、権限は admin／general／api）。", " (operation create/change, role admin/general/api)."),
    "csv_limits": ("最大 {rows} 行・{bytes} バイト。まず検証し、問題がなければ全件を登録・変更します（1行でも問題があれば何も変更しません）。",
                   "At most {rows} rows and {bytes} bytes. The file is validated first; if every row is fine, all rows are"
                   " applied (one bad row and nothing changes)."),
    "csv_done": ("{created} 件を登録、{changed} 件を変更しました", "{created} registered, {changed} changed"),
    "csv_passwords_utf8": ("初期パスワードのCSV（UTF-8）", "Initial passwords CSV (UTF-8)"),
    "csv_row": ("行", "Row"), "csv_column": ("列", "Column"), "csv_message": ("内容", "Problem"),
    "csv_valid": ("{n} 行すべて問題ありません", "All {n} rows are fine"),
    "csv_invalid": ("問題のある行があります。修正してもう一度アップロードしてください（何も変更していません）",
                    "Some rows have problems; fix them and upload again (nothing was changed)"),
    "csv_choose_file": ("CSVファイルを選択してください", "Choose a CSV file"),
    "no_credentials": ("発行済みのAPIクレデンシャルはありません", "No API credentials issued"),
    "user_new_note": ("初期パスワードは自動で発行され、登録後に一度だけ表示されます。管理者にはTOTPシークレットも発行されます。",
                      "The initial password is generated and shown once after registering; administrators also get a TOTP secret."),
    "issued_created": ("登録しました", "Registered"), "issued_reset": ("パスワードを再設定しました", "Password reset"),
    "issued_credential": ("APIクレデンシャルを発行しました", "API credential issued"),
    "no_users": ("該当するユーザはありません", "No users match"),
    "user_done_suspend": ("利用停止しました", "Suspended"), "user_done_restore": ("利用を再開しました", "Restored"),
    "user_done_revoked": ("APIクレデンシャルを失効しました", "API credential revoked"),
    "choose_action": ("操作を選択してください", "Choose an action"),
    "helpdesk_reset_note": ("管理者が一人も利用中でない事業者のユーザだけを再設定できます（管理者がいる場合はその管理者が行います）。",
                            "Only users of an operator without an active administrator can be reset here (otherwise their"
                            " administrator does it)."),
    "totp_on": ("設定済みです（ログイン時に確認コードが必要です）", "Set up (a code is needed at login)"),
    "totp_off": ("設定されていません", "Not set up"),
    "totp_required": (" — 管理者・ヘルプデスクは必須です", " — required for administrators and helpdesk"),
    "totp_done_enabled": ("ワンタイムパスワードを有効にしました。次回のログインから入力が必要です",
                          "One-time password enabled; it is needed from your next login"),
    "totp_done_disabled": ("ワンタイムパスワードを解除しました", "One-time password disabled"),
    "count_newest": ("{total} 件 — {page} ページ目（新しい順）", "{total} matches — page {page} (newest first)"),
    "bg_status_requested": ("承認待ち", "Awaiting approval"), "bg_status_approved": ("承認済み", "Approved"),
    "bg_status_rejected": ("却下", "Rejected"), "bg_status_revoked": ("取消（早期終了）", "Revoked (ended early)"),
    "bg_status_expired": ("期限切れ", "Expired"), "bg_h_rule": ("遷移ルール", "Rule"),
    "bg_h_reason": ("理由コード", "Reason code"), "bg_h_actor": ("操作者", "By"),
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
