"""Every code list of domain.md: wire codes kept from the original, Japanese and English names.

Templates and CSV writers take labels from here (`Enum(code).ja`), never hard-coded.
"""

from __future__ import annotations

import unicodedata
from enum import Enum
from typing import Any

from switchhub.kernel.errors import InputError


class CodeEnum(str, Enum):
    """Members are declared as (code, ja, en); the value is the wire code."""

    def __new__(cls, code: str, ja: str, en: str) -> "CodeEnum":
        obj = str.__new__(cls, code)
        obj._value_ = code
        obj.ja = ja  # type: ignore[attr-defined]
        obj.en = en  # type: ignore[attr-defined]
        return obj

    # A (str, Enum) mixin prints as "Area.TOKYO" on Python 3.11; templates, CSV writers and
    # f-strings must see the wire code, so str() and format() give the value.
    __str__ = str.__str__
    __format__ = str.__format__

    def label(self, lang: str = "ja") -> str:
        return self.en if lang == "en" else self.ja  # type: ignore[attr-defined]

    @classmethod
    def choices(cls, lang: str = "ja") -> list[tuple[str, str]]:
        return [(m.value, m.label(lang)) for m in cls]

    @classmethod
    def parse(cls, raw: Any, field: str) -> "CodeEnum":
        """A member from its wire code; full-width input (CSV, forms) is accepted after NFKC."""
        if isinstance(raw, cls):
            return raw
        try:
            return cls(unicodedata.normalize("NFKC", str(raw)).strip())
        except ValueError:
            allowed = ", ".join(f"{m.value}({m.ja})" for m in cls)
            shown = str(raw)[:20]
            raise InputError.single(field, "invalid_code", f"指定できない値です: {shown}（指定可能: {allowed}）",
                                    f"Invalid code {shown!r}; allowed: {', '.join(m.value for m in cls)}") from None


class Area(CodeEnum):
    HOKKAIDO = ("01", "北海道", "Hokkaido")
    TOHOKU = ("02", "東北", "Tohoku")
    TOKYO = ("03", "東京", "Tokyo")
    CHUBU = ("04", "中部", "Chubu")
    HOKURIKU = ("05", "北陸", "Hokuriku")
    KANSAI = ("06", "関西", "Kansai")
    CHUGOKU = ("07", "中国", "Chugoku")
    SHIKOKU = ("08", "四国", "Shikoku")
    KYUSHU = ("09", "九州", "Kyushu")
    OKINAWA = ("10", "沖縄", "Okinawa")


AREA_TSO_NAMES: dict[str, str] = {
    "01": "北海道電力ネットワーク", "02": "東北電力ネットワーク", "03": "東京電力パワーグリッド",
    "04": "中部電力パワーグリッド", "05": "北陸電力送配電", "06": "関西電力送配電", "07": "中国電力ネットワーク",
    "08": "四国電力送配電", "09": "九州電力送配電", "10": "沖縄電力",
}
AREA_SHARES: dict[str, float] = {
    "01": 0.05, "02": 0.09, "03": 0.34, "04": 0.12, "05": 0.025, "06": 0.16, "07": 0.06, "08": 0.035,
    "09": 0.11, "10": 0.01,
}


class OperatorKind(CodeEnum):
    OCCTO = ("occto", "広域機関", "OCCTO")
    RETAILER = ("retailer", "小売電気事業者", "Retailer")
    TSO = ("tso", "一般送配電事業者", "Transmission and distribution operator")


class OperatorStatus(CodeEnum):
    ACTIVE = ("active", "有効", "Active")
    SUSPENDED = ("suspended", "利用停止", "Suspended")


class UserRole(CodeEnum):
    ADMIN = ("admin", "管理者", "Administrator")
    GENERAL = ("general", "一般", "General")
    HELPDESK = ("helpdesk", "ヘルプデスク", "Helpdesk")


class UserStatus(CodeEnum):
    ACTIVE = ("active", "有効", "Active")
    FROZEN = ("frozen", "凍結", "Frozen")
    SUSPENDED = ("suspended", "利用停止", "Suspended")


class CertPurpose(CodeEnum):
    WEB = ("web", "Web端末用", "Web client")
    API = ("api", "API用", "API")


class CertStatus(CodeEnum):
    ACTIVE = ("active", "有効", "Active")
    SUSPENDED = ("suspended", "利用停止", "Suspended")


class Channel(CodeEnum):
    LOW = ("low", "低圧", "Low voltage")
    HIGH = ("high", "高圧", "High voltage")
    LOW_FIT = ("low_fit", "低圧FIT電源", "Low-voltage FIT generation")


class ContractForm(CodeEnum):
    LIGHTING = ("01", "電灯", "Lighting")
    POWER = ("02", "動力", "Power")
    LIGHTING_TEMPORARY = ("03", "電灯臨時", "Temporary lighting")
    POWER_TEMPORARY = ("04", "動力臨時", "Temporary power")
    LIGHTING_FLAT = ("05", "電灯定額", "Flat-rate lighting")
    POWER_TEMPORARY_FLAT = ("06", "動力臨時定額", "Flat-rate temporary power")


class CapacityMethod(CodeEnum):
    AMPERE_BREAKER = ("1", "アンペアブレーカ", "Ampere breaker")
    MAIN_SWITCH = ("2", "主開閉器", "Main switch")
    MEASURED = ("3", "実量制", "Measured demand")


class ServiceMenu(CodeEnum):
    STANDARD = ("01", "標準", "Standard")
    TIME_OF_USE = ("02", "時間帯別", "Time of use")
    SEASONAL_TIME_OF_USE = ("03", "季節別時間帯別", "Seasonal time of use")
    METERED = ("04", "従量制", "Metered")


class SupplyMethod(CodeEnum):
    SINGLE_2W_100 = ("1", "単相2線式100V", "Single-phase 2-wire 100 V")
    SINGLE_3W_100_200 = ("2", "単相3線式100/200V", "Single-phase 3-wire 100/200 V")
    THREE_3W_200 = ("3", "三相3線式200V", "Three-phase 3-wire 200 V")
    THREE_3W_6000 = ("4", "三相3線式6000V", "Three-phase 3-wire 6,000 V")


class DisconnectionMethod(CodeEnum):
    SWITCH_OPEN = ("1", "開閉器開放", "Open the switch")
    METER_REMOVAL = ("2", "計器取外し", "Remove the meter")
    SMART_REMOTE = ("3", "スマートメーター遠隔停止", "Remote stop by smart meter")


class ContractStatus(CodeEnum):
    ACTIVE = ("1", "契約中", "Under contract")
    VACANT = ("2", "廃止中", "Terminated (vacant)")
    REMOVED = ("3", "撤去", "Removed")
    TEMPORARY = ("4", "臨時", "Temporary")


class MeterType(CodeEnum):
    SMART = ("1", "スマートメーター", "Smart meter")
    ELECTRONIC = ("2", "電子式計器", "Electronic meter")
    MECHANICAL = ("3", "機械式計器", "Mechanical meter")


class ApplicationType(CodeEnum):
    TERMINATION = ("01", "廃止", "Termination")
    TERMINATION_REMOVAL = ("02", "廃止・撤去", "Termination with meter removal")
    SWITCH_END = ("03", "スイッチング廃止", "Switch-end")
    RECONNECTION = ("04", "再点", "Reconnection (move-in)")
    SWITCH_START = ("05", "スイッチング開始", "Switch-start")
    AMPERE_CHANGE = ("06", "アンペア変更", "Ampere change")
    CUSTOMER_CHANGE = ("07", "需要者情報変更", "Customer change")
    USAGE_PASSWORD = ("08", "使用量情報照会申請", "Usage password request")
    FIT_TERMINATION = ("12", "廃止(FIT)", "Termination (FIT)")
    FIT_TERMINATION_REMOVAL = ("13", "廃止・撤去(FIT)", "Termination with removal (FIT)")
    FIT_SWITCH_END = ("14", "スイッチング廃止(FIT)", "Switch-end (FIT)")
    FIT_RECONNECTION = ("15", "再点(FIT)", "Reconnection (FIT)")
    FIT_SWITCH_START = ("16", "スイッチング開始(FIT)", "Switch-start (FIT)")
    FIT_CUSTOMER_CHANGE = ("17", "受電者情報変更", "Generator change (FIT)")

    @property
    def channels(self) -> tuple[str, ...]:
        """Channels the type may be filed for (domain.md); see APPLICATION_TYPE_CHANNELS."""
        return APPLICATION_TYPE_CHANNELS[self.value]

    @property
    def base(self) -> "ApplicationType":
        """The low/high-voltage type of a FIT variant (12 → 01 …); itself otherwise."""
        return ApplicationType(FIT_BASE.get(self.value, self.value))

    @property
    def fit_twin(self) -> "ApplicationType | None":
        """The FIT variant of a type (01 → 12 …); None when the type has none (06, 08)."""
        twin = FIT_TWINS.get(self.value)
        return ApplicationType(twin) if twin else None

    def on_channel(self, channel: str) -> "ApplicationType | None":
        """The type code filed at a point of `channel`: the FIT twin at a low_fit point; None when
        the type is not offered on that channel (domain.md's type x channel table)."""
        code = self.fit_twin if channel == "low_fit" else self
        return code if code is not None and channel in code.channels else None


APPLICATION_TYPE_CHANNELS: dict[str, tuple[str, ...]] = {
    "01": ("low",), "02": ("low", "high"), "03": ("low", "high", "low_fit"), "04": ("low", "low_fit"),
    "05": ("low", "high", "low_fit"), "06": ("low",), "07": ("low", "high", "low_fit"), "08": ("low", "high"),
    "12": ("low_fit",), "13": ("low_fit",), "14": ("low_fit",), "15": ("low_fit",), "16": ("low_fit",),
    "17": ("low_fit",),
}


FIT_TWINS: dict[str, str] = {"01": "12", "02": "13", "03": "14", "04": "15", "05": "16", "07": "17"}
FIT_BASE: dict[str, str] = {fit: base for base, fit in FIT_TWINS.items()}


class UpdateFlag(CodeEnum):
    NEW = ("1", "登録", "New")
    CORRECTION = ("2", "訂正", "Correction")
    WITHDRAWAL = ("3", "取消", "Withdrawal")


class ApplicationStage(CodeEnum):
    RECEIVED = ("01", "受付", "Received")
    UNDER_REVIEW = ("02", "審査中", "Under review")
    METER_WORK = ("03", "工事手配中", "Meter work being arranged")
    AWAITING_MATCH = ("04", "マッチング待ち", "Waiting for the counterpart")
    MATCHED = ("05", "マッチング済み", "Matched")
    COMPLETED = ("06", "処理完了", "Completed")
    WITHDRAWN = ("07", "取消済み", "Withdrawn")
    COMPLETED_OTHER_DATE = ("08", "処理完了(日付変更)", "Completed on another date")
    REJECTED = ("09", "却下", "Rejected")
    WITHDRAWAL_REQUESTED = ("10", "取消受付中", "Withdrawal requested")

    @property
    def terminal(self) -> bool:
        return self.value in ("06", "07", "08", "09")


class StageReason(CodeEnum):
    """Why an application entered its stage (the feed's reason code); rejections use RejectionReason."""
    RECEIVED = ("received", "受付", "Received")
    UNDER_REVIEW = ("under_review", "審査開始", "Review started")
    ACCEPTED = ("accepted", "受付完了", "Accepted")
    METER_WORK = ("meter_work", "計器工事手配", "Meter work arranged")
    CORRECTED = ("corrected", "訂正", "Corrected")
    MATCHED = ("matched", "マッチング成立", "Matched")
    SCHEDULED = ("scheduled", "実施日確定", "Date fixed")
    COMPLETED = ("completed", "処理完了", "Completed")
    COMPLETED_OTHER_DATE = ("completed_other_date", "処理完了(日付変更)", "Completed on another date")
    WITHDRAWN = ("withdrawn", "取消", "Withdrawn")
    WITHDRAWAL_REQUESTED = ("withdrawal_requested", "取消依頼による却下", "Rejected on a withdrawal request")
    MATCHING_DEADLINE = ("matching_deadline", "マッチング不成立", "Matching deadline passed")
    SUPERSEDED = ("superseded", "他の申込の実施による却下", "Rejected: superseded by another application")


class RelayStatus(CodeEnum):
    AWAITING_DECISION = ("01", "判断待ち", "Awaiting decision")
    DECIDED_OK = ("02", "判断済み(OK)", "Decided (OK)")
    DECIDED_NG = ("03", "判断済み(NG)", "Decided (NG)")
    MATCHED_OK = ("04", "マッチング済み(OK)", "Matched")
    MATCHED_NG = ("05", "マッチング済み(NG)", "Matching failed")
    WITHDRAWN = ("06", "取消", "Withdrawn")
    EXPIRED = ("07", "期限切れ", "Expired")

    @property
    def open(self) -> bool:
        return self.value in ("01", "02")

    @property
    def terminal(self) -> bool:
        return self.value in ("03", "04", "05", "06", "07")


class RelayReason(CodeEnum):
    """Why a relay entered its status (the history's reason code)."""
    REGISTERED = ("registered", "登録", "Registered")
    CORRECTED = ("corrected", "訂正", "Corrected")
    DECIDED_OK = ("decided_ok", "OK判断", "Decided OK")
    DECIDED_NG = ("decided_ng", "NG判断", "Decided NG")
    WITHDRAWN_BY_NEW_RETAILER = ("withdrawn_by_new_retailer", "新小売による取消", "Withdrawn by the new retailer")
    WITHDRAWN_BY_HELPDESK = ("withdrawn_by_helpdesk", "ヘルプデスクによる取消", "Withdrawn by the helpdesk")
    NO_DECISION_IN_TIME = ("no_decision_in_time", "判断期限切れ", "No decision in time")
    NO_SWITCH_START_BY_DATE = ("no_switch_start_by_date", "スイッチング申込なし", "No switch-start by the date")
    SWITCH_START_WITHDRAWN = ("switch_start_withdrawn", "スイッチング開始の取消", "Switch-start withdrawn")
    MATCHED = ("matched", "マッチング成立", "Matched")
    MATCH_FAILED = ("match_failed", "マッチング不成立", "Matching failed")


class RelayDecision(CodeEnum):
    OK = ("01", "OK", "OK")
    NG = ("02", "NG", "NG")


class NgReason(CodeEnum):
    WRONG_SPID = ("1", "供給地点特定番号エラー", "Not our supply point")
    CONTRACT_NO = ("2", "契約番号不一致", "Contract number does not match")
    TERMINATION_IN_PROGRESS = ("3", "廃止受付中", "A cancellation is already in progress")
    NAME = ("4", "契約名義不一致", "Contract name does not match")
    ADDRESS = ("5", "住所不一致", "Address does not match")
    DATE = ("6", "廃止年月日不可", "Date not possible under the contract")
    NO_CONTRACT = ("7", "契約なし", "No contract with us")
    CONFIRMING = ("8", "需要者意思確認中", "Confirming with the customer")
    OTHER = ("9", "その他", "Other")


class RejectionReason(CodeEnum):
    INPUT_FORMAT = ("input_format", "入力形式エラー", "Input format error")
    POINT_NOT_FOUND = ("point_not_found", "供給地点なし", "Supply point not found")
    CONTRACT_STATUS = ("contract_status", "契約状態チェックエラー", "Contract status does not allow this")
    CONFLICTING_APPLICATION = ("conflicting_application", "異動並びチェックエラー", "Conflicting application pending")
    OTHER_SWITCH_PENDING = ("other_switch_pending", "他社スイッチング申込あり", "Another retailer's switch is pending")
    TERMINATION_PENDING = ("termination_pending", "廃止受付中", "A termination is pending")
    SWITCH_PENDING = ("switch_pending", "スイッチング申込あり", "A switch is pending")
    DATE_TOO_EARLY = ("date_too_early", "希望日が早すぎます", "Date before the earliest allowed date")
    MATCHING_DEADLINE = ("matching_deadline", "マッチング不成立", "Matching deadline passed")
    NOT_CURRENT_SUPPLIER = ("not_current_supplier", "供給事業者不一致", "Applicant is not the current supplier")
    WITHDRAWN = ("withdrawn", "取消", "Withdrawn")
    WITHDRAWAL_REQUESTED = ("withdrawal_requested", "取消依頼による却下", "Rejected on a withdrawal request")


class Purpose(CodeEnum):
    SWITCHING = ("switching", "需要者の切替", "Switching")
    USAGE_INQUIRY = ("usage_inquiry", "使用量照会", "Usage inquiry")
    EXPORT = ("export", "自社供給地点の取得", "Own-point export")
    HELPDESK = ("helpdesk", "ヘルプデスク対応", "Helpdesk")
    OPERATION = ("operation", "システム運用", "Operation")


class UsageReason(CodeEnum):
    """Why a usage password request (type 08) entered its stage (its history's reason code)."""
    RECEIVED = ("received", "受付", "Received")
    AUTO_VERIFIED = ("auto_verified", "本人確認（自動照合一致）により発行", "Issued: name and address matched")
    REVIEW_REQUIRED = ("review_required", "本人確認の審査へ", "Identity to be reviewed by the T&D")
    ISSUED_AFTER_REVIEW = ("issued_after_review", "審査により発行", "Issued after review")
    REJECTED_AFTER_REVIEW = ("rejected_after_review", "審査により却下", "Rejected after review")


class UsageRejectReason(CodeEnum):
    """Why the T&D rejected a usage password request after its review."""
    IDENTITY_MISMATCH = ("identity_mismatch", "需要者情報不一致", "The customer's name or address does not match")
    DOCUMENTS_INSUFFICIENT = ("documents_insufficient", "本人確認書類不備", "Identity documents insufficient")
    CONSENT_UNCONFIRMED = ("consent_unconfirmed", "需要者の同意を確認できない", "The customer's consent is not confirmed")
    OTHER = ("other", "その他", "Other")
