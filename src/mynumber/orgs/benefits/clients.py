"""The benefit office's calls to other organisations, each signed as ``benefits``.

- (a) eligibility pages from a municipality, sealed to the office
  (``POST /municipality/{code}/api/benefits/eligible``);
- enrolment of the eligible My Numbers for the office's own codes (J-LIS → hub), after
  which the numbers are dropped;
- (b) registered public-fund accounts for many codes at once (``POST /hub/exchanges/bulk``,
  procedure ``benefit_payment``, provider ``accounts``);
- (c) a Zengin 総合振込 file to the paying bank (``POST /bank/{code}/api/transfers`` with
  an ``Idempotency-Key``), which routes it to the receiving banks and answers one result
  file;
- (d) notices to Mynaportal through hub deliveries (procedure ``benefit_notice``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from operator import itemgetter
from typing import Any

import httpx

from mynumber import errors
from mynumber.orgs.benefits.model import ORG, Account, checked_account
from mynumber.platform.context import OrgContext
from mynumber.platform.encryption import EncryptionKeys, open_signed
from mynumber.platform.http import ServiceClient, error_from_response
from mynumber.platform.hub_client import HubClient
from mynumber.platform.intermediate import IntermediateServer

PAYMENT_PROCEDURE = "benefit_payment"
#: What a municipality's signed eligibility page is bound to (with the page's query).
ELIGIBILITY = "benefit_eligibility"
ACCOUNT_ITEM = "public_fund_account"
NOTICE_PROCEDURE = "benefit_notice"
APPLICATION_PROCEDURE = "benefit_application"
#: Codes per bulk account request, and per notice delivery (the hub's limits).
BULK_CODES = 100_000
DELIVERY_CODES = 10_000


def municipality_org(code: str) -> str:
    return f"municipality-{code}"


def bank_org(code: str) -> str:
    return f"bank-{code}"


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Whom a programme pays, as a municipality is asked for them: the programme, its base
    date (ISO) and ages."""

    programme: str
    as_of: str
    min_age: int | None
    max_age: int | None


@dataclass(frozen=True, slots=True)
class EligiblePage:
    """One page of eligible residents, column by column (aligned lists); ``my_number``
    holds My Numbers — use, then drop."""

    my_number: list[str]
    household: list[str]
    head: list[bool]
    kana: list[str]
    age: list[int]
    next: str | None

    @classmethod
    def of(cls, data: Any) -> EligiblePage:
        """A page from a municipality's answer (``{"people": {column: [...]}, "next"}``),
        each column checked: :class:`errors.Unavailable` if it is not one."""
        try:
            people, after = data["people"], data.get("next")
            page = cls(
                my_number=[str(x) for x in people["my_number"]],
                household=[str(x) for x in people["household"]],
                head=[x is True for x in people["head"]],
                kana=[str(x) for x in people["kana"]],
                age=[int(x) for x in people["age"]],
                next=None if after is None else str(after),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise errors.Unavailable("the municipality's page is malformed") from exc
        columns = (page.my_number, page.household, page.head, page.kana, page.age)
        if len({len(column) for column in columns}) != 1:
            raise errors.Unavailable("the municipality's page has columns of unequal length")
        return page


class Clients:
    """Everything the office asks of others; one instance per app."""

    def __init__(self, ctx: OrgContext) -> None:
        self.ctx = ctx
        self.keys = EncryptionKeys(ctx.settings.data_dir / "keys")
        self.keys.ensure(ORG)
        self.server = IntermediateServer.of(ctx, frozenset())
        self.hub = HubClient(ctx.directory, ctx.identity, self.keys)

    def _client(self, org: str) -> ServiceClient:
        return ServiceClient(self.ctx.directory, org, self.ctx.identity)

    # (a) eligibility ----------------------------------------------------------------------

    def eligible(
        self,
        municipality: str,
        who: Eligibility,
        *,
        after: str | None,
        upto: str | None,
        limit: int,
    ) -> EligiblePage:
        body = asdict(who) | {"after": after, "upto": upto, "limit": limit}
        answer = self._client(municipality_org(municipality)).request(
            "POST", "/api/benefits/eligible", body
        )
        place = f"{who.programme}:{date.fromisoformat(who.as_of)}:{after or ''}"
        data = open_signed(  # signed by the municipality, for this very page
            self.keys,
            answer["sealed"],
            recipient=ORG,
            signer=municipality_org(municipality),
            exchange_id=place + (f":{upto}" if upto else ""),
            procedure=ELIGIBILITY,
        )
        return EligiblePage.of(data)

    def eligible_bounds(self, municipality: str, who: Eligibility, *, every: int) -> list[str]:
        """The municipality's eligible people cut in ranges of ``every``: the id that ends
        each range but the last (opaque resident ids, read with ``after``/``upto``)."""
        body = asdict(who) | {"every": every}
        answer = self._client(municipality_org(municipality)).request(
            "POST", "/api/benefits/eligible/bounds", body
        )
        found = answer.get("bounds") if isinstance(answer, dict) else None
        if not isinstance(found, list) or not all(isinstance(b, str) for b in found):
            raise errors.Unavailable(f"{municipality} answered no bounds", code="bad_answer")
        return found

    def enrol(self, numbers: list[str]) -> dict[str, str | None]:
        """The office's own code for each My Number (None: not a current number)."""
        return self.server.codes(numbers)

    # (b) accounts through the hub ---------------------------------------------------------

    def accounts(self, codes: list[str]) -> list[Account | None]:
        """Each code's registered public-fund account, or None (aligned with ``codes``)."""
        results: list[Account | None] = []
        for start in range(0, len(codes), BULK_CODES):
            part = codes[start : start + BULK_CODES]
            answer = self.hub.exchange_bulk(
                part, procedure=PAYMENT_PROCEDURE, provider="accounts", items=[ACCOUNT_ITEM]
            )
            results += accounts_in(answer.fields, answer.results)
        return results

    # (c) transfers ------------------------------------------------------------------------

    def reaches(self, bank_code: str) -> bool:
        """Whether the bank is on this network (the Zengin list holds many more banks)."""
        return bank_org(bank_code) in self.ctx.directory.urls

    def transfer(self, bank_code: str, file_id: str, content: bytes) -> bytes:
        """Submit a 総合振込 file to the paying bank; its result file for every record, wherever
        addressed (the same bytes on a resubmission with the same key)."""
        org = bank_org(bank_code)
        url = httpx.URL(self.ctx.directory.url(org) + "/api/transfers")
        headers = {"content-type": "application/octet-stream", "idempotency-key": file_id}
        headers.update(self.ctx.identity.sign("POST", url.raw_path.decode(), content))
        try:
            response = self.ctx.directory.http.post(
                url, content=content, headers=headers, timeout=600.0
            )
        except httpx.HTTPError as exc:
            raise errors.Unavailable(f"{org} did not answer: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise error_from_response(org, response)
        return response.content

    # (d) notices --------------------------------------------------------------------------

    def notify(self, codes: list[str], messages: list[dict[str, str]]) -> tuple[str, list[bool]]:
        """Notices to Mynaportal inboxes; (delivery id, accepted per code — False: the
        person has no Mynaportal account, so the notice goes on paper)."""
        result = self.hub.deliver(
            procedure=NOTICE_PROCEDURE,
            recipient="portal",
            items=["notice"],
            codes=codes,
            messages=messages,
        )
        if len(result.accepted) != len(codes):
            raise errors.Unavailable("the hub answered a different count")
        return result.delivery_id, result.accepted


#: What the office reads of the registry's bulk answer, in :data:`Account`'s order.
_ACCOUNT_FIELDS = ("bank_code", "branch_code", "deposit_type", "number")


def accounts_in(fields: list[str], rows: list[Any]) -> list[Account | None]:
    """The registry's bulk answer (each row the values of ``fields``, or null): each
    account in the office's terms, checked as the registry checks accounts, or None — also
    for a row that is not one. A bank, branch and deposit type is checked once an answer."""
    if not set(_ACCOUNT_FIELDS) <= set(fields):
        raise errors.Unavailable("the registry's answer names no account", code="bad_answer")
    pick = itemgetter(*(fields.index(f) for f in _ACCOUNT_FIELDS))
    width = len(fields)
    places: dict[tuple[Any, ...], tuple[str, str, str] | None] = {}
    accounts: list[Account | None] = []
    for row in rows:
        account = None
        if type(row) is list and len(row) == width:
            bank_code, branch_code, kind, number = pick(row)
            try:
                place = places.get((bank_code, branch_code, kind), ())
                if place == ():
                    place = places[(bank_code, branch_code, kind)] = _place(
                        bank_code, branch_code, kind
                    )
                if place is not None and type(number) is str and _NUMBER.fullmatch(number):
                    account = (*place, number.zfill(7))
            except TypeError:  # a value that is not even hashable
                account = None
        accounts.append(account)
    return accounts


_NUMBER = re.compile(r"[0-9]{1,7}")


def _place(bank_code: Any, branch_code: Any, kind: Any) -> tuple[str, str, str] | None:
    """(bank, branch, deposit type) if they are an account's, else None."""
    try:
        bank_code, branch_code, kind, _ = checked_account(bank_code, branch_code, kind, "0")
    except (errors.InvalidInput, ValueError):
        return None
    return bank_code, branch_code, kind
