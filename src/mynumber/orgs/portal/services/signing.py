"""Sign requests: the logged-in person signs exact bytes with the card's SIGNING key.

Modelled on the QR login: the portal makes a request (purpose, the bytes, a summary to
show) with an id, a short one-time code and a QR code; the resident's phone (the app at
``/phone/sign?request=…``, or ``mynumber phone sign``) fetches ``/portal/api/sign/{code}``,
shows who asks and what, has the card sign a detached CMS SignedData over the bytes after
the signing password, and posts only the CMS back; the PC page waits and continues. The
portal never sees the password. It checks the CMS over the bytes, the chain to J-LIS's
signing CA (:func:`mynumber.pki.cms.verify_detached`) and the OCSP status as a registered
verifier before it keeps the CMS.

The portal does not tie the signing certificate to the account (J-LIS links only the
user-authentication serial to the portal's code): whoever receives the signed bytes checks
the certificate's four basic items against its own record (the municipality does).

Other code uses :meth:`SignRequests.create` and :meth:`SignRequests.result`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from sqlalchemy import Engine, func, select, update

from mynumber.errors import Conflict, Error, InvalidInput, NotFound, Unauthorized
from mynumber.orgs.portal import model, store
from mynumber.orgs.portal.clients.jlis import JlisPortalClient
from mynumber.pki import (
    CertificateError,
    MalformedCertificate,
)
from mynumber.pki.cms import verify_detached
from mynumber.platform.ids import new_id

SIGN_TTL = dt.timedelta(minutes=10)
MAX_DATA_BYTES = 256 * 1024
MAX_SUMMARY = 4000
MAX_PURPOSE = 200
#: what a request's summary reads once its bytes are gone (no form data kept in clear)
DISCARDED = "（送信済みのため内容は保持していません / not kept after sending）"

#: what to tell the person, by reason (日本語, English)
ADVICE: dict[str, tuple[str, str]] = {
    "sign_request_unknown": (
        "署名用コードが見つかりません。PCの画面に表示されたコードを確認してください。",
        "No such signing code: check the code shown on the PC.",
    ),
    "sign_request_used": (
        "この署名用コードは使用済みです。PCの画面からもう一度やり直してください。",
        "This signing code was already used: start again from the PC.",
    ),
    "sign_request_expired": (
        "この署名用コードは有効期限切れです。PCの画面からもう一度やり直してください。",
        "This signing code has expired: start again from the PC.",
    ),
    "certificate_revoked": (
        "署名用電子証明書は失効しています（住所や氏名の変更で失効します）。市区町村の窓口で"
        "新しい証明書の発行を受けてください。",
        "The signing certificate is revoked (a move or a name change revokes it): "
        "have a new one issued at your municipality's counter.",
    ),
    "certificate_expired": (
        "署名用電子証明書の有効期限が切れています。市区町村の窓口で更新してください。",
        "The signing certificate has expired: renew it at your municipality's counter.",
    ),
    "cms_invalid": (
        "署名を確認できませんでした。もう一度お試しください。",
        "The signature could not be verified: try again.",
    ),
}


def advice(code: str) -> str:
    ja, en = ADVICE.get(code, ("署名できませんでした。", "The signature was refused."))
    return f"{ja} / {en}"


class SignRequestUnknown(NotFound):
    code = "sign_request_unknown"


class SignRequestUsed(Conflict):
    code = "sign_request_used"


class SignRequestExpired(Unauthorized):
    code = "sign_request_expired"


class SignatureRefused(Unauthorized):
    """The phone's CMS was refused; ``code`` is the reason (``certificate_revoked`` …)."""

    code = "signature_refused"


@dataclass(frozen=True, slots=True)
class SignRequest:
    """What is to be signed, for whom, and where the request stands."""

    id: str
    code: str
    portal_code: str
    purpose_ja: str
    purpose_en: str | None
    summary: str
    data: bytes | None
    created_at: dt.datetime
    expires_at: dt.datetime
    state: str  # pending | signed | refused
    next_path: str | None = None
    reason: str | None = None
    used: bool = False

    @property
    def purpose(self) -> str:
        return self.purpose_ja if not self.purpose_en else f"{self.purpose_ja} / {self.purpose_en}"

    @property
    def digest(self) -> str:
        """SHA-256 of the bytes, grouped for reading aloud."""
        value = hashlib.sha256(self.data or b"").hexdigest().upper()
        return " ".join(value[i : i + 8] for i in range(0, 32, 8))

    def expired(self, now: dt.datetime) -> bool:
        return self.state == "pending" and now >= self.expires_at


def _check_text(value: str, field: str, limit: int, *, lines: bool = False) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidInput(f"{field} is 1-{limit} characters", field=field)
    allowed = "\n\t" if lines else ""
    if any(ord(ch) < 0x20 and ch not in allowed for ch in value):
        raise InvalidInput(f"{field} contains control characters", field=field)
    return value.strip()


def _check_next(path: str | None) -> str | None:
    if path is None:
        return None
    if not path.startswith("/portal/") or "//" in path or "\\" in path or len(path) > 200:
        raise InvalidInput("next is a /portal/... path", field="next")
    return path


class SignRequests:
    """Sign requests over the portal's database and its J-LIS client."""

    def __init__(
        self,
        *,
        engine: Engine,
        jlis: JlisPortalClient,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.engine = engine
        self.jlis = jlis
        self.clock = clock

    # --- for other code -----------------------------------------------------------------

    def create(
        self,
        portal_code: str,
        purpose: str | tuple[str, str],
        data: bytes,
        summary: str,
        *,
        next_path: str | None = None,
    ) -> SignRequest:
        """A pending request for ``portal_code`` to sign ``data`` with the signing key.

        ``purpose`` is Japanese text or (日本語, English); ``summary`` is what the phone
        shows of ``data`` (lines of text); ``next_path`` is where the PC page continues
        once signed (a ``/portal/...`` path).
        """
        ja, en = (purpose, None) if isinstance(purpose, str) else purpose
        ja = _check_text(ja, "purpose", MAX_PURPOSE)
        en = None if en is None else _check_text(en, "purpose", MAX_PURPOSE)
        summary = _check_text(summary, "summary", MAX_SUMMARY, lines=True)
        if not isinstance(data, bytes) or not data or len(data) > MAX_DATA_BYTES:
            raise InvalidInput(f"data is 1-{MAX_DATA_BYTES} bytes", field="data")
        next_path = _check_next(next_path)
        now = self.clock()
        for _ in range(5):
            request = SignRequest(
                id=new_id(),
                code=model.new_code(),
                portal_code=portal_code,
                purpose_ja=ja,
                purpose_en=en,
                summary=summary,
                data=data,
                created_at=now,
                expires_at=now + SIGN_TTL,
                state="pending",
                next_path=next_path,
            )
            with self.engine.begin() as conn:
                taken = conn.scalar(
                    select(store.sign_requests.c.id).where(
                        store.sign_requests.c.code == request.code
                    )
                )
                if taken is not None:
                    continue
                conn.execute(
                    store.sign_requests.insert().values(
                        id=request.id,
                        code=request.code,
                        portal_code=portal_code,
                        purpose_ja=ja,
                        purpose_en=en,
                        summary=summary,
                        data=data,
                        data_hash=hashlib.sha256(data).hexdigest(),
                        next_path=next_path,
                        created_at=now,
                        expires_at=request.expires_at,
                        state="pending",
                    )
                )
            return request
        raise RuntimeError("could not draw a free signing code")

    def result(self, request_id: str, portal_code: str) -> bytes | None:
        """The CMS (DER) once ``portal_code`` signed request ``request_id``; else None."""
        request = self.get(request_id, portal_code)
        if request.state != "signed":
            return None
        s = store.sign_requests.c
        with self.engine.connect() as conn:
            cms = conn.scalar(select(s.cms).where(s.id == request.id))
        return None if cms is None else bytes(cms)

    def get(self, request_id: str, portal_code: str) -> SignRequest:
        """A request of ``portal_code`` by id (another person's is not found)."""
        s = store.sign_requests.c
        with self.engine.connect() as conn:
            row = conn.execute(
                select(store.sign_requests).where(s.id == request_id, s.portal_code == portal_code)
            ).first()
        if row is None:
            raise SignRequestUnknown("no such sign request")
        return self._from_row(row)

    def discard_data(self, request_id: str, portal_code: str) -> None:
        """Forget the signed bytes and their summary once the caller has sent them on, or
        given up on the request (the CMS and the digest stay); a pending request closes."""
        s = store.sign_requests.c
        with self.engine.begin() as conn:
            conn.execute(
                update(store.sign_requests)
                .where(s.id == request_id, s.portal_code == portal_code)
                .values(
                    data=None,
                    summary=DISCARDED,
                    used_at=func.coalesce(s.used_at, self.clock()),
                )
            )

    @staticmethod
    def _from_row(row: Any) -> SignRequest:
        return SignRequest(
            id=row.id,
            code=row.code,
            portal_code=row.portal_code,
            purpose_ja=row.purpose_ja,
            purpose_en=row.purpose_en,
            summary=row.summary,
            data=None if row.data is None else bytes(row.data),
            created_at=row.created_at,
            expires_at=row.expires_at,
            state=row.state,
            next_path=row.next_path,
            reason=row.reason,
            used=row.used_at is not None,
        )

    # --- the phone ----------------------------------------------------------------------

    def asking(self, code: str) -> SignRequest:
        """The pending request with this one-time code (what the phone shows and signs)."""
        s = store.sign_requests.c
        with self.engine.connect() as conn:
            row = conn.execute(
                select(store.sign_requests).where(s.code == model.normalise_code(code))
            ).first()
        if row is None:
            raise SignRequestUnknown(f"no such signing code — {advice('sign_request_unknown')}")
        request = self._from_row(row)
        if request.used:
            raise SignRequestUsed(
                f"the signing code was already used — {advice('sign_request_used')}"
            )
        if request.expired(self.clock()):
            raise SignRequestExpired(
                f"the signing code has expired — {advice('sign_request_expired')}"
            )
        return request

    def complete(self, code: str, cms: bytes) -> SignRequest:
        """Check the phone's detached CMS over the request's bytes and keep it.

        CMS and chain (:func:`mynumber.pki.cms.verify_detached`), then OCSP at J-LIS as a
        registered verifier. The code is used up either way; a refusal is recorded and
        raised as :class:`SignatureRefused`.
        """
        request = self.asking(code)
        s = store.sign_requests.c
        now = self.clock()
        with self.engine.begin() as conn:
            taken = conn.execute(
                update(store.sign_requests)
                .where(s.id == request.id, s.used_at.is_(None))
                .values(used_at=now)
            ).rowcount
        if not taken:
            raise SignRequestUsed(
                f"the signing code was already used — {advice('sign_request_used')}"
            )
        try:
            signature = verify_detached(cms, request.data or b"", self.jlis.sign_roots(), now)
            self._check_ocsp(signature.certificate, signature.issuer, now)
        except (CertificateError, MalformedCertificate) as exc:
            with self.engine.begin() as conn:
                conn.execute(
                    update(store.sign_requests)
                    .where(s.id == request.id)
                    .values(state="refused", reason=exc.code[:40])
                )
            raise SignatureRefused(f"{exc.message} — {advice(exc.code)}", code=exc.code) from exc
        except Error:
            # J-LIS did not answer: nothing was decided, the phone may send it again
            with self.engine.begin() as conn:
                conn.execute(
                    update(store.sign_requests).where(s.id == request.id).values(used_at=None)
                )
            raise
        with self.engine.begin() as conn:
            conn.execute(
                update(store.sign_requests)
                .where(s.id == request.id)
                .values(state="signed", cms=cms, serial=signature.serial, signed_at=now)
            )
        return self.get(request.id, request.portal_code)

    def _check_ocsp(
        self, certificate: x509.Certificate, issuer: x509.Certificate, now: dt.datetime
    ) -> None:
        self.jlis.check_status(certificate, issuer, now)

    # --- the PC waiting -----------------------------------------------------------------

    def status(self, request_id: str, portal_code: str) -> dict[str, str | None]:
        """pending | signed | refused | expired, with advice, and where to go next."""
        request = self.get(request_id, portal_code)
        state = "expired" if request.expired(self.clock()) else request.state
        reason = request.reason or ("sign_request_expired" if state == "expired" else None)
        return {
            "state": state,
            "reason": reason,
            "detail": None if reason is None else advice(reason),
            "next": request.next_path,
        }


# --- web -------------------------------------------------------------------------------
