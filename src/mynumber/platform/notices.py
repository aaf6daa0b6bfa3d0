"""``POST /api/notices`` of an agency: its own notices to people's Mynaportal お知らせ.

An agency addresses each person by its OWN agency code (it never holds the portal's); the
route seals the messages to the portal and delivers them through the hub (procedure
``<kind>_notice``, item ``notice``). The agency's back office calls it with a request
signed by the agency's own key; ``accepted`` says, per person, whether the notice reached
an inbox (``false``: no Mynaportal account, or not a person of ours — send it on paper).
A notice with a ``ref`` is kept once per person: a retry of the same notice is ``true``
again and adds nothing.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from mynumber import errors
from mynumber.platform.context import OrgContext
from mynumber.platform.deliveries import REF_PATTERN
from mynumber.platform.encryption import EncryptionKeys
from mynumber.platform.hub_client import HubClient

MAX_NOTICES = 10_000
PORTAL = "portal"
#: A notice's link: a path into the portal — no scheme, no host, no ``..``, no ``//``.
LINK_PATTERN = r"^(?!.*//)(?!.*\.\.)/portal/[A-Za-z0-9._~\-/?=&%#]*\Z"


class Notice(BaseModel):
    """One notice as the person reads it."""

    model_config = ConfigDict(regex_engine="python-re")  # the link pattern looks ahead

    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=4000)
    link: str | None = Field(
        default=None, max_length=300, pattern=LINK_PATTERN, description="a /portal/... path"
    )
    ref: str | None = Field(
        default=None,
        max_length=64,
        pattern=REF_PATTERN,
        description="our own name for this notice ([0-9A-Za-z._:-], up to 64): the portal "
        "keeps one notice per (person, sender, ref), so sending it again adds nothing",
    )


class NoticesIn(BaseModel):
    codes: list[Annotated[str, Field(max_length=32)]] = Field(
        min_length=1, max_length=MAX_NOTICES, description="our own agency code per person"
    )
    messages: list[Notice] = Field(min_length=1, max_length=MAX_NOTICES)


class NoticesOut(BaseModel):
    delivery_id: str
    accepted: list[bool] = Field(description="per person: in their inbox (false: use paper)")
    delivered: int


def procedure_of(org: str) -> str:
    """``tax`` → ``tax_notice``; ``municipality-131016`` → ``municipality_notice``."""
    return f"{org.partition('-')[0]}_notice"


class Notices:
    """An agency's sender of notices to the portal, through the hub."""

    def __init__(self, ctx: OrgContext) -> None:
        self.org = ctx.org
        self.keys = EncryptionKeys(ctx.settings.data_dir / "keys")
        self.hub = HubClient(ctx.directory, ctx.identity, self.keys)

    def send(self, codes: list[str], messages: list[Notice]) -> NoticesOut:
        if len(codes) != len(messages):
            raise errors.InvalidInput("one message per code", field="messages")
        result = self.hub.deliver(
            procedure=procedure_of(self.org),
            recipient=PORTAL,
            items=["notice"],
            codes=codes,
            messages=[m.model_dump(exclude_none=True) for m in messages],
        )
        return NoticesOut(
            delivery_id=result.delivery_id,
            accepted=result.accepted,
            delivered=sum(result.accepted),
        )
