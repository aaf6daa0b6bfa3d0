"""The portal as a requester at the linkage hub (情報提供ネットワークシステム): 情報照会
through the hub, the hub's records of exchanges about a person and their export, and
deliveries to an agency. Answers come back opened with the portal's key and checked
(signed by the provider, for this exchange and procedure).

The person is named by the portal's own hub code (開示システム用符号); how the portal
learns it is the services' business (:mod:`..services.self_information`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mynumber.platform.deliveries import binding, open_reply
from mynumber.platform.encryption import EncryptionKeys, open_answer, seal_signed
from mynumber.platform.http import DELIVERY_DEADLINE, EXCHANGE_DEADLINE, ServiceClient

ORG = "portal"


@dataclass(frozen=True, slots=True)
class Delivered:
    """The hub's answer to a delivery: per code, accepted or not (and the hub's reason),
    and the recipient's opened answers if it replied; ``sealed`` is what was sent."""

    sealed: str
    delivery_id: str
    accepted: list[bool]
    reasons: list[Any]
    answers: list[Any] | None


class PortalHubClient:
    """The hub as the portal calls it, signed with the portal's identity."""

    def __init__(self, *, hub: ServiceClient, keys: EncryptionKeys) -> None:
        self.hub = hub
        self.keys = keys
        keys.ensure(ORG)

    def exchange(self, code: str, *, procedure: str, provider: str, items: Sequence[str]) -> Any:
        """情報照会: the provider's answer about the person with hub code ``code``."""
        body = {"code": code, "procedure": procedure, "provider": provider, "items": list(items)}
        answer = self.hub.request("POST", "/exchanges", body, timeout=EXCHANGE_DEADLINE)
        return open_answer(self.keys, answer, requester=ORG, provider=provider, procedure=procedure)

    def records(self, code: str) -> list[dict[str, Any]]:
        """The hub's records of every exchange about the person, oldest first."""
        return list(self.hub.request("POST", "/records", {"code": code}))

    def export(self, code: str) -> dict[str, Any]:
        """The records as the hub's JSON document, with the chain head to check them against."""
        return dict(self.hub.request("POST", "/records/export", {"code": code}))

    def deliver(
        self,
        *,
        procedure: str,
        recipient: str,
        items: Sequence[str],
        codes: Sequence[str],
        messages: Sequence[Any],
        seal_to: str | None = None,
    ) -> Delivered:
        """A delivery through the hub of one message per code, sealed to ``seal_to`` (or
        ``recipient``, an organisation); the recipient's reply opened if it sent one.
        Raises the hub's error (403 ``not_permitted``, 503 ``recipient_unavailable``, …)."""
        target = seal_to or recipient
        sealed = seal_signed(
            self.keys,
            {"messages": list(messages)},
            signer=ORG,
            recipient=target,
            exchange_id=binding(ORG, procedure),
            procedure=procedure,
        )
        answer = self.hub.request(
            "POST",
            "/api/deliveries",
            {
                "procedure": procedure,
                "recipient": recipient,
                "items": list(items),
                "codes": list(codes),
                "sealed": sealed,
            },
            timeout=DELIVERY_DEADLINE,
        )
        replies = None
        if answer.get("sealed"):
            opened = open_reply(
                self.keys, answer, sender=ORG, recipient=target, procedure=procedure
            )
            replies = list(opened.get("answers") or [])
        return Delivered(
            sealed=sealed,
            delivery_id=str(answer["delivery_id"]),
            accepted=[bool(a) for a in answer.get("accepted") or []],
            reasons=list(answer.get("reasons") or []),
            answers=replies,
        )
