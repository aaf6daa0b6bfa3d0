"""The eligibility system's plain rules: result codes, consent, the reader's face lock, and
the answer in the clinics' XML layout (services-reference §1).

Sources: the message element names and codes follow the third-party readings of 別紙3-1
XMLレイアウト仕様 quoted in services-reference §1 ([S]/[C]); the error-code values, the
face-match threshold and the exact header order are this project's choices (the full error
table and the XSD are not public).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml.ElementTree import fromstring

from mynumber import jst
from mynumber.errors import Forbidden, InvalidInput
from mynumber.insurance_dates import (
    PaperCard,
    insurer_kind,
    lapsed_certificate_usable_until,
    paper_card_state,
)
from mynumber.platform.staff.model import Role, Roles

#: QualificationValidity (資格有効性), services-reference §1.
VALID = "1"
INVALID = "2"  # 無効 (lost)
INVALID_NEWER_EXISTS = "3"  # 無効, a newer qualification exists
NO_QUALIFICATION = "4"  # 資格なし (none found)
SEVERAL = "5"  # 複数該当
VALID_UNREGISTERED = "6"

#: ReferenceClassification: 1 the My Number card, 2 insurance-card data (記号・番号).
BY_CARD = "1"
BY_INSURANCE_DATA = "2"
#: SegmentOfResult: 1 normal end; 9 error (this project's choice between the [?] 9 and 3).
NORMAL = "1"
ERROR = "9"

#: Consent kinds (同意): data type → (XML element prefix, the CLI's name).
CONSENT_KINDS: dict[str, str] = {
    "drugs": "Pharmacists",  # 薬剤情報
    "checkups": "SpecificHealthCheckups",  # 特定健診情報
    "diagnosis": "Diagnosis",  # 診療情報
    "operations": "Operation",  # 手術情報
}
#: Consent given on the reader can be used for 24 hours (iryohokenjyoho-portalsite FAQ 14).
CONSENT_TTL = dt.timedelta(hours=24)

#: Reader modes: face (顔認証), PIN (暗証番号), visual (目視確認, staff).
MODES = ("face", "pin", "visual")
#: How a confirmation by a smartphone's certificate (スマホ用電子証明書, its own PIN at the
#: reader; PIN mode on the wire) is recorded.
PHONE = "phone"
#: Face mode locks after 10 consecutive failures until the municipality resets it.
FACE_LOCK_AFTER = 10
#: The face-match score a match needs (0-1; this project's choice: the algorithm and its
#: threshold are not public).
FACE_THRESHOLD = 0.90

#: A challenge the reader signs in PIN mode is good for this long.
CHALLENGE_TTL = dt.timedelta(minutes=5)

#: Error codes in ErrorCode/ProcessingResultCode (this project's choice of values; the real
#: table is not public). Each names why a query was refused.
ERROR_CODES: dict[str, tuple[str, str]] = {
    "malformed_request": ("E0001", "要求電文の形式が正しくありません"),
    "certificate_invalid": ("E1001", "利用者証明用電子証明書を確認できません"),
    "card_suspended": ("E1002", "マイナンバーカードが一時停止されています"),
    "card_revoked": ("E1003", "マイナンバーカードが失効しています"),
    "not_registered": ("E1004", "マイナ保険証の利用登録がありません"),
    "pin_locked": ("E1005", "暗証番号がロックされています"),
    "face_locked": ("E1006", "顔認証がロックされています（市区町村で解除）"),
    "face_mismatch": ("E1007", "顔認証できませんでした"),
    "challenge_invalid": ("E1008", "読取りの検証に失敗しました"),
    "phone_pin_only": ("E1009", "スマートフォンは暗証番号でのみ確認できます"),
    "identity_mismatch": (
        "E1010",
        "資格情報が住民基本台帳と一致しないため表示できません（保険者が確認中）",
    ),
    "certificate_lapsed": (
        "E1011",
        "利用者証明用電子証明書の有効期限が切れてから3か月後の月末を過ぎています（更新してください）",
    ),
    "unknown_institution": ("E2001", "医療機関等コードが正しくありません"),
    "reference_invalid": ("E3001", "照会番号は1〜10桁の数字です"),
    "reference_needs_card": (
        "E3002",
        "照会番号は、この医療機関等でマイナンバーカードによる資格確認をした患者にのみ登録できます",
    ),
    "reference_taken": ("E3003", "この照会番号は別の患者に登録されています"),
    "reference_unknown": ("E3004", "照会番号が登録されていません"),
    "paper_card_ended": (
        "E4001",
        "被保険者証の使用期限を過ぎています（2025年12月1日まで、国保・後期高齢者は2025年7月31日まで、"
        "期限切れの被保険者証の暫定取扱いは2026年3月31日まで）",
    ),
    "paper_card_not_issued": ("E4002", "2024年12月2日以降、被保険者証は発行されていません"),
    "certificate_expired": ("E4003", "資格確認書の有効期限を過ぎています"),
    "paper_card_grace": (
        "W4001",
        "有効期限を過ぎた被保険者証です（2026年3月31日までの暫定取扱いにより確認しました）",
    ),
}

#: 照会番号: the number a clinic or pharmacy gives a patient (its own patient or chart
#: number) and registers with the system (``OQSsiimm01req``). Its format is this project's
#: choice (1-10 digits: the real layout is not public); a 16-character confirmation number
#: can never be one.
REFERENCE = re.compile(r"^[0-9]{1,10}\Z")
#: A 照会番号 is registered only for a patient whose card this institution checked within
#: this long (this project's choice: the number is tied to a person who came with the card).
REFERENCE_AFTER_CARD = dt.timedelta(hours=24)

#: 保険医療機関等コード: 10 digits (prefecture 2, 点数表 1, institution 7) —
#: point-table digit 1 medical, 3 dental, 4 pharmacy.
INSTITUTION = re.compile(r"^[0-9]{10}\Z")
PHARMACY_TABLE = "4"


class Refused(Forbidden):
    """A confirmation refused for a reason the clinic is told (``code``)."""

    code = "refused"


def refused(reason: str) -> Refused:
    number, message = ERROR_CODES[reason]
    return Refused(f"{number} {message}", code=reason)


def check_institution(code: str) -> str:
    if not INSTITUTION.fullmatch(code):
        raise InvalidInput("a medical institution code is 10 digits", field="clinic")
    return code


def check_reference(number: str) -> str:
    if not REFERENCE.fullmatch(number):
        raise refused("reference_invalid")
    return number


def is_pharmacy(institution: str) -> bool:
    return institution[2] == PHARMACY_TABLE


def consent_kinds(kinds: Iterable[str]) -> frozenset[str]:
    chosen = frozenset(kinds)
    unknown = chosen - set(CONSENT_KINDS)
    if unknown:
        raise InvalidInput(
            f"unknown consent kind: {', '.join(sorted(unknown))} "
            f"(one of {', '.join(CONSENT_KINDS)})",
            field="consent",
        )
    return chosen


@dataclass(frozen=True, slots=True)
class FaceCounter:
    """Consecutive face-match failures of one card (visual mode does not touch it)."""

    failures: int = 0

    @property
    def locked(self) -> bool:
        return self.failures >= FACE_LOCK_AFTER

    def after(self, matched: bool) -> FaceCounter:
        if self.locked:
            raise refused("face_locked")
        return FaceCounter(0 if matched else self.failures + 1)


def validity(record: Mapping[str, Any], today: dt.date) -> str:
    """QualificationValidity of one eligibility record on ``today``."""
    valid_from, valid_to = record["valid_from"], record["valid_to"]
    if valid_from > today:
        return NO_QUALIFICATION
    if valid_to is not None and valid_to < today:
        return INVALID
    return VALID


def choose(
    records: Sequence[Mapping[str, Any]], today: dt.date
) -> tuple[str, Mapping[str, Any] | None]:
    """The answer's validity and the record it shows: the valid one if exactly one is
    (several: 5, none shown); else the newest, lost (2) or not yet begun (4); none: 4."""
    if not records:
        return NO_QUALIFICATION, None
    valid = [r for r in records if validity(r, today) == VALID]
    if len(valid) == 1:
        return VALID, valid[0]
    if len(valid) > 1:
        return SEVERAL, None
    newest = max(records, key=lambda r: r["valid_from"])
    state = validity(newest, today)
    return state, newest if state == INVALID else None


def document_check(record: Mapping[str, Any], today: dt.date) -> str | None:
    """Whether the document a patient shows with their 記号・番号 (no card) still serves on
    ``today`` (services-reference §1, "End of paper cards"): None when it does or when the
    insurer named no document (nothing to check); else the reason (a key of ERROR_CODES) —
    ``paper_card_grace`` alone leaves the answer valid. A member may hold a paper card and
    a 資格確認書 at once: either in force serves."""
    issued, expires = record.get("paper_card_issued_on"), record.get("paper_card_expires_on")
    certificate = record.get("certificate_valid_to")
    if issued is None and certificate is None:
        return None
    if certificate is not None and today <= certificate:
        return None
    if issued is None:
        return "certificate_expired"
    state = paper_card_state(insurer_kind(record["insurer_number"]), issued, expires, today)
    if state is PaperCard.VALID:
        return None
    if state is PaperCard.GRACE:
        return "paper_card_grace"
    if certificate is not None:
        return "certificate_expired"
    return "paper_card_not_issued" if state is PaperCard.NEVER else "paper_card_ended"


def certificate_usable(not_after: dt.datetime, now: dt.datetime) -> bool:
    """Whether a card whose auth certificate ends at ``not_after`` still serves as insurance
    card at ``now`` (to the end of the third month after it lapsed)."""
    lapsed_on = not_after.astimezone(jst.JST).date()
    return now.astimezone(jst.JST).date() <= lapsed_certificate_usable_until(lapsed_on)


def superseded(
    state: str, shown: Mapping[str, Any] | None, others: Sequence[Mapping[str, Any]]
) -> str:
    """By insurance-card data: a lost record of a person with a newer one elsewhere is 3."""
    newer = shown is not None and any(r["valid_from"] > shown["valid_from"] for r in others)
    return INVALID_NEWER_EXISTS if state == INVALID and newer else state


# --- XML (services-reference §1) -----------------------------------------------------------


def _yyyymmdd(day: dt.date | None) -> str:
    return "" if day is None else day.strftime("%Y%m%d")


def insurer_number_field(number: str) -> str:
    """8 characters: a 6-digit 国保 number is padded with leading spaces."""
    return number.rjust(8)


@dataclass(frozen=True, slots=True)
class Header:
    institution: str
    reference: str  # ReferenceClassification
    file_id: str = ""  # ArbitraryFileIdentifier
    segment: str = NORMAL
    error: str | None = None  # a reason of ERROR_CODES
    at: dt.datetime = field(default_factory=jst.now)


def _document(root: Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="unicode").encode()


def _text(parent: Element, name: str, value: str | None) -> None:
    SubElement(parent, name).text = value or ""


def _header(root: Element, h: Header) -> None:
    header = SubElement(root, "MessageHeader")
    at = h.at.astimezone(jst.JST)
    _text(header, "ProcessExecutionTime", at.strftime("%Y%m%d%H%M%S"))
    _text(header, "QualificationConfirmationDate", at.strftime("%Y%m%d"))
    _text(header, "MedicalInstitutionCode", h.institution)
    _text(header, "ArbitraryFileIdentifier", h.file_id)
    _text(header, "ReferenceClassification", h.reference)
    _text(header, "SegmentOfResult", h.segment)
    number, message = ERROR_CODES[h.error] if h.error else ("", "")
    _text(header, "ErrorCode", number)
    _text(header, "ErrorMessage", message)
    _text(header, "CharacterCodeIdentifier", "0")


def _consent_blocks(
    parent: Element, consents: Mapping[str, tuple[dt.datetime, dt.datetime]]
) -> None:
    for kind, prefix in CONSENT_KINDS.items():
        given = consents.get(kind)
        _text(parent, f"{prefix}InfoConsFlg", "1" if given else "0")
        _text(
            parent,
            f"{prefix}InfoConsTime",
            given[0].astimezone(jst.JST).strftime("%Y%m%d%H%M%S") if given else "",
        )
        _text(
            parent,
            f"{prefix}InfoAvailableTime",
            given[1].astimezone(jst.JST).strftime("%Y%m%d%H%M%S") if given else "",
        )


def answer_xml(
    header: Header,
    *,
    validity_code: str,
    record: Mapping[str, Any] | None,
    reference_number: str = "",
    consents: Mapping[str, tuple[dt.datetime, dt.datetime]] | None = None,
    reason: str | None = None,
) -> bytes:
    """One answer (UTF-8): header, body with ProcessingResultStatus (and, with ``reason``,
    ProcessingResultCode/Message saying why), QualificationValidity and, where a record is
    shown, ResultList/ResultOfQualificationConfirmation."""
    root = Element("XmlMsg")
    _header(root, header)
    body = SubElement(root, "MessageBody")
    _text(body, "ProcessingResultStatus", "1")
    if reason is not None:
        number, message = ERROR_CODES[reason]
        _text(body, "ProcessingResultCode", number)
        _text(body, "ProcessingResultMessage", message)
    _text(body, "QualificationValidity", validity_code)
    _text(body, "ReferenceNumber", reference_number)
    if record is not None:
        found = SubElement(SubElement(body, "ResultList"), "ResultOfQualificationConfirmation")
        _text(found, "InsuredCardClassification", record.get("card_classification") or "01")
        _text(found, "InsurerNumber", insurer_number_field(record["insurer_number"]))
        _text(found, "InsuredCardSymbol", record["symbol"])
        _text(found, "InsuredIdentificationNumber", record["number"])
        _text(found, "InsuredBranchNumber", record["branch"])
        _text(found, "PersonalFamilyClassification", record.get("relation") or "1")
        _text(found, "InsuredName", record.get("insured_name") or record.get("name"))
        _text(found, "Name", record.get("name"))
        _text(found, "NameKana", record.get("name_kana_half"))
        _text(found, "Sex1", record.get("sex"))
        _text(found, "Birthdate", _yyyymmdd(record.get("birth_date")))
        _text(found, "QualificationDate", _yyyymmdd(record["valid_from"]))
        _text(found, "DisqualificationDate", _yyyymmdd(record["valid_to"]))
        _text(found, "InsuredCardValidDate", _yyyymmdd(record.get("paper_card_issued_on")))
        _text(
            found,
            "InsuredCardExpirationDate",
            _yyyymmdd(record.get("certificate_valid_to") or record.get("paper_card_expires_on")),
        )
        _text(found, "InsuredPartialContributionRatio", f"{int(record.get('ratio') or 30):03d}")
        _text(found, "InsurerName", record.get("insurer_name"))
        _consent_blocks(found, consents or {})
    return _document(root)


def error_xml(header: Header) -> bytes:
    """An answer that says only why the query was refused (SegmentOfResult 9)."""
    root = Element("XmlMsg")
    _header(root, header)
    body = SubElement(root, "MessageBody")
    _text(body, "ProcessingResultStatus", "2")
    number, message = ERROR_CODES[header.error or "malformed_request"]
    _text(body, "ProcessingResultCode", number)
    _text(body, "ProcessingResultMessage", message)
    return _document(root)


@dataclass(frozen=True, slots=True)
class InsuranceQuery:
    """A query without the card (``OQSsiquc01req``): by the insurance-card data
    (記号・番号・枝番 and birth date), or, with ``reference_number`` alone, by the 照会番号
    this institution registered for the patient (the other fields then empty)."""

    institution: str
    file_id: str
    insurer_number: str
    symbol: str
    number: str
    branch: str
    birth_date: dt.date | None
    reference_number: str = ""


@dataclass(frozen=True, slots=True)
class ReferenceRegistration:
    """照会番号の登録 (``OQSsiimm01req``): the number the institution chose, and the
    insurance-card data of the patient it names (read from the answer to the card check).
    The body's element ``ReferenceNumberRegistrationInfo`` is this project's name (the real
    layout is not public); its children are those of ``QualificationConfirmSearchInfo``
    plus ``ReferenceNumber``."""

    institution: str
    file_id: str
    reference_number: str
    person: InsuranceQuery


MAX_XML = 64 * 1024
_DIGITS = re.compile(r"^[0-9]+\Z")


def _root(data: bytes) -> Element:
    if len(data) > MAX_XML:
        raise InvalidInput("the request is larger than 64 KiB", field="xml")
    try:
        root = fromstring(data)
    except Exception as exc:  # defusedxml's and expat's errors alike
        raise InvalidInput("the request is not well-formed XML", field="xml") from exc
    if root.tag != "XmlMsg":
        raise InvalidInput("the root element is XmlMsg", field="xml")
    return root


def _getter(root: Element) -> Any:
    def get(path: str, *, required: bool = True, limit: int = 20) -> str:
        node = root.find(path)
        value = (node.text or "").strip() if node is not None else ""
        if required and not value:
            raise InvalidInput(f"{path.rsplit('/', 1)[-1]} is missing", field=path)
        if len(value) > limit or any(ord(c) < 0x20 for c in value):
            raise InvalidInput(f"{path.rsplit('/', 1)[-1]} is not valid", field=path)
        return value

    return get


def _search(root: Element, search: str, *, by_reference: bool) -> InsuranceQuery:
    """The patient a request names under ``search`` (checked)."""
    get = _getter(root)
    institution = get("MessageHeader/MedicalInstitutionCode")
    check_institution(institution)
    file_id = get("MessageHeader/ArbitraryFileIdentifier", required=False, limit=40)
    reference = get(search + "ReferenceNumber", required=False) if by_reference else ""
    if reference and not get(search + "InsuredIdentificationNumber", required=False):
        if not REFERENCE.fullmatch(reference):
            raise InvalidInput("ReferenceNumber is 1-10 digits", field="ReferenceNumber")
        return InsuranceQuery(institution, file_id, "", "", "", "", None, reference)
    insurer = get(search + "InsurerNumber")
    branch = get(search + "InsuredBranchNumber", required=False) or "00"
    birth = get(search + "Birthdate")
    if not _DIGITS.fullmatch(insurer) or len(insurer) not in (6, 8):
        raise InvalidInput("InsurerNumber is 6 or 8 digits", field="InsurerNumber")
    if not re.fullmatch(r"[0-9]{2}", branch):
        raise InvalidInput("InsuredBranchNumber is 2 digits", field="InsuredBranchNumber")
    try:
        born = dt.datetime.strptime(birth, "%Y%m%d").date()
    except ValueError as exc:
        raise InvalidInput("Birthdate is yyyyMMdd", field="Birthdate") from exc
    return InsuranceQuery(
        institution=institution,
        file_id=file_id,
        insurer_number=insurer,
        symbol=get(search + "InsuredCardSymbol", required=False),
        number=get(search + "InsuredIdentificationNumber"),
        branch=branch,
        birth_date=born,
    )


def parse_query(data: bytes) -> InsuranceQuery:
    """The request XML, checked (raises InvalidInput with the field at fault): by
    insurance-card data, or by a registered 照会番号 (``ReferenceNumber`` alone)."""
    return _search(_root(data), "MessageBody/QualificationConfirmSearchInfo/", by_reference=True)


def parse_registration(data: bytes) -> ReferenceRegistration:
    """A 照会番号 registration request (``OQSsiimm01req``), checked."""
    root = _root(data)
    search = "MessageBody/ReferenceNumberRegistrationInfo/"
    person = _search(root, search, by_reference=False)
    number = _getter(root)(search + "ReferenceNumber")
    if not REFERENCE.fullmatch(number):
        raise InvalidInput("ReferenceNumber is 1-10 digits", field="ReferenceNumber")
    return ReferenceRegistration(person.institution, person.file_id, number, person)


def _request(q: InsuranceQuery, body_name: str) -> tuple[Element, Element]:
    root = Element("XmlMsg")
    header = SubElement(root, "MessageHeader")
    _text(header, "QualificationConfirmationDate", jst.today().strftime("%Y%m%d"))
    _text(header, "MedicalInstitutionCode", q.institution)
    _text(header, "ArbitraryFileIdentifier", q.file_id)
    info = SubElement(SubElement(root, "MessageBody"), body_name)
    if q.birth_date is not None:
        _text(info, "InsurerNumber", insurer_number_field(q.insurer_number))
        _text(info, "InsuredCardSymbol", q.symbol)
        _text(info, "InsuredIdentificationNumber", q.number)
        _text(info, "InsuredBranchNumber", q.branch)
        _text(info, "Birthdate", q.birth_date.strftime("%Y%m%d"))
    return root, info


def query_xml(q: InsuranceQuery) -> bytes:
    """The request XML for ``q`` (the parser's serialiser)."""
    root, info = _request(q, "QualificationConfirmSearchInfo")
    if q.reference_number:
        _text(info, "ReferenceNumber", q.reference_number)
    _text(info, "LimitApplicationCertificateRelatedConsFlg", "0")
    return _document(root)


def registration_xml(r: ReferenceRegistration) -> bytes:
    """The 照会番号 registration request for ``r`` (the parser's serialiser)."""
    person = replace(r.person, institution=r.institution, file_id=r.file_id)
    root, info = _request(person, "ReferenceNumberRegistrationInfo")
    _text(info, "ReferenceNumber", r.reference_number)
    return _document(root)


def registered_xml(header: Header, reference_number: str) -> bytes:
    """The answer to a 照会番号 registration: processed, and the number registered."""
    root = Element("XmlMsg")
    _header(root, header)
    body = SubElement(root, "MessageBody")
    _text(body, "ProcessingResultStatus", "1")
    _text(body, "ReferenceNumber", reference_number)
    return _document(root)


#: 運用担当 of the system: reads the health and statistics (no personal data route here).
ROLES = Roles.of(Role("operator", "運用担当 (operator)", frozenset({"oqs.operate"})))
