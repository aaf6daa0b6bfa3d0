"""J-LIS as a 検証者 (a registered verifier) sees it: the JPKI roots, registration once, and
OCSP with the credential J-LIS gave.

Only registered verifiers may ask J-LIS for certificate status (domain reference §3.3): the
portal (利用者証明 — logins) and the municipalities (署名検証 — e-applications) register on
first need and keep the credential in their own data folder.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509

from mynumber import errors
from mynumber.pki import OCSPCheck, Purpose, build_ocsp_request, check_ocsp_response
from mynumber.pki.names import ca_of
from mynumber.platform.http import Directory, ServiceClient, error_from_response
from mynumber.platform.signing import Identity


class JlisVerifierClient(ServiceClient):
    """``register_path`` is where this kind of verifier files its notice with J-LIS."""

    def __init__(
        self,
        directory: Directory,
        identity: Identity,
        credential_path: Path,
        *,
        register_path: str,
    ) -> None:
        super().__init__(directory, "jlis", identity)
        self.credential_path = credential_path
        self.register_path = register_path
        self._lock = threading.Lock()
        self._roots: dict[str, x509.Certificate] = {}

    def _raw(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = self.directory.url(self.org) + path
        try:
            response = self.directory.http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise errors.Unavailable(f"jlis did not answer: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise error_from_response(self.org, response)
        return response

    def _root(self, hierarchy: str) -> x509.Certificate:
        if hierarchy not in self._roots:
            der = self._raw("GET", f"/ca/{hierarchy}.der").content
            self._roots[hierarchy] = x509.load_der_x509_certificate(der)
        return self._roots[hierarchy]

    def auth_ca(self) -> x509.Certificate:
        """J-LIS's user-authentication root (``/jlis/ca/auth.der``), fetched once."""
        return self._root("auth")

    def sign_ca(self) -> x509.Certificate:
        """J-LIS's signing root (``/jlis/ca/sign.der``), fetched once."""
        return self._root("sign")

    def auth_roots(self) -> list[x509.Certificate]:
        """The user-authentication roots of both card generations (``auth``, ``auth-g2``)."""
        return [self._root("auth"), self._root("auth-g2")]

    def sign_roots(self) -> list[x509.Certificate]:
        """The signing roots of both card generations (``sign``, ``sign-g2``)."""
        return [self._root("sign"), self._root("sign-g2")]

    def roots(self, purpose: Purpose) -> list[x509.Certificate]:
        """Both card generations' roots of ``purpose`` (what every verifier trusts)."""
        return self.auth_roots() if purpose is Purpose.AUTH else self.sign_roots()

    def check_status(
        self, certificate: x509.Certificate, issuer: x509.Certificate, at: dt.datetime
    ) -> OCSPCheck:
        """J-LIS's verified OCSP answer (with a nonce) about ``certificate``, from the
        responder of the hierarchy ``issuer`` heads (either generation); raises
        :class:`mynumber.pki.CertificateRevoked` and the other verification errors."""
        nonce = os.urandom(16)
        request = build_ocsp_request(certificate, issuer, nonce)
        answer = self.ocsp(request, hierarchy_of(issuer))
        return check_ocsp_response(answer, certificate, issuer, at, nonce)

    def credential(self) -> str:
        """This verifier's credential, registering with J-LIS on first use."""
        with self._lock:
            if self.credential_path.exists():
                return self.credential_path.read_text(encoding="ascii").strip()
            answer = self.request("POST", self.register_path)
            self.credential_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.credential_path.with_suffix(".tmp")
            tmp.write_text(str(answer["credential"]) + "\n", encoding="ascii")
            tmp.chmod(0o600)
            tmp.replace(self.credential_path)
            return str(answer["credential"])

    def ocsp(self, request_der: bytes, hierarchy: str = "auth") -> bytes:
        """J-LIS's OCSP answer (DER) for ``hierarchy`` (``auth``, ``sign``, ``auth-g2``,
        ``sign-g2``: :func:`hierarchy_of` names the one of a verified chain's anchor)."""
        headers = {
            "content-type": "application/ocsp-request",
            "authorization": f"Bearer {self.credential()}",
        }
        return self._raw("POST", f"/ocsp/{hierarchy}", content=request_der, headers=headers).content


def hierarchy_of(anchor: x509.Certificate) -> str:
    """J-LIS's name of the hierarchy whose root ``anchor`` is: ``auth`` or ``sign``, with
    ``-g2`` for the generation-2 card's hierarchies."""
    purpose, generation = ca_of(anchor.subject)
    return purpose.value if generation == 1 else f"{purpose.value}-g2"
