"""A clinic's or pharmacy's use cases at the reception terminal (資格確認端末): the challenge
for the reader, the confirmation with the reader's result (資格確認), the card's use
registration, confirmation by the insurance card's data (single and batch), the 照会番号,
drug data with consent, a pharmacy's dispensing claims.

Every answer comes from the オンライン資格確認等システム. The clinic keeps only the reference
number of each confirmation made here and how the person was identified, in the
:class:`~mynumber.platform.uow.UnitOfWork` its caller gives, opened once the system has
answered: no transaction is held across the network. The answer XML itself goes to the
clinic's own records system, never to this database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from mynumber import errors
from mynumber.orgs.clinic import store
from mynumber.orgs.clinic.model import Institution
from mynumber.orgs.clinic.schemas import ChallengeOut, ReaderResultIn, RegistrationOut
from mynumber.platform.eligibility_wire import (
    BatchIn,
    BatchOut,
    ClaimIn,
    ClaimOut,
    DrugsOut,
    ReferenceIn,
)
from mynumber.platform.uow import UnitOfWork

Clock = Callable[[], dt.datetime]
#: The header in which the system names a confirmation's 照会番号.
REFERENCE_HEADER = "x-reference-number"


class EligibilitySystem(Protocol):
    """The オンライン資格確認等システム as the terminal asks it (:class:`~.clients.Oqs`)."""

    def request(self, method: str, path: str, payload: Any = None) -> Any: ...

    def xml(
        self, path: str, *, json: Any = None, content: bytes | None = None
    ) -> httpx.Response: ...


@dataclass(frozen=True, slots=True)
class Confirmed:
    """The system's answer XML to a confirmation, and its 照会番号 ("" if none was given)."""

    xml: bytes
    reference: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class Reception:
    """The reception terminal of one institution, over the eligibility system."""

    institution: Institution
    oqs: EligibilitySystem
    clock: Clock = _now

    def challenge(self) -> ChallengeOut:
        """A one-time challenge from the system for the card to sign (PIN mode)."""
        return ChallengeOut.model_validate(self.oqs.request("POST", "/api/challenges"))

    def confirm(self, uow: UnitOfWork, body: ReaderResultIn) -> Confirmed:
        """資格確認 with the reader's result: the system's answer XML; its 照会番号 is kept
        with the mode the person was identified in (face, PIN, visual)."""
        answer = self.oqs.xml("/api/confirmations", json=body.model_dump(mode="json"))
        reference = answer.headers.get(REFERENCE_HEADER, "")
        if reference:
            with uow as conn:
                conn.execute(
                    store.confirmations.insert(),
                    {"reference": reference, "mode": body.mode, "at": self.clock()},
                )
                uow.commit()
        return Confirmed(xml=answer.content, reference=reference)

    def register(self, body: ReaderResultIn) -> RegistrationOut:
        """マイナ保険証の利用登録 at the reader (PIN mode, or face mode for a face-only card)."""
        return RegistrationOut.model_validate(
            self.oqs.request("POST", "/api/registrations/reader", body.model_dump(mode="json"))
        )

    def by_insurance(self, request: bytes) -> bytes:
        """資格確認 by the insurance-card data: the answer XML to the request XML."""
        return self.oqs.xml("/api/confirmations/insurance", content=request).content

    def reference(self, request: bytes) -> bytes:
        """照会番号の登録 (``OQSsiimm01req``): the answer XML to the request XML."""
        return self.oqs.xml("/api/reference-numbers", content=request).content

    def batch(self, body: BatchIn) -> BatchOut:
        """一括照会: up to 100 request XML documents, an answer for each."""
        return BatchOut.model_validate(
            self.oqs.request("POST", "/api/confirmations/batch", body.model_dump())
        )

    def drugs(self, body: ReferenceIn) -> DrugsOut:
        """薬剤情報 with the patient's consent (24 hours from the confirmation)."""
        return DrugsOut.model_validate(self.oqs.request("POST", "/api/drugs", body.model_dump()))

    def claim(self, body: ClaimIn) -> ClaimOut:
        """調剤レセプト (a pharmacy only): what it dispensed to a person it confirmed."""
        if not self.institution.pharmacy:
            raise errors.Forbidden("only a pharmacy submits dispensing claims", code="not_pharmacy")
        return ClaimOut.model_validate(
            self.oqs.request("POST", "/api/claims", body.model_dump(mode="json"))
        )
