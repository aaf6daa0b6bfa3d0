"""Secrets an organisation keeps in its data folder.

On first use a random demo value is written (mode 0600) and kept; a deployment that cares
puts its own file there first. These are sandbox secrets, never to be reused elsewhere.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path


def secret_bytes(path: Path, size: int = 32) -> bytes:
    """The secret stored at ``path``, made (as a demo value) if it does not exist yet."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(secrets.token_bytes(size))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)  # atomic, and never replaces a secret another process made
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    value = path.read_bytes()
    if len(value) != size:
        raise ValueError(f"{path} must hold {size} bytes")
    return value


def same_secret(given: str, expected: str) -> bool:
    """Whether ``given`` equals ``expected``, compared in constant time. Any characters:
    ``hmac.compare_digest`` refuses non-ASCII strings with a TypeError (a 500 for a form
    field or cookie someone typed)."""
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )
