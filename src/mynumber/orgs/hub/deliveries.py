"""Deliveries: a notice, an application or a decision carried from one organisation to
another about one or more persons (cf. the 中間サーバー's お知らせ interface, domain
reference §6).

The sender names each person by its OWN agency code; the hub checks the permitted table
(item kinds ``notice``, ``application``, ``decision``), converts each code to the
recipient's, forwards the payload — a JWE sealed by the sender to the recipient, which the
hub cannot open — and records one やりとり履歴 entry per person, all in one transaction.

A recipient given as a kind (``municipality``) is resolved per person to the organisation
of that kind that coded the person last (where they live now); the JWE's ``kid`` header
(public, not the payload) says which organisation it was sealed to, and only persons who
are at that organisation are delivered. A sender therefore seals to the organisation it
believes holds the person, and a person who has moved away is ``not_delivered``.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from mynumber import errors
from mynumber.orgs.hub import permitted, store
from mynumber.orgs.hub.model import MAX_CODES
from mynumber.orgs.hub.services import REFUSED, Entry, Hub, failure_reason
from mynumber.platform.db import chunked
from mynumber.platform.encryption import is_compact_jwe
from mynumber.platform.ids import new_id
from mynumber.platform.uow import UnitOfWork

log = logging.getLogger("mynumber.hub.deliveries")

#: Item kinds a delivery carries (the permitted table's ``items`` column for deliveries);
#: ``access_record``: a municipality's access-log entries for the person's Mynaportal;
#: ``eligibility_copy``: an insurer's eligibility record for the 中間サーバー (``oqs``).
ITEM_KINDS = frozenset({"notice", "application", "decision", "access_record", "eligibility_copy"})
#: Kinds of organisation a recipient may be named by; anything else names one organisation.
RECIPIENT_KINDS = frozenset({"municipality"})

#: Outcomes recorded per person.
DELIVERED = "delivered"
NOT_DELIVERED = "not_delivered"
UNAVAILABLE = "recipient_unavailable"

#: Sends the forwarded delivery to a recipient organisation: (org, body) → its JSON answer.
ForwardDelivery = Callable[[str, dict[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a sender asks the hub to deliver."""

    sender: str
    procedure: str
    recipient: str  # an organisation, or a kind (municipality)
    items: tuple[str, ...]
    codes: tuple[str, ...]  # the sender's own codes, one per person
    sealed: str  # compact JWE to the recipient


def sealed_to(token: str) -> str:
    """The ``kid`` of a compact JWE's protected header: whom the sender sealed it to.

    The header is public by design (RFC 7516 §7.1); the payload stays unread.
    """
    try:
        segment = token.split(".", 1)[0]
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error) as exc:
        raise errors.InvalidInput("sealed is not a compact JWE", field="sealed") from exc
    kid = header.get("kid") if isinstance(header, dict) else None
    if not isinstance(kid, str) or not kid:
        raise errors.InvalidInput("the JWE names no recipient (kid)", field="sealed")
    return kid


class Deliveries:
    """The hub's delivery rules, over the same codes and record chain as exchanges, in the
    caller's unit of work (opened apart before and after the recipient is asked)."""

    def __init__(self, *, hub: Hub, forward: ForwardDelivery) -> None:
        self.hub = hub
        self.forward = forward

    def deliver(self, uow: UnitOfWork, delivery: Delivery) -> dict[str, Any]:
        """Check, convert, forward, record; the answer aligned with the sender's codes."""
        if not 1 <= len(delivery.codes) <= MAX_CODES:
            raise errors.InvalidInput(f"between 1 and {MAX_CODES} codes", field="codes")
        if not is_compact_jwe(delivery.sealed):
            raise errors.InvalidInput("sealed is not a compact JWE", field="sealed")
        delivery_id = new_id()
        persons = self._persons(uow, delivery.sender, list(delivery.codes))
        record = _Recorder(self.hub, uow, delivery_id, delivery)
        unknown = [i for i, p in enumerate(persons) if p is None]
        if unknown:
            record.aggregate_unknown(len(unknown))
        try:
            row = permitted.check(
                delivery.sender, delivery.procedure, delivery.recipient, delivery.items
            )
            unknown_items = set(delivery.items) - ITEM_KINDS
            if unknown_items:
                raise permitted.NotPermitted(
                    f"not an item kind of a delivery: {', '.join(sorted(unknown_items))}"
                )
            target = self._seal_target(delivery)
        except errors.Error as exc:
            for ref in dict.fromkeys(p for p in persons if p is not None):
                record.add(ref, delivery.recipient, REFUSED, f"{exc.code}: {exc.message}")
            record.flush()
            raise
        where = self._codes_at(uow, delivery.recipient, [p for p in persons if p is not None])
        forwarded: list[str | None] = []
        for person in persons:
            found = where.get(person) if person is not None else None
            forwarded.append(found[1] if found is not None and found[0] == target else None)
        # why each person's message did not go, as the sender is told (None: it went on)
        reasons = [
            _untaken(person, code, where, target)
            for person, code in zip(persons, forwarded, strict=True)
        ]
        if not any(forwarded):
            for person in persons:
                if person is not None:
                    record.add(person, target, NOT_DELIVERED, _why_not(where.get(person), target))
            record.flush()
            return {
                "delivery_id": delivery_id,
                "accepted": [False] * len(persons),
                "sealed": None,
                "reasons": reasons,
            }
        body = {
            "delivery_id": delivery_id,
            "sender": delivery.sender,
            "procedure": row.procedure,
            "items": sorted(delivery.items),
            "codes": forwarded,
            "sealed": delivery.sealed,
        }
        try:
            answer = self.forward(target, body)
            accepted, sealed = _read_answer(answer, forwarded)
        except errors.InvalidInput as exc:  # the recipient refused the whole delivery
            for person in persons:
                if person is not None:
                    record.add(person, target, REFUSED, f"refused by {target}: {exc.message}")
            record.flush()
            raise errors.InvalidInput(
                f"{target} refused the delivery: {exc.message}", code="delivery_refused"
            ) from None
        except Exception as exc:  # any other failure of the recipient is the same to the sender
            log.warning("recipient %s failed: %s", target, type(exc).__name__)
            for person in persons:
                if person is not None:
                    record.add(person, target, UNAVAILABLE, failure_reason(exc))
            record.flush()
            raise errors.Unavailable(
                f"{target} did not answer; the delivery is recorded as failed",
                code="recipient_unavailable",
            ) from None
        for index, person in enumerate(persons):
            if person is None:
                continue
            if accepted[index]:
                record.add(person, target, DELIVERED)
            elif forwarded[index] is None:
                record.add(person, target, NOT_DELIVERED, _why_not(where.get(person), target))
            else:
                record.add(person, target, NOT_DELIVERED, f"{target} did not accept the message")
        for index, taken in enumerate(accepted):
            if not taken and reasons[index] is None:
                reasons[index] = f"{target} did not accept the message"
            elif taken:
                reasons[index] = None
        record.flush()
        return {
            "delivery_id": delivery_id,
            "accepted": accepted,
            "sealed": sealed,
            "reasons": reasons,
        }

    # --- codes -----------------------------------------------------------------------------

    def _seal_target(self, delivery: Delivery) -> str:
        """The one organisation the payload is sealed to, checked against the recipient."""
        kid = sealed_to(delivery.sealed)
        if delivery.recipient in RECIPIENT_KINDS:
            if permitted.kind_of(kid) != delivery.recipient or kid == delivery.recipient:
                raise errors.InvalidInput(
                    f"the payload is sealed to {kid}, not to a {delivery.recipient}",
                    field="sealed",
                    code="sealed_to_another",
                )
        elif kid != delivery.recipient:
            raise errors.InvalidInput(
                f"the payload is sealed to {kid}, not to {delivery.recipient}",
                field="sealed",
                code="sealed_to_another",
            )
        return kid

    def _persons(self, uow: UnitOfWork, sender: str, codes: list[str]) -> list[str | None]:
        """The internal reference behind each of the sender's codes (None: nobody)."""
        c = store.codes.c
        found: dict[str, str] = {}
        with uow as conn:
            for part in chunked(list(dict.fromkeys(codes))):
                found.update(
                    conn.execute(
                        select(c.code, c.person_ref).where(c.agency == sender, c.code.in_(part))
                    ).all()
                )
        return [found.get(code) for code in codes]

    def _codes_at(
        self, uow: UnitOfWork, recipient: str, persons: list[str]
    ) -> dict[str, tuple[str, str]]:
        """(organisation, its code) per person; for a kind, the newest of that kind."""
        c = store.codes.c
        newest: dict[str, tuple[Any, str, str]] = {}
        with uow as conn:
            for part in chunked(list(dict.fromkeys(persons))):
                query = select(c.person_ref, c.created_at, c.agency, c.code).where(
                    c.person_ref.in_(part)
                )
                if recipient in RECIPIENT_KINDS:
                    query = query.where(c.agency.like(f"{recipient}-%"))
                else:
                    query = query.where(c.agency == recipient)
                for person, created, agency, code in conn.execute(query):
                    if person not in newest or created > newest[person][0]:
                        newest[person] = (created, agency, code)
        return {p: (agency, code) for p, (_, agency, code) in newest.items()}


def _untaken(
    person: str | None, code: str | None, where: dict[str, tuple[str, str]], target: str
) -> str | None:
    """Why the hub did not pass a person's message on, as the sender is told: it names
    neither the person nor where they live now (None: passed on to the recipient)."""
    if person is None:
        return "unknown_code: the hub knows nobody by this code of the sender"
    if code is not None:
        return None
    if where.get(person) is None:
        return f"not_enrolled: {target} holds no record of this person (not enrolled there)"
    return f"moved: the person no longer lives at {target}"


def _why_not(found: tuple[str, str] | None, target: str) -> str:
    if found is None:
        return f"{target} holds no record of this person"
    return f"the person is now at {found[0]}, the payload was sealed to {target}"


def _read_answer(answer: Any, forwarded: list[str | None]) -> tuple[list[bool], str | None]:
    """The recipient's ``accepted`` (aligned, false wherever no code went) and sealed reply."""
    accepted = answer.get("accepted") if isinstance(answer, dict) else None
    if (
        not isinstance(accepted, list)
        or len(accepted) != len(forwarded)
        or not all(isinstance(a, bool) for a in accepted)
    ):
        raise errors.Unavailable("the recipient's answer is not aligned with the codes")
    sealed = answer.get("sealed")
    if sealed is not None and not is_compact_jwe(sealed):
        raise errors.Unavailable("the recipient's reply is not sealed")
    return [bool(a) and code is not None for a, code in zip(accepted, forwarded, strict=True)], (
        sealed
    )


class _Recorder:
    """Collects a delivery's entries and appends them to the chain in one transaction."""

    def __init__(self, hub: Hub, uow: UnitOfWork, delivery_id: str, delivery: Delivery) -> None:
        self.hub = hub
        self.uow = uow
        self.delivery_id = delivery_id
        self.delivery = delivery
        self.entries: list[Entry] = []

    def add(self, person: str, recipient: str, outcome: str, reason: str = "") -> None:
        self.entries.append(
            Entry(
                exchange_id=self.delivery_id,
                person=person,
                requester=self.delivery.sender,
                provider=recipient,
                procedure=self.delivery.procedure,
                items=self.delivery.items,
                outcome=outcome,
                reason=reason,
            )
        )

    def aggregate_unknown(self, count: int) -> None:
        """One entry for the codes that match nobody (there is nobody to show it to)."""
        self.add(
            "",
            self.delivery.recipient,
            REFUSED,
            f"unknown_code: {count} of the codes match nobody for this sender",
        )

    def flush(self) -> None:
        self.hub.append(self.uow, self.entries)
        self.entries = []
