"""The portal's client of J-LIS: CA certificate, OCSP as a registered verifier, the
serial → portal-code link, and the portal's own registration as a verifier."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
from cryptography import x509

from mynumber import errors
from mynumber.platform.http import Directory, ServiceClient, _error_from
from mynumber.platform.signing import Identity


class JlisClient(ServiceClient):
    def __init__(self, directory: Directory, identity: Identity, credential_path: Path) -> None:
        super().__init__(directory, "jlis", identity)
        self.credential_path = credential_path
        self._lock = threading.Lock()
        self._ca: x509.Certificate | None = None
        self._sign_ca: x509.Certificate | None = None

    def _raw(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        url = self.directory.url(self.org) + path
        try:
            response = self.directory.http.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            raise errors.Unavailable(f"jlis did not answer: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise _error_from(self.org, response)
        return response

    def auth_ca(self) -> x509.Certificate:
        """J-LIS's user-authentication root (``/jlis/ca/auth.der``), fetched once."""
        if self._ca is None:
            self._ca = x509.load_der_x509_certificate(self._raw("GET", "/ca/auth.der").content)
        return self._ca

    def sign_ca(self) -> x509.Certificate:
        """J-LIS's signing root (``/jlis/ca/sign.der``): signatures on e-applications."""
        if self._sign_ca is None:
            self._sign_ca = x509.load_der_x509_certificate(self._raw("GET", "/ca/sign.der").content)
        return self._sign_ca

    def credential(self) -> str:
        """The portal's verifier credential, registering with J-LIS on first use."""
        with self._lock:
            if self.credential_path.exists():
                return self.credential_path.read_text(encoding="ascii").strip()
            answer = self.request("POST", "/portal/verifier")
            self.credential_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.credential_path.with_suffix(".tmp")
            tmp.write_text(str(answer["credential"]) + "\n", encoding="ascii")
            tmp.chmod(0o600)
            tmp.replace(self.credential_path)
            return str(answer["credential"])

    def ocsp(self, request_der: bytes, hierarchy: str = "auth") -> bytes:
        headers = {
            "content-type": "application/ocsp-request",
            "authorization": f"Bearer {self.credential()}",
        }
        return self._raw("POST", f"/ocsp/{hierarchy}", content=request_der, headers=headers).content

    def resolve(self, serial: str) -> dict[str, str]:
        """開示システム用符号 of the holder of an auth certificate serial."""
        return dict(self.request("POST", "/portal/resolve", {"serial": serial}))

    def hub_code(self, serial: str) -> str:
        """The portal's code at the linkage hub for the holder of an auth serial."""
        return str(self.request("POST", "/portal/codes", {"serial": serial})["hub_code"])
