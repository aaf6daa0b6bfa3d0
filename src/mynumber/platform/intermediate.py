"""What every agency's intermediate server (中間サーバー) shares.

An agency learns a person's My Number through its own procedures and enrols it once
(:meth:`IntermediateServer.codes`: J-LIS turns the numbers into 取得番号 and the hub answers
with the agency's own codes); from then on it keeps the person's data under its code only.
When the hub forwards a permitted request, :meth:`IntermediateServer.answer` finds the data
for the agency's code, signs it and seals it to the requester, so the hub relays what it
cannot read and could not have written.
The routes that call these are in :mod:`mynumber.platform.web.intermediate`.
A bulk request (``POST /intermediate/provide-bulk``, up to :data:`MAX_BULK` people, for a
national payment run) is answered the same way by :meth:`IntermediateServer.answer_bulk`:
one lookup for all the codes, one signed JWE holding the results in the order of the codes,
in columns: the field names once, then each person's values as a list (10^5 objects that
repeat the same keys would be most of the answer's bytes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mynumber import errors
from mynumber.platform.context import OrgContext
from mynumber.platform.db import chunked
from mynumber.platform.encryption import EncryptionKeys, seal_signed
from mynumber.platform.http import ServiceClient
from mynumber.platform.wire import MAX_BULK, ProvideBulkIn, ProvideIn, ProvideOut

__all__ = [
    "ENROL_BATCH",
    "MAX_BULK",
    "BulkData",
    "IntermediateServer",
    "ProvideBulkIn",
    "ProvideIn",
    "ProvideOut",
]

#: My Numbers per enrolment request to J-LIS (its limit)
ENROL_BATCH = 100_000


#: Reads our own records for many codes at once: (codes, items) → {code: values} for the
#: codes someone here has (the others are left out), each person's values in the order of
#: the answer's fields.
BulkData = Callable[[list[str], frozenset[str]], Mapping[str, Sequence[Any]]]


class IntermediateServer:
    """An agency's enrolment and answers; ``items`` are the data items it can provide."""

    def __init__(
        self, *, org: str, items: frozenset[str], jlis: ServiceClient, keys: EncryptionKeys
    ) -> None:
        self.org = org
        self.items = items
        self.jlis = jlis
        self.keys = keys
        keys.ensure(org)

    @classmethod
    def of(cls, ctx: OrgContext, items: frozenset[str]) -> IntermediateServer:
        """The intermediate server of the organisation ``ctx`` describes, wired to J-LIS."""
        return cls(
            org=ctx.org,
            items=items,
            jlis=ServiceClient(ctx.directory, "jlis", ctx.identity),
            keys=EncryptionKeys(ctx.settings.data_dir / "keys", ctx.keys),
        )

    def codes(self, numbers: list[str]) -> dict[str, str | None]:
        """Our agency code for each My Number we hold (None: not a current My Number)."""
        unique = list(dict.fromkeys(numbers))
        codes: list[str | None] = []
        for part in chunked(unique, ENROL_BATCH):
            codes.extend(self.jlis.request("POST", "/linkage/enrol", {"numbers": part})["codes"])
        return dict(zip(unique, codes, strict=True))

    def answer(
        self, request: ProvideIn, data_for: Callable[[str, frozenset[str]], dict[str, Any] | None]
    ) -> str:
        """The items asked for, about the person behind our code, sealed to the requester.

        ``data_for(code, items)`` reads our own records; None means nobody has that code.
        """
        unknown = set(request.items) - self.items
        if unknown:
            raise errors.InvalidInput(f"no such item here: {', '.join(sorted(unknown))}")
        data = data_for(request.code, frozenset(request.items))
        if data is None:
            raise errors.NotFound("nobody here has this code", code="unknown_code")
        return self._seal(request, data)

    def answer_bulk(self, request: ProvideBulkIn, data_for: BulkData, fields: Sequence[str]) -> str:
        """``{"fields": [name, …], "results": [[value, …] | null, …]}``, the results in the
        order of the codes and each one's values in the order of ``fields``, sealed to the
        requester.

        ``data_for(codes, items)`` reads our records for all the codes in one go; a code
        that is null (the hub found no code here) or that nobody has gives null.
        """
        unknown = set(request.items) - self.items
        if unknown or not request.items:
            raise errors.InvalidInput(
                f"no such item here: {', '.join(sorted(unknown)) or '(none asked)'}"
            )
        wanted = list(dict.fromkeys(c for c in request.codes if c is not None))
        found = data_for(wanted, frozenset(request.items)) if wanted else {}
        results = [None if c is None else found.get(c) for c in request.codes]
        return self._seal(request, {"fields": list(fields), "results": results})

    def _seal(self, request: ProvideIn | ProvideBulkIn, data: Any) -> str:
        """Signed by us, bound to the exchange, the procedure and the requester, and
        encrypted to the requester: one signature per answer, a bulk one included."""
        return seal_signed(
            self.keys,
            data,
            signer=self.org,
            recipient=request.requester,
            exchange_id=request.exchange_id,
            procedure=request.procedure,
        )
