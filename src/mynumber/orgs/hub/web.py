"""The hub's routes: codes for J-LIS, exchanges and deliveries for agencies, the person's
records, the permitted table and the chain's head for anyone, the chain for its operator.
Each route parses, is authorised by its signer or staff role, and makes one service call."""

# no `from __future__ import annotations`: FastAPI must resolve the dependency aliases
# made inside the router factory, which string annotations would hide from it
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from mynumber.orgs.hub import bulk, permitted
from mynumber.orgs.hub.deliveries import Deliveries, Delivery
from mynumber.orgs.hub.deps import LogVerifier
from mynumber.orgs.hub.model import ORG, is_agency
from mynumber.orgs.hub.schemas import (
    BulkExchangeIn,
    BulkExchangeOut,
    CodesIn,
    CodesOut,
    DeliverIn,
    DeliverOut,
    ExchangeIn,
    ExchangeOut,
    RecordsIn,
)
from mynumber.orgs.hub.services import Hub, Request
from mynumber.platform.policy import public
from mynumber.platform.staff.services import Staff
from mynumber.platform.uow import UnitOfWork
from mynumber.platform.web import signed_by
from mynumber.platform.web.uow import Work


def router(
    *, hub: Hub, deliveries: Deliveries, relay_bulk: bulk.BulkRelay, staff: Staff
) -> APIRouter:
    """Every route of the hub, over its services."""
    from_jlis = Depends(signed_by(lambda org: org == "jlis", who="J-LIS"))
    from_agency = Depends(signed_by(is_agency, who="an agency"))
    api = APIRouter()

    @api.post("/codes", response_model=CodesOut)
    def enrol(body: CodesIn, _: Annotated[str, from_jlis], uow: Work) -> CodesOut:
        """符号の生成: the agency's codes for 取得番号 J-LIS derived from numbers it holds."""
        return CodesOut(codes=hub.enrol(uow, body.agency, body.acquisition))

    @api.post("/exchanges", response_model=ExchangeOut)
    def exchange(
        body: ExchangeIn, requester: Annotated[str, from_agency], uow: Work
    ) -> ExchangeOut:
        """情報照会: relayed if the table permits it; refused (and recorded) otherwise."""
        answer = hub.relay(
            uow,
            Request(
                requester=requester,
                code=body.code,
                procedure=body.procedure,
                provider=body.provider,
                items=tuple(body.items),
            ),
        )
        return ExchangeOut(**answer)

    @api.post("/api/deliveries", response_model=DeliverOut)
    def deliver(body: DeliverIn, sender: Annotated[str, from_agency], uow: Work) -> DeliverOut:
        """送達: a sealed notice, application or decision to another organisation.

        Each of the sender's codes is converted to the recipient's (``false`` where the
        recipient holds no code for the person), the JWE is relayed unread to
        ``POST {recipient}/api/deliveries`` signed by the hub, and one やりとり履歴 entry is
        recorded per person. 403 ``not_permitted`` if the table has no row for it; 503
        ``recipient_unavailable`` if the recipient does not answer (both recorded).
        """
        answer = deliveries.deliver(
            uow,
            Delivery(
                sender=sender,
                procedure=body.procedure,
                recipient=body.recipient,
                items=tuple(body.items),
                codes=tuple(body.codes),
                sealed=body.sealed,
            ),
        )
        return DeliverOut(**answer)

    @api.post("/exchanges/bulk", response_model=BulkExchangeOut)
    def exchange_bulk(
        body: BulkExchangeIn, requester: Annotated[str, from_agency], uow: Work
    ) -> BulkExchangeOut:
        """一括情報照会 (a benefit run): the permitted table checked once, every code
        converted, one request to the provider, one record per person in the chain; the
        answer is the provider's results, sealed to the requester, in the order of the codes.
        A code that matches nobody for the requester gets null."""
        answer = relay_bulk.relay(
            uow,
            bulk.BulkRequest(
                requester=requester,
                procedure=body.procedure,
                provider=body.provider,
                items=tuple(body.items),
                codes=tuple(body.codes),
            ),
        )
        return BulkExchangeOut(exchange_id=answer["exchange_id"], jwe=answer["jwe"])

    @api.get("/permitted", dependencies=[public("the permitted-exchange table is law")])
    def table() -> list[dict[str, Any]]:
        """The permitted-exchange table (like 番号法 別表第二)."""
        return [
            {
                "requester": r.requester,
                "procedure": r.procedure,
                "procedure_name": r.procedure_name,
                "provider": r.provider,
                "items": sorted(r.items),
                "basis": r.basis,
            }
            for r in permitted.table()
        ]

    @api.post("/records")
    def records(
        body: RecordsIn, caller: Annotated[str, from_agency], uow: Work
    ) -> list[dict[str, Any]]:
        """やりとり履歴 of the person behind the caller's own code."""
        return hub.records_of(uow, caller, body.code)

    @api.post("/records/export")
    def export(body: RecordsIn, caller: Annotated[str, from_agency], uow: Work) -> JSONResponse:
        """The same records as a JSON document, with the chain head to check them against."""
        head = hub.head(uow)
        document = {
            "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "chain_head": {"seq": head.seq, "hash": head.hash},
            "records": hub.records_of(uow, caller, body.code),
        }
        return JSONResponse(
            document,
            headers={"Content-Disposition": 'attachment; filename="exchange-records.json"'},
        )

    @api.get("/log/head", dependencies=[public("the chain head is published to check the log")])
    def log_head(uow: Work) -> dict[str, Any]:
        """The chain head: publish it, and anyone can later check the log against it."""
        head = hub.head(uow)
        return {"seq": head.seq, "hash": head.hash}

    @api.get("/log")
    def log(
        acting: LogVerifier,
        uow: Work,
        after: int = Query(0, ge=0, le=2**62, description="a sequence number"),
        limit: int = Query(5000, ge=1, le=10_000),
    ) -> list[dict[str, Any]]:
        """The whole chain, page by page (the hub's operator only; each page read is recorded
        in the hub's access log)."""
        page = hub.log(uow, after=after, limit=limit)
        staff.log(
            acting,
            action="log.read",
            purpose="log verification",
            detail={"after": after, "shown": len(page)},
        )
        return page

    @api.get("/healthz", dependencies=[public("health, for monitoring")])
    def healthz(uow: Work) -> dict[str, object]:
        return health(hub, uow)

    return api


def health(hub: Hub, uow: UnitOfWork) -> dict[str, Any]:
    """The hub's health report: people and codes held, records in the chain."""
    people, codes = hub.population(uow)
    records = hub.head(uow).seq
    return {"org": ORG, "ok": True, "persons": people, "codes": codes, "records": records}
