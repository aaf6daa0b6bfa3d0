"""The hub's web API.

- ``POST /codes`` (J-LIS only): agency codes for 取得番号, in bulk;
- ``POST /exchanges`` (any agency, signed): relay a permitted exchange;
- ``POST /exchanges/bulk`` (any agency, signed): the same for up to 10^5 people at once;
- ``POST /api/deliveries`` (any agency, signed): deliver a sealed notice, application or
  decision to another organisation (see ``deliveries``);
- ``GET /permitted`` (anyone): the permitted-exchange table;
- ``POST /records``, ``POST /records/export`` (an agency or the portal, presenting its own
  code for the person): the person's やりとり履歴;
- ``GET /log/head`` (anyone) and ``GET /log`` (the hub's operator, staff ``log.verify``):
  the hash chain.

The permitted-exchange table is shipped with the code (like the law's 別表第二): changing it
is a release, not a route (this project's choice), so no route changes it.
"""

# no `from __future__ import annotations`: FastAPI must resolve the dependency aliases
# made inside the router factory, which string annotations would hide from it
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import func, select

from mynumber.orgs.hub import bulk, permitted, store
from mynumber.orgs.hub.clients import Forwarder
from mynumber.orgs.hub.codes import CodeScheme
from mynumber.orgs.hub.deliveries import MAX_CODES, Deliveries, Delivery
from mynumber.orgs.hub.deps import LogVerifier
from mynumber.orgs.hub.model import ROLES
from mynumber.orgs.hub.services import MAX_ENROL, Hub, Request
from mynumber.platform.context import OrgContext
from mynumber.platform.db import create_org_engine, migrate
from mynumber.platform.http import PROVIDE_DEADLINE
from mynumber.platform.policy import public
from mynumber.platform.secrets import secret_bytes
from mynumber.platform.staff.web import install as install_staff
from mynumber.platform.web import new_app, signed_by

ORG = "hub"
#: How long the hub waits for a provider's intermediate server (shorter than its caller's).
PROVIDER_TIMEOUT = PROVIDE_DEADLINE
#: How long the hub waits for a recipient to take a delivery (up to 10,000 messages).
RECIPIENT_TIMEOUT = 120.0
#: The largest sealed payload the hub relays (about 1.6 KB per message at the most codes).
MAX_SEALED = 16_000_000


class CodesIn(BaseModel):
    agency: str = Field(max_length=40)
    acquisition: list[str] = Field(max_length=MAX_ENROL)


class CodesOut(BaseModel):
    codes: list[str]


class ExchangeIn(BaseModel):
    code: str = Field(max_length=32, description="the requester's own code for the person")
    procedure: str = Field(max_length=60)
    provider: str = Field(max_length=40, description="a kind (tax) or an organisation")
    items: list[str] = Field(min_length=1, max_length=20)


class ExchangeOut(BaseModel):
    exchange_id: str
    provider: str
    procedure: str
    items: list[str]
    jwe: str = Field(description="the provider's answer, sealed to the requester (RFC 7516)")


class DeliveryIn(BaseModel):
    procedure: str = Field(max_length=60)
    recipient: str = Field(max_length=40, description="an organisation, or a kind (municipality)")
    items: list[str] = Field(min_length=1, max_length=3, description="notice, application, …")
    codes: list[Annotated[str, Field(max_length=32)]] = Field(
        min_length=1, max_length=MAX_CODES, description="the sender's own code for each person"
    )
    sealed: str = Field(
        max_length=MAX_SEALED,
        description='compact JWE to the recipient; plaintext {"messages": [...]} aligned '
        "with codes (see mynumber.platform.deliveries)",
    )


class DeliveryOut(BaseModel):
    delivery_id: str
    accepted: list[bool] = Field(description="per code: did the recipient take the message")
    sealed: str | None = Field(description="the recipient's reply, sealed to the sender")
    reasons: list[str | None] = Field(
        default_factory=list,
        description="per code: why the message was not taken (null where it was); the "
        "recipient's own reason, if any, is in its sealed reply",
    )


class BulkExchangeIn(BaseModel):
    procedure: str = Field(max_length=60)
    provider: str = Field(max_length=40, description="one organisation (accounts, tax …)")
    items: list[str] = Field(min_length=1, max_length=20)
    codes: list[Annotated[str, StringConstraints(max_length=32)]] = Field(
        min_length=1,
        max_length=bulk.MAX_BULK,
        description="the requester's own codes for the people, one each",
    )


class BulkExchangeOut(BaseModel):
    exchange_id: str
    jwe: str = Field(
        description='the provider\'s {"results": [data | null, …]}, aligned with `codes`, '
        "sealed to the requester (RFC 7516)"
    )


class RecordsIn(BaseModel):
    code: str = Field(max_length=32, description="the caller's own code for the person")


def _is_agency(org: str) -> bool:
    return org not in (ORG, "jlis")


def create_app(ctx: OrgContext) -> FastAPI:
    engine = create_org_engine(ctx.settings, ORG)
    migrate(engine, "mynumber.orgs.hub.migrations")
    scheme = CodeScheme(secret_bytes(ctx.settings.data_dir / "hub" / "codes.key"))

    forwarder = Forwarder(ctx.directory, ctx.identity)

    # the deadlines are read at each call, so a test (or an operator's patch) can move them
    def forward(provider: str, body: dict[str, Any]) -> Any:
        return forwarder.provide(provider, body, timeout=PROVIDER_TIMEOUT)

    def forward_bulk(provider: str, body: dict[str, Any]) -> Any:
        return forwarder.provide_bulk(provider, body, timeout=bulk.PROVIDER_TIMEOUT)

    def forward_delivery(recipient: str, body: dict[str, Any]) -> Any:
        return forwarder.deliver(recipient, body, timeout=RECIPIENT_TIMEOUT)

    hub = Hub(engine=engine, scheme=scheme, forward=forward)
    deliveries = Deliveries(hub=hub, forward=forward_delivery)
    from_jlis = Depends(signed_by(lambda org: org == "jlis", who="J-LIS"))
    from_agency = Depends(signed_by(_is_agency, who="an agency"))

    app = new_app(
        title="情報提供ネットワークシステム (linkage hub)",
        description="Agency codes, the permitted-exchange table, the relay of sealed answers, "
        "and the hash-chained record of every exchange. Never a My Number, never the data.",
    )
    staff = install_staff(app, ctx, engine=engine, roles=ROLES, title=app.title)

    @app.post("/codes", response_model=CodesOut)
    def enrol(body: CodesIn, _: Annotated[str, from_jlis]) -> CodesOut:
        """符号の生成: the agency's codes for 取得番号 J-LIS derived from numbers it holds."""
        return CodesOut(codes=hub.enrol(body.agency, body.acquisition))

    @app.post("/exchanges", response_model=ExchangeOut)
    def exchange(body: ExchangeIn, requester: Annotated[str, from_agency]) -> ExchangeOut:
        """情報照会: relayed if the table permits it; refused (and recorded) otherwise."""
        answer = hub.relay(
            Request(
                requester=requester,
                code=body.code,
                procedure=body.procedure,
                provider=body.provider,
                items=tuple(body.items),
            )
        )
        return ExchangeOut(**answer)

    @app.post("/api/deliveries", response_model=DeliveryOut)
    def deliver(body: DeliveryIn, sender: Annotated[str, from_agency]) -> DeliveryOut:
        """送達: a sealed notice, application or decision to another organisation.

        Each of the sender's codes is converted to the recipient's (``false`` where the
        recipient holds no code for the person), the JWE is relayed unread to
        ``POST {recipient}/api/deliveries`` signed by the hub, and one やりとり履歴 entry is
        recorded per person. 403 ``not_permitted`` if the table has no row for it; 503
        ``recipient_unavailable`` if the recipient does not answer (both recorded).
        """
        answer = deliveries.deliver(
            Delivery(
                sender=sender,
                procedure=body.procedure,
                recipient=body.recipient,
                items=tuple(body.items),
                codes=tuple(body.codes),
                sealed=body.sealed,
            )
        )
        return DeliveryOut(**answer)

    relay_bulk = bulk.BulkRelay(hub, forward_bulk)

    @app.post("/exchanges/bulk", response_model=BulkExchangeOut)
    def exchange_bulk(
        body: BulkExchangeIn, requester: Annotated[str, from_agency]
    ) -> BulkExchangeOut:
        """一括情報照会 (a benefit run): the permitted table checked once, every code
        converted, one request to the provider, one record per person in the chain; the
        answer is the provider's results, sealed to the requester, in the order of the codes.
        A code that matches nobody for the requester gets null."""
        answer = relay_bulk.relay(
            bulk.BulkRequest(
                requester=requester,
                procedure=body.procedure,
                provider=body.provider,
                items=tuple(body.items),
                codes=tuple(body.codes),
            )
        )
        return BulkExchangeOut(exchange_id=answer["exchange_id"], jwe=answer["jwe"])

    @app.get("/permitted", dependencies=[public("the permitted-exchange table is law")])
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

    @app.post("/records")
    def records(body: RecordsIn, caller: Annotated[str, from_agency]) -> list[dict[str, Any]]:
        """やりとり履歴 of the person behind the caller's own code."""
        return hub.records_of(caller, body.code)

    @app.post("/records/export")
    def export(body: RecordsIn, caller: Annotated[str, from_agency]) -> JSONResponse:
        """The same records as a JSON document, with the chain head to check them against."""
        head = hub.head()
        document = {
            "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "chain_head": {"seq": head.seq, "hash": head.hash},
            "records": hub.records_of(caller, body.code),
        }
        return JSONResponse(
            document,
            headers={"Content-Disposition": 'attachment; filename="exchange-records.json"'},
        )

    @app.get("/log/head", dependencies=[public("the chain head is published to check the log")])
    def log_head() -> dict[str, Any]:
        """The chain head: publish it, and anyone can later check the log against it."""
        head = hub.head()
        return {"seq": head.seq, "hash": head.hash}

    @app.get("/log")
    def log(
        acting: LogVerifier,
        after: int = Query(0, ge=0, le=2**62, description="a sequence number"),
        limit: int = Query(5000, ge=1, le=10_000),
    ) -> list[dict[str, Any]]:
        """The whole chain, page by page (the hub's operator only; each page read is recorded
        in the hub's access log)."""
        page = hub.log(after=after, limit=limit)
        staff.log(
            acting,
            action="log.read",
            purpose="log verification",
            detail={"after": after, "shown": len(page)},
        )
        return page

    @app.get("/healthz", dependencies=[public("health, for monitoring")])
    def healthz() -> dict[str, object]:
        with engine.connect() as conn:
            people = conn.scalar(select(func.count()).select_from(store.persons))
            codes = conn.scalar(select(func.count()).select_from(store.codes))
        head = hub.head()
        return {"org": ORG, "ok": True, "persons": people, "codes": codes, "records": head.seq}

    app.state.engine = engine
    app.state.hub = hub
    app.state.deliveries = deliveries
    app.state.health = healthz
    return app
