"""J-LIS (``/jlis``), composed here; its routes are in :mod:`.web`.

- numbers: only municipalities, signing their requests, may ask for My Numbers;
- cards: municipalities apply for cards; municipalities and J-LIS's own operator (staff)
  suspend cards and revoke certificates (``web.cards``);
- phones: a resident's phone asks for its certificates with the card (``web.phones``);
- PKI: CA certificates for anyone, OCSP and CRLs for registered verifiers, verifier
  registration and withdrawal for J-LIS's operator (``web.revocation``).

Who may call each route is in ``deps`` (staff permissions) and the ``signed_by`` and
``public`` declarations beside the routes.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from mynumber.orgs.jlis import acquisition, web
from mynumber.orgs.jlis.authority import AuthorityStore
from mynumber.orgs.jlis.cards import CardIssuer
from mynumber.orgs.jlis.clients import HubCodesClient, KioskRelayClient, MunicipalityClients
from mynumber.orgs.jlis.kiosk_center import KioskCenter
from mynumber.orgs.jlis.lgpki import LgpkiAuthority
from mynumber.orgs.jlis.model import ROLES
from mynumber.orgs.jlis.numbering import Numbering
from mynumber.orgs.jlis.phones import PhoneIssuer
from mynumber.orgs.jlis.pin_reset import PinResets
from mynumber.orgs.jlis.revocation import RevocationService
from mynumber.orgs.jlis.services import health
from mynumber.orgs.jlis.verifiers import VerifierUnauthorized
from mynumber.orgs.jlis.web import kiosk as kiosk_web
from mynumber.platform.composition import OrgServices, expose
from mynumber.platform.context import OrgContext
from mynumber.platform.db import create_org_engine, migrate
from mynumber.platform.secrets import secret_bytes
from mynumber.platform.staff.web import install as install_staff
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web import new_app, problem

ORG = "jlis"


@dataclass(frozen=True, slots=True)
class JlisServices(OrgServices):
    """J-LIS's services, as the federation and the tests reach them."""

    authority: AuthorityStore
    cards: CardIssuer
    revocation: RevocationService
    pin_resets: PinResets
    lgpki: LgpkiAuthority
    kiosk_center: KioskCenter
    phones: PhoneIssuer


async def _verifier_refused(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, VerifierUnauthorized)
    response = problem(401, exc.code, exc.message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="jlis"'
    return response


def create_app(ctx: OrgContext) -> FastAPI:
    """J-LIS: its database and keys, the card issuer, revocation and linkage, its routes."""
    engine = create_org_engine(ctx.settings, ORG)
    migrate(engine, "mynumber.orgs.jlis.migrations")
    numbering = Numbering(secret_bytes(ctx.settings.data_dir / "jlis" / "numbering.key"))
    # key material is made on first use (the first card, CA certificate or OCSP answer)
    authority = AuthorityStore(ctx.settings.data_dir)
    issuer = CardIssuer(
        authority=authority,
        seal_key_path=ctx.settings.data_dir / "card-seal.key",
        base_url=ctx.settings.base_url,
        code_fingerprint=lambda code: numbering.fingerprint("code", code),
        item_fingerprint=numbering.fingerprint,
    )
    revocation = RevocationService(authority=authority)
    phones = PhoneIssuer(authority=authority, ocsp_url=issuer.ocsp_url, crl_url=issuer.crl_url)
    pin_resets = PinResets(
        issuer=issuer, key=secret_bytes(ctx.settings.data_dir / "jlis" / "pin-reset.key")
    )

    app = new_app(
        title="J-LIS",
        description="地方公共団体情報システム機構: My Numbers from resident record codes; the JPKI "
        "certificate authority, card issuance, suspension, OCSP and CRLs.",
    )
    app.add_exception_handler(VerifierUnauthorized, _verifier_refused)
    staff = install_staff(app, ctx, engine=engine, roles=ROLES, title=app.title)
    app.include_router(
        web.router(
            numbering=numbering,
            authority=authority,
            issuer=issuer,
            phone_issuer=phones,
            revocation_service=revocation,
            acquisition=acquisition.acquisition_for(ctx, numbering=numbering),
            hub=HubCodesClient(ctx.directory, "hub", ctx.identity),
            municipalities=MunicipalityClients(ctx.directory, ctx.identity),
            portal_key=secret_bytes(ctx.settings.data_dir / "jlis" / "portal-code.key"),
            staff=staff,
            pin_resets=pin_resets,
        )
    )
    # LGPKI and the 証明書交付センター (コンビニ交付)
    lgpki = LgpkiAuthority(ctx.settings.data_dir)
    center = KioskCenter(
        authority=authority,
        revocation=revocation,
        relay=lambda code: KioskRelayClient(ctx.directory, f"municipality-{code}", ctx.identity),
        holder_items=MunicipalityClients(ctx.directory, ctx.identity).holder_items,
    )
    app.include_router(kiosk_web.router(lgpki=lgpki, center=center))
    expose(
        app,
        JlisServices(
            org=ORG,
            engine=engine,
            staff=staff,
            health=lambda: health(UnitOfWork(engine)),
            authority=authority,
            cards=issuer,
            revocation=revocation,
            pin_resets=pin_resets,
            lgpki=lgpki,
            kiosk_center=center,
            phones=phones,
        ),
    )
    return app
