"""The one typed client of the linkage hub, for every organisation that asks through it.

:class:`HubClient` is a :class:`~mynumber.platform.http.ServiceClient` of the hub, signed
by the caller's identity, that holds the caller's encryption keys, so each call answers
what the caller needs, opened and checked:

- :meth:`HubClient.exchange` (情報照会, ``POST /exchanges``) and
  :meth:`HubClient.exchange_bulk` (``POST /exchanges/bulk``): the provider's data,
  decrypted and checked as signed by the provider for this exchange and procedure;
- :meth:`HubClient.records` and :meth:`HubClient.export` (``POST /records``,
  ``/records/export``): the person's やりとり履歴 as :class:`~mynumber.platform.wire.
  ExchangeRecord` values;
- :meth:`HubClient.deliver` (``POST /api/deliveries``): a delivery sealed to the recipient,
  its answer and the recipient's opened reply.

Bodies and answers are the contracts of :mod:`mynumber.platform.wire`, which the hub's
routes take and answer too; an answer outside them is Unavailable (``bad_answer``).
Each call has the deadline of its kind (:data:`~mynumber.platform.http.EXCHANGE_DEADLINE`,
:data:`~mynumber.platform.http.BULK_DEADLINE`, :data:`~mynumber.platform.http.
DELIVERY_DEADLINE`), or the one the caller gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mynumber import errors
from mynumber.platform import wire
from mynumber.platform.deliveries import DeliveryResult, send
from mynumber.platform.encryption import EncryptionKeys, open_answer
from mynumber.platform.http import (
    BULK_DEADLINE,
    CALL_DEADLINE,
    EXCHANGE_DEADLINE,
    Directory,
    ServiceClient,
)
from mynumber.platform.signing import Identity

HUB = "hub"


@dataclass(frozen=True, slots=True)
class Exchanged:
    """One exchange's answer, opened: the provider's ``data`` about the person."""

    exchange_id: str
    provider: str  # the organisation that answered (``municipality-131016`` for a kind)
    procedure: str
    items: list[str]
    data: Any


@dataclass(frozen=True, slots=True)
class BulkExchanged:
    """A bulk exchange's answer, opened: ``results`` aligned with the codes asked, each
    a list of values in the order of ``fields`` (or null)."""

    exchange_id: str
    fields: list[str]
    results: list[Any]


class HubClient(ServiceClient):
    """The hub, asked by the organisation ``identity`` names, with that organisation's keys."""

    def __init__(
        self,
        directory: Directory,
        identity: Identity,
        keys: EncryptionKeys,
        *,
        timeout: float = CALL_DEADLINE,
    ) -> None:
        super().__init__(directory, HUB, identity, timeout=timeout)
        self.keys = keys
        self.requester = identity.org

    def exchange(
        self,
        code: str,
        *,
        procedure: str,
        provider: str,
        items: Sequence[str],
        timeout: float | None = None,
    ) -> Exchanged:
        """情報照会 about the person behind our ``code``; the provider's data, opened."""
        body = wire.ExchangeIn(code=code, procedure=procedure, provider=provider, items=[*items])
        answer = self.call(
            "POST",
            "/exchanges",
            body,
            answer=wire.ExchangeOut,
            timeout=EXCHANGE_DEADLINE if timeout is None else timeout,
        )
        data = open_answer(
            self.keys,
            answer.model_dump(),
            requester=self.requester,
            provider=provider,
            procedure=procedure,
        )
        return Exchanged(
            exchange_id=answer.exchange_id,
            provider=answer.provider,
            procedure=answer.procedure,
            items=answer.items,
            data=data,
        )

    def exchange_bulk(
        self,
        codes: Sequence[str],
        *,
        procedure: str,
        provider: str,
        items: Sequence[str],
        timeout: float | None = None,
    ) -> BulkExchanged:
        """一括情報照会 (at most :data:`~mynumber.platform.wire.MAX_BULK` codes): the
        provider's results aligned with ``codes``, opened."""
        body = wire.BulkExchangeIn(
            procedure=procedure, provider=provider, items=[*items], codes=[*codes]
        )
        answer = self.call(
            "POST",
            "/exchanges/bulk",
            body,
            answer=wire.BulkExchangeOut,
            timeout=BULK_DEADLINE if timeout is None else timeout,
        )
        data = open_answer(
            self.keys,
            answer.model_dump() | {"provider": provider},
            requester=self.requester,
            provider=provider,
            procedure=procedure,
        )
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list) or len(results) != len(codes):
            raise errors.Unavailable(f"{provider} answered a different count", code="bad_answer")
        fields = data.get("fields")
        if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
            raise errors.Unavailable(f"{provider} named no fields", code="bad_answer")
        return BulkExchanged(exchange_id=answer.exchange_id, fields=fields, results=results)

    def records(self, code: str) -> list[wire.ExchangeRecord]:
        """やりとり履歴 of the person behind our ``code``, oldest first."""
        found = self.call(
            "POST", "/records", wire.RecordsIn(code=code), answer=wire.ExchangeRecords
        )
        return found.root

    def export(self, code: str) -> wire.RecordsExport:
        """The records as the hub exports them, with the chain head to check them against."""
        return self.call(
            "POST", "/records/export", wire.RecordsIn(code=code), answer=wire.RecordsExport
        )

    def deliver(
        self,
        *,
        procedure: str,
        recipient: str,
        items: Sequence[str],
        codes: Sequence[str],
        messages: Sequence[Any],
        seal_to: str | None = None,
    ) -> DeliveryResult:
        """A delivery through the hub (see :func:`mynumber.platform.deliveries.send`):
        ``accepted`` aligned with ``codes``, and the recipient's opened reply."""
        return send(
            self,
            self.keys,
            procedure=procedure,
            recipient=recipient,
            items=items,
            codes=codes,
            messages=messages,
            seal_to=seal_to,
        )
