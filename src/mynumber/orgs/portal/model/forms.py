"""The four child-rearing e-applications (子育てワンストップ) as forms, and their checks.

Pure rules: a form is a list of :class:`Field`; :func:`validate` returns the cleaned values
or Japanese error messages next to each field, as the real forms do before submission.
Field lists follow the paper forms' usual items (the portal's actual forms are not
published as a specification: the selection is modelled, the rules are the laws' own):

- 児童手当 認定請求 (``child_allowance_claim``): a child counts until the first 31 March
  on or after the day before their 18th birthday (高校生年代まで, 児童手当法 as amended
  from October 2024).
- 保育所入所申込 (``nursery_admission``): a start month from next month to a year ahead,
  1-3 desired facilities, the reason care is needed (子ども・子育て支援法施行規則 Art. 1:
  work counts from 48-64 hours a month, as the municipality sets; 48 here), a child not
  yet of school age on 1 April of that fiscal year and at least 57 days old (産休明け).
- 妊娠届 (``pregnancy_notification``, 母子保健法 Art. 15): the expected delivery date
  within about ten months (300 days) from today, the diagnosing institution.
- 児童扶養手当 現況届 (``child_rearing_allowance_status``): children until the first
  31 March after the day before their 18th birthday, or under 20 with a disability
  (児童扶養手当法 Art. 3).

Kana fields take full-width katakana (half-width and hiragana are converted).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import jaconv

from mynumber.ages import add_years, age_on, end_of_child_period

Values = dict[str, str]
Errors = dict[str, str]


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    ja: str
    en: str
    kind: str = "text"  # text kana date month int digits choice tel textarea check
    required: bool = True
    choices: tuple[tuple[str, str], ...] = ()
    prefill: str | None = None  # a key of わたしの情報's basic items
    max_length: int = 60
    group: str | None = None  # fields of one optional row (a second child …)


@dataclass(frozen=True, slots=True)
class Form:
    kind: str
    ja: str
    en: str
    signed: bool
    why_signed: str
    fields: tuple[Field, ...]
    rules: Callable[[Values, Errors, dt.date], None] = field(default=lambda v, e, t: None)


# --- messages ------------------------------------------------------------------------------

REQUIRED = "必須項目です / Required"
KANA = "全角カタカナで入力してください / Full-width katakana"
DATE = "日付を正しく入力してください（例: 2020-04-01） / A date such as 2020-04-01"
MONTH = "年月を正しく入力してください（例: 2026-04） / A month such as 2026-04"
NUMBER = "半角数字で入力してください / Digits"
TEL = "電話番号は10〜11桁の数字です（ハイフン可） / 10-11 digits"
CHOICE = "選択肢から選んでください / Choose one"
FUTURE = "未来の日付は入力できません / Not in the future"
TOO_LONG = "{n}文字以内で入力してください / At most {n} characters"

_KANA = re.compile(r"[\u30a1-\u30fa\u30fc\u30fb\u3000 ]+")
_TEL = re.compile(r"0\d{9,10}")


def _kana(value: str) -> str | None:
    text = jaconv.h2z(jaconv.hira2kata(unicodedata.normalize("NFKC", value)), kana=True)
    text = jaconv.hira2kata(text).replace(" ", "\u3000").strip("\u3000")
    return text if _KANA.fullmatch(text) else None


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


def _month(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip() + "-01")
    except ValueError:
        return None


def fiscal_year_start(day: dt.date) -> dt.date:
    return dt.date(day.year if day.month >= 4 else day.year - 1, 4, 1)


# --- the generic checks --------------------------------------------------------------------


def _check(f: Field, raw: str) -> tuple[str | None, str | None]:
    """(clean value or None, error or None) for one field."""
    value = raw.strip()
    if f.kind == "check":
        return ("yes" if value in ("yes", "on", "1", "true") else "no"), None
    if not value:
        return None, None
    if len(value) > f.max_length:
        return None, TOO_LONG.format(n=f.max_length)
    if any(unicodedata.category(ch) == "Cc" and ch not in "\r\n\t" for ch in value):
        return None, "制御文字は使えません / No control characters"
    if f.kind == "kana":
        kana = _kana(value)
        return (kana, None) if kana else (None, KANA)
    if f.kind == "date":
        day = _date(value)
        if day is None:
            return None, DATE
        return day.isoformat(), None
    if f.kind == "month":
        month = _month(value)
        return (month.isoformat()[:7], None) if month else (None, MONTH)
    if f.kind == "int":
        digits = unicodedata.normalize("NFKC", value).replace(",", "")
        return (str(int(digits)), None) if digits.isdigit() else (None, NUMBER)
    if f.kind == "tel":
        digits = unicodedata.normalize("NFKC", value).replace("-", "")
        return (digits, None) if _TEL.fullmatch(digits) else (None, TEL)
    if f.kind == "choice":
        return (value, None) if value in {k for k, _ in f.choices} else (None, CHOICE)
    if f.kind == "textarea":
        return value.replace("\r\n", "\n"), None
    if f.kind == "digits":
        digits = unicodedata.normalize("NFKC", value)
        return (digits, None) if digits.isascii() and digits.isdigit() else (None, NUMBER)
    return value, None


def validate(form: Form, submitted: Mapping[str, str], today: dt.date) -> tuple[Values, Errors]:
    """Clean values and errors by field name; the form is valid when errors is empty."""
    values: Values = {}
    errors: Errors = {}
    groups_used = {
        f.group
        for f in form.fields
        if f.group and f.kind != "check" and str(submitted.get(f.name, "")).strip()
    }
    for f in form.fields:
        raw = submitted.get(f.name, "")
        clean, error = _check(f, raw if isinstance(raw, str) else "")
        needed = f.required and (f.group is None or f.group in groups_used)
        if error:
            errors[f.name] = error
        elif clean is None and needed:
            errors[f.name] = REQUIRED
        elif clean is not None and (f.group is None or f.group in groups_used):
            values[f.name] = clean
    past = [f.name for f in form.fields if f.name.endswith(("birth_date", "_on"))]
    for name in past:  # dates of birth and diagnosis are in the past
        if name in values and f"{name}" not in errors and values[name] > today.isoformat():
            errors[name] = FUTURE
    form.rules(values, errors, today)
    return values, errors


# --- the forms -----------------------------------------------------------------------------


def _person(prefix: str, who_ja: str, who_en: str) -> tuple[Field, ...]:
    return (
        Field(f"{prefix}name", f"{who_ja}氏名", f"{who_en} name", prefill="name"),
        Field(
            f"{prefix}kana",
            f"{who_ja}氏名（フリガナ）",
            f"{who_en} name in katakana",
            "kana",
            prefill="name_kana",
        ),
        Field(
            f"{prefix}birth_date",
            f"{who_ja}生年月日",
            f"{who_en} date of birth",
            "date",
            prefill="birth_date",
        ),
        Field(f"{prefix}address", "住所", "Address", prefill="address", max_length=200),
        Field(f"{prefix}tel", "電話番号", "Phone", "tel"),
    )


RELATIONS = (
    ("child", "子 / child"),
    ("grandchild", "孫 / grandchild"),
    ("other", "その他 / other"),
)
TOGETHER = (("together", "同居 / living together"), ("apart", "別居 / living apart"))


def _child(n: int, *, required: bool, extra: tuple[Field, ...] = ()) -> tuple[Field, ...]:
    group = None if required else f"child{n}"
    return (
        Field(f"child{n}_name", f"児童{n} 氏名", f"Child {n} name", group=group),
        Field(f"child{n}_kana", f"児童{n} フリガナ", f"Child {n} katakana", "kana", group=group),
        Field(
            f"child{n}_birth_date",
            f"児童{n} 生年月日",
            f"Child {n} date of birth",
            "date",
            group=group,
        ),
        *extra,
    )


def _children_in_period(
    values: Values, errors: Errors, today: dt.date, *, disabled_until_20: bool = False
) -> None:
    for n in (1, 2, 3):
        name = f"child{n}_birth_date"
        if name not in values or name in errors:
            continue
        birth = dt.date.fromisoformat(values[name])
        if disabled_until_20 and values.get(f"child{n}_disabled") == "yes":
            if age_on(birth, today) >= 20:
                errors[name] = "障害のある児童は20歳未満が対象です / Under 20 with a disability"
            continue
        if today > end_of_child_period(birth):
            errors[name] = (
                "18歳到達後の最初の3月31日を過ぎた児童は対象外です / "
                "Past the 31 March after turning 18"
            )


def _child_allowance_rules(values: Values, errors: Errors, today: dt.date) -> None:
    _children_in_period(values, errors, today)
    if values.get("account") == "bank":
        for name, digits, label in (
            ("bank_code", 4, "金融機関コードは4桁"),
            ("branch_code", 3, "支店コードは3桁"),
            ("account_number", 7, "口座番号は7桁"),
        ):
            value = values.get(name, "")
            if not (value.isdigit() and len(value) == digits) and name not in errors:
                errors[name] = f"{label}の数字です / {digits} digits"
        if "account_holder_kana" not in values and "account_holder_kana" not in errors:
            errors["account_holder_kana"] = REQUIRED


def _nursery_rules(values: Values, errors: Errors, today: dt.date) -> None:
    start = values.get("start_month")
    if start and "start_month" not in errors:
        first = dt.date.fromisoformat(start + "-01")
        next_month = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        if not next_month <= first <= add_years(next_month, 1):
            errors["start_month"] = (
                "入所希望月は翌月から1年以内で選んでください / From next month to a year ahead"
            )
        elif "child1_birth_date" in values and "child1_birth_date" not in errors:
            birth = dt.date.fromisoformat(values["child1_birth_date"])
            if age_on(birth, fiscal_year_start(first)) >= 6:
                errors["child1_birth_date"] = (
                    "小学校就学前の児童が対象です / Only children not yet at school"
                )
            elif (first - birth).days < 57:
                errors["start_month"] = "入所は生後57日を過ぎてからです / From 57 days after birth"
    seen: set[str] = set()
    for n in (1, 2, 3):
        facility = values.get(f"facility{n}")
        if facility and facility in seen:
            errors[f"facility{n}"] = "同じ施設を重ねて選べません / Each facility once"
        if facility:
            seen.add(facility)
    if values.get("reason") == "work":
        if "workplace" not in values and "workplace" not in errors:
            errors["workplace"] = REQUIRED
        hours = values.get("hours_per_month")
        if hours is None and "hours_per_month" not in errors:
            errors["hours_per_month"] = REQUIRED
        elif hours is not None and int(hours) < 48:
            errors["hours_per_month"] = (
                "就労は月48時間以上が要件です / Work of 48 hours a month or more"
            )
        elif hours is not None and int(hours) > 744:
            errors["hours_per_month"] = "1か月の時間数を超えています / More than a month has"


def _pregnancy_rules(values: Values, errors: Errors, today: dt.date) -> None:
    due = values.get("due_date")
    if due and "due_date" not in errors:
        day = dt.date.fromisoformat(due)
        if not today < day <= today + dt.timedelta(days=300):
            errors["due_date"] = (
                "出産予定日は本日から約10か月（300日）以内の日付です / "
                "Within about ten months from today"
            )
    diagnosed = values.get("diagnosed_on")
    too_old = today - dt.timedelta(days=300)
    if diagnosed and "diagnosed_on" not in errors and dt.date.fromisoformat(diagnosed) < too_old:
        errors["diagnosed_on"] = "診断日が古すぎます / Too long ago"
    fetuses = values.get("fetuses")
    if fetuses and not 1 <= int(fetuses) <= 5:
        errors["fetuses"] = "1〜5で入力してください / 1 to 5"


def _status_rules(values: Values, errors: Errors, today: dt.date) -> None:
    _children_in_period(values, errors, today, disabled_until_20=True)
    support = values.get("child_support_yen")
    if support and int(support) > 10_000_000:
        errors["child_support_yen"] = "金額を確認してください / Check the amount"


def _disabled(n: int) -> Field:
    return Field(
        f"child{n}_disabled",
        f"児童{n} 障害の有無",
        f"Child {n} has a disability",
        "check",
        required=False,
        group=None if n == 1 else f"child{n}",
    )


FORMS: dict[str, Form] = {
    "child_allowance_claim": Form(
        "child_allowance_claim",
        "児童手当 認定請求書",
        "Child allowance: claim",
        signed=True,
        why_signed="請求者本人の請求であることを署名用電子証明書で確認します（児童手当法施行規則の"
        "認定請求書。電子申請では電子署名が求められます） / The claim must be the claimant's own: "
        "signed with the signing certificate.",
        fields=(
            *_person("", "請求者", "Claimant"),
            Field(
                "spouse",
                "配偶者の有無",
                "Spouse",
                "choice",
                choices=(("yes", "有 / yes"), ("no", "無 / no")),
            ),
            *_child(
                1,
                required=True,
                extra=(
                    Field(
                        "child1_relation",
                        "児童1 続柄",
                        "Child 1 relation",
                        "choice",
                        choices=RELATIONS,
                    ),
                    Field(
                        "child1_together",
                        "児童1 同別居",
                        "Child 1 living",
                        "choice",
                        choices=TOGETHER,
                    ),
                ),
            ),
            *_child(
                2,
                required=False,
                extra=(
                    Field(
                        "child2_relation",
                        "児童2 続柄",
                        "Child 2 relation",
                        "choice",
                        choices=RELATIONS,
                        group="child2",
                    ),
                    Field(
                        "child2_together",
                        "児童2 同別居",
                        "Child 2 living",
                        "choice",
                        choices=TOGETHER,
                        group="child2",
                    ),
                ),
            ),
            *_child(
                3,
                required=False,
                extra=(
                    Field(
                        "child3_relation",
                        "児童3 続柄",
                        "Child 3 relation",
                        "choice",
                        choices=RELATIONS,
                        group="child3",
                    ),
                    Field(
                        "child3_together",
                        "児童3 同別居",
                        "Child 3 living",
                        "choice",
                        choices=TOGETHER,
                        group="child3",
                    ),
                ),
            ),
            Field(
                "account",
                "受取口座",
                "Account for payments",
                "choice",
                choices=(
                    ("public_fund", "公金受取口座を利用する / the public-fund account"),
                    ("bank", "次の口座 / this account"),
                ),
            ),
            Field("bank_code", "金融機関コード（4桁）", "Bank code", "digits", required=False),
            Field("branch_code", "支店コード（3桁）", "Branch code", "digits", required=False),
            Field(
                "account_number",
                "口座番号（普通・7桁）",
                "Account number",
                "digits",
                required=False,
            ),
            Field(
                "account_holder_kana",
                "口座名義（カタカナ）",
                "Account holder (katakana)",
                "kana",
                required=False,
            ),
        ),
        rules=_child_allowance_rules,
    ),
    "nursery_admission": Form(
        "nursery_admission",
        "保育所等 入所（利用）申込書",
        "Nursery admission",
        signed=True,
        why_signed="保護者本人の申込であることと、保育の必要性の申告内容を電子署名で確認します"
        " / The guardian's own application and statement of need, signed.",
        fields=(
            *_person("", "保護者", "Guardian"),
            *_child(1, required=True),
            Field("start_month", "入所希望月", "Start month", "month"),
            Field("facility1", "第1希望の施設", "First choice facility"),
            Field("facility2", "第2希望の施設", "Second choice", required=False),
            Field("facility3", "第3希望の施設", "Third choice", required=False),
            Field(
                "reason",
                "保育を必要とする理由",
                "Why care is needed",
                "choice",
                choices=(
                    ("work", "就労 / work"),
                    ("pregnancy", "妊娠・出産 / pregnancy, birth"),
                    ("illness", "疾病・障害 / illness, disability"),
                    ("care", "親族の介護・看護 / caring for a relative"),
                    ("disaster", "災害復旧 / disaster recovery"),
                    ("job_seeking", "求職活動 / looking for work"),
                    ("study", "就学 / study"),
                    ("abuse", "虐待・DVのおそれ / risk of abuse or violence"),
                    ("leave", "育児休業中の継続利用 / continuing during parental leave"),
                    ("other", "その他 / other"),
                ),
            ),
            Field(
                "workplace",
                "勤務先（就労の場合）",
                "Workplace (if work)",
                required=False,
                max_length=100,
            ),
            Field(
                "hours_per_month",
                "月の就労時間（就労の場合）",
                "Hours of work a month",
                "int",
                required=False,
            ),
            Field("details", "状況の詳細", "Details", "textarea", required=False, max_length=1000),
        ),
        rules=_nursery_rules,
    ),
    "pregnancy_notification": Form(
        "pregnancy_notification",
        "妊娠届出書",
        "Pregnancy notification",
        signed=False,
        why_signed="",
        fields=(
            *_person("", "妊婦", "Expectant mother"),
            Field("due_date", "出産予定日", "Expected date of delivery", "date"),
            Field("fetuses", "胎児数", "Number of fetuses", "int"),
            Field("diagnosed_on", "診断日", "Date of diagnosis", "date"),
            Field("institution", "診断を受けた医療機関", "Diagnosing institution", max_length=100),
        ),
        rules=_pregnancy_rules,
    ),
    "child_rearing_allowance_status": Form(
        "child_rearing_allowance_status",
        "児童扶養手当 現況届",
        "Child-rearing allowance: annual status report",
        signed=True,
        why_signed="受給者本人の届出であることと申告内容（婚姻の状況・養育費など）を電子署名で"
        "確認します / The recipient's own report of their situation, signed.",
        fields=(
            *_person("", "受給者", "Recipient"),
            *_child(1, required=True, extra=(_disabled(1),)),
            *_child(2, required=False, extra=(_disabled(2),)),
            *_child(3, required=False, extra=(_disabled(3),)),
            Field(
                "situation",
                "支給要件",
                "Situation",
                "choice",
                choices=(
                    ("divorce", "離婚 / divorce"),
                    ("death", "死別 / bereavement"),
                    ("unmarried", "未婚 / never married"),
                    ("disability", "配偶者の障害 / spouse's disability"),
                    ("abandonment", "遺棄 / abandonment"),
                    ("protection_order", "DV保護命令 / protection order"),
                    ("other", "その他 / other"),
                ),
            ),
            Field(
                "de_facto_marriage",
                "事実上の婚姻関係（内縁）がある",
                "Living as married with someone",
                "check",
                required=False,
            ),
            Field(
                "public_pension",
                "公的年金を受給している",
                "Receives a public pension",
                "check",
                required=False,
            ),
            Field("child_support_yen", "養育費（月額・円）", "Child support a month (yen)", "int"),
        ),
        rules=_status_rules,
    ),
}
