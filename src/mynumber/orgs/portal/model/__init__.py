"""The portal's rules, in plain Python: challenges, sessions, and what to tell a person
whose login was refused.

A challenge is 32 random bytes, valid for :data:`CHALLENGE_TTL` and answered once; the card
signs it with the user-authentication key (PKCS#1 v1.5, SHA-256; domain-reference §4.5,
the MPA host's mode ``01``). A session ends after :data:`IDLE_TIMEOUT` without a request,
and :data:`SESSION_LIFETIME` after the login however busy it is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from mynumber.errors import Conflict, Forbidden, NotFound, Unauthorized
from mynumber.jst import JST
from mynumber.platform.staff.model import Role, Roles

CHALLENGE_TTL = dt.timedelta(minutes=5)
IDLE_TIMEOUT = dt.timedelta(minutes=15)
#: A session's absolute lifetime: this project's choice (the real portal's is not public).
SESSION_LIFETIME = dt.timedelta(hours=8)
#: How long a used or expired challenge is kept past its expiry, so that a browser still
#: polling learns "expired" rather than "unknown"; then it is swept (this project's choice).
CHALLENGE_KEEP = dt.timedelta(minutes=10)
CHALLENGE_BYTES = 32
#: the one-time code typed on a phone: no 0/O, 1/I/L (easy to misread)
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8

#: How a person logs in (recorded with every login).
METHODS = ("qr", "phone", "reader", "cli")

#: What to do when a login is refused, by error code: (日本語, English).
ADVICE: dict[str, tuple[str, str]] = {
    "certificate_revoked": (
        "この電子証明書は失効しています（カードの一時停止など）。お住まいの市区町村の窓口に"
        "お問い合わせください。",
        "The certificate is revoked (the card may be suspended): ask your municipality's counter.",
    ),
    "certificate_expired": (
        "電子証明書の有効期限が切れています。市区町村の窓口で更新してください。",
        "The certificate has expired: renew it at your municipality's counter.",
    ),
    "certificate_not_yet_valid": (
        "電子証明書はまだ有効になっていません。時計を確認してください。",
        "The certificate is not valid yet: check the device's clock.",
    ),
    "unknown_issuer": (
        "J-LISが発行した利用者証明用電子証明書ではありません。マイナンバーカードを使ってください。",
        "This is not a J-LIS user-authentication certificate: use your My Number card.",
    ),
    "wrong_purpose": (
        "利用者証明用電子証明書で署名してください。",
        "Sign with the user-authentication certificate.",
    ),
    "signature_invalid": (
        "署名がこの証明書と一致しません。もう一度カードを読み取ってください。",
        "The signature does not match the certificate: read the card again.",
    ),
    "malformed_certificate": (
        "電子証明書を読み取れませんでした。もう一度カードを読み取ってください。",
        "The certificate could not be read: read the card again.",
    ),
    "revocation_unknown": (
        "失効確認ができませんでした。しばらくしてからもう一度お試しください。",
        "The revocation status could not be checked: try again later.",
    ),
    "challenge_used": (
        "このログイン用コードは使用済みです。ログイン画面を開き直してください。",
        "This login code was already used: open the login page again.",
    ),
    "challenge_expired": (
        "このログイン用コードは有効期限切れです。ログイン画面を開き直してください。",
        "This login code has expired: open the login page again.",
    ),
    "challenge_unknown": (
        "ログイン用コードが見つかりません。PCの画面に表示されたコードを確認してください。",
        "No such login code: check the code shown on the PC.",
    ),
    "holder_unknown": (
        "このカードの持ち主を確認できません。市区町村の窓口にお問い合わせください。",
        "The card's holder cannot be confirmed: ask your municipality's counter.",
    ),
    "pin_incorrect": (
        "暗証番号が違います。",
        "Wrong PIN.",
    ),
    "pin_blocked": (
        "暗証番号がロックされています。お住まいの市区町村の窓口で暗証番号の初期化をしてください。",
        "The PIN is locked: have it reset at your municipality's counter.",
    ),
}


def advice(code: str) -> str:
    ja, en = ADVICE.get(code, ("ログインできませんでした。", "The login was refused."))
    return f"{ja} / {en}"


class ChallengeUnknown(NotFound):
    code = "challenge_unknown"


class ChallengeUsed(Conflict):
    code = "challenge_used"


class ChallengeExpired(Unauthorized):
    code = "challenge_expired"


class LoginRefused(Unauthorized):
    """A login was refused; ``code`` is the reason's (``certificate_revoked`` …)."""

    code = "login_refused"


class SessionRequired(Unauthorized):
    code = "session_required"


class CsrfRefused(Forbidden):
    code = "csrf_refused"


def refused(code: str, message: str) -> LoginRefused:
    return LoginRefused(f"{message} — {advice(code)}", code=code)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    """A typed code, forgiving case, spaces and hyphens."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def token_hash(token: str) -> str:
    """Sessions and pairings are kept by the SHA-256 of their 256-bit random token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Challenge:
    id: str
    code: str
    nonce: bytes
    created_at: dt.datetime
    expires_at: dt.datetime
    method: str

    def check_fresh(self, now: dt.datetime) -> None:
        if now >= self.expires_at:
            raise ChallengeExpired(f"the login code has expired — {advice('challenge_expired')}")


@dataclass(frozen=True, slots=True)
class Session:
    portal_code: str
    csrf: str
    created_at: dt.datetime
    last_seen: dt.datetime
    acting_for: str | None = None  # 代理: the person whose data this session shows

    def check_idle(self, now: dt.datetime) -> None:
        if now - self.last_seen > IDLE_TIMEOUT:
            raise SessionRequired("the session ended after 15 minutes without use: log in again")

    def check_live(self, now: dt.datetime) -> None:
        """Raise :class:`SessionRequired` if the session idled out or outlived its lifetime."""
        self.check_idle(now)
        if now - self.created_at > SESSION_LIFETIME:
            raise SessionRequired("the session ended 8 hours after the login: log in again")


# --- staff roles (see platform/staff) --------------------------------------------------------

#: 運用担当: registers and removes the OpenID Connect relying parties (連携サービス).
ROLES = Roles.of(
    Role("operator", "運用担当 (portal operator)", frozenset({"oidc.clients"})),
)


#: お知らせ of a certificate's end: from this long before it (renewal opens 3 months before;
#: J-LIS mails its notice 2–3 months before [O] services-reference §6). Given once per
#: certificate, at the first login inside the window — this project's channel for it.
EXPIRY_NOTICE_BEFORE = dt.timedelta(days=92)


def expiry_notice(not_after: dt.datetime, now: dt.datetime) -> tuple[str, str] | None:
    """(title, body) of the notice that the login certificate ends soon, or None."""
    if not not_after - EXPIRY_NOTICE_BEFORE <= now < not_after:
        return None
    ends = not_after.astimezone(JST)
    return (
        "電子証明書の有効期限のお知らせ (Your card's certificates expire soon)",
        f"マイナンバーカードの電子証明書は {ends:%Y-%m-%d} に有効期限を迎えます。"
        "お住まいの市区町村の窓口で更新してください（無料、有効期限の3か月前から）。"
        f" / The certificates on your card end on {ends:%Y-%m-%d}: renew them at your "
        "municipality's counter (free, from 3 months before).",
    )
