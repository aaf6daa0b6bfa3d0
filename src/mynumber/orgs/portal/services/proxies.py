"""代理人 (proxies): a person lets another act for them on Mynaportal, and can stop it.

Domain reference §5: legal or voluntary proxies are registered on the portal and use
自己情報表示 etc. with the person's consent. Here:

* the grantor (本人) makes an invitation — a right, ``view`` or ``apply`` (``apply``
  includes ``view``), and an optional end date — and gets a one-time code, valid for
  :data:`INVITATION_TTL` and kept only as its SHA-256;
* the grantee logs in with their OWN card and accepts the code (not their own, and only
  once; at most five wrong codes per quarter hour, each recorded — see
  :mod:`.invitation_attempts`); the right is then a relation between the two portal
  codes, recorded with time;
* the grantee switches to act for the grantor ("代理で操作"): わたしの情報, お知らせ,
  やりとり履歴 and 住民票の閲覧・変更の記録 then show the grantor's data, each view checked
  against the right at that moment (:meth:`Proxies.require`) and recorded for the grantor
  (who, what, when);
* the grantor sees their proxies and what they did, and revokes a right: at once, since
  every request checks it. E-applications call ``require(actor, principal, "apply")``.
* 公金受取口座, 給付金 and 連携サービス are the person's own money and consents: acting for
  someone, they refuse (:meth:`~mynumber.orgs.portal.web.pages.Pages.only_oneself`) with a
  button back to oneself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, or_, select, update

from mynumber import errors
from mynumber.orgs.portal import store
from mynumber.orgs.portal.model import Session, token_hash
from mynumber.orgs.portal.model.proxies import (
    ACTION_LABEL,
    INVITATION_TTL,
    LONGEST_RIGHT,
    RIGHT_LABEL,
    RIGHTS,
    SELF,
    UNKNOWN_NAME,
    InvitationRefused,
    ProxyRefused,
    code_hash,
    end_of_day,
    includes,
    new_invitation_code,
)
from mynumber.orgs.portal.services.invitation_attempts import (
    WRONG,
    InvitationAttempts,
)
from mynumber.orgs.portal.services.self_information import SELF_INFORMATION, HubLink
from mynumber.platform.ids import new_id
from mynumber.platform.uow import UnitOfWork


def names_via(link: HubLink) -> Callable[[UnitOfWork, str], str | None]:
    """氏名 as the municipality gives it on わたしの情報 (基本4情報), through the hub; None
    when the municipality holds no record or does not answer."""

    def name_of(uow: UnitOfWork, portal_code: str) -> str | None:
        try:
            data = link.ask(
                uow,
                portal_code,
                procedure=SELF_INFORMATION,
                provider="municipality",
                items=["basic_items"],
            )
            return str(data["basic_items"]["name"])
        except (errors.Error, KeyError, TypeError):
            return None

    return name_of


@dataclass(frozen=True, slots=True)
class Invitation:
    code: str
    scope: str
    until: dt.datetime | None
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Proxy:
    id: str
    principal_code: str
    agent_code: str
    scope: str
    principal_name: str | None
    agent_name: str | None
    created_at: dt.datetime
    until: dt.datetime | None
    revoked_at: dt.datetime | None

    def active(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and (self.until is None or now < self.until)


def _proxy(row: Any) -> Proxy:
    return Proxy(
        id=row.id,
        principal_code=row.principal_code,
        agent_code=row.agent_code,
        scope=row.scope,
        principal_name=row.principal_name,
        agent_name=row.agent_name,
        created_at=row.created_at,
        until=row.until,
        revoked_at=row.revoked_at,
    )


class Proxies:
    """Invitations, rights, checks and the record of proxy actions."""

    def __init__(
        self,
        *,
        name_of: Callable[[UnitOfWork, str], str | None],
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.name_of = name_of  # 氏名 as the municipality gives it (わたしの情報)
        self.clock = clock
        self.attempts = InvitationAttempts(clock=lambda: self.clock())

    # --- granting --------------------------------------------------------------------------

    def invite(
        self, uow: UnitOfWork, grantor: str, *, scope: str, until: dt.date | None = None
    ) -> Invitation:
        """A one-time code for a right to act for ``grantor``; shown once, kept hashed."""
        if scope not in RIGHTS:
            raise errors.InvalidInput(f"the right is one of {', '.join(RIGHTS)}", field="scope")
        now = self.clock()
        ends = None
        if until is not None:
            ends = end_of_day(until).astimezone(dt.UTC)  # SQLite keeps no offset
            if ends <= now or ends - now > LONGEST_RIGHT:
                raise errors.InvalidInput(
                    "the end date must be after today and within five years", field="until"
                )
        code = new_invitation_code()
        invitation = Invitation(code, scope, ends, now + INVITATION_TTL)
        with uow as conn:
            conn.execute(
                store.proxy_invitations.insert().values(
                    id=new_id(),
                    code_hash=code_hash(code),
                    principal_code=grantor,
                    scope=scope,
                    until=ends,
                    created_at=now,
                    expires_at=invitation.expires_at,
                )
            )
            uow.commit()
        return invitation

    def accept(self, uow: UnitOfWork, grantee: str, code: str) -> Proxy:
        """The grantee takes the right the code carries; the code is spent.

        :class:`TooManyAttempts` after too many unknown codes lately
        (:mod:`.invitation_attempts`).
        """
        self.attempts.check(uow, grantee)
        i = store.proxy_invitations.c
        now = self.clock()
        with uow as conn:
            row = conn.execute(
                select(store.proxy_invitations).where(i.code_hash == code_hash(code))
            ).first()
        if row is None:
            self.attempts.record(uow, grantee, WRONG)
            raise InvitationRefused(
                "この招待コードは見つかりません / No such invitation code",
                code="invitation_unknown",
            )
        if row.principal_code == grantee:
            raise InvitationRefused(
                "ご自身の招待コードは使えません / You cannot accept your own invitation",
                code="own_invitation",
            )
        if row.used_at is not None:
            raise InvitationRefused(
                "この招待コードは使用済みです / The invitation code was already used",
                code="invitation_used",
            )
        if now >= row.expires_at:
            raise InvitationRefused(
                "この招待コードは有効期限切れです / The invitation code has expired",
                code="invitation_expired",
            )
        until = row.until
        if until is not None and until <= now:
            raise InvitationRefused(
                "代理権の期限が過ぎています / The right has already ended",
                code="invitation_expired",
            )
        names = (self.name_of(uow, row.principal_code), self.name_of(uow, grantee))
        proxy_id = new_id()
        with uow as conn:
            taken = conn.execute(
                update(store.proxy_invitations)
                .where(i.id == row.id, i.used_at.is_(None))
                .values(used_at=now, used_by=grantee)
            ).rowcount
            if not taken:  # accepted by someone else a moment ago
                raise InvitationRefused(
                    "この招待コードは使用済みです / The invitation code was already used",
                    code="invitation_used",
                )
            p = store.proxies.c
            # one right per pair: a new one replaces the old
            conn.execute(
                update(store.proxies)
                .where(
                    p.principal_code == row.principal_code,
                    p.agent_code == grantee,
                    p.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )
            conn.execute(
                store.proxies.insert().values(
                    id=proxy_id,
                    principal_code=row.principal_code,
                    agent_code=grantee,
                    scope=row.scope,
                    principal_name=(names[0] or "")[:100] or None,
                    agent_name=(names[1] or "")[:100] or None,
                    created_at=now,
                    until=until,
                    invitation_id=row.id,
                )
            )
            self._record(conn, proxy_id, row.principal_code, grantee, "accept", now)
            uow.commit()
        return self.proxy(uow, proxy_id)

    def revoke(self, uow: UnitOfWork, grantor: str, proxy_id: str) -> None:
        """The grantor ends a right, at once; another's proxy id is :class:`NotFound`."""
        p = store.proxies.c
        now = self.clock()
        with uow as conn:
            row = conn.execute(
                select(p.agent_code, p.revoked_at).where(
                    p.id == proxy_id, p.principal_code == grantor
                )
            ).first()
            if row is None:
                raise errors.NotFound("no such proxy")
            if row.revoked_at is not None:
                return
            conn.execute(update(store.proxies).where(p.id == proxy_id).values(revoked_at=now))
            self._record(conn, proxy_id, grantor, row.agent_code, "revoke", now)
            # sessions acting under it stop now, not at their next request
            s = store.sessions.c
            conn.execute(
                update(store.sessions)
                .where(s.portal_code == row.agent_code, s.acting_for == grantor)
                .values(acting_for=None)
            )
            uow.commit()

    # --- checking --------------------------------------------------------------------------

    def proxy(self, uow: UnitOfWork, proxy_id: str) -> Proxy:
        with uow as conn:
            row = conn.execute(select(store.proxies).where(store.proxies.c.id == proxy_id)).first()
        if row is None:
            raise errors.NotFound("no such proxy")
        return _proxy(row)

    def require(
        self,
        uow: UnitOfWork,
        actor_code: str,
        principal_code: str,
        right: str,
        *,
        action: str | None = None,
    ) -> Proxy | None:
        """The right ``actor_code`` holds to do ``right`` for ``principal_code``, checked now,
        and the act recorded for the principal; None when the actor is the person themself.

        Raises :class:`ProxyRefused` if there is no such right (never granted, revoked,
        ended, or only ``view`` when ``apply`` is asked). E-applications call this with
        ``right="apply"`` and ``action="apply:<procedure>"`` before they submit.
        """
        if right not in RIGHTS:
            raise ValueError(f"unknown right {right!r}")
        if actor_code == principal_code:
            return None
        now = self.clock()
        p = store.proxies.c
        with uow as conn:
            rows = conn.execute(
                select(store.proxies).where(
                    p.principal_code == principal_code,
                    p.agent_code == actor_code,
                    p.revoked_at.is_(None),
                    or_(p.until.is_(None), p.until > now),
                )
            ).all()
            found = [_proxy(r) for r in rows if includes(r.scope, right)]
            if not found:
                why = "この操作の代理権がありません / You hold no right to do this for them"
                if rows:
                    why = f"閲覧のみの代理権です / Your right is view only ({right} refused)"
                raise ProxyRefused(why)
            proxy = found[0]
            self._record(conn, proxy.id, principal_code, actor_code, action or right, now)
            uow.commit()
        return proxy

    def applicant(self, uow: UnitOfWork, session: Session, procedure: str) -> str:
        """Whom an application from this session is for: the person, or the principal they
        act for with an ``apply`` right (checked and recorded)."""
        principal = session.acting_for or session.portal_code
        self.require(uow, session.portal_code, principal, "apply", action=f"apply:{procedure}"[:80])
        return principal

    def subject(self, uow: UnitOfWork, session: Session, what: str) -> str:
        """Whose data a page shows: the person's, or — acting as a proxy — the principal's,
        after checking the ``view`` right now and recording the view for the principal. A
        right gone since the switch ends the acting and refuses the page."""
        if session.acting_for is None:
            return session.portal_code
        try:
            self.require(uow, session.portal_code, session.acting_for, "view", action=what)
        except ProxyRefused:
            self._stop_acting(uow, session.portal_code, session.acting_for)
            raise
        return session.acting_for

    # --- acting ----------------------------------------------------------------------------

    def act(
        self, uow: UnitOfWork, token: str, session: Session, proxy_id: str | None
    ) -> str | None:
        """Switch this session to act for the principal of ``proxy_id`` (None: oneself)."""
        principal = None
        if proxy_id is not None:
            proxy = self.proxy(uow, proxy_id)
            if proxy.agent_code != session.portal_code:
                raise errors.NotFound("no such proxy")
            self.require(uow, session.portal_code, proxy.principal_code, "view", action="act")
            principal = proxy.principal_code
            name = self.name_of(uow, principal)  # the municipality's current name (a marriage …)
            if name and name[:100] != proxy.principal_name:
                with uow as conn:
                    conn.execute(
                        update(store.proxies)
                        .where(store.proxies.c.principal_code == principal)
                        .values(principal_name=name[:100])
                    )
                    uow.commit()
        s = store.sessions.c
        with uow as conn:
            conn.execute(
                update(store.sessions)
                .where(s.token_hash == token_hash(token), s.portal_code == session.portal_code)
                .values(acting_for=principal)
            )
            uow.commit()
        return principal

    def _stop_acting(self, uow: UnitOfWork, agent: str, principal: str) -> None:
        s = store.sessions.c
        with uow as conn:
            conn.execute(
                update(store.sessions)
                .where(s.portal_code == agent, s.acting_for == principal)
                .values(acting_for=None)
            )
            uow.commit()

    # --- what people see -------------------------------------------------------------------

    def granted(self, uow: UnitOfWork, grantor: str) -> list[Proxy]:
        """The grantor's proxies, newest first, revoked ones too."""
        p = store.proxies.c
        with uow as conn:
            rows = conn.execute(
                select(store.proxies)
                .where(p.principal_code == grantor)
                .order_by(p.created_at.desc(), p.id.desc())
            ).all()
        return [_proxy(r) for r in rows]

    def principals(self, uow: UnitOfWork, agent: str) -> list[Proxy]:
        """The people ``agent`` may act for now."""
        now = self.clock()
        p = store.proxies.c
        with uow as conn:
            rows = conn.execute(
                select(store.proxies)
                .where(p.agent_code == agent, p.revoked_at.is_(None))
                .order_by(p.created_at.desc(), p.id.desc())
            ).all()
        return [proxy for proxy in map(_proxy, rows) if proxy.active(now)]

    def actions(self, uow: UnitOfWork, principal: str, limit: int = 200) -> list[dict[str, Any]]:
        """What proxies did for ``principal``: who, what, when; newest first."""
        a, p = store.proxy_actions.c, store.proxies.c
        with uow as conn:
            rows = conn.execute(
                select(a.at, a.action, p.agent_name, p.scope)
                .select_from(store.proxy_actions.join(store.proxies, p.id == a.proxy_id))
                .where(a.principal_code == principal)
                .order_by(a.at.desc(), a.id.desc())
                .limit(limit)
            ).all()
        return [
            {
                "at": r.at,
                "who": r.agent_name or UNKNOWN_NAME,
                "action": r.action,
                "label": ACTION_LABEL.get(r.action)
                or ACTION_LABEL.get(r.action.partition(":")[0], r.action),
                "scope": r.scope,
            }
            for r in rows
        ]

    def switcher(self, uow: UnitOfWork, ctx: dict[str, Any]) -> None:
        """Template context for "代理で操作" on every page of a person who may act for others."""
        session = ctx.get("session")
        if not isinstance(session, Session):
            return
        choices = self.principals(uow, session.portal_code)
        if not choices and session.acting_for is None:
            return
        current = next((c for c in choices if c.principal_code == session.acting_for), None)
        ctx["proxy_switch"] = {
            "acting": session.acting_for is not None,
            "current": SELF
            if session.acting_for is None
            else (current.principal_name if current and current.principal_name else UNKNOWN_NAME),
            "scope": RIGHT_LABEL[current.scope] if current else "",
            "choices": [
                {"id": c.id, "name": c.principal_name or UNKNOWN_NAME, "scope": c.scope}
                for c in choices
            ],
            "selected": current.id if current else "self",
        }

    @staticmethod
    def _record(
        conn: Connection, proxy_id: str, principal: str, agent: str, action: str, at: dt.datetime
    ) -> None:
        conn.execute(
            store.proxy_actions.insert().values(
                id=new_id(),
                proxy_id=proxy_id,
                principal_code=principal,
                agent_code=agent,
                at=at,
                action=action[:80],
            )
        )


# --- pages -------------------------------------------------------------------------------
