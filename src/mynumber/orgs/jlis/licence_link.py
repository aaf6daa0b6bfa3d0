"""What J-LIS tells the police about a signing certificate presented to them: the police's
own code at the linkage hub for its holder (マイナ免許証: the link that opens Mynaportal's
licence view, the online renewal course and the one-stop address change).

As for the portal (:mod:`.portal_link`), J-LIS derives the person's 取得番号 from the card's
``code_fp`` and asks the hub for the police's code; no My Number or resident code leaves
J-LIS. Only a good signing certificate links (this project's model of the real link,
whose interface is not public)."""

from __future__ import annotations

from sqlalchemy import select

from mynumber.errors import Forbidden, NotFound
from mynumber.orgs.jlis import store
from mynumber.orgs.jlis.acquisition import Acquisition
from mynumber.orgs.jlis.cards import parse_serial, serial_hex
from mynumber.orgs.jlis.clients import HubCodesClient
from mynumber.orgs.jlis.hierarchy import Hierarchy
from mynumber.platform.uow import UnitOfWork

POLICE = "police"
_SIGN_HIERARCHIES = (Hierarchy.SIGN.value, Hierarchy.SIGN_G2.value)


def police_code(uow: UnitOfWork, acquisition: Acquisition, hub: HubCodesClient, serial: str) -> str:
    """The police's hub code for the holder of the signing certificate ``serial``."""
    wanted = serial_hex(parse_serial(serial))
    t, c = store.certificates.c, store.cards.c
    with uow as conn:
        row = conn.execute(
            select(c.code_fp, t.status)
            .join_from(
                store.certificates, store.cards, t.manufacture_number == c.manufacture_number
            )
            .where(t.hierarchy.in_(_SIGN_HIERARCHIES), t.serial == wanted)
        ).first()
    if row is None:
        raise NotFound("no signing certificate with that serial", code="unknown_serial")
    code_fp, status = row
    if code_fp is None:
        raise NotFound("this card's holder is not known to J-LIS", code="holder_unknown")
    if status != "good":
        raise Forbidden("the signing certificate is not valid", code="certificate_not_good")
    return hub.codes(POLICE, [acquisition.of_code_fp(code_fp)])[0]
