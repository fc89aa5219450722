"""The public page's texts: Japanese first, English with ?lang=en or Accept-Language: en."""

from __future__ import annotations

TEXTS = {
    "title": ("使用量情報照会パスワードの申請", "Usage password request"),
    "site": ("一般送配電事業者 需要者向け窓口", "Transmission & distribution — customer desk"),
    "intro": ("ご自身の電気の使用量（直近13か月、スマートメーターの場合は30分ごと）を小売電気事業者が照会するためのパスワードを申請できます。"
              "低圧（一般のご家庭・商店など）の供給地点のみ申請できます。",
              "Request a password that lets a retailer look up your electricity usage (13 months; half-hourly with a"
              " smart meter). Low-voltage supply points only."),
    "spids": ("供給地点特定番号（22桁、1〜20件。改行・カンマ区切り）", "Supply point IDs (22 digits, 1–20, one a line)"),
    "spids_hint": ("検針票・ご契約内容のお知らせに記載されています", "Printed on your meter reading slip"),
    "validity_days": ("パスワードの有効期間", "Validity of the password"),
    "days": ("{n}日", "{n} days"),
    "customer_name_kana": ("ご契約者氏名（カナ）", "Name (katakana)"),
    "customer_name_kanji": ("ご契約者氏名（漢字）", "Name"),
    "address": ("供給地点の住所", "Address of the supply point"),
    "phone": ("電話番号", "Phone"),
    "email": ("メールアドレス（確認メールとパスワードをお送りします）", "E-mail (for the confirmation and the password)"),
    "consent": ("私は、小売電気事業者が私の電気の使用量情報を照会することに同意します。", "I consent to retailers looking up my usage."),
    "submit": ("確認メールを送信する", "Send the confirmation mail"),
    "fix_errors": ("入力内容に誤りがあります。各項目のメッセージをご確認ください", "Please correct the fields marked below"),
    "sent_title": ("確認メールを送信しました", "Confirmation mail sent"),
    "sent_body": ("{email} 宛に確認メールを送信しました。メールに記載のリンクを {expires} までに開くと申請が確定します。",
                  "We sent a confirmation mail to {email}. Open its link by {expires} to complete the request."),
    "filed_title": ("申請を受け付けました", "Your request has been received"),
    "filed_body": ("申込番号 {no}。ご本人確認（翌営業日まで）の後、パスワードをメールでお送りします。",
                   "Application {no}. After identity verification (by the next business day) we e-mail the password."),
    "already_title": ("この申請は受付済みです", "This request has already been received"),
    "already_body": ("申込番号 {no}。リンクは1回のみ有効です。結果はメールでお知らせします。",
                     "Application {no}. The link works once; the result comes by e-mail."),
    "error_title": ("申請できませんでした", "The request could not be completed"),
    "too_many_title": ("しばらくしてから再度お試しください", "Please try again later"),
    "mail_failed": ("確認メールを送信できませんでした。メールアドレスをご確認のうえ、しばらくしてから再度お試しください",
                    "The confirmation mail could not be sent; please check the address and try again later"),
    "csrf": ("画面の有効期限が切れました。もう一度入力してください", "The form expired; please fill it in again"),
    "back": ("申請画面へ戻る", "Back to the form"),
    "unavailable": ("ただいま申請を受け付けられません。しばらくしてから再度お試しください",
                    "Requests cannot be accepted right now; please try again later"),
}


def text(key: str, lang: str) -> str:
    return TEXTS[key][1 if lang == "en" else 0]
