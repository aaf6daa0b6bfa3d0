"""お知らせ: the person's inbox, with each notice's text encrypted at rest.

Agencies' notices say things about a person's taxes, pension and benefits; the portal keeps
them only to show them to that person, so their title and body are stored encrypted with
AES-256-GCM under a portal key (``DATA/portal/notices.key``), bound to the notice's id and
its owner: a row copied onto another person, or a file copied off the server, shows nothing.
Rows written before encryption (plain text) still read as they are.

A notice may carry its sender's own reference (``ref``); the inbox keeps one notice per
(person, sending organisation, ref), so a sender that sends a batch again after a crash
adds nothing the second time.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, select, update

from mynumber.errors import NotFound
from mynumber.orgs.portal import store
from mynumber.platform.db import chunked, insert_ignoring_duplicates
from mynumber.platform.ids import new_id
from mynumber.platform.uow import UnitOfWork

PREFIX = "v1:"
NONCE_BYTES = 12


class NoticeCipher:
    """AES-GCM over a notice's text, bound to (notice id, owner, field)."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the notice key must be 32 bytes")
        self._aead = AESGCM(key)

    @staticmethod
    def _aad(notice_id: str, portal_code: str, field: str) -> bytes:
        return f"mynumber/portal/notice\x00{notice_id}\x00{portal_code}\x00{field}".encode()

    def seal(self, notice_id: str, portal_code: str, field: str, text: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, text.encode(), self._aad(notice_id, portal_code, field))
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, notice_id: str, portal_code: str, field: str, value: str) -> str:
        if not value.startswith(PREFIX):
            return value  # written before notices were encrypted
        raw = base64.urlsafe_b64decode(value[len(PREFIX) :])
        try:
            plain = self._aead.decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], self._aad(notice_id, portal_code, field)
            )
        except InvalidTag:
            return "(読み取れません / unreadable)"
        return plain.decode()


@dataclass(frozen=True, slots=True)
class NewNotice:
    portal_code: str
    sender: str
    title: str
    body: str
    link: str | None = None
    #: the sending organisation and its own reference: with both, kept once per person
    sender_org: str | None = None
    ref: str | None = None

    @property
    def key(self) -> tuple[str, str, str] | None:
        if self.sender_org is None or self.ref is None:
            return None
        return (self.portal_code, self.sender_org, self.ref)


class Inbox:
    """Writes and reads the notices table; the only code that touches notice text."""

    def __init__(
        self,
        *,
        cipher: NoticeCipher,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.cipher = cipher
        self.clock = clock

    def add(
        self, conn: Connection, notices: Sequence[NewNotice], *, at: dt.datetime | None = None
    ) -> list[str]:
        """Insert notices in the caller's transaction; returns the ids of those added.

        A notice whose (person, sender organisation, ref) the inbox already holds, or that
        repeats one earlier in ``notices``, is skipped; one racing a concurrent writer is
        dropped by the unique key (so its id may be returned though another row won).
        """
        now = at or self.clock()
        rows: list[dict[str, Any]] = []
        ids: list[str] = []
        known = self._known_refs(conn, notices)
        for n in notices:
            key = n.key
            if key is not None:
                if key in known:
                    continue
                known.add(key)
            notice_id = new_id()
            ids.append(notice_id)
            rows.append(
                {
                    "id": notice_id,
                    "portal_code": n.portal_code,
                    "created_at": now,
                    "sender": n.sender[:100],
                    "title": self.cipher.seal(notice_id, n.portal_code, "title", n.title),
                    "body": self.cipher.seal(notice_id, n.portal_code, "body", n.body),
                    "link": n.link,
                    "sender_org": n.sender_org,
                    "ref": n.ref,
                }
            )
        if rows:
            insert_ignoring_duplicates(conn, store.notices, rows)
        return ids

    @staticmethod
    def _known_refs(conn: Connection, notices: Sequence[NewNotice]) -> set[tuple[str, str, str]]:
        """The (person, sender organisation, ref) of ``notices`` already in the inbox."""
        wanted = {n.key for n in notices if n.key is not None}
        if not wanted:
            return set()
        n = store.notices.c
        refs = sorted({key[2] for key in wanted})
        found: set[tuple[str, str, str]] = set()
        for part in chunked(refs):
            found.update(
                (row.portal_code, row.sender_org, row.ref)
                for row in conn.execute(
                    select(n.portal_code, n.sender_org, n.ref).where(n.ref.in_(part))
                )
            )
        return found & wanted

    def _opened(self, row: Any) -> dict[str, Any]:
        value = dict(row._mapping)
        for field in ("title", "body"):
            value[field] = self.cipher.open(value["id"], value["portal_code"], field, value[field])
        return value

    def list(self, uow: UnitOfWork, portal_code: str) -> list[dict[str, Any]]:
        """The person's notices, newest first."""
        n = store.notices.c
        with uow as conn:
            rows = conn.execute(
                select(n.id, n.portal_code, n.created_at, n.sender, n.title, n.body, n.link)
                .add_columns(n.read_at)
                .where(n.portal_code == portal_code)
                .order_by(n.created_at.desc(), n.id.desc())
            ).all()
        return [self._opened(r) for r in rows]

    def get(self, uow: UnitOfWork, portal_code: str, notice_id: str) -> dict[str, Any]:
        """One of the person's notices; another person's is :class:`NotFound` alike."""
        n = store.notices.c
        with uow as conn:
            row = conn.execute(
                select(n.id, n.portal_code, n.created_at, n.sender, n.title, n.body, n.link)
                .add_columns(n.read_at)
                .where(n.id == notice_id, n.portal_code == portal_code)
            ).first()
        if row is None:
            raise NotFound("no such notice")
        return self._opened(row)

    def mark_read(self, uow: UnitOfWork, portal_code: str, notice_id: str) -> None:
        n = store.notices.c
        with uow as conn:
            exists = conn.scalar(
                select(n.id).where(n.id == notice_id, n.portal_code == portal_code)
            )
            if exists is None:
                raise NotFound("no such notice")
            conn.execute(
                update(store.notices)
                .where(n.id == notice_id, n.read_at.is_(None))
                .values(read_at=self.clock())
            )
            uow.commit()
