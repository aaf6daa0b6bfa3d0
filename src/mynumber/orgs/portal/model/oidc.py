"""The rules of Mynaportal's OpenID Connect provider, in plain Python: scopes and claims,
the pairwise ``sub``, client secrets, lifetimes, and the statement a person signs to release
the four basic items.

**Pairwise sub** (OpenID Connect Core §8.1): ``sub`` is
``base64url(HMAC-SHA256(K, "mynaportal-oidc-sub" 0x00 sector 0x00 portal_code))`` where ``K``
is the portal's 32-byte secret (``DATA/portal/oidc-pairwise.key``) and ``sector`` the relying
party's sector identifier (by default the host of its redirect URIs). The same person gets
the same ``sub`` at one party every time and unrelated values at two parties; without ``K``
no one can link them, and the portal's own code never leaves the portal.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from mynumber.errors import Forbidden, InvalidInput, NotFound
from mynumber.pki import BasicItems, Gender

#: A code lives 60 s and is answered once; a waiting authorization request 10 min.
CODE_TTL = dt.timedelta(seconds=60)
REQUEST_TTL = dt.timedelta(minutes=10)
TOKEN_TTL = dt.timedelta(minutes=10)

OPENID = "openid"
BASIC4 = "profile_basic4"
#: Sign transactions (the デジタル認証アプリ-style API): the token may create them; each is
#: still authorised by the person with the card.
SIGN = "sign"
#: One basic item each (the デジタル認証アプリ's scopes; the claim has the scope's name). They
#: are released without the JPKI proof: the signing certificate in the proof carries all four
#: items, so it would show the ones not asked for (this project's reading).
NAME, ADDRESS, BIRTHDATE, GENDER = "name", "address", "birthdate", "gender"
ITEM_SCOPES = (NAME, ADDRESS, BIRTHDATE, GENDER)
SCOPES = (OPENID, BASIC4, *ITEM_SCOPES, SIGN)
#: The claims ``profile_basic4`` releases, with the JPKI proof an RP can check by itself.
BASIC4_CLAIMS = ITEM_SCOPES
PROOF_CLAIMS = ("jpki_sign_cert", "jpki_signature", "jpki_statement")

#: What the consent page says each scope releases: (日本語, English).
SCOPE_LABELS: dict[str, tuple[str, str]] = {
    OPENID: (
        "このサービス専用の利用者識別子（他のサービスとは共通になりません）",
        "An identifier for you at this service only (no other service sees the same one)",
    ),
    BASIC4: (
        "基本4情報（氏名・住所・生年月日・性別）— 署名用電子証明書で署名して提供します",
        "The four basic items (name, address, birth date, sex), signed with your "
        "signing certificate",
    ),
    NAME: (
        "氏名（署名用電子証明書の記載事項）",
        "Your name, as your signing certificate states it",
    ),
    ADDRESS: (
        "住所（署名用電子証明書の記載事項）",
        "Your address, as your signing certificate states it",
    ),
    BIRTHDATE: (
        "生年月日（署名用電子証明書の記載事項）",
        "Your birth date, as your signing certificate states it",
    ),
    GENDER: (
        "性別（署名用電子証明書の記載事項）",
        "Your sex, as your signing certificate states it",
    ),
    SIGN: (
        "電子署名の依頼（署名のたびにカードと署名用パスワードで承認します）",
        "Requests for your electronic signature (you approve each with your card and "
        "signing password)",
    ),
}

#: The same, short, for the list of services a person has allowed.
SCOPE_SHORT: dict[str, tuple[str, str]] = {
    OPENID: ("利用者識別子", "Identifier"),
    BASIC4: ("基本4情報（署名付き）", "Four basic items, signed"),
    NAME: ("氏名", "Name"),
    ADDRESS: ("住所", "Address"),
    BIRTHDATE: ("生年月日", "Birth date"),
    GENDER: ("性別", "Sex"),
    SIGN: ("電子署名の依頼", "Signature requests"),
}

STATEMENT_TYPE = "mynaportal-basic4-release"
SUB_LABEL = b"mynaportal-oidc-sub"


class OidcRequestUnknown(NotFound):
    code = "oidc_request_unknown"


class ClientUnknown(NotFound):
    code = "client_unknown"


class ConsentRequired(Forbidden):
    code = "consent_required"


def hash_secret(value: str) -> str:
    """Secrets, codes and tokens are 256-bit random values kept by their SHA-256."""
    return hashlib.sha256(value.encode()).hexdigest()


def check_secret(value: str, expected_hash: str | None) -> bool:
    return expected_hash is not None and hmac.compare_digest(hash_secret(value), expected_hash)


def new_client_id() -> str:
    return "rp_" + secrets.token_urlsafe(18)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def pairwise_sub(key: bytes, sector: str, portal_code: str) -> str:
    """The person's ``sub`` at the relying parties of ``sector`` (see the module docstring)."""
    message = SUB_LABEL + b"\x00" + sector.encode() + b"\x00" + portal_code.encode()
    digest = hmac.digest(key, message, "sha256")
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def check_redirect_uri(uri: str) -> str:
    """A redirect URI a client may register: absolute https, or http on a loopback host
    (RFC 8252 §7.3); no fragment."""
    if not isinstance(uri, str) or len(uri) > 500:
        raise InvalidInput("the redirect URI is too long", field="redirect_uri")
    parts = urlsplit(uri)
    loopback = parts.hostname in LOOPBACK
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise InvalidInput(
            "a redirect URI must be https (or http on localhost)", field="redirect_uri"
        )
    if not parts.hostname or parts.fragment:
        raise InvalidInput("a redirect URI needs a host and no fragment", field="redirect_uri")
    return uri


LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


def sector_of(redirect_uris: Iterable[str], client_id: str, sector: str | None = None) -> str:
    """The sector identifier: given, or the one host all the redirect URIs share. Loopback
    redirect URIs (native apps, RFC 8252) name no one, so such a client is a sector of its
    own (``client:<client_id>``): two apps on 127.0.0.1 must not share a ``sub``."""
    hosts = {(urlsplit(u).hostname or "").lower() for u in redirect_uris}
    if sector:
        if len(sector) > 255 or not sector.strip():
            raise InvalidInput("the sector identifier is not a host name", field="sector")
        return sector.strip().lower()
    if hosts <= LOOPBACK:
        return f"client:{client_id}"
    if len(hosts) != 1:
        raise InvalidInput(
            "redirect URIs on several hosts need --sector (one sector identifier)",
            field="sector",
        )
    return hosts.pop()


def client_public_jwk(jwk: Mapping[str, object]) -> str:
    """A private_key_jwt client's key as kept (JSON): an RSA public key of 2048 bits or
    more; a private key or anything else is refused. This project's choice: the one key
    both verifies the client's assertions and receives its sign-transaction results (JWE),
    so only ``kty``, ``n``, ``e`` (and ``kid``) are kept, not ``use``/``key_ops``."""
    if any(part in jwk for part in ("d", "p", "q")):
        raise InvalidInput("jwk must be a public key (no private parts)", field="jwk")
    kept = {name: jwk[name] for name in ("kty", "n", "e", "kid") if name in jwk}
    try:
        key = RSAKey.import_key(kept)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise InvalidInput("jwk must be an RSA public key", field="jwk") from exc
    if key.is_private or key.raw_value.key_size < 2048:
        raise InvalidInput("jwk must be an RSA public key of 2048 bits or more", field="jwk")
    return json.dumps(key.as_dict(private=False), sort_keys=True)


def scopes_of(scope: str | None) -> list[str]:
    return [s for s in (scope or "").split() if s]


def allowed_scope(requested: str | None) -> str | None:
    """The supported part of the requested scope; ``None`` (invalid_scope) without openid."""
    wanted = scopes_of(requested)
    if OPENID not in wanted:
        return None
    return " ".join(s for s in SCOPES if s in wanted)


def gender_claim(gender: Gender) -> str:
    """OpenID's ``gender`` from the ISO 5218 code in the certificate."""
    return {
        Gender.MALE: "male",
        Gender.FEMALE: "female",
        Gender.NOT_KNOWN: "not_known",
        Gender.NOT_APPLICABLE: "not_applicable",
    }[gender]


def wants_items(scopes: list[str] | tuple[str, ...]) -> bool:
    """Whether the scopes release any basic item (each release is signed by the person)."""
    return BASIC4 in scopes or any(s in scopes for s in ITEM_SCOPES)


def released_claims(scopes: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The basic items the scopes release: all four with ``profile_basic4``, else the ones
    named by their own scopes."""
    if BASIC4 in scopes:
        return BASIC4_CLAIMS
    return tuple(s for s in ITEM_SCOPES if s in scopes)


def basic4_claims(items: BasicItems) -> dict[str, str]:
    return {
        "name": items.name,
        "address": items.address,
        "birthdate": items.birth_date.isoformat(),
        "gender": gender_claim(items.gender),
    }


def release_statement(
    *,
    issuer: str,
    client_id: str,
    client_name: str,
    nonce: str | None,
    at: dt.datetime,
    claims: tuple[str, ...] = BASIC4_CLAIMS,
) -> bytes:
    """The exact bytes a person signs with the signing key to release the four basic items
    to one relying party for one login (its ``nonce``); the RP receives them as
    ``jpki_statement`` and checks the CMS signature over them."""
    body = {
        "type": STATEMENT_TYPE,
        "iss": issuer,
        "client_id": client_id,
        "client_name": client_name,
        "nonce": nonce,
        "claims": list(claims),
        "iat": int(at.timestamp()),
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
