"""J-LIS's public PKI routes: CA certificates for anyone; OCSP and CRLs for registered
verifiers only (domain-reference §3.3); verifier registration and withdrawal for J-LIS's
operator (staff, ``verifiers.manage``)."""

from email.utils import format_datetime
from typing import Annotated

from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from mynumber.orgs.jlis import verifiers
from mynumber.orgs.jlis.authority import AuthorityStore
from mynumber.orgs.jlis.deps import VerifierManager
from mynumber.orgs.jlis.hierarchy import Hierarchy
from mynumber.orgs.jlis.revocation import RevocationService
from mynumber.orgs.jlis.schemas import VerifierIn, VerifierOut
from mynumber.platform.policy import public, tagged
from mynumber.platform.staff.services import Staff
from mynumber.platform.web.uow import Work

OCSP_RESPONSE = "application/ocsp-response"
PKIX_CRL = "application/pkix-crl"
PKIX_CERT = "application/pkix-cert"
PEM_FILE = "application/x-pem-file"

_bearer = HTTPBearer(auto_error=False, description="a registered verifier's credential")


async def _raw_body(request: Request) -> bytes:
    return await request.body()


def router(
    *,
    authority: AuthorityStore,
    revocation: RevocationService,
    staff: Staff,
) -> APIRouter:
    api = APIRouter()
    trust_anchor = public("CA certificates and J-LIS's public keys are published for trust stores")

    @tagged("verifier", "a registered verifier's credential (Authorization: Bearer jv_…)")
    def registered_verifier(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        uow: Work,
    ) -> str:
        header = None if credentials is None else f"{credentials.scheme} {credentials.credentials}"
        return verifiers.authenticate(uow, header)

    Verifier = Annotated[str, Depends(registered_verifier)]  # noqa: N806 - a dependency alias

    @api.get(
        "/ca/{hierarchy}.pem", tags=["pki"], response_class=Response, dependencies=[trust_anchor]
    )
    def ca_pem(hierarchy: Hierarchy) -> Response:
        """The root CA certificate of a hierarchy (PEM), for trust stores: ``auth``,
        ``sign``, or the generation-2 card's ``auth-g2``, ``sign-g2``."""
        cert = authority.ca_certificate(hierarchy.purpose, hierarchy.generation)
        return Response(cert.public_bytes(serialization.Encoding.PEM), media_type=PEM_FILE)

    @api.get(
        "/ca/{hierarchy}.der", tags=["pki"], response_class=Response, dependencies=[trust_anchor]
    )
    def ca_der(hierarchy: Hierarchy) -> Response:
        """The root CA certificate of a hierarchy (DER)."""
        cert = authority.ca_certificate(hierarchy.purpose, hierarchy.generation)
        return Response(cert.public_bytes(serialization.Encoding.DER), media_type=PKIX_CERT)

    @api.get(
        "/keys/text-ap.pem", tags=["pki"], response_class=Response, dependencies=[trust_anchor]
    )
    def text_ap_key() -> Response:
        """J-LIS's public key that verifies the seal over a card's text AP."""
        key = authority.get().text_key.public_key()
        pem = key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return Response(pem, media_type=PEM_FILE)

    @api.get("/crl/{hierarchy}.crl", tags=["revocation"], response_class=Response)
    def crl(hierarchy: Hierarchy, verifier: Verifier, uow: Work) -> Response:
        """The CRL of a hierarchy (DER, RFC 5280), for registered verifiers."""
        der, next_update = revocation.crl(uow, hierarchy)
        return Response(
            der, media_type=PKIX_CRL, headers={"Expires": format_datetime(next_update, usegmt=True)}
        )

    @api.post("/ocsp/{hierarchy}", tags=["revocation"], response_class=Response)
    def ocsp_post(
        hierarchy: Hierarchy,
        verifier: Verifier,
        body: Annotated[bytes, Depends(_raw_body)],
        uow: Work,
    ) -> Response:
        """OCSP (RFC 6960), body ``application/ocsp-request``; for registered verifiers."""
        return Response(revocation.ocsp(uow, hierarchy, body), media_type=OCSP_RESPONSE)

    @api.get("/ocsp/{hierarchy}/{request:path}", tags=["revocation"], response_class=Response)
    def ocsp_get(hierarchy: Hierarchy, request: str, verifier: Verifier, uow: Work) -> Response:
        """OCSP over GET (RFC 6960 Appendix A.1): the base64 DER request in the path."""
        return Response(revocation.ocsp_get(uow, hierarchy, request), media_type=OCSP_RESPONSE)

    @api.post("/verifiers", tags=["verifiers"], response_model=VerifierOut, status_code=201)
    def register_verifier(body: VerifierIn, acting: VerifierManager, uow: Work) -> VerifierOut:
        """Register a verifier (J-LIS's operator); the credential is shown this once."""
        verifier, credential = verifiers.register(uow, name=body.name)
        staff.log(
            acting,
            action="verifiers.register",
            purpose="verifier registration",
            detail={"verifier": verifier.id, "name": verifier.name},
        )
        return VerifierOut(
            id=verifier.id,
            name=verifier.name,
            created_at=verifier.created_at,
            active=verifier.active,
            credential=credential,
        )

    @api.post("/verifiers/{verifier_id}/deactivate", tags=["verifiers"], status_code=204)
    def deactivate_verifier(verifier_id: str, acting: VerifierManager, uow: Work) -> Response:
        """Withdraw a registration: the verifier's credential stops working at once."""
        verifiers.deactivate(uow, verifier_id)
        staff.log(
            acting,
            action="verifiers.withdraw",
            purpose="verifier registration",
            detail={"verifier": verifier_id},
        )
        return Response(status_code=204)

    return api
