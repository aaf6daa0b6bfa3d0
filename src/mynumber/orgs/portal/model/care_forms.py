"""The 介護ワンストップ e-applications as forms (ぴったりサービス): 要介護・要支援認定の申請
and 居宅サービス計画作成依頼届出, sent to the municipality like the child-rearing ones
(:mod:`.application_forms`) and reviewed there.

Field lists follow the paper forms' usual items (the online forms are not published as a
specification: the selection is modelled; the rules are the law's own):

- 要介護・要支援認定の申請 (``care_certification``, 介護保険法 Art. 27 and 32): the
  介護保険被保険者番号 (10 digits), new / renewal / change, the attending physician. A
  第2号被保険者 (40-64, 介護保険法 Art. 9(2)) qualifies only with one of the 16 特定疾病
  and gives their health insurer; under 40 nobody is insured.
- 居宅サービス計画作成依頼届出 (``care_plan_notification``, 介護保険法施行規則 Art. 83-9):
  the 居宅介護支援事業所 chosen to make the care plan, with its 10-digit 事業所番号, and from when.
"""

from __future__ import annotations

import datetime as dt

from mynumber.ages import age_on
from mynumber.orgs.portal.model.forms import FORMS as CHILD_FORMS
from mynumber.orgs.portal.model.forms import Errors, Field, Form, Values, _person

INSURED_NUMBER = Field(
    "insured_number", "介護保険被保険者番号", "Long-term care insured number (10 digits)", "digits"
)


def _insured_number(values: Values, errors: Errors) -> None:
    number = values.get("insured_number")
    if number and len(number) != 10 and "insured_number" not in errors:
        errors["insured_number"] = "10桁の数字です / 10 digits"


def _certification_rules(values: Values, errors: Errors, today: dt.date) -> None:
    _insured_number(values, errors)
    born = values.get("birth_date")
    if not born or "birth_date" in errors:
        return
    age = age_on(dt.date.fromisoformat(born), today)
    if age < 40:
        errors["birth_date"] = (
            "介護保険の被保険者は40歳以上です / Long-term care insurance starts at 40"
        )
    elif age < 65:
        if not values.get("disease"):
            errors["disease"] = (
                "40〜64歳の方は特定疾病の記入が必要です / Ages 40-64 need a specified disease"
            )
        if not values.get("health_insurer"):
            errors["health_insurer"] = (
                "40〜64歳の方は医療保険者の記入が必要です / Ages 40-64 give their health insurer"
            )


def _plan_rules(values: Values, errors: Errors, today: dt.date) -> None:
    _insured_number(values, errors)
    office = values.get("office_number")
    if office and len(office) != 10 and "office_number" not in errors:
        errors["office_number"] = "10桁の数字です / 10 digits"
    start = values.get("start_date")
    if start and "start_date" not in errors:
        day = dt.date.fromisoformat(start)
        if not today - dt.timedelta(days=31) <= day <= today + dt.timedelta(days=366):
            errors["start_date"] = "開始日を確認してください / Check the start date"


CARE_FORMS: dict[str, Form] = {
    "care_certification": Form(
        "care_certification",
        "要介護・要支援認定 申請書",
        "Long-term care: certification of need",
        signed=True,
        why_signed="被保険者本人の申請であることを署名用電子証明書で確認します / The insured "
        "person's own application: signed with the signing certificate.",
        fields=(
            *_person("", "被保険者", "Insured person"),
            INSURED_NUMBER,
            Field(
                "request",
                "申請区分",
                "Application",
                "choice",
                choices=(
                    ("new", "新規 / new"),
                    ("renewal", "更新 / renewal"),
                    ("change", "区分変更 / change of level"),
                ),
            ),
            Field("physician", "主治医氏名", "Attending physician", max_length=60),
            Field("clinic", "医療機関名", "Physician's institution", max_length=100),
            Field(
                "disease",
                "特定疾病名（40〜64歳の方）",
                "Specified disease (ages 40-64)",
                required=False,
                max_length=100,
            ),
            Field(
                "health_insurer",
                "医療保険者名（40〜64歳の方）",
                "Health insurer (ages 40-64)",
                required=False,
                max_length=100,
            ),
        ),
        rules=_certification_rules,
    ),
    "care_plan_notification": Form(
        "care_plan_notification",
        "居宅サービス計画作成依頼（変更）届出書",
        "Long-term care: who makes my care plan",
        signed=False,
        why_signed="",
        fields=(
            *_person("", "被保険者", "Insured person"),
            INSURED_NUMBER,
            Field("office", "居宅介護支援事業所名", "Care-management office", max_length=100),
            Field("office_number", "事業所番号", "Office number (10 digits)", "digits"),
            Field("start_date", "開始年月日", "From", "date"),
        ),
        rules=_plan_rules,
    ),
}

#: Every e-application form the portal offers: child-rearing and nursing care.
FORMS: dict[str, Form] = {**CHILD_FORMS, **CARE_FORMS}
