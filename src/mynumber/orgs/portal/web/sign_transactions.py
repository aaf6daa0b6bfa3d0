"""``/sign-transactions``: the デジタル認証アプリ-style signing API beside the OpenID
provider (see :mod:`mynumber.orgs.portal.services.sign_transactions`). The relying party
creates a transaction and collects the JWE with its access token (``Authorization: Bearer``,
scope ``sign``); the person's device shows and authorises it by the transaction's id."""

from __future__ import annotations

import base64
import binascii

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from mynumber.errors import InvalidInput
from mynumber.orgs.portal.model.sign_transactions import parse_target
from mynumber.orgs.portal.schemas import (
    SignTransactionAuthorizeIn,
    SignTransactionIn,
    SignTransactionOut,
)
from mynumber.orgs.portal.services.oidc import InvalidToken, OidcProvider, TokenGrant
from mynumber.orgs.portal.services.sign_transactions import ScopeMissing, SignTransactions
from mynumber.orgs.portal.web.deps import SIGN_CLIENT, SIGN_DEVICE
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web.uow import Work


def _b64(text: str, field: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("not base64", field=field) from exc


def _out(tx: dict[str, object], transactions: SignTransactions) -> SignTransactionOut:
    return SignTransactionOut(
        sign_transaction_id=str(tx["id"]),
        client_id=str(tx["client_id"]),
        digest_info=base64.b64encode(transactions.digest_info(tx)).decode(),
        status=str(tx["status"]),
        expires_at=tx["expires_at"],
    )


def _bearer_refusal(code: str, message: str, status: int) -> JSONResponse:
    return JSONResponse(
        {"error": code, "error_description": message},
        status_code=status,
        headers={"WWW-Authenticate": f'Bearer error="{code}", error_description="{message}"'},
    )


def router(provider: OidcProvider, transactions: SignTransactions) -> APIRouter:
    api = APIRouter(prefix="/sign-transactions", tags=["sign transactions"])

    def grant_of(uow: UnitOfWork, request: Request) -> TokenGrant:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken("send the access token as a Bearer token")
        return provider.token_grant(uow, token.strip())

    @api.post("", response_model=SignTransactionOut, status_code=201, dependencies=[SIGN_CLIENT])
    def create(
        uow: Work, body: SignTransactionIn, request: Request
    ) -> SignTransactionOut | JSONResponse:
        """A relying party asks the person of its token to sign a hash (or DigestInfo)."""
        try:
            grant = grant_of(uow, request)
            algorithm, digest = parse_target(hash_b64=body.hash, digest_info_b64=body.digest_info)
            return _out(transactions.create(uow, grant, algorithm, digest), transactions)
        except InvalidToken as exc:
            return _bearer_refusal("invalid_token", exc.message, 401)
        except ScopeMissing as exc:
            return _bearer_refusal("insufficient_scope", exc.message, 403)

    @api.get("/{tx_id}", response_model=SignTransactionOut, dependencies=[SIGN_DEVICE])
    def show(uow: Work, tx_id: str) -> SignTransactionOut:
        """What the person's device is asked to sign, and for which relying party."""
        return _out(transactions.get(uow, tx_id), transactions)

    @api.post("/{tx_id}/authorize", dependencies=[SIGN_DEVICE])
    def authorize(uow: Work, tx_id: str, body: SignTransactionAuthorizeIn) -> dict[str, str]:
        """The card's signature and certificate; refused if revoked or not over this."""
        return transactions.authorize(
            uow, tx_id, _b64(body.signature, "signature"), _b64(body.certificate, "certificate")
        )

    @api.get("/{tx_id}/result", response_class=Response, dependencies=[SIGN_CLIENT])
    def result(uow: Work, tx_id: str, request: Request) -> Response:
        """The signature and certificate as a JWE to the relying party's registered key."""
        try:
            grant = grant_of(uow, request)
            return Response(transactions.result(uow, tx_id, grant), media_type="application/jose")
        except InvalidToken as exc:
            return _bearer_refusal("invalid_token", exc.message, 401)
        except ScopeMissing as exc:
            return _bearer_refusal("insufficient_scope", exc.message, 403)

    return api
