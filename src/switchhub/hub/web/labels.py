"""Labels for facility fields and code values (ja first, en available) used by the Web pages.

Values are formatted from the kernel's code enums; templates never hard-code labels.
"""

from __future__ import annotations

from typing import Any

from switchhub.kernel import codes

FIELD_LABELS: dict[str, tuple[str, str]] = {
    "spid": ("供給地点特定番号", "Supply point ID"), "area": ("エリア", "Area"), "channel": ("電圧区分", "Channel"),
    "postcode": ("郵便番号", "Postcode"), "prefecture": ("都道府県", "Prefecture"), "city": ("市区郡町村", "City"),
    "town": ("町・字", "Town"), "block": ("丁目・番地・号", "Block"), "building": ("建物名", "Building"),
    "room": ("部屋番号", "Room"), "island_flag": ("離島ユニバーサルサービス対象", "Island universal service"),
    "contract_form": ("契約形態", "Contract form"), "capacity_method": ("契約決定方法", "Capacity method"),
    "contract_current": ("契約電流 (A)", "Contract current (A)"),
    "contract_capacity": ("契約容量 (kVA)", "Contract capacity (kVA)"),
    "current_upper_limit": ("電流上限値 (A)", "Current upper limit (A)"),
    "current_limit_value": ("電流制限値 (A)", "Current limit value (A)"),
    "ampere_breaker": ("アンペアブレーカ有無", "Ampere breaker"), "breaker_remote": ("遠隔設定可否", "Remotely settable"),
    "minimum_charge": ("最低料金適用", "Minimum charge"), "power_factor": ("力率 (%)", "Power factor (%)"),
    "flat_rate_lamp": ("定額電灯情報", "Flat-rate lamps"), "meters": ("計器情報", "Meters"),
    "pole_no": ("引込柱番号", "Service-drop pole no."), "supply_method": ("供給方式", "Supply method"),
    "disconnection_method": ("廃止措置方法", "Disconnection method"),
    "reading_day_code": ("基本検針日", "Reading-day code"), "next_reading_date": ("次回実検針日", "Next reading date"),
    "next_but_one_reading_date": ("次々回実検針日", "Next-but-one reading date"),
    "past_new_extension_dates": ("過去新増設年月日", "Past new/extension dates"),
    "contract_status": ("契約状態", "Contract status"),
    "pending_applications": ("異動申込受付情報", "Pending applications"),
    "service_menu": ("接続送電サービスメニュー", "Service menu"), "contract_power": ("契約電力 (kW)", "Contract power (kW)"),
    "customer_name_kana": ("需要者名（カナ）", "Customer name (kana)"),
    "customer_name_kanji": ("需要者名（漢字）", "Customer name"), "customer_phone": ("需要者電話番号", "Customer phone"),
    "contact_phone": ("連絡先電話番号", "Contact phone"), "current_retailer_code": ("現小売事業者コード", "Current retailer code"),
    "current_retailer_name": ("現小売事業者名", "Current retailer"),
    "load_equipment": ("負荷設備", "Load equipment"), "tso_notes": ("送配電連絡事項", "T&D notes"),
}
GROUPS: list[tuple[tuple[str, str], tuple[str, ...]]] = [
    (("基本", "Basic"), ("spid", "area", "channel", "contract_status", "pending_applications")),
    (("住所", "Address"), ("postcode", "prefecture", "city", "town", "block", "building", "room", "island_flag",
                         "pole_no")),
    (("契約", "Contract"), ("contract_form", "capacity_method", "contract_current", "contract_capacity",
                          "current_upper_limit", "current_limit_value", "ampere_breaker", "breaker_remote",
                          "minimum_charge", "power_factor", "flat_rate_lamp", "supply_method", "disconnection_method",
                          "past_new_extension_dates", "service_menu", "contract_power")),
    (("計器", "Meters"), ("meters",)),
    (("検針", "Reading"), ("reading_day_code", "next_reading_date", "next_but_one_reading_date")),
    (("需要者・供給者", "Customer and supplier"), ("customer_name_kana", "customer_name_kanji", "customer_phone",
                                              "contact_phone", "current_retailer_code", "current_retailer_name")),
]
CODE_FIELDS: dict[str, type[codes.CodeEnum]] = {
    "area": codes.Area, "channel": codes.Channel, "contract_form": codes.ContractForm,
    "capacity_method": codes.CapacityMethod, "supply_method": codes.SupplyMethod,
    "disconnection_method": codes.DisconnectionMethod, "contract_status": codes.ContractStatus,
    "service_menu": codes.ServiceMenu,
}


def label(field: str, lang: str = "ja") -> str:
    ja, en = FIELD_LABELS.get(field, (field, field))
    return en if lang == "en" else ja


def display(field: str, value: Any, lang: str = "ja") -> str:
    """A field value as a person reads it (codes with their names, booleans as あり/なし)."""
    if value is None or value == "":
        return "—"
    if field in CODE_FIELDS:
        try:
            member = CODE_FIELDS[field](str(value))
            return f"{member.label(lang)} ({value})"
        except ValueError:
            return str(value)
    if isinstance(value, bool):
        return ("Yes" if value else "No") if lang == "en" else ("あり" if value else "なし")
    if field == "meters" and isinstance(value, list):
        parts = []
        for m in value:
            mt = m.get("meter_type")
            name = codes.MeterType(mt).label(lang) if mt in {x.value for x in codes.MeterType} else ""
            parts.append(f"{m.get('meter_no', '')} {name}".strip())
        return " / ".join(parts) or "—"
    if field == "pending_applications" and isinstance(value, list):
        if not value:
            return "なし" if lang != "en" else "None"
        return " / ".join(f"{codes.ApplicationType(a['type']).label(lang)} {a['received_date']}" for a in value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def grouped(point: dict[str, Any], lang: str = "ja") -> list[tuple[str, list[tuple[str, str]]]]:
    """The answer's fields in display groups; only fields the service returned appear."""
    out = []
    for (gja, gen), fields in GROUPS:
        rows = [(label(f, lang), display(f, point[f], lang)) for f in fields if f in point]
        if rows:
            out.append((gen if lang == "en" else gja, rows))
    return out


# --- history rows (relay and application detail pages) -----------------------------------------

def _code_label(enums: tuple[type[codes.CodeEnum], ...], code: Any, lang: str) -> str:
    """The name of `code` in the first of `enums` that has it; unknown codes are shown as they are."""
    if code is None or code == "":
        return "—"
    for enum in enums:
        try:
            return enum(str(code)).label(lang)
        except ValueError:
            continue
    return str(code)


def relay_status(code: Any, lang: str = "ja") -> str:
    return _code_label((codes.RelayStatus,), code, lang)


def stage(code: Any, lang: str = "ja") -> str:
    return _code_label((codes.ApplicationStage,), code, lang)


def application_type(code: Any, lang: str = "ja") -> str:
    return _code_label((codes.ApplicationType,), code, lang)


def area(code: Any, lang: str = "ja") -> str:
    return _code_label((codes.Area,), code, lang)


def relay_reason(code: Any, lang: str = "ja") -> str:
    """A relay's history reason: its own reasons, or the area's reason a failed match carries."""
    return _code_label((codes.RelayReason, codes.RejectionReason, codes.StageReason), code, lang)


def stage_reason(code: Any, lang: str = "ja") -> str:
    """An application's history reason: why it entered the stage, or why it was rejected."""
    return _code_label((codes.StageReason, codes.RejectionReason), code, lang)


def relay_rule(name: Any, lang: str = "ja") -> str:
    """A relay rule by the reason it records (the rules are the hub's own: hub/relays/rules.py)."""
    from switchhub.hub.relays.rules import MACHINE

    rule = MACHINE.rules.get(str(name))
    return _code_label((codes.RelayReason,), rule.reason.value, lang) if rule else str(name or "—")


#: The area's application rules (named in every stage-changed event and feed entry, P7).
APPLICATION_RULES: dict[str, tuple[str, str]] = {
    "receive": ("受付", "Receive"), "review": ("審査開始", "Start review"), "accept": ("受付完了", "Accept"),
    "arrange_meter_work": ("計器工事手配", "Arrange meter work"), "correct": ("訂正", "Correct"),
    "match": ("マッチング", "Match"), "schedule": ("実施日確定", "Fix the date"), "complete": ("処理完了", "Complete"),
    "complete_other_date": ("処理完了(日付変更)", "Complete on another date"), "withdraw": ("取消", "Withdraw"),
    "request_withdrawal": ("取消依頼", "Request withdrawal"),
    "reject_on_withdrawal": ("取消依頼による却下", "Reject on a withdrawal request"),
    "reject_matching_deadline": ("マッチング期限切れによる却下", "Reject: matching deadline passed"),
    "reject_superseded": ("他の申込の実施による却下", "Reject: superseded by another application"),
}
ACTORS: dict[str, tuple[str, str]] = {"system": ("システム", "System"),
                                      "area": ("一般送配電事業者システム", "T&D system")}


def application_rule(name: Any, lang: str = "ja") -> str:
    ja, en = APPLICATION_RULES.get(str(name), (str(name or "—"),) * 2)
    return en if lang == "en" else ja


def actor(login: Any, lang: str = "ja") -> str:
    ja, en = ACTORS.get(str(login), (str(login or "—"),) * 2)
    return en if lang == "en" else ja
