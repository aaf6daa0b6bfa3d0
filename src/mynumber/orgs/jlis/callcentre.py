"""J-LIS's 24/7 call centre (個人番号カードコールセンター): a lost or stolen card suspended.

The caller is identified by the card (its manufacture number, カード製造番号, which
``mynumber card show`` prints and J-LIS's records know) and the basic items they state:
the name, and the date of birth when they give it. J-LIS keeps neither item in clear, only
keyed hashes made at issue (``cards.name_fp``, ``cards.birth_fp``), so the operator's
screen shows nothing about the holder: the items match or they do not, and an unknown card
answers exactly as a mismatch (no oracle for card numbers).

Choices this project makes where the sources differ or say nothing (services-reference §6):

- A suspension holds **both** certificates (the user-authentication and the signing one),
  reason ``certificateHold`` (RFC 5280 §5.3.1): the lost chip carries both keys, and OCSP
  answers ``revoked`` for both at once. Held, not revoked for good, so that lifting the
  suspension at the municipality's counter (in person, with the card) makes them good
  again; a cancellation (廃止) or a reissue revokes them for good.
- A loss outside the home records the police's receipt number (遺失届の受理番号) with the
  card when the caller has it; the municipality asks for it again at reissue.
- A card that is already suspended answers the same again; a cancelled card cannot be
  suspended (it is already of no use) and answers ``cancelled``.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from sqlalchemy import select

from mynumber.errors import Forbidden
from mynumber.orgs.jlis import store
from mynumber.orgs.jlis.cards import CardIssuer, RevokedCertificate
from mynumber.orgs.jlis.model import normalise_name
from mynumber.platform.uow import UnitOfWork

HOLD = "certificateHold"


class CallerNotIdentified(Forbidden):
    """The card number and the items the caller gave do not match J-LIS's records."""

    code = "caller_not_identified"


@dataclass(frozen=True, slots=True)
class Suspension:
    manufacture_number: str
    status: str
    revoked: list[RevokedCertificate]
    police_receipt_recorded: bool


class CallCentre:
    """The call centre's one use case: identify the caller, suspend the card at once."""

    def __init__(self, issuer: CardIssuer) -> None:
        if issuer.item_fingerprint is None:
            raise ValueError("the call centre needs the issuer's keyed hashes of the items")
        self.issuer = issuer
        self._fingerprint = issuer.item_fingerprint

    def identify(
        self, uow: UnitOfWork, card_number: str, *, name: str, birth_date: dt.date | None
    ) -> None:
        """Raise :class:`CallerNotIdentified` unless the card is known and the items match."""
        c = store.cards.c
        with uow as conn:
            row = conn.execute(
                select(c.name_fp, c.birth_fp).where(c.manufacture_number == card_number)
            ).first()
        refused = CallerNotIdentified(
            "the card number and the name (and date of birth) do not match: check them, or "
            "ask at your municipality's counter",
        )
        if row is None or row.name_fp is None:
            raise refused
        said = self._fingerprint("name", normalise_name(name))
        matches = hmac.compare_digest(said, row.name_fp)
        if birth_date is not None:
            born = self._fingerprint("birth", birth_date.isoformat())
            matches = hmac.compare_digest(born, row.birth_fp or "") and matches
        if not matches:
            raise refused

    def suspend(
        self,
        uow: UnitOfWork,
        card_number: str,
        *,
        name: str,
        birth_date: dt.date | None = None,
        lost_outside: bool = False,
        police_receipt: str | None = None,
    ) -> Suspension:
        """一時利用停止 of an identified caller's card: both certificates held at once."""
        self.identify(uow, card_number, name=name, birth_date=birth_date)
        receipt = police_receipt if lost_outside else None
        status, revoked = self.issuer.suspend(uow, card_number, reason=HOLD, police_receipt=receipt)
        return Suspension(card_number, status, revoked, receipt is not None)
