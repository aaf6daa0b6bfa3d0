"""Mynaportal as a recipient of deliveries: agencies' notices (``*_notice``) into お知らせ.

The hub forwards a delivery to ``POST /portal/api/deliveries`` (the hub's signature only)
with the portal's own hub code for each person (``accounts.hub_code``, obtained from J-LIS
at the person's first login); a person with no account, hence no code, is ``accepted:
false`` and the sender falls back to paper. Each message ``{"title", "body", "link"?}`` is
checked and put in the person's inbox under the sending organisation's display name. A
message may name itself with the sender's ``ref``: the inbox keeps one notice per
(person, sender, ref), so a repeat is accepted (``true``) and adds nothing.
Other procedures are registered on the same :class:`~mynumber.platform.deliveries.Receivers`
by the modules that handle them.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from mynumber.orgs.portal import store
from mynumber.orgs.portal.model import names
from mynumber.orgs.portal.services.inbox import Inbox, NewNotice
from mynumber.platform.db import chunked
from mynumber.platform.deliveries import Answer, Opened, valid_ref
from mynumber.platform.notices import LINK_PATTERN
from mynumber.platform.uow import UnitOfWork

NOTICE_ITEMS = ("notice",)
MAX_TITLE = 200
MAX_BODY = 4000
MAX_LINK = 300
#: A relative link into the portal: no scheme, no host, no way out of /portal/.
LINK = re.compile(LINK_PATTERN)
#: Control characters other than tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def sender_name(org: str) -> str:
    """The display name of a sending organisation (差出人), as :mod:`display` names it."""
    return str(names.organisation(org))


def valid_notice(message: Any) -> dict[str, str] | None:
    """The notice's title, body, link and ref if the message is a well-formed notice, else
    None."""
    if not isinstance(message, dict) or set(message) - {"title", "body", "link", "ref"}:
        return None
    title, body, link = message.get("title"), message.get("body"), message.get("link")
    ref = message.get("ref")
    if ref is not None and not valid_ref(ref):
        return None
    if not isinstance(title, str) or not 0 < len(title.strip()) <= MAX_TITLE:
        return None
    if not isinstance(body, str) or not 0 < len(body.strip()) <= MAX_BODY:
        return None
    if _CONTROL.search(title) or "\n" in title or "\r" in title or _CONTROL.search(body):
        return None
    notice = {"title": title.strip(), "body": body.strip()}
    if link is not None:
        if not isinstance(link, str) or len(link) > MAX_LINK or not LINK.fullmatch(link):
            return None
        notice["link"] = link
    if ref is not None:
        notice["ref"] = ref
    return notice


class NoticeReceiver:
    """Handles ``*_notice`` deliveries: each well-formed message for a known person goes in
    that person's inbox; the rest are refused (``false``) and nothing of them is kept."""

    def __init__(self, *, inbox: Inbox) -> None:
        self.inbox = inbox

    def accounts_of(self, uow: UnitOfWork, hub_codes: list[str]) -> dict[str, str]:
        """hub code → portal code, for the codes the portal holds."""
        a = store.accounts.c
        found: dict[str, str] = {}
        with uow as conn:
            for part in chunked(list(dict.fromkeys(hub_codes))):
                found.update(
                    conn.execute(
                        select(a.hub_code, a.portal_code).where(a.hub_code.in_(part))
                    ).all()
                )
        return found

    def __call__(self, uow: UnitOfWork, delivery: Opened) -> Answer:
        if delivery.items != NOTICE_ITEMS:
            return Answer(accepted=[False] * len(delivery.codes))
        owners = self.accounts_of(uow, [c for c in delivery.codes if c is not None])
        sender = sender_name(delivery.sender)
        accepted: list[bool] = []
        notices: list[NewNotice] = []
        for code, message in zip(delivery.codes, delivery.messages, strict=True):
            owner = owners.get(code) if code is not None else None
            notice = valid_notice(message)
            if owner is None or notice is None:
                accepted.append(False)
                continue
            accepted.append(True)
            notices.append(
                NewNotice(
                    portal_code=owner,
                    sender=sender,
                    title=notice["title"],
                    body=notice["body"],
                    link=notice.get("link"),
                    sender_org=delivery.sender,
                    ref=notice.get("ref"),
                )
            )
        with uow as conn:
            self.inbox.add(conn, notices)
            uow.commit()
        return Answer(accepted=accepted)
