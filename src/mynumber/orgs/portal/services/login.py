"""Mynaportal's use cases: challenge–response login with the card's user-authentication
key, QR pairing of a PC browser with a phone, sessions, login records, notices.

The portal never sees a My Number: it checks the signature, the chain to J-LIS's
user-authentication CA and the OCSP status (as a registered verifier), then asks J-LIS
for its own code for the person (開示システム用符号) from the certificate's serial.

What a login costs: J-LIS is asked about a certificate's holder once per certificate
(the answer is kept in ``login_certificates``), and about its status once per
``ocsp_max_age`` (see :mod:`mynumber.orgs.portal.services.ocsp_answers`); the challenge is read
once, and using it up, the account, the login record, the notice and (if asked) the
session are written in one transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography import x509
from sqlalchemy import Connection, bindparam, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from mynumber.errors import Error, NotFound
from mynumber.jst import JST
from mynumber.orgs.portal import model, store
from mynumber.orgs.portal.model import (
    CHALLENGE_BYTES,
    CHALLENGE_KEEP,
    CHALLENGE_TTL,
    IDLE_TIMEOUT,
    SESSION_LIFETIME,
    Challenge,
    ChallengeUnknown,
    ChallengeUsed,
    Session,
    SessionRequired,
    refused,
    token_hash,
)
from mynumber.orgs.portal.services.inbox import Inbox, NewNotice
from mynumber.orgs.portal.services.ocsp_answers import DEFAULT_MAX_AGE, OcspAnswers
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
from mynumber.platform.jlis_verifier import hierarchy_of
from mynumber.platform.uow import UnitOfWork

SENDER = "デジタル庁 マイナポータル"
#: How often login starts sweep expired challenges and ended sessions away (at most).
SWEEP_EVERY = dt.timedelta(minutes=1)

log = logging.getLogger("mynumber.portal")

# The login path's statements, built once and run with parameters: building a statement
# with literal values costs more than running it on SQLite.
_c, _a, _t = store.challenges.c, store.accounts.c, store.login_certificates.c
_INSERT_CHALLENGE = store.challenges.insert()
_CHALLENGE_BY_CODE = select(
    _c.id, _c.code, _c.nonce, _c.created_at, _c.expires_at, _c.method, _c.used_at
).where(_c.code == bindparam("wanted"))
_USE_UP = (
    update(store.challenges)
    .where(_c.id == bindparam("challenge_id"), _c.used_at.is_(None))
    .values(
        used_at=bindparam("at"),
        state=bindparam("outcome"),
        portal_code=bindparam("person_code"),
        reason=bindparam("why"),
    )
)
_HOLDER = select(_t.portal_code, _t.municipality).where(_t.serial == bindparam("wanted"))
_TOUCH_ACCOUNT = (
    update(store.accounts)
    .where(_a.portal_code == bindparam("person_code"))
    .values(last_login_at=bindparam("at"))
)
_HUB_CODE_OF = select(_a.hub_code).where(_a.portal_code == bindparam("person_code"))
_INSERT_LOGIN = store.logins.insert()
_INSERT_SESSION = store.sessions.insert()


@dataclass(frozen=True, slots=True)
class LoginResult:
    portal_code: str
    municipality: str
    first_login: bool
    #: the new session's token when :meth:`Portal.complete` was asked to open one
    session_token: str | None = None


@dataclass(frozen=True, slots=True)
class Swept:
    challenges: int
    sessions: int


@dataclass(frozen=True, slots=True)
class PollResult:
    state: str  # pending | done | refused | expired
    reason: str | None = None
    detail: str | None = None
    session_token: str | None = None


class LoginAuthority(Protocol):
    """What a login asks of J-LIS (:class:`~mynumber.orgs.portal.clients.jlis.JlisPortalClient`
    over HTTP): its auth CA roots, OCSP as a registered verifier, whose certificate a serial
    is, and the portal's hub code for that person."""

    def auth_roots(self) -> list[x509.Certificate]: ...

    def ocsp(self, request_der: bytes, hierarchy: str = "auth") -> bytes: ...

    def resolve(self, serial: str) -> dict[str, str]: ...

    def hub_code(self, serial: str) -> str: ...


class Portal:
    """The portal's use cases over its database and its J-LIS client."""

    def __init__(
        self,
        *,
        jlis: LoginAuthority,
        inbox: Inbox,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        ocsp_max_age: dt.timedelta = DEFAULT_MAX_AGE,
    ) -> None:
        self.jlis = jlis
        self.inbox = inbox
        self.clock = clock
        self.ocsp_answers = OcspAnswers(ocsp_max_age)
        self._swept_at: dt.datetime | None = None
        self._sweep_lock = threading.Lock()

    # --- challenges ------------------------------------------------------------------------

    def start(self, uow: UnitOfWork, *, method: str, browser_token: str | None = None) -> Challenge:
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
            try:
                with uow as conn:
                    conn.execute(
                        _INSERT_CHALLENGE,
                        {
                            "id": challenge.id,
                            "code": challenge.code,
                            "nonce": challenge.nonce,
                            "method": method,
                            "browser_hash": None
                            if browser_token is None
                            else token_hash(browser_token),
                            "created_at": now,
                            "expires_at": challenge.expires_at,
                            "state": "pending",
                        },
                    )
                    uow.commit()
            except IntegrityError:  # the short code is taken: draw another
                continue
            self._sweep_if_due(uow, now)
            return challenge
        raise RuntimeError("could not draw a free login code")

    # --- sweeping ---------------------------------------------------------------------------

    def sweep(self, uow: UnitOfWork, now: dt.datetime | None = None) -> Swept:
        """Delete challenges past expiry (plus :data:`CHALLENGE_KEEP`) and sessions that
        ended, idled out or outlived :data:`SESSION_LIFETIME`. The login records stay."""
        now = now or self.clock()
        c, s = store.challenges.c, store.sessions.c
        with uow as conn:
            challenges = conn.execute(
                delete(store.challenges).where(c.expires_at < now - CHALLENGE_KEEP)
            ).rowcount
            sessions = conn.execute(
                delete(store.sessions).where(
                    or_(
                        s.ended_at.is_not(None),
                        s.last_seen < now - IDLE_TIMEOUT,
                        s.created_at < now - SESSION_LIFETIME,
                    )
                )
            ).rowcount
            uow.commit()
        return Swept(challenges=challenges, sessions=sessions)

    def _sweep_due(self, now: dt.datetime) -> bool:
        """A minute since the last sweep, or the clock went back past it."""
        last = self._swept_at
        return last is None or not (last <= now < last + SWEEP_EVERY)

    def _sweep_if_due(self, uow: UnitOfWork, now: dt.datetime) -> None:
        """Sweep at most every :data:`SWEEP_EVERY`, on the login start that finds it due.

        Piggy-backed on login starts rather than a background task: the portal's app is
        also mounted under the federation's root and driven in-process (tests, the command
        line), where a mounted app's lifespan never runs; and the tables only grow while
        logins start. A failed sweep is logged and left for the next one."""
        if not self._sweep_due(now):
            return
        if not self._sweep_lock.acquire(blocking=False):
            return  # another thread is sweeping
        try:
            if not self._sweep_due(now):
                return
            self._swept_at = now
            swept = self.sweep(uow, now)
            if swept.challenges or swept.sessions:
                log.info("swept %d challenges and %d sessions", swept.challenges, swept.sessions)
        except SQLAlchemyError as exc:
            log.warning("sweeping challenges and sessions failed: %s", type(exc).__name__)
        finally:
            self._sweep_lock.release()

    def challenge(self, uow: UnitOfWork, code: str) -> Challenge:
        """The pending challenge with this short code (what a phone shows and signs)."""
        with uow as conn:
            row = conn.execute(_CHALLENGE_BY_CODE, {"wanted": model.normalise_code(code)}).first()
        if row is None:
            raise ChallengeUnknown(f"no such login code — {model.advice('challenge_unknown')}")
        challenge = Challenge(
            row.id,
            row.code,
            bytes(row.nonce),
            row.created_at,
            row.expires_at,
            row.method,
        )
        if row.used_at is not None:
            raise ChallengeUsed(
                f"the login code was already used — {model.advice('challenge_used')}"
            )
        challenge.check_fresh(self.clock())
        return challenge

    # --- the login itself -----------------------------------------------------------------

    def complete(
        self,
        uow: UnitOfWork,
        code: str,
        *,
        signature: bytes,
        certificate: bytes,
        via: str | None = None,
        open_session: bool = False,
    ) -> LoginResult:
        """Check a card's answer to the challenge ``code`` and log the person in.

        Signature, chain to J-LIS's auth CA, OCSP (as a registered verifier), then the
        portal code for the certificate's serial. Any failure uses the challenge up, is
        recorded and raised. ``open_session`` opens the session in the same transaction
        (its token is in the result).
        """
        challenge = self.challenge(uow, code)
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
            anchor = verify_chain(cert, self.jlis.auth_roots(), now, purpose=Purpose.AUTH)
            verify_signature(cert, challenge.nonce, signature)
            signed = True
            self._check_status(cert, anchor, now)
            person = self._holder(uow, serial, now)
        except CertificateError as exc:
            self._refuse(uow, challenge, method, exc.code, exc.message, serial, signed)
            raise refused(exc.code, exc.message) from exc
        except (MalformedCertificate, NotFound) as exc:
            self._refuse(uow, challenge, method, exc.code, exc.message, serial, signed=False)
            raise refused(exc.code, exc.message) from exc
        result, hub_code_kept = self._accept(
            uow, challenge, method, person, serial, now, open_session
        )
        self._notice_expiry(uow, result.portal_code, cert, now)
        if not hub_code_kept:
            self._keep_hub_code(uow, result.portal_code, serial)
        return result

    def _notice_expiry(
        self, uow: UnitOfWork, portal_code: str, cert: x509.Certificate, now: dt.datetime
    ) -> None:
        """Once per certificate, inside the window: its end and where to renew, in お知らせ."""
        notice = model.expiry_notice(cert.not_valid_after_utc, now)
        if notice is None:
            return
        title, body = notice
        with uow as conn:
            self.inbox.add(
                conn,
                [
                    NewNotice(
                        portal_code=portal_code,
                        sender="地方公共団体情報システム機構 (J-LIS)",
                        title=title,
                        body=body,
                        sender_org="jlis",
                        ref=f"cert-expiry-{cert.serial_number:x}",
                    )
                ],
                at=now,
            )
            uow.commit()

    def _keep_hub_code(self, uow: UnitOfWork, portal_code: str, serial: str) -> None:
        """The portal's hub code, asked of J-LIS when the account is made (or at the login
        of an account that has none yet), so agencies' notices reach the person from their
        first login on. If J-LIS does not answer now, the hub link asks on first need."""
        a = store.accounts.c
        try:
            code = self.jlis.hub_code(serial)
        except Error as exc:
            log.warning("no hub code at login: %s", exc.code)
            return
        with uow as conn:
            conn.execute(
                update(store.accounts)
                .where(a.portal_code == portal_code, a.hub_code.is_(None))
                .values(hub_code=code)
            )
            uow.commit()

    def _check_status(
        self, cert: x509.Certificate, anchor: x509.Certificate, now: dt.datetime
    ) -> None:
        """OCSP: a good answer checked within the last ``ocsp_max_age`` stands; otherwise
        J-LIS is asked without a nonce (RFC 5019), which it answers from its cache."""
        if self.ocsp_answers.good(cert.serial_number, now):
            return
        answer = self.jlis.ocsp(build_ocsp_request(cert, anchor), hierarchy_of(anchor))
        self.ocsp_answers.remember(check_ocsp_response(answer, cert, anchor, now), now)

    def _holder(self, uow: UnitOfWork, serial: str, now: dt.datetime) -> dict[str, str]:
        """The portal code and municipality behind an auth serial: kept from J-LIS's answer
        the first time the certificate was used, asked of J-LIS otherwise."""
        with uow as conn:
            row = conn.execute(_HOLDER, {"wanted": serial}).first()
        if row is not None:
            return {"portal_code": row.portal_code, "municipality": row.municipality}
        person = self.jlis.resolve(serial)
        with uow as conn:
            insert_ignoring_duplicates(
                conn,
                store.login_certificates,
                [
                    {
                        "serial": serial,
                        "portal_code": person["portal_code"],
                        "municipality": person["municipality"],
                        "learned_at": now,
                    }
                ],
            )
            uow.commit()
        return {"portal_code": person["portal_code"], "municipality": person["municipality"]}

    @staticmethod
    def _use_up(
        conn: Connection,
        challenge: Challenge,
        at: dt.datetime,
        outcome: str,
        code: str | None = None,
        reason: str | None = None,
    ) -> None:
        """Mark the challenge used (done or refused), or raise if another answer was first."""
        taken = conn.execute(
            _USE_UP,
            {
                "challenge_id": challenge.id,
                "at": at,
                "outcome": outcome,
                "person_code": code,
                "why": reason,
            },
        ).rowcount
        if not taken:
            raise ChallengeUsed(
                f"the login code was already used — {model.advice('challenge_used')}"
            )

    def _accept(
        self,
        uow: UnitOfWork,
        challenge: Challenge,
        method: str,
        person: dict[str, str],
        serial: str,
        now: dt.datetime,
        open_session: bool,
    ) -> tuple[LoginResult, bool]:
        """Log the person in, in one transaction; also says whether the account already
        holds its hub code."""
        code = person["portal_code"]
        token: str | None = None
        with uow as conn:
            self._use_up(conn, challenge, now, "done", code=code)
            first = not conn.execute(_TOUCH_ACCOUNT, {"person_code": code, "at": now}).rowcount
            if first:
                insert_ignoring_duplicates(
                    conn,
                    store.accounts,
                    [
                        {
                            "portal_code": code,
                            "municipality": person["municipality"],
                            "created_at": now,
                            "last_login_at": now,
                        }
                    ],
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
                body=f"{now.astimezone(JST):%Y-%m-%d %H:%M} に{label}でログインしました。"
                "心当たりがない場合は、市区町村の窓口またはマイナンバー総合フリーダイヤルに"
                "ご連絡ください。 / If this was not you, contact your municipality.",
            )
            self.inbox.add(conn, [notice], at=now)
            hub_code_kept = bool(conn.scalar(_HUB_CODE_OF, {"person_code": code}))
            if open_session:
                token = self._open_session(conn, code, now)
            uow.commit()
        return LoginResult(code, person["municipality"], first, token), hub_code_kept

    def _refuse(
        self,
        uow: UnitOfWork,
        challenge: Challenge,
        method: str,
        reason: str,
        message: str,
        serial: str | None,
        signed: bool,
    ) -> None:
        person: str | None = None
        now = self.clock()
        if signed and serial is not None:
            # the card proved itself (a suspended card, say): the attempt is the holder's
            try:
                person = self._holder(uow, serial, now)["portal_code"]
            except Error:
                person = None
        with uow as conn:
            self._use_up(conn, challenge, now, "refused", reason=reason[:40])
            self._record(conn, person, method, "refused", reason, serial, now)
            uow.commit()

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
            _INSERT_LOGIN,
            {
                "id": new_id(),
                "portal_code": portal_code,
                "at": at,
                "method": method,
                "result": result,
                "reason": None if reason is None else reason[:40],
                "serial": serial,
            },
        )

    # --- the PC browser waiting for its phone ---------------------------------------------

    def poll(
        self, uow: UnitOfWork, challenge_id: str, browser_token: str, *, claim: bool = True
    ) -> PollResult:
        """The state of this browser's QR login; once done, a session (given only once).

        ``claim=False`` only looks (the event stream, which cannot set a cookie)."""
        c = store.challenges.c
        with uow as conn:
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
            if row.used_at is None and self.clock() >= row.expires_at:
                return PollResult("expired", "challenge_expired", model.advice("challenge_expired"))
            return PollResult("pending")
        if not claim:
            return PollResult("done")
        with uow as conn:
            claimed = conn.execute(
                update(store.challenges)
                .where(c.id == challenge_id, c.claimed_at.is_(None))
                .values(claimed_at=self.clock())
            ).rowcount
            uow.commit()
        if not claimed:
            return PollResult("done")
        return PollResult("done", session_token=self.open_session(uow, row.portal_code))

    # --- sessions -------------------------------------------------------------------------

    def open_session(self, uow: UnitOfWork, portal_code: str) -> str:
        with uow as conn:
            token = self._open_session(conn, portal_code, self.clock())
            uow.commit()
        return token

    @staticmethod
    def _open_session(conn: Connection, portal_code: str, now: dt.datetime) -> str:
        token = secrets.token_urlsafe(32)
        conn.execute(
            _INSERT_SESSION,
            {
                "token_hash": token_hash(token),
                "portal_code": portal_code,
                "csrf": secrets.token_urlsafe(32),
                "created_at": now,
                "last_seen": now,
                "ended_at": None,
            },
        )
        return token

    def session(self, uow: UnitOfWork, token: str | None) -> Session:
        """The live session of ``token`` (its idle clock restarts), or :class:`SessionRequired`."""
        if not token:
            raise SessionRequired("log in first")
        s = store.sessions.c
        now = self.clock()
        with uow as conn:
            row = conn.execute(
                select(s.portal_code, s.csrf, s.created_at, s.last_seen, s.acting_for).where(
                    s.token_hash == token_hash(token), s.ended_at.is_(None)
                )
            ).first()
            if row is None:
                raise SessionRequired("log in first")
            session = Session(row.portal_code, row.csrf, row.created_at, row.last_seen)
            try:
                session.check_live(now)
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
            uow.commit()
        return Session(session.portal_code, session.csrf, session.created_at, now, row.acting_for)

    def logout(self, uow: UnitOfWork, token: str) -> None:
        s = store.sessions.c
        with uow as conn:
            conn.execute(
                update(store.sessions)
                .where(s.token_hash == token_hash(token), s.ended_at.is_(None))
                .values(ended_at=self.clock())
            )
            uow.commit()

    # --- what a person sees ---------------------------------------------------------------

    def account_count(self, uow: UnitOfWork) -> int:
        """How many people have a portal account (the health report's one figure)."""
        with uow as conn:
            return int(conn.scalar(select(func.count()).select_from(store.accounts)) or 0)

    def account(self, uow: UnitOfWork, portal_code: str) -> dict[str, Any]:
        with uow as conn:
            row = conn.execute(
                select(store.accounts).where(store.accounts.c.portal_code == portal_code)
            ).first()
        if row is None:
            raise NotFound("no such account")
        return dict(row._mapping)

    def logins(self, uow: UnitOfWork, portal_code: str, limit: int = 50) -> list[dict[str, Any]]:
        g = store.logins.c
        with uow as conn:
            rows = conn.execute(
                select(g.at, g.method, g.result, g.reason)
                .where(g.portal_code == portal_code)
                .order_by(g.at.desc(), g.id.desc())
                .limit(limit)
            ).all()
        return [dict(r._mapping) | {"at": r.at} for r in rows]

    def notices(self, uow: UnitOfWork, portal_code: str) -> list[dict[str, Any]]:
        return self.inbox.list(uow, portal_code)

    def mark_read(self, uow: UnitOfWork, portal_code: str, notice_id: str) -> None:
        self.inbox.mark_read(uow, portal_code, notice_id)

    def challenge_owner(self, uow: UnitOfWork, challenge_id: str) -> str:
        """Who logged in with a completed challenge (for a login on the same device)."""
        c = store.challenges.c
        with uow as conn:
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
            uow.commit()
        return str(owner)
