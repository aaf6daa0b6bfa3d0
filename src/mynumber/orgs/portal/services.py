"""Mynaportal's use cases: challenge–response login with the card's user-authentication
key, QR pairing of a PC browser with a phone, sessions, login records, notices.

The portal never sees a My Number: it checks the signature, the chain to J-LIS's
user-authentication CA and the OCSP status (as a registered verifier), then asks J-LIS
for its own code for the person (開示システム用符号) from the certificate's serial.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from sqlalchemy import Engine, select, update

from mynumber.errors import Error, NotFound
from mynumber.orgs.portal import model, store
from mynumber.orgs.portal.clients import JlisClient
from mynumber.orgs.portal.inbox import Inbox, NewNotice
from mynumber.orgs.portal.model import (
    CHALLENGE_BYTES,
    CHALLENGE_TTL,
    Challenge,
    ChallengeUnknown,
    ChallengeUsed,
    Session,
    SessionRequired,
    refused,
    token_hash,
)
from mynumber.pki import (
    CertificateError,
    MalformedCertificate,
    Purpose,
    build_ocsp_request,
    check_ocsp_response,
    verify_chain,
    verify_signature,
)
from mynumber.platform.db import insert_ignoring_duplicates
from mynumber.platform.ids import new_id

SENDER = "デジタル庁 マイナポータル"

log = logging.getLogger("mynumber.portal")


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class LoginResult:
    portal_code: str
    municipality: str
    first_login: bool


@dataclass(frozen=True, slots=True)
class PollResult:
    state: str  # pending | done | refused | expired
    reason: str | None = None
    detail: str | None = None
    session_token: str | None = None


class Portal:
    """The portal's use cases over its database and its J-LIS client."""

    def __init__(
        self,
        *,
        engine: Engine,
        jlis: JlisClient,
        inbox: Inbox,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.engine = engine
        self.jlis = jlis
        self.inbox = inbox
        self.clock = clock

    # --- challenges ------------------------------------------------------------------------

    def start(self, *, method: str, browser_token: str | None = None) -> Challenge:
        """A fresh one-time challenge (and short code); ``browser_token`` binds a QR login."""
        if method not in model.METHODS:
            raise ValueError(f"unknown login method {method}")
        now = self.clock()
        for _ in range(5):
            challenge = Challenge(
                id=new_id(),
                code=model.new_code(),
                nonce=os.urandom(CHALLENGE_BYTES),
                created_at=now,
                expires_at=now + CHALLENGE_TTL,
                method=method,
            )
            with self.engine.begin() as conn:
                before = conn.scalar(
                    select(store.challenges.c.id).where(store.challenges.c.code == challenge.code)
                )
                if before is not None:
                    continue
                conn.execute(
                    store.challenges.insert().values(
                        id=challenge.id,
                        code=challenge.code,
                        nonce=challenge.nonce,
                        method=method,
                        browser_hash=None if browser_token is None else token_hash(browser_token),
                        created_at=now,
                        expires_at=challenge.expires_at,
                        state="pending",
                    )
                )
            return challenge
        raise RuntimeError("could not draw a free login code")

    def challenge(self, code: str) -> Challenge:
        """The pending challenge with this short code (what a phone shows and signs)."""
        c = store.challenges.c
        with self.engine.connect() as conn:
            row = conn.execute(
                select(
                    c.id, c.code, c.nonce, c.created_at, c.expires_at, c.method, c.used_at
                ).where(c.code == model.normalise_code(code))
            ).first()
        if row is None:
            raise ChallengeUnknown(f"no such login code — {model.advice('challenge_unknown')}")
        challenge = Challenge(
            row.id,
            row.code,
            bytes(row.nonce),
            _utc(row.created_at),
            _utc(row.expires_at),
            row.method,
        )
        if row.used_at is not None:
            raise ChallengeUsed(
                f"the login code was already used — {model.advice('challenge_used')}"
            )
        challenge.check_fresh(self.clock())
        return challenge

    def _consume(self, code: str) -> Challenge:
        challenge = self.challenge(code)
        c = store.challenges.c
        with self.engine.begin() as conn:
            taken = conn.execute(
                update(store.challenges)
                .where(c.id == challenge.id, c.used_at.is_(None))
                .values(used_at=self.clock())
            ).rowcount
        if not taken:
            raise ChallengeUsed(
                f"the login code was already used — {model.advice('challenge_used')}"
            )
        return challenge

    # --- the login itself -----------------------------------------------------------------

    def complete(
        self, code: str, *, signature: bytes, certificate: bytes, via: str | None = None
    ) -> LoginResult:
        """Check a card's answer to the challenge ``code`` and log the person in.

        Signature, chain to J-LIS's auth CA, OCSP (as a registered verifier), then J-LIS's
        portal code for the certificate's serial. Any failure is recorded and raised.
        """
        challenge = self._consume(code)
        method = via if via in model.METHODS else challenge.method
        now = self.clock()
        serial: str | None = None
        signed = False
        try:
            try:
                cert = x509.load_der_x509_certificate(certificate)
            except ValueError as exc:
                raise MalformedCertificate("the certificate is not DER X.509") from exc
            serial = f"{cert.serial_number:x}"
            anchor = verify_chain(cert, [self.jlis.auth_ca()], now, purpose=Purpose.AUTH)
            verify_signature(cert, challenge.nonce, signature)
            signed = True
            nonce = os.urandom(16)
            answer = self.jlis.ocsp(build_ocsp_request(cert, anchor, nonce))
            check_ocsp_response(answer, cert, anchor, now, nonce)
            person = self.jlis.resolve(serial)
        except CertificateError as exc:
            self._refuse(challenge, method, exc.code, exc.message, serial, signed)
            raise refused(exc.code, exc.message) from exc
        except (MalformedCertificate, NotFound) as exc:
            self._refuse(challenge, method, exc.code, exc.message, serial, signed=False)
            raise refused(exc.code, exc.message) from exc
        result = self._accept(challenge, method, person, serial, now)
        self._keep_hub_code(result.portal_code, serial)
        return result

    def _keep_hub_code(self, portal_code: str, serial: str) -> None:
        """The portal's hub code, asked of J-LIS when the account is made (or at the login
        of an account that has none yet), so agencies' notices reach the person from their
        first login on. If J-LIS does not answer now, the hub link asks on first need."""
        a = store.accounts.c
        with self.engine.connect() as conn:
            if conn.scalar(select(a.hub_code).where(a.portal_code == portal_code)):
                return
        try:
            code = self.jlis.hub_code(serial)
        except Error as exc:
            log.warning("no hub code at login: %s", exc.code)
            return
        with self.engine.begin() as conn:
            conn.execute(
                update(store.accounts)
                .where(a.portal_code == portal_code, a.hub_code.is_(None))
                .values(hub_code=code)
            )

    def _accept(
        self,
        challenge: Challenge,
        method: str,
        person: dict[str, str],
        serial: str,
        now: dt.datetime,
    ) -> LoginResult:
        code = person["portal_code"]
        a = store.accounts.c
        with self.engine.begin() as conn:
            first = conn.scalar(select(a.portal_code).where(a.portal_code == code)) is None
            insert_ignoring_duplicates(
                conn,
                store.accounts,
                [
                    {
                        "portal_code": code,
                        "municipality": person["municipality"],
                        "created_at": now,
                        "last_login_at": None,
                    }
                ],
            )
            conn.execute(
                update(store.accounts).where(a.portal_code == code).values(last_login_at=now)
            )
            conn.execute(
                update(store.challenges)
                .where(store.challenges.c.id == challenge.id)
                .values(state="done", portal_code=code)
            )
            self._record(conn, code, method, "success", None, serial, now)
            label = {
                "qr": "2次元コード (QR) とスマートフォン",
                "phone": "スマートフォン",
                "reader": "ICカードリーダー",
                "cli": "コマンドライン",
            }.get(method, method)
            notice = NewNotice(
                portal_code=code,
                sender=SENDER,
                title="マイナポータルにログインしました (You logged in)",
                body=f"{now.astimezone(model.JST):%Y-%m-%d %H:%M} に{label}でログインしました。"
                "心当たりがない場合は、市区町村の窓口またはマイナンバー総合フリーダイヤルに"
                "ご連絡ください。 / If this was not you, contact your municipality.",
            )
            self.inbox.add(conn, [notice], at=now)
        return LoginResult(code, person["municipality"], first)

    def _refuse(
        self,
        challenge: Challenge,
        method: str,
        reason: str,
        message: str,
        serial: str | None,
        signed: bool,
    ) -> None:
        person: str | None = None
        if signed and serial is not None:
            # the card proved itself (a suspended card, say): the attempt is the holder's
            try:
                person = self.jlis.resolve(serial)["portal_code"]
            except Error:
                person = None
        with self.engine.begin() as conn:
            conn.execute(
                update(store.challenges)
                .where(store.challenges.c.id == challenge.id)
                .values(state="refused", reason=reason[:40])
            )
            self._record(conn, person, method, "refused", reason, serial, self.clock())

    @staticmethod
    def _record(
        conn: Any,
        portal_code: str | None,
        method: str,
        result: str,
        reason: str | None,
        serial: str | None,
        at: dt.datetime,
    ) -> None:
        conn.execute(
            store.logins.insert().values(
                id=new_id(),
                portal_code=portal_code,
                at=at,
                method=method,
                result=result,
                reason=None if reason is None else reason[:40],
                serial=serial,
            )
        )

    # --- the PC browser waiting for its phone ---------------------------------------------

    def poll(self, challenge_id: str, browser_token: str, *, claim: bool = True) -> PollResult:
        """The state of this browser's QR login; once done, a session (given only once).

        ``claim=False`` only looks (the event stream, which cannot set a cookie)."""
        c = store.challenges.c
        with self.engine.connect() as conn:
            row = conn.execute(
                select(
                    c.state, c.reason, c.expires_at, c.portal_code, c.claimed_at, c.used_at
                ).where(c.id == challenge_id, c.browser_hash == token_hash(browser_token))
            ).first()
        if row is None:
            raise ChallengeUnknown("no login is waiting in this browser")
        if row.state == "refused":
            return PollResult("refused", row.reason, model.advice(row.reason or ""))
        if row.state == "pending":
            if row.used_at is None and self.clock() >= _utc(row.expires_at):
                return PollResult("expired", "challenge_expired", model.advice("challenge_expired"))
            return PollResult("pending")
        if not claim:
            return PollResult("done")
        with self.engine.begin() as conn:
            claimed = conn.execute(
                update(store.challenges)
                .where(c.id == challenge_id, c.claimed_at.is_(None))
                .values(claimed_at=self.clock())
            ).rowcount
        if not claimed:
            return PollResult("done")
        return PollResult("done", session_token=self.open_session(row.portal_code))

    # --- sessions -------------------------------------------------------------------------

    def open_session(self, portal_code: str) -> str:
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(
                store.sessions.insert().values(
                    token_hash=token_hash(token),
                    portal_code=portal_code,
                    csrf=secrets.token_urlsafe(32),
                    created_at=now,
                    last_seen=now,
                )
            )
        return token

    def session(self, token: str | None) -> Session:
        """The live session of ``token`` (its idle clock restarts), or :class:`SessionRequired`."""
        if not token:
            raise SessionRequired("log in first")
        s = store.sessions.c
        now = self.clock()
        with self.engine.begin() as conn:
            row = conn.execute(
                select(s.portal_code, s.csrf, s.created_at, s.last_seen).where(
                    s.token_hash == token_hash(token), s.ended_at.is_(None)
                )
            ).first()
            if row is None:
                raise SessionRequired("log in first")
            session = Session(row.portal_code, row.csrf, _utc(row.created_at), _utc(row.last_seen))
            try:
                session.check_idle(now)
            except SessionRequired:
                conn.execute(
                    update(store.sessions)
                    .where(s.token_hash == token_hash(token))
                    .values(ended_at=now)
                )
                raise
            conn.execute(
                update(store.sessions)
                .where(s.token_hash == token_hash(token))
                .values(last_seen=now)
            )
        return Session(session.portal_code, session.csrf, session.created_at, now)

    def logout(self, token: str) -> None:
        s = store.sessions.c
        with self.engine.begin() as conn:
            conn.execute(
                update(store.sessions)
                .where(s.token_hash == token_hash(token), s.ended_at.is_(None))
                .values(ended_at=self.clock())
            )

    # --- what a person sees ---------------------------------------------------------------

    def account(self, portal_code: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(store.accounts).where(store.accounts.c.portal_code == portal_code)
            ).first()
        if row is None:
            raise NotFound("no such account")
        return dict(row._mapping)

    def logins(self, portal_code: str, limit: int = 50) -> list[dict[str, Any]]:
        g = store.logins.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(g.at, g.method, g.result, g.reason)
                .where(g.portal_code == portal_code)
                .order_by(g.at.desc(), g.id.desc())
                .limit(limit)
            ).all()
        return [dict(r._mapping) | {"at": _utc(r.at)} for r in rows]

    def notices(self, portal_code: str) -> list[dict[str, Any]]:
        return self.inbox.list(portal_code)

    def mark_read(self, portal_code: str, notice_id: str) -> None:
        self.inbox.mark_read(portal_code, notice_id)

    def challenge_owner(self, challenge_id: str) -> str:
        """Who logged in with a completed challenge (for a login on the same device)."""
        c = store.challenges.c
        with self.engine.begin() as conn:
            owner = conn.scalar(
                select(c.portal_code).where(
                    c.id == challenge_id, c.state == "done", c.claimed_at.is_(None)
                )
            )
            if owner is None:
                raise ChallengeUnknown("no completed login with this challenge")
            conn.execute(
                update(store.challenges).where(c.id == challenge_id).values(claimed_at=self.clock())
            )
        return str(owner)
