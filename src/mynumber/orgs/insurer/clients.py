"""The insurer's calls out: eligibility registered with the 中間サーバー (``oqs``) through the
hub, each member named by the insurer's OWN agency code (never a My Number)."""

from __future__ import annotations

import logging
from typing import Any

from mynumber.platform.context import OrgContext
from mynumber.platform.deliveries import send
from mynumber.platform.encryption import EncryptionKeys
from mynumber.platform.http import ServiceClient

log = logging.getLogger("mynumber.insurer")

OQS = "oqs"
PROCEDURE = "eligibility_registration"
ITEMS = ("eligibility_copy",)
#: Records per delivery (the hub takes up to this many codes at once).
BATCH = 1000


class IntermediateServer:
    """医療保険者等向け中間サーバー: where the insurer registers eligibility copies."""

    def __init__(self, ctx: OrgContext) -> None:
        self.hub = ServiceClient(ctx.directory, "hub", ctx.identity)
        self.keys = EncryptionKeys(ctx.settings.data_dir / "keys")

    def register(self, records: list[tuple[str, dict[str, Any]]]) -> list[bool]:
        """Deliver ``(our code, record)`` pairs; per record, whether the person has a card
        registered as insurance card (False also where the system did not take it)."""
        registered: list[bool] = []
        for start in range(0, len(records), BATCH):
            part = records[start : start + BATCH]
            result = send(
                self.hub,
                self.keys,
                procedure=PROCEDURE,
                recipient=OQS,
                items=ITEMS,
                codes=[code for code, _ in part],
                messages=[record for _, record in part],
            )
            answers = result.answers or [None] * len(part)
            registered.extend(
                bool(ok and isinstance(a, dict) and a.get("card_registered") is True)
                for ok, a in zip(result.accepted, answers, strict=True)
            )
        return registered
