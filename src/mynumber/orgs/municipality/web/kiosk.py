"""コンビニ交付 routes of a municipality: J-LIS's relay (signed by J-LIS), the public
verification page for a printed code, staff pages listing issuances with the day's
settlement, and the staff APIs for 印鑑登録, 戸籍 and 本籍地利用登録."""

# no `from __future__ import annotations`: FastAPI resolves the aliases at import
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from mynumber import errors, jst
from mynumber.orgs.municipality.model import RELATIONSHIPS
from mynumber.orgs.municipality.services.kiosk import KioskIssuing
from mynumber.orgs.municipality.web.deps import TEMPLATES
from mynumber.platform.policy import public
from mynumber.platform.staff.model import Acting
from mynumber.platform.staff.services import Staff
from mynumber.platform.staff.web import staff as staff_permission
from mynumber.platform.web import signed_by, status_of, templates_for
from mynumber.platform.web.uow import Work

KioskReader = Annotated[Acting, Depends(staff_permission("kiosk.read"))]
SealRegistrar = Annotated[Acting, Depends(staff_permission("seals.register"))]
KosekiRecorder = Annotated[Acting, Depends(staff_permission("koseki.record"))]

_KOSEKI_RELATIONSHIPS = (
    "筆頭者", "妻", "夫", "長男", "二男", "三男", "長女", "二女", "三女", "養子", "養女",
)  # fmt: skip


class KioskIssueIn(BaseModel):
    """What J-LIS relays: the card (by manufacture number), never a My Number."""

    transaction: str = Field(min_length=1, max_length=32)
    manufacture_number: str = Field(pattern="^[0-9A-Z]{1,13}$")
    residence: str = Field(pattern="^[0-9]{6}$")
    certificate: str = Field(
        pattern="^(juminhyo|juminhyo-kisai|inkan|shotoku|koseki|koseki-fuhyo)$"
    )
    members: str = Field(default="self", pattern="^(self|all)$")
    member_names: list[Annotated[str, Field(max_length=61)]] = Field(
        default_factory=list, max_length=10
    )
    options: dict[str, bool] = Field(default_factory=dict, max_length=8)
    store: str = Field(min_length=1, max_length=40)
    store_name: str = Field(default="", max_length=80)
    chain: str = Field(min_length=1, max_length=40)


class KioskIssueOut(BaseModel):
    pdf: str
    fee_yen: int
    verification_code: str
    certificate: str


class VerifyIn(BaseModel):
    code: str = Field(min_length=1, max_length=40)


class VerifyOut(BaseModel):
    verification_code: str
    certificate: str
    title: str
    holder_name: str
    issued_at: dt.datetime
    municipality: str
    pdf_sha256: str


class SealIn(BaseModel):
    impression: str = Field(min_length=1, max_length=8, description="the characters of the 印影")


class KosekiMemberIn(BaseModel):
    name: str = Field(min_length=1, max_length=61)
    birth_date: dt.date = Field(ge=dt.date(1900, 1, 1), le=dt.date(2100, 1, 1))
    sex: str = Field(pattern="^[129]$")
    relationship: str = Field(min_length=1, max_length=8)
    address: str = Field(min_length=1, max_length=200)
    resident_id: str | None = Field(default=None, max_length=16)
    events: list[tuple[dt.date, Annotated[str, Field(max_length=60)]]] = Field(
        default_factory=list, max_length=10
    )


class KosekiIn(BaseModel):
    honseki: str = Field(min_length=1, max_length=200)
    members: list[KosekiMemberIn] = Field(min_length=1, max_length=20)


class HonsekiRegistrationIn(BaseModel):
    member_id: str = Field(min_length=1, max_length=16)
    manufacture_number: str = Field(pattern="^[0-9A-Z]{1,13}$")


def router(issuing: KioskIssuing, staff: Staff) -> APIRouter:
    api = APIRouter(tags=["kiosk"])
    from_jlis = Depends(signed_by(lambda org: org == "jlis", who="J-LIS 証明書交付センター"))
    anyone = public("anyone holding a printed certificate may confirm its verification code")

    @api.post("/api/kiosk/issue", response_model=KioskIssueOut)
    def issue(body: KioskIssueIn, caller: Annotated[str, from_jlis], uow: Work) -> KioskIssueOut:
        """A certificate for the card's holder, as a PDF signed by the mayor (relayed by
        J-LIS from a kiosk); refusals are 403/404 and change nothing."""
        for name in body.member_names:  # names only; never a My Number
            if not name.strip():
                raise errors.InvalidInput("empty name", field="member_names")
        return KioskIssueOut.model_validate(issuing.issue(uow, body.model_dump()))

    @api.post("/api/kiosk/verify", response_model=VerifyOut, dependencies=[anyone])
    def verify_api(body: VerifyIn, uow: Work) -> VerifyOut:
        """What a verification code printed on a certificate stands for."""
        return VerifyOut.model_validate(issuing.verify(uow, body.code))

    @api.get("/api/kiosk/issuances")
    def issuances(
        acting: KioskReader, uow: Work, day: Annotated[dt.date | None, Query()] = None
    ) -> list[dict[str, Any]]:
        """Certificates issued at kiosks on a day (JST; today by default)."""
        day = day or jst.today()
        found = issuing.issuances(uow, day)
        staff.log(acting, action="kiosk.issuances", purpose="settlement", detail={"day": str(day)})
        return found

    @api.get("/api/kiosk/settlement")
    def settlement(
        acting: KioskReader, uow: Work, day: Annotated[dt.date | None, Query()] = None
    ) -> dict[str, Any]:
        """The day's kiosk issuances and fees per store chain (JST; today by default)."""
        return issuing.settlement(uow, day or jst.today())

    @api.post("/api/residents/{resident_id}/seal", status_code=201)
    def register_seal(
        resident_id: str, body: SealIn, acting: SealRegistrar, uow: Work
    ) -> dict[str, Any]:
        """印鑑登録: the resident's seal; the 印鑑登録証 number comes back."""
        done = issuing.register_seal(uow, resident_id, body.impression)
        staff.log(acting, action="seals.register", purpose="counter", person=resident_id)
        return done

    @api.post("/api/koseki", status_code=201)
    def create_koseki(body: KosekiIn, acting: KosekiRecorder, uow: Work) -> dict[str, Any]:
        """A 戸籍 whose 本籍 is here (the first member is the 筆頭者)."""
        for member in body.members:
            if member.relationship not in _KOSEKI_RELATIONSHIPS + RELATIONSHIPS:
                raise errors.InvalidInput("unknown relationship", field="relationship")
        done = issuing.create_koseki(
            uow, honseki=body.honseki, members=[m.model_dump() for m in body.members]
        )
        for member in body.members:
            if member.resident_id:
                staff.log(
                    acting, action="koseki.record", purpose="counter", person=member.resident_id
                )
        return done

    @api.post("/api/koseki/registrations", status_code=201)
    def register_honseki(
        body: HonsekiRegistrationIn, acting: KosekiRecorder, uow: Work
    ) -> dict[str, Any]:
        """本籍地利用登録: a card whose holder lives elsewhere may get 戸籍 certificates here."""
        done = issuing.register_honseki(
            uow, member_id=body.member_id, manufacture_number=body.manufacture_number
        )
        staff.log(
            acting,
            action="koseki.register_card",
            purpose="counter",
            detail={"member": body.member_id},
        )
        return done

    # --- pages -----------------------------------------------------------------------------
    templates = templates_for(TEMPLATES)
    m = issuing.municipality

    @api.get("/verify", response_class=HTMLResponse, include_in_schema=False, dependencies=[anyone])
    def verify_form(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(
            request, "kiosk_verify.html", {"m": m, "found": None, "error": None}
        )

    @api.post(
        "/verify", response_class=HTMLResponse, include_in_schema=False, dependencies=[anyone]
    )
    def verify_page(
        request: Request, code: Annotated[str, Form(max_length=40)], uow: Work
    ) -> HTMLResponse:
        try:
            found, error, status = issuing.verify(uow, code), None, 200
        except errors.Error as exc:
            found, error, status = None, exc.message, status_of(exc)
        return templates.TemplateResponse(
            request,
            "kiosk_verify.html",
            {"m": m, "found": found, "error": error, "code": code},
            status_code=status,
        )

    @api.get("/kiosk/", response_class=HTMLResponse, include_in_schema=False)
    def staff_page(
        request: Request,
        acting: KioskReader,
        uow: Work,
        day: Annotated[dt.date | None, Query()] = None,
    ) -> HTMLResponse:
        day = day or jst.today()
        found = issuing.issuances(uow, day)
        staff.log(acting, action="kiosk.issuances", purpose="settlement", detail={"day": str(day)})
        return templates.TemplateResponse(
            request,
            "kiosk_staff.html",
            {
                "m": m,
                "day": day,
                "issuances": found,
                "settlement": issuing.settlement(uow, day),
                "staff": acting.session,
                "csrf": acting.session.csrf,
            },
            headers={"Cache-Control": "no-store"},
        )

    return api
