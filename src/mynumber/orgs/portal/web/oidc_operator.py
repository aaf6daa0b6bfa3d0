"""``/api/oidc/clients``: the portal operator (運用担当, permission ``oidc.clients``) registers,
lists and removes the relying parties of the OpenID provider; each act is in the portal's
access log. ``mynumber portal client …`` calls these routes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from mynumber.orgs.portal.schemas import ClientIn
from mynumber.orgs.portal.services.oidc_clients import RelyingParties, RelyingParty
from mynumber.orgs.portal.web.deps import Operator
from mynumber.platform.web.uow import Work

PURPOSE = "連携サービスの管理 (managing OpenID relying parties)"


def client_out(client: RelyingParty) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "name": client.name,
        "public": client.public,
        "token_endpoint_auth_method": (
            "none"
            if client.public
            else "private_key_jwt"
            if client.jwk is not None
            else "client_secret_basic"
        ),
        "sector": client.sector,
        "redirect_uris": list(client.redirect_uris),
    }


def router(parties: RelyingParties) -> APIRouter:
    api = APIRouter(prefix="/api/oidc/clients", tags=["openid relying parties"])

    def log(request: Request, acting: Operator, action: str, client_id: str) -> None:
        request.app.state.staff.log(
            acting, action=action, purpose=PURPOSE, detail={"client_id": client_id}
        )

    @api.post("", status_code=201)
    def add(uow: Work, body: ClientIn, request: Request, acting: Operator) -> dict[str, Any]:
        """Register a relying party; a confidential one's secret is in this answer only."""
        made = parties.add(
            uow,
            name=body.name,
            redirect_uris=body.redirect_uris,
            public=body.public,
            sector=body.sector,
            jwk=body.jwk,
        )
        log(request, acting, "oidc.client.add", made.client.client_id)
        return client_out(made.client) | {"client_secret": made.secret}

    @api.get("")
    def listed(uow: Work, _: Operator) -> list[dict[str, Any]]:
        """Every registered relying party (never a secret)."""
        return [client_out(c) for c in parties.all(uow)]

    @api.delete("/{client_id}", status_code=204)
    def remove(uow: Work, client_id: str, request: Request, acting: Operator) -> Response:
        """Remove a relying party: its consents, codes and tokens stop working at once."""
        parties.remove(uow, client_id[:100])
        log(request, acting, "oidc.client.remove", client_id[:100])
        return Response(status_code=204)

    return api
