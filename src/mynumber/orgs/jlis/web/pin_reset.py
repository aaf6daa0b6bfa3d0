"""PIN-reset routes (see :mod:`mynumber.orgs.jlis.pin_reset`): the counter's, for the
holder's municipality (signed); the phone's reservation and the kiosk's completion, open to
any device because the card's own signature with the other JPKI key is the proof."""

import base64
import binascii
from typing import Annotated, Literal

from fastapi import APIRouter
from fastapi.params import Depends as DependsParam
from pydantic import BaseModel, Field

from mynumber.errors import InvalidInput, Unavailable
from mynumber.orgs.jlis.cards import CardIssuer
from mynumber.orgs.jlis.pin_reset import CardProof, PinResets
from mynumber.orgs.jlis.schemas import CARD_NUMBER
from mynumber.platform.policy import public
from mynumber.platform.web.uow import Work


def _b64(value: str, field: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("not base64", field=field) from exc


class ChallengeOut(BaseModel):
    challenge: str = Field(description="base64; the card signs it with the other JPKI key")


class ProofIn(BaseModel):
    challenge: str = Field(max_length=200)
    signature: str = Field(max_length=1024, description="base64")
    certificate: str = Field(max_length=8192, description="base64 DER: the other key's")

    def proof(self) -> CardProof:
        return CardProof(
            certificate=_b64(self.certificate, "certificate"),
            signature=_b64(self.signature, "signature"),
            challenge=_b64(self.challenge, "challenge"),
        )


class ReserveIn(ProofIn):
    pin: Literal["auth", "sign", "text", "juki"] = Field(description="the PIN to reset")
    face_score: float = Field(description="the phone's live face match against the chip photo")


class ReservationOut(BaseModel):
    reservation: str
    pin: str
    expires_at: str


class KioskIn(ProofIn):
    reservation: str = Field(pattern=r"^[0-9A-F]{16}$")
    card_challenge: str = Field(max_length=64, description="base64 of the chip's GET CHALLENGE")


class CryptogramOut(BaseModel):
    pin: str
    cryptogram: str = Field(description="base64; EXTERNAL AUTHENTICATE for that challenge")


class CounterResetIn(BaseModel):
    resident_code: str = Field(pattern=r"^[0-9]{11}$", repr=False)
    manufacture_number: str = Field(pattern=CARD_NUMBER)
    pin: Literal["auth", "sign", "text", "juki"]
    card_challenge: str = Field(max_length=64, description="base64 of the chip's GET CHALLENGE")


def router(resets: PinResets, issuer: CardIssuer, *, from_municipality: DependsParam) -> APIRouter:
    api = APIRouter(tags=["PIN reset"])
    by_card = public("the card's signature with the other JPKI key is the proof")

    @api.post("/pin-reset/challenge", response_model=ChallengeOut, dependencies=[by_card])
    def challenge() -> ChallengeOut:
        """A challenge for the card's other key (valid five minutes)."""
        return ChallengeOut(challenge=base64.b64encode(resets.challenge()).decode())

    @api.post(
        "/pin-reset/reservations",
        response_model=ReservationOut,
        status_code=201,
        dependencies=[by_card],
    )
    def reserve(body: ReserveIn, uow: Work) -> ReservationOut:
        """The phone's reservation (「JPKI暗証番号リセット」): valid 24 hours at a kiosk."""
        made = resets.reserve(uow, pin=body.pin, proof=body.proof(), face_score=body.face_score)
        return ReservationOut(
            reservation=made.code, pin=made.pin, expires_at=made.expires_at.isoformat()
        )

    @api.post("/pin-reset/kiosk", response_model=CryptogramOut, dependencies=[by_card])
    def kiosk(body: KioskIn, uow: Work) -> CryptogramOut:
        """A kiosk completes a reservation: the chip's challenge answered, once."""
        pin, cryptogram = resets.at_kiosk(
            uow,
            code=body.reservation,
            proof=body.proof(),
            card_challenge=_b64(body.card_challenge, "card_challenge"),
        )
        return CryptogramOut(pin=pin, cryptogram=base64.b64encode(cryptogram).decode())

    @api.post("/cards/pin-reset", response_model=CryptogramOut)
    def at_counter(
        body: CounterResetIn, municipality: Annotated[str, from_municipality], uow: Work
    ) -> CryptogramOut:
        """The counter's reset, asked by the holder's municipality after its identity check."""
        if issuer.code_fingerprint is None:
            raise Unavailable("J-LIS keeps no holder codes here", code="no_holder_codes")
        cryptogram = resets.at_counter(
            uow,
            body.manufacture_number,
            code_fp=issuer.code_fingerprint(body.resident_code),
            pin=body.pin,
            card_challenge=_b64(body.card_challenge, "card_challenge"),
        )
        return CryptogramOut(pin=body.pin, cryptogram=base64.b64encode(cryptogram).decode())

    return api
