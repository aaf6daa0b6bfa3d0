"""The platform operator's clients: J-LIS, as a registered 署名検証者 / 利用者証明検証者."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from mynumber.platform.http import Directory
from mynumber.platform.jlis_verifier import JlisVerifierClient
from mynumber.platform.signing import Identity


class JlisClient(JlisVerifierClient):
    """J-LIS: the roots, OCSP with the platform's credential, the sign → auth serial link."""

    def __init__(self, directory: Directory, identity: Identity, credential_path: Path) -> None:
        super().__init__(directory, identity, credential_path, register_path="/verifiers/platform")

    def auth_serial(self, sign_serial: str) -> dict[str, str]:
        """The user-authentication certificate serial of the card a signing serial is on."""
        answer = self._raw(
            "POST",
            "/platforms/serial-link",
            json={"serial": sign_serial},
            headers={"authorization": f"Bearer {self.credential()}"},
        )
        return {str(k): str(v) for k, v in answer.json().items()}

    def latest_items(self, sign_serial: str, data: bytes, cms: bytes) -> dict[str, Any]:
        """J-LIS's latest four items of the signing certificate's holder, with the consent."""
        body = {
            "serial": sign_serial,
            "consent_data": base64.b64encode(data).decode(),
            "consent_signature": base64.b64encode(cms).decode(),
        }
        answer = self._raw(
            "POST",
            "/platforms/latest-items",
            json=body,
            headers={"authorization": f"Bearer {self.credential()}"},
        )
        return dict(answer.json())
