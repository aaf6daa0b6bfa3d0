"""What J-LIS tells Mynaportal (情報提供等記録開示システム) about a login certificate.

Domain-reference §3.4 and §5: the Digital Agency sends J-LIS the serial number of a
利用者証明用電子証明書; J-LIS answers with the portal's own code for the person
(開示システム用符号), never a My Number or a resident code. Here the code is a keyed hash,
under a J-LIS key kept for the portal, of the card's ``code_fp`` (itself a keyed hash of
the resident code): stable across the person's cards, meaningless anywhere else.

For the linkage hub the portal also needs a hub code (``POST /portal/codes``): J-LIS derives
the person's 取得番号 from the card's ``code_fp`` exactly as for an agency's enrolment
(:meth:`Acquisition.of_code_fp`) and asks the hub for the codes of the portal and of the
public-fund account registry (``accounts``) — the registry is where the person registers
for themself through the portal, so the hub must be able to convert the portal's code to
the registry's even before the registry ever saw the person. The hub makes codes for any
agency J-LIS names (they are a keyed function of the 取得番号, the same ones the agency
would get by enrolling); the registry accepts a code it meets first in a registration
handle. Only the portal's code goes back to the portal.

The portal also registers itself here as a 利用者証明検証者 (公的個人認証法 Art. 36(1)),
which gives it the OCSP credential it keeps in its own data folder.
"""

from __future__ import annotations

import hmac

from sqlalchemy import select

from mynumber.errors import Forbidden, NotFound
from mynumber.orgs.jlis import store
from mynumber.orgs.jlis.acquisition import Acquisition
from mynumber.orgs.jlis.cards import parse_serial, serial_hex
from mynumber.orgs.jlis.clients import HubCodesClient
from mynumber.orgs.jlis.hierarchy import Hierarchy
from mynumber.orgs.jlis.schemas import ResolveOut
from mynumber.platform.uow import UnitOfWork

#: a login certificate of either card generation
_AUTH_HIERARCHIES = (Hierarchy.AUTH.value, Hierarchy.AUTH_G2.value)

PORTAL = "portal"
#: Organisations J-LIS asks the hub to code the person for when the portal links a login:
#: the portal itself, and the registry the person uses through the portal.
PORTAL_LINKED = (PORTAL, "accounts")
VERIFIER_NAME = "デジタル庁 マイナポータル (Digital Agency, Mynaportal)"


def portal_code(key: bytes, code_fp: str) -> str:
    """The portal's code for the person whose resident code has keyed hash ``code_fp``."""
    return hmac.digest(key, f"portal:{code_fp}".encode(), "sha256")[:16].hex()


def _card_of(uow: UnitOfWork, serial: str) -> tuple[str, str, str, str]:
    """(code_fp, municipality, card status, certificate status) behind an auth serial."""
    wanted = serial_hex(parse_serial(serial))
    t, c = store.certificates.c, store.cards.c
    with uow as conn:
        row = conn.execute(
            select(c.code_fp, c.municipality, c.status, t.status)
            .join_from(
                store.certificates, store.cards, t.manufacture_number == c.manufacture_number
            )
            .where(t.hierarchy.in_(_AUTH_HIERARCHIES), t.serial == wanted)
        ).first()
    if row is None:
        raise NotFound("no user-authentication certificate with that serial", code="unknown_serial")
    code_fp, municipality, card_status, cert_status = row
    if code_fp is None:
        raise NotFound(
            "this card was issued before J-LIS kept whose it is: apply for a new card",
            code="holder_unknown",
        )
    return code_fp, municipality, card_status, cert_status


def resolve(uow: UnitOfWork, key: bytes, serial: str) -> ResolveOut:
    """The person behind an auth certificate serial, as the portal's code; raise if unknown."""
    code_fp, municipality, card_status, cert_status = _card_of(uow, serial)
    return ResolveOut(
        portal_code=portal_code(key, code_fp),
        municipality=municipality,
        card_status=card_status,
        certificate_status=cert_status,
    )


def hub_code(uow: UnitOfWork, acquisition: Acquisition, hub: HubCodesClient, serial: str) -> str:
    """The portal's hub code for the holder of an auth serial (the registry coded too)."""
    code_fp, _, _, cert_status = _card_of(uow, serial)
    if cert_status != "good":
        raise Forbidden("the login certificate is not valid", code="certificate_not_good")
    number = acquisition.of_code_fp(code_fp)
    codes = {org: hub.codes(org, [number])[0] for org in PORTAL_LINKED}
    return codes[PORTAL]
