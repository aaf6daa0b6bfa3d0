"""Staff use cases of one organisation: the directory, sign-in with the staff member's own
My Number card, sessions and tokens, and the access log.

Sign-in is the challenge–response Mynaportal uses for residents: the organisation draws a
nonce, the staff member's device (the phone app, the reader helper, ``mynumber staff
sign-in``) signs it with the card's user-authentication key after the PIN — the PIN goes to
the card only — and sends the signature with the auth certificate. The organisation checks
the chain to J-LIS's auth CA, the signature, the certificate's status by OCSP as a
registered verifier, and that the certificate is the one the staff member enrolled.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography import x509
from sqlalchemy import Connection, Engine, delete, select, update
from sqlalchemy.exc import IntegrityError

from mynumber import errors
from mynumber.pki import (
    CertificateError,
    MalformedCertificate,
    Purpose,
    build_ocsp_request,
    check_ocsp_response,
    verify_chain,
    verify_signed,
)
from mynumber.platform import store
from mynumber.platform.ids import new_id
from mynumber.platform.jlis_verifier import hierarchy_of
from mynumber.platform.staff.model import (
    ABSOLUTE,
    ADMIN,
    CHALLENGE_TTL,
    GENESIS,
    IDLE,
    LOCAL_ADMIN_ID,
    LOCAL_ADMIN_NAME,
    STATUS_RECHECK,
    TOKEN_TTL_MAX,
    Acting,
    BrokenLog,
    ChallengeGone,
    Roles,
    SignInRefused,
    StaffMember,
    StaffRequired,
    StaffSession,
    check_name,
    entry_hash,
    new_code,
    new_token,
    normalise_code,
    token_hash,
    verify_entries,
)

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class CardAuthority(Protocol):
    """What sign-in needs of J-LIS: its auth roots (both card generations) and OCSP as a
    registered verifier (``hierarchy``: ``auth`` or ``auth-g2``)."""

    def auth_roots(self) -> list[x509.Certificate]: ...

    def ocsp(self, request_der: bytes, hierarchy: str = "auth") -> bytes: ...


@dataclass(frozen=True, slots=True)
class Challenge:
    id: str
    code: str
    nonce: bytes
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Poll:
    state: str  # pending | done | refused | expired
    reason: str | None = None
    code: str | None = None
    token: str | None = None
    expires_at: str | None = None


@dataclass(frozen=True, slots=True)
class Opened:
    token: str
    expires_at: dt.datetime


class Staff:
    """One organisation's staff: its database, its roles, J-LIS as the card's authority."""

    def __init__(
        self,
        *,
        engine: Engine,
        org: str,
        roles: Roles,
        authority: CardAuthority | None,
        clock: Clock = utc_now,
    ) -> None:
        self.engine = engine
        self.org = org
        self.roles = roles
        self.authority = authority
        self.clock = clock
        self._swept: dt.datetime | None = None
        #: called with the person of each entry appended (before its unit of work commits):
        #: how an organisation learns whose entries to pass on (see municipality/disclosure)
        self.listeners: list[Callable[[str | None], None]] = []

    @contextmanager
    def unit_of_work(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    # --- the directory ------------------------------------------------------------------

    def add(
        self,
        *,
        name: str,
        roles: list[str],
        auth_serial: str,
        valid_from: dt.datetime | None = None,
        valid_to: dt.datetime | None = None,
        by: str = LOCAL_ADMIN_ID,
    ) -> StaffMember:
        """Enrol a staff member with the serial of their card's auth certificate."""
        now = self.clock()
        serial = auth_serial.strip().lower()
        if not serial or len(serial) > 40 or any(c not in "0123456789abcdef" for c in serial):
            raise errors.InvalidInput("the serial is the certificate's, in hex", field="serial")
        start = valid_from or now
        if valid_to is not None and valid_to <= start:
            raise errors.InvalidInput("valid_to must come after valid_from", field="valid_to")
        member = StaffMember(
            new_id(), check_name(name), self.roles.check(roles), serial, start, valid_to, None
        )
        try:
            with self.unit_of_work() as conn:
                conn.execute(
                    store.staff_members.insert(),
                    {
                        "id": member.id,
                        "name": member.name,
                        "roles": " ".join(member.roles),
                        "auth_serial": serial,
                        "valid_from": start,
                        "valid_to": valid_to,
                        "created_at": now,
                        "created_by": by,
                        "removed_at": None,
                    },
                )
        except IntegrityError:
            raise errors.Conflict(
                "a staff member with this card is already enrolled", code="staff_card_enrolled"
            ) from None
        return member

    def members(self, *, include_removed: bool = False) -> list[StaffMember]:
        s = store.staff_members.c
        query = select(store.staff_members).order_by(s.created_at, s.id)
        if not include_removed:
            query = query.where(s.removed_at.is_(None))
        with self.engine.connect() as conn:
            return [_member(r) for r in conn.execute(query).mappings()]

    def member(self, staff_id: str) -> StaffMember:
        with self.engine.connect() as conn:
            return self._member(conn, staff_id)

    @staticmethod
    def _member(conn: Connection, staff_id: str) -> StaffMember:
        row = (
            conn.execute(select(store.staff_members).where(store.staff_members.c.id == staff_id))
            .mappings()
            .first()
        )
        if row is None:
            raise errors.NotFound("no such staff member", code="staff_not_found")
        return _member(row)

    def remove(self, staff_id: str, *, by: str = LOCAL_ADMIN_ID) -> None:
        """Remove a staff member: their sessions and tokens end at once."""
        now = self.clock()
        with self.unit_of_work() as conn:
            self._member(conn, staff_id)
            conn.execute(
                update(store.staff_members)
                .where(store.staff_members.c.id == staff_id)
                .values(removed_at=now)
            )
            self._end_all(conn, staff_id, now, "removed")

    def ensure_local_admin(self) -> None:
        """The local administrator's directory entry (no card: it acts on the data folder)."""
        now = self.clock()
        with self.unit_of_work() as conn:
            found = conn.scalar(
                select(store.staff_members.c.id).where(store.staff_members.c.id == LOCAL_ADMIN_ID)
            )
            if found is None:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            store.staff_members.insert(),
                            {
                                "id": LOCAL_ADMIN_ID,
                                "name": LOCAL_ADMIN_NAME,
                                "roles": ADMIN,
                                "auth_serial": None,
                                "valid_from": now,
                                "valid_to": None,
                                "created_at": now,
                                "created_by": LOCAL_ADMIN_ID,
                                "removed_at": None,
                            },
                        )
                except IntegrityError:  # another process made it first
                    pass

    # --- sign-in with the card ------------------------------------------------------------

    def start(self, pair_secret: str) -> Challenge:
        """A one-time challenge (and code) paired with whoever holds ``pair_secret``."""
        now = self.clock()
        self._sweep(now)
        for _ in range(5):
            challenge = Challenge(new_id(), new_code(), os.urandom(32), now + CHALLENGE_TTL)
            try:
                with self.unit_of_work() as conn:
                    conn.execute(
                        store.staff_challenges.insert(),
                        {
                            "id": challenge.id,
                            "code": challenge.code,
                            "nonce": challenge.nonce,
                            "pair_hash": token_hash(pair_secret),
                            "created_at": now,
                            "expires_at": challenge.expires_at,
                            "state": "pending",
                            "staff_id": None,
                            "serial": None,
                            "reason": None,
                            "used_at": None,
                            "claimed_at": None,
                        },
                    )
            except IntegrityError:  # the code is taken: draw another
                continue
            return challenge
        raise errors.Unavailable("could not draw a free sign-in code")

    def challenge(self, code: str) -> Challenge:
        """The pending challenge with this one-time code (what the device shows and signs)."""
        c = store.staff_challenges.c
        with self.engine.connect() as conn:
            row = conn.execute(
                select(c.id, c.code, c.nonce, c.expires_at, c.used_at).where(
                    c.code == normalise_code(code)
                )
            ).first()
        if row is None or row.used_at is not None:
            raise ChallengeGone("no such sign-in code, or it was used: start again")
        if self.clock() >= row.expires_at:
            raise ChallengeGone(
                "the sign-in code expired: start again", code="sign_in_code_expired"
            )
        return Challenge(row.id, row.code, bytes(row.nonce), row.expires_at)

    def answer(self, code: str, *, signature: bytes, certificate: bytes) -> StaffMember:
        """Check a card's answer to the challenge ``code``; the staff member it signs in.

        Any failure uses the challenge up, is kept with its reason and raised."""
        challenge = self.challenge(code)
        now = self.clock()
        serial: str | None = None
        try:
            if self.authority is None:
                raise errors.Unavailable("this organisation cannot check cards")
            try:
                cert = x509.load_der_x509_certificate(certificate)
            except ValueError as exc:
                raise MalformedCertificate("the certificate is not DER X.509") from exc
            serial = f"{cert.serial_number:x}"
            # a staff card of either generation (RSA-2048 or P-384)
            anchor = verify_signed(
                cert, challenge.nonce, signature, self.authority.auth_roots(), now,
                purpose=Purpose.AUTH,
            )  # fmt: skip
            self._check_status(cert, anchor, now)
            member = self._enrolled(serial, now)
        except (CertificateError, MalformedCertificate, SignInRefused) as exc:
            self._use_up(challenge, now, "refused", reason=exc.code, serial=serial)
            raise SignInRefused(exc.message, code=exc.code) from exc
        self._use_up(challenge, now, "done", staff_id=member.id, serial=serial, cert=certificate)
        return member

    def _check_status(
        self, cert: x509.Certificate, anchor: x509.Certificate, now: dt.datetime
    ) -> None:
        assert self.authority is not None
        answer = self.authority.ocsp(build_ocsp_request(cert, anchor), hierarchy_of(anchor))
        check_ocsp_response(answer, cert, anchor, now)

    def _enrolled(self, serial: str, now: dt.datetime) -> StaffMember:
        s = store.staff_members.c
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(store.staff_members).where(s.auth_serial == serial))
                .mappings()
                .first()
            )
        if row is None:
            raise SignInRefused("this card is not enrolled as staff here", code="not_staff")
        member = _member(row)
        if not member.active(now):
            raise SignInRefused("this staff member may not sign in now", code="staff_inactive")
        return member

    def _use_up(
        self,
        challenge: Challenge,
        now: dt.datetime,
        state: str,
        *,
        staff_id: str | None = None,
        reason: str | None = None,
        serial: str | None = None,
        cert: bytes | None = None,
    ) -> None:
        c = store.staff_challenges.c
        with self.unit_of_work() as conn:
            taken = conn.execute(
                update(store.staff_challenges)
                .where(c.id == challenge.id, c.used_at.is_(None))
                .values(
                    used_at=now,
                    state=state,
                    staff_id=staff_id,
                    reason=reason,
                    serial=serial,
                    certificate=cert,
                )
            ).rowcount
            if not taken:
                raise ChallengeGone("the sign-in code was already used: start again")

    def poll(self, challenge_id: str, pair_secret: str) -> Poll:
        """The state of a sign-in; once done, a session token (given out only once)."""
        c = store.staff_challenges.c
        now = self.clock()
        with self.unit_of_work() as conn:
            row = conn.execute(
                select(
                    c.state, c.code, c.reason, c.expires_at, c.staff_id, c.serial, c.certificate
                ).where(c.id == challenge_id, c.pair_hash == token_hash(pair_secret))
            ).first()
            if row is None:
                raise ChallengeGone("no sign-in is waiting here")
            if row.state == "refused":
                return Poll("refused", row.reason)
            if row.state == "pending":
                if now >= row.expires_at:
                    return Poll("expired", "sign_in_code_expired")
                return Poll("pending", code=row.code)
            claimed = conn.execute(
                update(store.staff_challenges)
                .where(c.id == challenge_id, c.claimed_at.is_(None))
                .values(claimed_at=now)
            ).rowcount
            if not claimed:
                return Poll("done")
            opened = self._open(
                conn, row.staff_id, "card", now, ABSOLUTE, serial=row.serial, cert=row.certificate
            )
        return Poll("done", token=opened.token, expires_at=opened.expires_at.isoformat())

    def _sweep(self, now: dt.datetime) -> None:
        """Expired challenges and long-ended sessions go (at most once a minute)."""
        if self._swept is not None and now - self._swept < dt.timedelta(minutes=1):
            return
        self._swept = now
        with self.unit_of_work() as conn:
            conn.execute(
                delete(store.staff_challenges).where(
                    store.staff_challenges.c.expires_at < now - dt.timedelta(minutes=10)
                )
            )
            conn.execute(
                delete(store.staff_sessions).where(
                    store.staff_sessions.c.expires_at < now - dt.timedelta(days=1)
                )
            )

    # --- sessions and tokens --------------------------------------------------------------

    def issue_token(
        self, staff_id: str, *, ttl: dt.timedelta = dt.timedelta(hours=1), kind: str = "token"
    ) -> Opened:
        """A bearer token for a staff member (an administrator's act), at most 30 days."""
        if not dt.timedelta(0) < ttl <= TOKEN_TTL_MAX:
            raise errors.InvalidInput("a token lives from a second to 30 days", field="ttl")
        now = self.clock()
        with self.unit_of_work() as conn:
            member = self._member(conn, staff_id)
            if not member.active(now):
                raise errors.Conflict("this staff member is not active", code="staff_inactive")
            return self._open(conn, staff_id, kind, now, ttl)

    def local_admin_token(self, *, ttl: dt.timedelta = dt.timedelta(hours=1)) -> str:
        """A token for the local administrator (the command line on the data folder)."""
        self.ensure_local_admin()
        return self.issue_token(LOCAL_ADMIN_ID, ttl=ttl, kind="local").token

    @staticmethod
    def _open(
        conn: Connection,
        staff_id: str,
        kind: str,
        now: dt.datetime,
        ttl: dt.timedelta,
        *,
        serial: str | None = None,
        cert: bytes | None = None,
    ) -> Opened:
        token = new_token()
        expires = now + ttl
        conn.execute(
            store.staff_sessions.insert(),
            {
                "token_hash": token_hash(token),
                "staff_id": staff_id,
                "kind": kind,
                "csrf": new_token(),
                "serial": serial,
                "certificate": cert,
                "created_at": now,
                "last_seen": now,
                "expires_at": expires,
                "status_checked_at": now,
                "ended_at": None,
                "end_reason": None,
            },
        )
        return Opened(token, expires)

    def session(self, token: str | None) -> StaffSession:
        """The live session of ``token`` (its idle clock restarts), or :class:`StaffRequired`.

        A card session's certificate is asked about again every minute: suspended or
        revoked, the session ends. A removed or expired staff member's sessions end."""
        if not token:
            raise StaffRequired("sign in with your staff card")
        s = store.staff_sessions.c
        key = token_hash(token)
        now = self.clock()
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(store.staff_sessions).where(s.token_hash == key))
                .mappings()
                .first()
            )
            member = None if row is None else self._member(conn, row["staff_id"])
        if row is None or member is None or row["ended_at"] is not None:
            raise StaffRequired("sign in with your staff card")
        why = None
        if now >= row["expires_at"]:
            why = "expired"
        elif row["kind"] == "card" and now - row["last_seen"] > IDLE:
            why = "idle"
        elif not member.active(now):
            why = "staff_inactive"
        elif row["kind"] == "card" and now - (row["status_checked_at"] or now) > STATUS_RECHECK:
            why = self._card_still_good(row["certificate"], now)
        with self.unit_of_work() as conn:
            if why is not None:
                conn.execute(
                    update(store.staff_sessions)
                    .where(s.token_hash == key, s.ended_at.is_(None))
                    .values(ended_at=now, end_reason=why)
                )
            else:
                values: dict[str, Any] = {"last_seen": now}
                if (
                    row["kind"] == "card"
                    and now - (row["status_checked_at"] or now) > STATUS_RECHECK
                ):
                    values["status_checked_at"] = now
                conn.execute(
                    update(store.staff_sessions).where(s.token_hash == key).values(**values)
                )
        if why is not None:
            raise StaffRequired(f"the session ended ({why}): sign in again")
        return StaffSession(member.id, member.name, member.roles, row["csrf"], row["kind"])

    def _card_still_good(self, certificate: bytes | None, now: dt.datetime) -> str | None:
        """None while the session's card is good; the reason to end it otherwise."""
        if certificate is None or self.authority is None:
            return "card_unknown"
        try:
            cert = x509.load_der_x509_certificate(certificate)
            roots = self.authority.auth_roots()
            anchor = verify_chain(cert, roots, now, purpose=Purpose.AUTH)
            self._check_status(cert, anchor, now)
        except CertificateError as exc:
            return exc.code[:20]
        except errors.Unavailable:
            return None  # J-LIS unreachable: keep the session, ask again next time
        return None

    def end(self, token: str) -> None:
        s = store.staff_sessions.c
        with self.unit_of_work() as conn:
            conn.execute(
                update(store.staff_sessions)
                .where(s.token_hash == token_hash(token), s.ended_at.is_(None))
                .values(ended_at=self.clock(), end_reason="signed_out")
            )

    @staticmethod
    def _end_all(conn: Connection, staff_id: str, now: dt.datetime, why: str) -> None:
        s = store.staff_sessions.c
        conn.execute(
            update(store.staff_sessions)
            .where(s.staff_id == staff_id, s.ended_at.is_(None))
            .values(ended_at=now, end_reason=why)
        )

    # --- the access log -------------------------------------------------------------------

    def record(
        self,
        conn: Connection,
        *,
        actor: StaffSession,
        role: str,
        action: str,
        purpose: str,
        person: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> int:
        """Append one entry in the caller's unit of work; its sequence number."""
        h = store.access_log_head.c
        # the head row is written first, so appenders take turns on every database
        conn.execute(update(store.access_log_head).where(h.id == 1).values(seq=h.seq + 1))
        head = conn.execute(select(h.seq, h.hash).where(h.id == 1)).one()
        entry = {
            "seq": int(head.seq),
            "at": self.clock().astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "actor": actor.staff_id,
            "actor_name": actor.name,
            "role": role,
            "person": person,
            "action": action,
            "purpose": purpose,
            "detail": json.dumps(dict(detail or {}), ensure_ascii=False, sort_keys=True),
            "prev": head.hash,
        }
        entry["hash"] = entry_hash(entry)
        conn.execute(store.access_log.insert(), {**entry, "disclosed": False})
        conn.execute(update(store.access_log_head).where(h.id == 1).values(hash=entry["hash"]))
        for listener in self.listeners:
            listener(person)
        return int(head.seq)

    def log(
        self,
        acting: Acting,
        *,
        action: str,
        purpose: str,
        person: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> int:
        """Append one entry about what ``acting`` read or changed, in a unit of work of its own."""
        with self.unit_of_work() as conn:
            return self.record(
                conn,
                actor=acting.session,
                role=acting.role,
                action=action,
                purpose=purpose,
                person=person,
                detail=detail,
            )

    def log_entries(
        self, *, person: str | None = None, after: int = 0, limit: int = 1000
    ) -> list[dict[str, Any]]:
        a = store.access_log.c
        query = select(store.access_log).where(a.seq > after).order_by(a.seq).limit(limit)
        if person is not None:
            query = query.where(a.person == person)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def verify_log(self) -> tuple[int, str]:
        """Recompute the whole chain against the head; (entries, head hash) or BrokenLog."""
        a = store.access_log.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(store.access_log).order_by(a.seq)).mappings()
            last, head_hash = verify_entries(rows)
            head = conn.execute(select(store.access_log_head)).mappings().one()
        if int(head["seq"]) != last or (last and head["hash"] != head_hash):
            raise BrokenLog("entries after the last one were removed", seq=last + 1)
        return last, head_hash if last else GENESIS


def _member(row: Mapping[Any, Any]) -> StaffMember:
    return StaffMember(
        id=row["id"],
        name=row["name"],
        roles=tuple(str(row["roles"]).split()),
        auth_serial=row["auth_serial"],
        valid_from=row["valid_from"],
        valid_to=row["valid_to"],
        removed_at=row["removed_at"],
    )
