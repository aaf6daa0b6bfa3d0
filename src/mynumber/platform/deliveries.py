"""Deliveries through the linkage hub, for senders and recipients alike.

A delivery carries messages (notices, applications, decisions) from one organisation to
another about one or more persons. The sender names each person by its OWN agency code;
the hub converts the codes to the recipient's and relays a JWE it cannot read
(``POST /hub/api/deliveries``, see ``mynumber.orgs.hub.deliveries``).

Sender side::

    result = send(hub_client, keys, procedure="benefit_notice", recipient="portal",
                  items=["notice"], codes=[code1, code2], messages=[msg1, msg2])
    result.accepted   # [True, False]: aligned with codes; False → fall back to paper
    result.answers    # what the recipient replied, opened (None if it replied nothing)

Recipient side: register a handler per procedure and mount the receiver, which accepts
only the hub's signature::

    receivers = Receivers(org="portal", keys=keys)
    receivers["tax_notice"] = take_notices          # or a pattern: receivers["*_notice"]
    app.include_router(receiver_router(ctx, receivers))   # POST /api/deliveries

(:func:`mynumber.platform.web.deliveries.receiver_router`).

A handler gets an :class:`Opened` delivery (codes are the recipient's own, ``None`` where
the hub found none) and returns an :class:`Answer`: ``accepted`` aligned with the codes and
optional ``answers`` the receiver seals back to the sender. :func:`open_delivery` opens a
forwarded body by hand when a recipient does not use :class:`Receivers`.

The payload is signed by the sender and bound to ``delivery:<sender>:<procedure>``, the
procedure and the recipient inside the ciphertext (:func:`~mynumber.platform.encryption.
seal_signed`), so the hub can neither write one nor pass an application off as another
procedure or another sender's; the reply is signed by the recipient and bound to the
delivery id.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mynumber import errors
from mynumber.platform.encryption import EncryptionKeys, open_signed, seal_signed
from mynumber.platform.http import DELIVERY_DEADLINE, ServiceClient
from mynumber.platform.wire import DeliverOut, DeliveryIn, DeliveryOut

#: Kinds of organisation a recipient may be named by (the hub picks the person's current one).
RECIPIENT_KINDS = frozenset({"municipality"})
HUB = "hub"
#: A message's optional ``ref``: the sender's own name for it, which a recipient keeps
#: unique per (person, sender), so a message sent again (a retry after a crash) is taken
#: once. Up to 64 characters of ``[0-9A-Za-z._:-]``.
REF_PATTERN = r"^[0-9A-Za-z._:\-]{1,64}\Z"
_REF = re.compile(REF_PATTERN)


def valid_ref(ref: object) -> bool:
    """Whether ``ref`` is a well-formed message reference (see :data:`REF_PATTERN`)."""
    return isinstance(ref, str) and _REF.fullmatch(ref) is not None


def binding(sender: str, procedure: str) -> str:
    """What a delivery's payload is bound to inside its ciphertext."""
    return f"delivery:{sender}:{procedure}"


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """The hub's answer to a sender, aligned with the codes it sent: ``reasons`` the hub's
    per code (``None`` where taken), ``sealed`` what was sent (kept by senders that keep it)."""

    delivery_id: str
    accepted: list[bool]
    answers: list[Any] | None = None
    reasons: list[str | None] = field(default_factory=list)
    sealed: str = ""


def send(
    client: ServiceClient,
    keys: EncryptionKeys,
    *,
    procedure: str,
    recipient: str,
    items: Sequence[str],
    codes: Sequence[str],
    messages: Sequence[Any],
    seal_to: str | None = None,
) -> DeliveryResult:
    """Seal ``{"messages": [...]}`` to the recipient and deliver it through the hub.

    ``client`` is a :class:`ServiceClient` of the hub with the sender's identity; ``codes``
    are the sender's own agency codes, ``messages`` one JSON value per code. ``recipient``
    is an organisation (``portal``, ``municipality-131016``) or the kind ``municipality``
    (the hub picks each person's current municipality): with a kind, ``seal_to`` names the
    organisation the sender believes holds the person, and only persons there get it.
    Raises the hub's error (403 ``not_permitted``, 503 ``recipient_unavailable``, …).
    """
    if client.identity is None:
        raise ValueError("a delivery is signed by its sender: the client needs an identity")
    if len(codes) != len(messages):
        raise ValueError("one message per code")
    for message in messages:
        if isinstance(message, dict) and "ref" in message and not valid_ref(message["ref"]):
            raise ValueError(f"a message ref must match {REF_PATTERN}")
    target = seal_to or recipient
    if target in RECIPIENT_KINDS:
        raise ValueError(f"name the {target} to seal to (seal_to=...)")
    sender = client.identity.org
    sealed = seal_signed(
        keys,
        {"messages": list(messages)},
        signer=sender,
        recipient=target,
        exchange_id=binding(sender, procedure),
        procedure=procedure,
    )
    answer = client.call(
        "POST",
        "/api/deliveries",
        {
            "procedure": procedure,
            "recipient": recipient,
            "items": list(items),
            "codes": list(codes),
            "sealed": sealed,
        },
        answer=DeliverOut,
        timeout=DELIVERY_DEADLINE,
    )
    if len(answer.accepted) != len(codes):
        raise errors.Unavailable("the hub answered a different count", code="bad_answer")
    replies = None
    if answer.sealed:
        opened = open_reply(
            keys, answer.model_dump(), sender=sender, recipient=target, procedure=procedure
        )
        replies = list(opened["answers"])
    return DeliveryResult(
        delivery_id=answer.delivery_id,
        accepted=answer.accepted,
        answers=replies,
        reasons=answer.reasons,
        sealed=sealed,
    )


def open_reply(
    keys: EncryptionKeys, answer: dict[str, Any], *, sender: str, recipient: str, procedure: str
) -> Any:
    """The recipient's reply in the hub's answer to a delivery (``delivery_id``, ``sealed``),
    opened by the ``sender``: it must be signed by ``recipient`` for this delivery."""
    return open_signed(
        keys,
        str(answer["sealed"]),
        recipient=sender,
        signer=recipient,
        exchange_id=str(answer["delivery_id"]),
        procedure=procedure,
    )


# --- recipient side ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Opened:
    """A delivery as its handler sees it: the recipient's codes and the opened messages."""

    delivery_id: str
    sender: str
    procedure: str
    items: tuple[str, ...]
    codes: list[str | None]
    messages: list[Any]


@dataclass(frozen=True, slots=True)
class Answer:
    """A handler's answer: ``accepted`` aligned with the codes; ``answers`` (optional, one
    JSON value per code) go back to the sender sealed."""

    accepted: list[bool]
    answers: list[Any] | None = None


Handler = Callable[[Opened], Answer]


def open_delivery(
    keys: EncryptionKeys, body: DeliveryIn | dict[str, Any], *, recipient: str
) -> tuple[list[str | None], list[Any]]:
    """(codes, messages) of a forwarded delivery sealed to ``recipient`` (this organisation).

    Raises InvalidInput: ``bad_ciphertext`` if the JWE does not open with our key or its
    messages are not aligned with the codes, ``bad_answer_signature`` if it is not signed by
    the sender or is bound to another sender, procedure or recipient.
    """
    incoming = body if isinstance(body, DeliveryIn) else DeliveryIn.model_validate(body)
    data = open_signed(
        keys,
        incoming.sealed,
        recipient=recipient,
        signer=incoming.sender,
        exchange_id=binding(incoming.sender, incoming.procedure),
        procedure=incoming.procedure,
    )
    messages = data.get("messages") if isinstance(data, dict) else None
    if not isinstance(messages, list) or len(messages) != len(incoming.codes):
        raise errors.InvalidInput(
            "the messages are not aligned with the codes", code="bad_ciphertext"
        )
    return list(incoming.codes), messages


@dataclass
class Receivers:
    """The recipient's handlers by procedure: ``receivers["tax_notice"] = handler``; a key
    with ``*`` is a pattern (``*_notice``), tried after the exact names."""

    org: str
    keys: EncryptionKeys
    handlers: dict[str, Handler] = field(default_factory=dict)

    def __setitem__(self, procedure: str, handler: Handler) -> None:
        self.handlers[procedure] = handler

    def handler(self, procedure: str) -> Handler:
        if procedure in self.handlers:
            return self.handlers[procedure]
        for pattern, handler in self.handlers.items():
            if "*" in pattern and fnmatch.fnmatchcase(procedure, pattern):
                return handler
        raise errors.NotFound(f"{self.org} takes no delivery for {procedure!r}", code="no_receiver")

    def receive(self, body: DeliveryIn) -> DeliveryOut:
        """Open, dispatch, and seal the handler's answers back to the sender."""
        handler = self.handler(body.procedure)
        codes, messages = open_delivery(self.keys, body, recipient=self.org)
        answer = handler(
            Opened(
                delivery_id=body.delivery_id,
                sender=body.sender,
                procedure=body.procedure,
                items=tuple(body.items),
                codes=codes,
                messages=messages,
            )
        )
        if len(answer.accepted) != len(codes):
            raise ValueError("a handler must answer once per code")
        accepted = [bool(a) and c is not None for a, c in zip(answer.accepted, codes, strict=True)]
        sealed = None
        if answer.answers is not None:
            if len(answer.answers) != len(codes):
                raise ValueError("a handler's answers must align with the codes")
            sealed = seal_signed(
                self.keys,
                {"answers": list(answer.answers)},
                signer=self.org,
                recipient=body.sender,
                exchange_id=body.delivery_id,
                procedure=body.procedure,
            )
        return DeliveryOut(accepted=accepted, sealed=sealed)
