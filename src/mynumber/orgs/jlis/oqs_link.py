"""What J-LIS tells the オンライン資格確認等システム (``oqs``) about an auth certificate.

マイナ保険証の利用登録 links the card to the person's insurance records by the serial of the
利用者証明用電子証明書 (services-reference §1, domain-reference §3.4): J-LIS answers with the
system's own hub code for the holder (from the card's ``code_fp`` → 取得番号 → the hub,
exactly as for an agency's enrolment), never a My Number. At each confirmation the system
asks for the card's and the certificate's status only.

A smartphone's auth certificate (スマホ用電子証明書) is recorded as a certificate of the card
it was enrolled from (:mod:`mynumber.orgs.jlis.phones`), so its status follows the card's;
the status answer also names the card's auth serial the phone certificate follows, so the
system finds the card's 利用登録 for a phone held to the reader (this project's model: the
real link is not public).

本人確認判定 (this project's model of the flag): the system sends the name, sex and birth
date of the eligibility copy it would answer with, and J-LIS compares them with the card
holder's current items, which it asks of the municipality that handed the card over
(``MunicipalityClients.holder_items``, as for 基本4情報の最新情報提供): only "matches" or
not goes back, no personal data.

Insurers' members are coded for ``oqs`` when the insurer enrols them (:data:`OQS`; see
``web/linkage.py``), so the insurer can register eligibility with it through the hub.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from mynumber.errors import Forbidden, NotFound
from mynumber.orgs.jlis import store
from mynumber.orgs.jlis.acquisition import Acquisition
from mynumber.orgs.jlis.cards import parse_serial, serial_hex
from mynumber.orgs.jlis.clients import HubCodesClient, MunicipalityClients
from mynumber.orgs.jlis.portal_link import _AUTH_HIERARCHIES, _card_of
from mynumber.pki import Purpose
from mynumber.platform.uow import UnitOfWork

OQS = "oqs"
#: Kinds of organisation whose enrolment also codes the person for ``oqs`` (the 中間サーバー
#: holds every insurer's members).
CODED_FOR_OQS = frozenset({"insurer"})


def status(uow: UnitOfWork, serial: str) -> tuple[str, str]:
    """(card status, certificate status) behind an auth serial; raise NotFound if none."""
    _, _, card_status, cert_status = _card_of(uow, serial)
    return card_status, cert_status


def followed_card_serial(uow: UnitOfWork, serial: str) -> str | None:
    """The card's auth serial a phone's auth certificate follows (None: a card's own)."""
    p = store.phone_certificates.c
    with uow as conn:
        found = conn.scalar(
            select(p.card_serial).where(
                p.hierarchy == Purpose.AUTH.value, p.serial == serial_hex(parse_serial(serial))
            )
        )
    return None if found is None else str(found)


def _spaceless(name: str) -> str:
    return "".join(name.split())


def holder_matches(
    uow: UnitOfWork,
    municipalities: MunicipalityClients,
    serial: str,
    *,
    name: str,
    sex: str,
    birth_date: dt.date,
) -> bool:
    """Whether the copy's name, sex and birth date are the card holder's (a card's or a
    phone's auth serial); a holder no longer in the register does not match."""
    t, c = store.certificates.c, store.cards.c
    with uow as conn:
        row = conn.execute(
            select(c.manufacture_number, c.municipality)
            .join_from(
                store.certificates, store.cards, t.manufacture_number == c.manufacture_number
            )
            .where(
                t.hierarchy.in_(_AUTH_HIERARCHIES),  # either card generation
                t.serial == serial_hex(parse_serial(serial)),
            )
        ).first()
    if row is None:
        raise NotFound("no user-authentication certificate with that serial", code="unknown_serial")
    try:
        items = municipalities.holder_items(row.municipality, row.manufacture_number)
    except NotFound:
        return False
    return (
        items.get("status") == "active"
        and _spaceless(str(items.get("name") or "")) == _spaceless(name)
        and str(items.get("gender")) == sex
        and items.get("birth_date") == birth_date.isoformat()
    )


def oqs_code(uow: UnitOfWork, acquisition: Acquisition, hub: HubCodesClient, serial: str) -> str:
    """The system's hub code for the holder of a good auth certificate."""
    code_fp, _, card_status, cert_status = _card_of(uow, serial)
    if card_status != "active" or cert_status != "good":
        raise Forbidden("the card or its certificate is not valid", code="certificate_not_good")
    return hub.codes(OQS, [acquisition.of_code_fp(code_fp)])[0]
