"""Registered verifiers: only they may get revocation information (domain-reference §3.3).

署名検証者 and 利用者証明検証者 file a notice with J-LIS in advance (公的個人認証法 Art. 17(1),
36(1)); here registration hands out a bearer credential once. J-LIS keeps its SHA-256
only: the credential is 256 random bits, so a plain hash cannot be searched back, and a
copy of the table lets nobody in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update

from mynumber.errors import InvalidInput, NotFound, Unauthorized
from mynumber.orgs.jlis import store
from mynumber.orgs.jlis.hierarchy import Hierarchy
from mynumber.pki import Purpose
from mynumber.platform.ids import new_id
from mynumber.platform.uow import UnitOfWork

CREDENTIAL_PREFIX = "jv_"


class VerifierUnauthorized(Unauthorized):
    """No credential, or one J-LIS does not know: revocation information is refused."""

    code = "verifier_unauthorized"


@dataclass(frozen=True, slots=True)
class RegisteredVerifier:
    """A 検証者 registered with J-LIS (JPKI sense): may fetch CRLs and ask OCSP."""

    id: str
    name: str
    created_at: dt.datetime
    active: bool


def credential_hash(credential: str) -> str:
    return hashlib.sha256(credential.encode("utf-8")).hexdigest()


def register(uow: UnitOfWork, *, name: str) -> tuple[RegisteredVerifier, str]:
    """Register a verifier; returns it and its credential (shown this once, never stored)."""
    name = name.strip()
    if not name or len(name) > 100 or any(ord(ch) < 0x20 for ch in name):
        raise InvalidInput("a verifier's name is 1-100 printable characters", field="name")
    credential = CREDENTIAL_PREFIX + secrets.token_urlsafe(32)
    verifier = RegisteredVerifier(
        new_id(), name, dt.datetime.now(dt.UTC).replace(microsecond=0), True
    )
    with uow as conn:
        conn.execute(
            store.verifiers.insert().values(
                id=verifier.id,
                name=verifier.name,
                credential_hash=credential_hash(credential),
                created_at=verifier.created_at,
                active=True,
            )
        )
        uow.commit()
    return verifier, credential


def deactivate(uow: UnitOfWork, verifier_id: str) -> None:
    """Withdraw a verifier's registration: its credential stops working at once."""
    with uow as conn:
        changed = conn.execute(
            update(store.verifiers).where(store.verifiers.c.id == verifier_id).values(active=False)
        ).rowcount
        uow.commit()
    if not changed:
        raise NotFound("no such verifier", code="verifier_not_found")


def authenticate(uow: UnitOfWork, authorization: str | None) -> str:
    """The id of the active verifier whose ``Authorization: Bearer …`` this is, or raise."""
    scheme, _, credential = (authorization or "").partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise VerifierUnauthorized(
            "revocation information is for registered verifiers: "
            "send Authorization: Bearer <credential>"
        )
    v = store.verifiers.c
    with uow as conn:
        found = conn.scalar(
            select(v.id).where(v.credential_hash == credential_hash(credential), v.active.is_(True))
        )
    if found is None:
        raise VerifierUnauthorized("the verifier credential is not registered or withdrawn")
    return str(found)


#: Minister-certified platform operators (認定プラットフォーム事業者) of this deployment
#: that may file their notice as 署名検証者 and 利用者証明検証者 by a signed request
#: (this project's choice: the certification itself is outside the system).
PLATFORM_OPERATORS = frozenset({"trustplatform"})


#: a signing certificate of either card generation
_SIGN_HIERARCHIES = (Hierarchy.SIGN.value, Hierarchy.SIGN_G2.value)


def auth_serial_of(uow: UnitOfWork, sign_serial: int) -> tuple[str, str]:
    """(serial, status) of the user-authentication certificate on the card that holds the
    signing certificate ``sign_serial`` (services-reference §5: a verifier may ask)."""
    t = store.certificates.c
    with uow as conn:
        found = conn.execute(
            select(t.manufacture_number, t.hierarchy).where(
                t.hierarchy.in_(_SIGN_HIERARCHIES), t.serial == f"{sign_serial:x}"
            )
        ).first()
        if found is None:
            raise NotFound("no signing certificate with that serial", code="unknown_serial")
        card, hierarchy = found
        auth = Hierarchy.of(Purpose.AUTH, Hierarchy(hierarchy).generation)  # the same card's
        row = conn.execute(
            select(t.serial, t.status)
            .where(t.hierarchy == auth.value, t.manufacture_number == card)
            .order_by(t.issued_at.desc())
        ).first()
    if row is None:
        raise NotFound("the card holds no user-authentication certificate", code="unknown_serial")
    return str(row.serial), str(row.status)


def card_of_sign_serial(uow: UnitOfWork, sign_serial: int) -> tuple[str, str]:
    """(manufacture number, municipality that handed it over) of a signing certificate."""
    t, c = store.certificates.c, store.cards.c
    with uow as conn:
        row = conn.execute(
            select(c.manufacture_number, c.municipality)
            .join_from(
                store.certificates, store.cards, t.manufacture_number == c.manufacture_number
            )
            .where(t.hierarchy.in_(_SIGN_HIERARCHIES), t.serial == f"{sign_serial:x}")
        ).first()
    if row is None:
        raise NotFound("no signing certificate with that serial", code="unknown_serial")
    return str(row[0]), str(row[1])
