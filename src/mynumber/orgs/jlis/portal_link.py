"""What J-LIS tells Mynaportal (情報提供等記録開示システム) about a login certificate.

Domain-reference §3.4 and §5: the Digital Agency sends J-LIS the serial number of a
利用者証明用電子証明書; J-LIS answers with the portal's own code for the person
(開示システム用符号), never a My Number or a resident code. Here the code is a keyed hash,
under a J-LIS key kept for the portal, of the card's ``code_fp`` (itself a keyed hash of
the resident code): stable across the person's cards, meaningless anywhere else.

The portal also registers itself here as a 利用者証明検証者 (公的個人認証法 Art. 36(1)),
which gives it the OCSP credential it keeps in its own data folder.
"""

import hmac
from typing import Annotated

from fastapi import APIRouter
from fastapi.params import Depends as DependsParam
from pydantic import BaseModel, Field
from sqlalchemy import Engine, select

from mynumber.errors import NotFound
from mynumber.orgs.jlis import store, verifiers
from mynumber.orgs.jlis.cards import parse_serial, serial_hex
from mynumber.orgs.jlis.schemas import VerifierOut
from mynumber.pki import Purpose

PORTAL = "portal"
VERIFIER_NAME = "デジタル庁 マイナポータル (Digital Agency, Mynaportal)"


class ResolveIn(BaseModel):
    serial: str = Field(max_length=64, description="auth certificate serial, hexadecimal")


class ResolveOut(BaseModel):
    portal_code: str = Field(description="開示システム用符号: the portal's code for the person")
    municipality: str = Field(description="the municipality that handed over the card")
    card_status: str
    certificate_status: str


def portal_code(key: bytes, code_fp: str) -> str:
    """The portal's code for the person whose resident code has keyed hash ``code_fp``."""
    return hmac.digest(key, f"portal:{code_fp}".encode(), "sha256")[:16].hex()


def resolve(engine: Engine, key: bytes, serial: str) -> ResolveOut:
    """The person behind an auth certificate serial, as the portal's code; raise if unknown."""
    wanted = serial_hex(parse_serial(serial))
    t, c = store.certificates.c, store.cards.c
    with engine.connect() as conn:
        row = conn.execute(
            select(c.code_fp, c.municipality, c.status, t.status)
            .join_from(
                store.certificates, store.cards, t.manufacture_number == c.manufacture_number
            )
            .where(t.hierarchy == Purpose.AUTH.value, t.serial == wanted)
        ).first()
    if row is None:
        raise NotFound("no user-authentication certificate with that serial", code="unknown_serial")
    code_fp, municipality, card_status, cert_status = row
    if code_fp is None:
        raise NotFound(
            "this card was issued before J-LIS kept whose it is: apply for a new card",
            code="holder_unknown",
        )
    return ResolveOut(
        portal_code=portal_code(key, code_fp),
        municipality=municipality,
        card_status=card_status,
        certificate_status=cert_status,
    )


def router(*, engine: Engine, key: bytes, from_portal: DependsParam) -> APIRouter:
    api = APIRouter(prefix="/portal", tags=["portal link"])

    @api.post("/resolve", response_model=ResolveOut)
    def resolve_serial(body: ResolveIn, caller: Annotated[str, from_portal]) -> ResolveOut:
        """利用者証明用電子証明書のシリアル番号 → 開示システム用符号 (Mynaportal only)."""
        return resolve(engine, key, body.serial)

    @api.post("/verifier", response_model=VerifierOut, status_code=201)
    def register_portal(caller: Annotated[str, from_portal]) -> VerifierOut:
        """The portal files its notice as a 利用者証明検証者; the credential is shown once."""
        verifier, credential = verifiers.register(engine, name=VERIFIER_NAME)
        return VerifierOut(
            id=verifier.id,
            name=verifier.name,
            created_at=verifier.created_at,
            active=verifier.active,
            credential=credential,
        )

    return api
