"""The police's routes: the licence counter (staff), the holder's signed applications
(link, online course), and the hub's calls (the intermediate server, deliveries)."""

# no `from __future__ import annotations`: FastAPI resolves the route annotations
from typing import Any

from fastapi import APIRouter

from mynumber import errors
from mynumber.orgs.police.clients import Jlis
from mynumber.orgs.police.deps import COURSE, HOLDER, Counter, Reader, Writer
from mynumber.orgs.police.model import COURSE_CHAPTERS
from mynumber.orgs.police.schemas import (
    CardDataOut,
    CourseDoneIn,
    CourseOut,
    FeeOut,
    HoldingIn,
    IssuedOut,
    LicenceIn,
    LicenceNumber,
    LicenceOut,
    LinkOut,
    RenewedOut,
    RenewIn,
    SignedIn,
)
from mynumber.orgs.police.services import Licences
from mynumber.platform.policy import public
from mynumber.platform.staff.services import Staff
from mynumber.platform.web.uow import Work

PURPOSE = "運転免許"


def counter_router(licences: Licences, staff: Staff) -> APIRouter:
    api = APIRouter(prefix="/api/licences", tags=["licence counter"])

    @api.post("", response_model=IssuedOut, status_code=201)
    def issue(body: LicenceIn, acting: Counter, uow: Work) -> IssuedOut:
        """免許の交付: a first licence, held the way chosen (card, plastic, both), and its fee."""
        issued = licences.issue(uow, body)
        staff.log(acting, action="licences.issue", purpose=PURPOSE, person=issued.licence.number)
        return issued

    @api.get("/{licence_number}", response_model=LicenceOut)
    def show(licence_number: LicenceNumber, acting: Reader, uow: Work) -> LicenceOut:
        """The licence record."""
        found = licences.get(uow, licence_number)
        staff.log(acting, action="licences.read", purpose=PURPOSE, person=licence_number)
        return found

    @api.post("/{licence_number}/holding", response_model=FeeOut)
    def holding(
        licence_number: LicenceNumber, body: HoldingIn, acting: Counter, uow: Work
    ) -> FeeOut:
        """保有方法の変更 outside renewal: add to the card (¥1,500), add a plastic licence,
        or give one up."""
        fee = licences.change_holding(uow, licence_number, body.holding)
        staff.log(
            acting,
            action="licences.holding",
            purpose=PURPOSE,
            person=licence_number,
            detail={"holding": body.holding, "fee": fee.amount},
        )
        return fee

    @api.post("/{licence_number}/renew", response_model=IssuedOut)
    def renew(
        licence_number: LicenceNumber, body: RenewIn, acting: Counter, uow: Work
    ) -> IssuedOut:
        """更新 at the counter: the new validity and the renewal fee."""
        renewed = licences.renew(uow, licence_number, body.category, body.holding)
        staff.log(acting, action="licences.renew", purpose=PURPOSE, person=licence_number)
        return renewed

    @api.post("/{licence_number}/card-data", response_model=CardDataOut)
    def card_data(licence_number: LicenceNumber, acting: Writer, uow: Work) -> CardDataOut:
        """The licence data and the police signature the desk writes into the card."""
        data = licences.card_data(uow, licence_number)
        staff.log(acting, action="licences.write", purpose=PURPOSE, person=licence_number)
        return data

    return api


def holder_router(licences: Licences, jlis: Jlis) -> APIRouter:
    api = APIRouter(tags=["the holder"])

    @api.post("/api/links", response_model=LinkOut, dependencies=[HOLDER])
    def link(body: SignedIn, uow: Work) -> LinkOut:
        """署名用電子証明書の提示: the holder's application signed with the card's signing
        key links the licence (Mynaportal's view, the online course, one-stop)."""
        return licences.link(uow, jlis, body)

    @api.post(
        "/api/online-course", response_model=CourseOut, status_code=201, dependencies=[HOLDER]
    )
    def start(body: SignedIn, uow: Work) -> CourseOut:
        """オンライン更新時講習: the signed start with the device's face-match score."""
        course, score = licences.start_course(uow, jlis, body)
        return CourseOut(course_id=course, face_score=score, chapters=list(COURSE_CHAPTERS))

    @api.post(
        "/api/online-course/{course_id}/complete", response_model=RenewedOut, dependencies=[COURSE]
    )
    def complete(course_id: str, body: CourseDoneIn, uow: Work) -> RenewedOut:
        """Every chapter watched: the renewal is recorded."""
        if len(course_id) > 32:
            raise errors.NotFound("no such course", code="no_course")
        renewed = licences.complete_course(uow, course_id, body.watched)
        return RenewedOut(
            number=renewed.number,
            valid_until=renewed.valid_until,
            card_pending=renewed.card_pending,
        )

    @api.get("/healthz", dependencies=[public("health, for monitoring")])
    def healthz() -> dict[str, Any]:
        return {"org": "police", "ok": True}

    return api
