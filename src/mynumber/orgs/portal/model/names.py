"""How the portal's pages name things: organisations, linkage items, outcomes, codes, times.

One place for what a resident reads instead of internal codes, registered as template
filters by the web layer (``web.pages``), so every page says 国税庁 rather than ``tax`` and
shows times in JST. The names are public; the English beside them is this project's choice.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from typing import Any

from mynumber.jst import JST


@dataclass(frozen=True, slots=True)
class Label:
    """A name in Japanese with its English; in a template it renders as both, the English
    in the muted ``.en`` style, and as plain text (a notice's sender) as ``ja / en``."""

    ja: str
    en: str

    def __html__(self) -> str:
        if not self.en:
            return html.escape(self.ja)
        return f'{html.escape(self.ja)} <span class="en">{html.escape(self.en)}</span>'

    def __str__(self) -> str:
        return f"{self.ja} / {self.en}" if self.en else self.ja


#: Organisations by their code in the federation (the hub's requester and provider).
ORGANISATIONS: dict[str, Label] = {
    "portal": Label("マイナポータル", "Mynaportal"),
    "hub": Label("情報提供ネットワークシステム", "Linkage hub"),
    "jlis": Label("地方公共団体情報システム機構", "J-LIS"),
    "tax": Label("国税庁", "National Tax Agency"),
    "pension": Label("日本年金機構", "Japan Pension Service"),
    "insurer": Label("医療保険者", "Health insurer"),
    "accounts": Label("デジタル庁 公金受取口座登録システム", "Public-fund account registry"),
    "benefits": Label("給付金の担当機関", "Benefits office"),
    "municipality": Label("お住まいの市区町村", "Your municipality"),
    "bank": Label("金融機関", "Bank"),
    "oqs": Label("オンライン資格確認等システム（支払基金）", "Online eligibility system"),
    "trustplatform": Label("認定プラットフォーム事業者", "Certified platform operator"),
    "police": Label("公安委員会（警察）", "Public safety commission (police)"),
}
#: 全国地方公共団体コード (with its check digit) of the municipalities this deployment knows.
MUNICIPALITIES: dict[str, Label] = {
    "131016": Label("東京都千代田区", "Chiyoda City"),
    "131041": Label("東京都新宿区", "Shinjuku City"),
    "131024": Label("東京都中央区", "Chuo City"),
    "271004": Label("大阪府大阪市", "Osaka City"),
    "011002": Label("北海道札幌市", "Sapporo City"),
}

#: Linkage items (the hub's ``items``) and the fields of the agencies' answers.
ITEMS: dict[str, Label] = {
    "access_record": Label("住民票の閲覧・変更の記録", "Who looked at your resident record"),
    "application": Label("申請内容", "Application"),
    "basic_items": Label("基本4情報", "The four basic items"),
    "care_insurance": Label("介護保険（被保険者・認定）", "Long-term care insurance"),
    "decision": Label("決定", "Decision"),
    "eligibility": Label("医療保険の資格", "Health-insurance eligibility"),
    "eligibility_copy": Label("資格情報（医療機関での確認用）", "Eligibility for clinics"),
    "household": Label("世帯", "Household"),
    "income": Label("所得", "Income"),
    "licence": Label("運転免許情報", "Driver's licence"),
    "notice": Label("お知らせ", "Notice"),
    "pension": Label("年金", "Pension"),
    "public_fund_account": Label("公金受取口座", "Public-fund account"),
    "registration_handle": Label("口座登録の照合情報", "Registration reference"),
    "resident_tax": Label("住民税", "Resident tax"),
    # fields inside the answers (わたしの情報)
    "year": Label("年度", "Year"),
    "income_yen": Label("所得（円）", "Income (yen)"),
    "amount_yen": Label("金額（円）", "Amount (yen)"),
    "active": Label("住民登録", "Registered"),
    "household_size": Label("世帯人数", "Household size"),
    "children_under_18": Label("18歳未満の子", "Children under 18"),
    "name": Label("氏名", "Name"),
    "name_kana": Label("フリガナ", "Kana"),
    "address": Label("住所", "Address"),
    "birth_date": Label("生年月日", "Date of birth"),
    "sex": Label("性別", "Sex"),
    "category": Label("被保険者種別", "Category"),
    "contribution_months": Label("納付月数", "Months paid"),
    "annual_benefit_yen": Label("年金額（年額・円）", "Annual benefit (yen)"),
    "insurer_number": Label("保険者番号", "Insurer number"),
    "symbol": Label("記号", "Symbol"),
    "number": Label("番号", "Number"),
    "branch": Label("枝番", "Branch"),
    "valid_from": Label("資格取得日", "Valid from"),
    "valid_to": Label("資格喪失日", "Valid to"),
    "eligible": Label("有効", "Eligible"),
    # the police's answer (運転免許情報)
    "licence_number": Label("免許証番号", "Licence number"),
    "licence_category": Label("免許の区分", "Licence category"),
    "types": Label("免許の種類", "Licence types"),
    "conditions": Label("条件等", "Conditions"),
    "issued_on": Label("交付日", "Issued on"),
    "valid_until": Label("有効期限", "Valid until"),
    "holding_name": Label("保有方法", "Held as"),
    "commission": Label("公安委員会", "Commission"),
    "card_pending": Label("カードへの記録待ちの変更", "A change awaiting the card"),
    "insured_number": Label("被保険者番号", "Insured number"),
    "care_category": Label("被保険者区分", "Insured category"),
    "qualified_on": Label("資格取得日", "Insured from"),
    "lost_on": Label("資格喪失日", "Insured to"),
    "care_level": Label("要介護状態区分", "Care level certified"),
    "certified_from": Label("認定有効期間（開始）", "Certified from"),
    "certified_to": Label("認定有効期間（終了）", "Certified to"),
}

#: Coded values inside the answers, by field: 被保険者種別 (国民年金法 第7条; ``R`` is this
#: project's code for a person receiving a pension).
VALUES: dict[str, dict[str, Label]] = {
    "category": {
        "1": Label("第1号被保険者", "Category 1 (self-employed, students)"),
        "2": Label("第2号被保険者", "Category 2 (employees)"),
        "3": Label("第3号被保険者", "Category 3 (dependent spouse)"),
        "R": Label("年金受給者", "Receiving a pension"),
    },
}

#: The hub's outcome of an exchange or a delivery.
OUTCOMES: dict[str, Label] = {
    "provided": Label("提供", "provided"),
    "not_found": Label("該当なし", "no record held"),
    "refused": Label("拒否", "refused"),
    "unavailable": Label("提供できず", "provider unavailable"),
    "delivered": Label("送達", "delivered"),
    "not_delivered": Label("未送達", "not delivered"),
}

#: What a missing value reads as (an unset end date, no annual benefit yet).
NONE = Label("なし", "none")

#: OAuth 2.0 / OpenID Connect error codes (RFC 6749 §4.1.2.1 and §5.2, OpenID Connect Core
#: §3.1.2.6) as a resident reads them on the portal's error page.
OAUTH_ERRORS: dict[str, Label] = {
    "invalid_request": Label(
        "連携元のサービスからの要求に誤りがあります。",
        "The service's sign-in request is malformed.",
    ),
    "invalid_client": Label(
        "このサービスはマイナポータルに登録されていません。",
        "This service is not registered with Mynaportal.",
    ),
    "unauthorized_client": Label(
        "このサービスはこの方法での連携を許可されていません。",
        "This service may not sign you in this way.",
    ),
    "access_denied": Label("連携が拒否されました。", "The sign-in was denied."),
    "unsupported_response_type": Label(
        "連携元のサービスが対応していない方法を指定しています。",
        "The service asked for a response type the portal does not support.",
    ),
    "invalid_scope": Label(
        "連携元のサービスが求める情報の種類が正しくありません。",
        "The service asked for information the portal cannot give.",
    ),
    "invalid_grant": Label(
        "連携の手続の有効期限が切れたか、既に使われています。",
        "The sign-in has expired or was already used.",
    ),
    "unsupported_grant_type": Label(
        "連携元のサービスが対応していない方法を指定しています。",
        "The service used a grant type the portal does not support.",
    ),
    "server_error": Label(
        "マイナポータルで問題が起きました。しばらくしてからやり直してください。",
        "Something went wrong at Mynaportal: try again later.",
    ),
    "temporarily_unavailable": Label(
        "ただいま混み合っています。しばらくしてからやり直してください。",
        "Mynaportal is busy: try again later.",
    ),
    "login_required": Label("ログインが必要です。", "You need to log in."),
    "consent_required": Label("同意が必要です。", "Your consent is needed."),
    "interaction_required": Label("操作が必要です。", "You need to take part in the sign-in."),
    "request_not_supported": Label(
        "連携元のサービスが対応していない形式で要求しています。",
        "The service sent its request in a form the portal does not support.",
    ),
    "request_uri_not_supported": Label(
        "連携元のサービスが対応していない形式で要求しています。",
        "The service sent its request in a form the portal does not support.",
    ),
    "registration_not_supported": Label(
        "連携元のサービスが対応していない形式で要求しています。",
        "The service sent its request in a form the portal does not support.",
    ),
}
OAUTH_UNKNOWN = Label("この連携要求は使えません。", "This sign-in request cannot be used.")


def organisation(org: str | None) -> Label:
    """An organisation's name from its code: ``municipality-131016`` → 東京都千代田区."""
    if not org:
        return Label("—", "")
    kind, _, code = org.partition("-")
    if kind == "municipality" and code:
        return MUNICIPALITIES.get(code, Label(f"市区町村 {code}", f"Municipality {code}"))
    if kind == "bank" and code:
        return Label(f"金融機関 {code}", f"Bank {code}")
    if kind == "insurer":
        return ORGANISATIONS["insurer"]
    return ORGANISATIONS.get(org, Label(org, ""))


def municipality(code: str | None) -> Label:
    """A municipality's name from its 全国地方公共団体コード: ``131016`` → 東京都千代田区."""
    return organisation(f"municipality-{code}" if code else None)


def item(code: str) -> Label:
    """A linkage item's or an answer field's label (``basic_items`` → 基本4情報)."""
    return ITEMS.get(code, Label(code, ""))


#: Why a delivery or an exchange did not go through, as the hub words it, for a resident.
REASONS: tuple[tuple[str, Label], ...] = (
    (
        "holds no record of this person",
        Label(
            "届け先にまだあなたの記録がありませんでした", "the recipient had no record of you yet"
        ),
    ),
)


def reason(text: str | None) -> Label:
    """The hub's reason for an outcome as a resident reads it (its own words otherwise)."""
    for words, label in REASONS:
        if text and words in text:
            return label
    return Label("", text or "")


def outcome(code: str) -> Label:
    """The hub's outcome of an exchange as a resident reads it (``delivered`` → 送達)."""
    return OUTCOMES.get(code, Label(code, ""))


def value(field: str, raw: Any) -> Any:
    """A field's value as shown: a coded value's label, :data:`NONE` for a missing one."""
    if raw is None:
        return NONE
    labels = VALUES.get(field)
    if labels is not None and isinstance(raw, str) and raw in labels:
        return labels[raw]
    return raw


def oauth_error(code: str | None) -> Label:
    """What an OAuth/OIDC error code means to the person who sees the error page."""
    return OAUTH_ERRORS.get(code or "", OAUTH_UNKNOWN)


def to_jst(moment: dt.datetime | str | None) -> dt.datetime | None:
    """A time in JST; a naive datetime or ISO string is UTC, as every store keeps it."""
    if moment is None or moment == "":
        return None
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(JST)


def jst(moment: dt.datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A time as a resident reads it: in JST, to the minute unless ``fmt`` says otherwise."""
    local = to_jst(moment)
    return "" if local is None else local.strftime(fmt)
