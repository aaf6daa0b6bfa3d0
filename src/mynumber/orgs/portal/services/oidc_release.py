"""Releasing the four basic items (基本4情報) to a relying party, proven by the signing key.

At consent the person signs, with the card's signing key, a statement naming the relying
party, the login's ``nonce`` and the claims (:func:`~mynumber.orgs.portal.model.oidc.
release_statement`), through a sign request (:mod:`mynumber.orgs.portal.services.signing`, which
checks the CMS, the chain to J-LIS's signing CA and OCSP as a registered verifier). The portal
then checks the CMS over *its* statement once more, and that the signer is the person logged
in: J-LIS links only the login certificate to the portal's account, so the portal compares
the signing certificate's name, birth date and address with the municipality's record of
the logged-in person (自己情報 through the hub, under the portal's own code). The claims
go out with the proof — statement, CMS and certificate — for the party to check itself.
"""

from __future__ import annotations

import base64
import datetime as dt
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from mynumber.errors import Forbidden
from mynumber.orgs.portal.model import oidc as oidc_model
from mynumber.orgs.portal.services.oidc_clients import RelyingParty
from mynumber.orgs.portal.services.self_information import SELF_INFORMATION, HubLink
from mynumber.orgs.portal.services.signing import SignRequests
from mynumber.pki import BasicItems
from mynumber.pki.cms import verify_detached

PURPOSE = ("基本4情報の提供への同意", "Consent to release the four basic items")


class SignerNotHolder(Forbidden):
    """The signing certificate is not the logged-in person's (another card signed)."""

    code = "signer_not_account_holder"


@dataclass(frozen=True, slots=True)
class Asked:
    """A sign request made for a release: its id and the exact bytes to be signed."""

    sign_request: str
    statement: bytes


def _same(a: str, b: str) -> bool:
    def plain(text: str) -> str:
        return "".join(unicodedata.normalize("NFKC", text).split())

    return plain(a) == plain(b)


class BasicItemsRelease:
    """Asks for the release signature and turns a checked one into claims with proof."""

    def __init__(
        self,
        *,
        signing: SignRequests,
        link: HubLink,
        sign_roots: Callable[[], list[x509.Certificate]],
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.signing = signing
        self.link = link
        self.sign_roots = sign_roots
        self.clock = clock

    def ask(
        self,
        *,
        portal_code: str,
        issuer: str,
        client: RelyingParty,
        nonce: str | None,
        next_path: str,
        claims: tuple[str, ...] = oidc_model.BASIC4_CLAIMS,
    ) -> Asked:
        """A sign request for the statement; the phone shows whom it releases what to."""
        statement = oidc_model.release_statement(
            issuer=issuer,
            client_id=client.client_id,
            client_name=client.name,
            nonce=nonce,
            at=self.clock(),
            claims=claims,
        )
        labels = [oidc_model.SCOPE_SHORT[c] for c in claims]
        summary = (
            f"{client.name} に、マイナポータルから次の情報を提供することに同意します。\n"
            f"{'・'.join(ja for ja, _ in labels)}（署名用電子証明書の記載事項）\n"
            f"I agree that Mynaportal gives {client.name} these items, as my signing "
            f"certificate states them: {', '.join(en for _, en in labels)}."
        )
        made = self.signing.create(portal_code, PURPOSE, statement, summary, next_path=next_path)
        return Asked(made.id, statement)

    def collect(
        self,
        *,
        portal_code: str,
        sign_request: str,
        statement: bytes,
        claims: tuple[str, ...] = oidc_model.BASIC4_CLAIMS,
        proof: bool = True,
    ) -> dict[str, str] | None:
        """The ``claims`` once signed (``None`` while not signed yet), with their proof when
        ``proof`` (``profile_basic4``).

        Raises a :class:`mynumber.pki.CertificateError` if the CMS is not over the statement
        or not by a J-LIS signing certificate, :class:`SignerNotHolder` if the certificate
        is not the logged-in person's.
        """
        cms_der = self.signing.result(sign_request, portal_code)
        if cms_der is None:
            return None
        signature = verify_detached(cms_der, statement, self.sign_roots(), self.clock())
        self._check_holder(portal_code, signature.items)
        self.signing.discard_data(sign_request, portal_code)
        released = {
            k: v for k, v in oidc_model.basic4_claims(signature.items).items() if k in claims
        }
        if not proof:
            return released
        return released | {
            "jpki_sign_cert": base64.b64encode(
                signature.certificate.public_bytes(Encoding.DER)
            ).decode(),
            "jpki_signature": base64.b64encode(cms_der).decode(),
            "jpki_statement": base64.b64encode(statement).decode(),
        }

    def _check_holder(self, portal_code: str, items: BasicItems) -> None:
        answer = self.link.ask(
            portal_code,
            procedure=SELF_INFORMATION,
            provider="municipality",
            items=["basic_items"],
        )
        record = dict(answer)["basic_items"]
        if not (
            _same(record["name"], items.name)
            and record["birth_date"] == items.birth_date.isoformat()
            and _same(record["address"], items.address)
        ):
            raise SignerNotHolder(
                "the signing certificate is not yours: sign with your own card / "
                "ご本人のカードの署名用電子証明書で署名してください"
            )
