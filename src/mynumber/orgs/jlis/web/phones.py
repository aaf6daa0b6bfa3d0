"""J-LIS's smartphone-certificate route (:mod:`mynumber.orgs.jlis.phones`).

The caller is a resident's phone: no session and no organisation signature, the card's
signing key (after its signing password) signs the request, checked in the service."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter

from mynumber.orgs.jlis.phones import EnrolRequest, PhoneIssuer, b64
from mynumber.orgs.jlis.schemas import (
    PhoneCertificateOut,
    PhoneEnrolIn,
    PhoneEnrolOut,
    PhoneReplacedOut,
)
from mynumber.platform.policy import marker
from mynumber.platform.web.uow import Work


def router(phones: PhoneIssuer) -> APIRouter:
    api = APIRouter(
        tags=["phones"],
        dependencies=[
            marker("device", "a resident's phone; the card's signing key signs the request")
        ],
    )

    @api.post("/phones", response_model=PhoneEnrolOut, status_code=201)
    def enrol_phone(body: PhoneEnrolIn, uow: Work) -> PhoneEnrolOut:
        """スマホ用電子証明書の発行: two certificates for the phone's new keys, asked with the
        card's signing key; an earlier phone of the same person loses its certificates."""
        enrolled = phones.enrol(
            uow,
            EnrolRequest(
                kind=body.kind,
                auth_public_key=b64(body.auth_public_key, "auth_public_key"),
                sign_public_key=b64(body.sign_public_key, "sign_public_key"),
                card_certificate=b64(body.card_certificate, "card_certificate"),
                card_signature=b64(body.card_signature, "card_signature"),
                liveness_checked=body.liveness_checked,
            ),
        )
        return PhoneEnrolOut(
            device_id=enrolled.device_id,
            kind=enrolled.kind,
            certificates=[
                PhoneCertificateOut(
                    hierarchy=purpose.value,
                    serial=f"{cert.serial_number:x}",
                    not_after=cert.not_valid_after_utc,
                    certificate=base64.b64encode(
                        cert.public_bytes(serialization.Encoding.DER)
                    ).decode(),
                )
                for purpose, cert in enrolled.certificates.items()
            ],
            replaced=[PhoneReplacedOut(hierarchy=p.value, serial=s) for p, s in enrolled.replaced],
        )

    return api
