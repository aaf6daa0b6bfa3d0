"""The key that signs Mynaportal's ID tokens (RS256), and the JWKS that publishes it.

The key lives in ``DATA/portal/oidc-signing.demo-key.pem`` (mode 0600): made on first start as
a demo value, never to be reused elsewhere; a deployment puts its own key there first. The
``kid`` is the key's RFC 7638 thumbprint, so a new key gets a new ``kid``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from joserfc.jwk import RSAKey

ALGORITHM = "RS256"
KEY_FILE = "oidc-signing.demo-key.pem"


def load_or_create_signing_key(folder: Path) -> RSAKey:
    """The provider's signing key (RSA-2048), made once (atomically) if missing."""
    path = folder / KEY_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        fresh = RSAKey.generate_key(2048, private=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(fresh.as_pem(private=True))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)  # never replaces a key another process made
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    key = RSAKey.import_key(path.read_bytes(), {"use": "sig", "alg": ALGORITHM})
    key.ensure_kid()
    return key


def jwks(key: RSAKey) -> dict[str, Any]:
    """The public JWK Set (RFC 7517) relying parties check ID tokens with."""
    return {"keys": [key.as_dict(private=False)]}
