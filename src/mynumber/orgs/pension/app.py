"""The pension service: members in (``POST /api/members``), its intermediate server
(``POST /intermediate/provide``, the hub only) answering with the pension record, sealed.
"""

# no `from __future__ import annotations`: FastAPI must resolve the dependency aliases
# made inside the router factory, which string annotations would hide from it
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import Engine, bindparam, func, select

from mynumber import errors
from mynumber.orgs.pension import store
from mynumber.platform.context import OrgContext
from mynumber.platform.db import (
    chunked,
    create_org_engine,
    insert_ignoring_duplicates,
    migrate,
    retrying,
)
from mynumber.platform.encryption import EncryptionKeys, seal
from mynumber.platform.http import ServiceClient
from mynumber.platform.ids import new_id
from mynumber.platform.web import new_app, signed_by

ORG = "pension"
ITEMS = frozenset({"pension"})


class Member(BaseModel):
    my_number: str = Field(repr=False, max_length=14)
    category: str = Field(pattern="^[123R]$", description="被保険者種別; R: receiving a pension")
    contribution_months: int = Field(ge=0, le=600)
    annual_benefit_yen: int | None = Field(default=None, ge=0)


class MembersIn(BaseModel):
    members: list[Member] = Field(max_length=10_000)


class MembersOut(BaseModel):
    enrolled: int
    unknown: int


class ProvideIn(BaseModel):
    exchange_id: str
    code: str
    requester: str
    procedure: str
    items: list[str]


class ProvideOut(BaseModel):
    jwe: str


class PensionService:
    def __init__(self, *, engine: Engine, jlis: ServiceClient, keys: EncryptionKeys) -> None:
        self.engine = engine
        self.jlis = jlis
        self.keys = keys

    def enrol(self, members: list[Member]) -> tuple[int, int]:
        """Record members (the newest record per person wins), keyed by our agency code."""
        numbers = list(dict.fromkeys(m.my_number for m in members))
        codes: list[str | None] = []
        for part in chunked(numbers, 10_000):
            codes.extend(self.jlis.request("POST", "/linkage/enrol", {"numbers": part})["codes"])
        code_of = dict(zip(numbers, codes, strict=True))
        now = datetime.now(UTC)
        rows = {
            str(code_of[m.my_number]): {
                "category": m.category,
                "contribution_months": m.contribution_months,
                "annual_benefit_yen": m.annual_benefit_yen,
            }
            for m in members
            if code_of[m.my_number] is not None
        }

        def work(conn: Any) -> None:
            if not rows:
                return
            insert_ignoring_duplicates(
                conn,
                store.members,
                [{"id": new_id(), "code": c, "enrolled_at": now, **v} for c, v in rows.items()],
            )
            t = store.members
            conn.execute(
                t.update()
                .where(t.c.code == bindparam("c"))
                .values({k: bindparam(f"v_{k}") for k in next(iter(rows.values()))}),
                [{"c": c, **{f"v_{k}": x for k, x in v.items()}} for c, v in rows.items()],
            )

        retrying(self.engine, work)
        return len(rows), len(numbers) - len(rows)

    def provide(self, request: ProvideIn) -> str:
        unknown = set(request.items) - ITEMS
        if unknown:
            raise errors.InvalidInput(f"no such item here: {', '.join(sorted(unknown))}")
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(store.members).where(store.members.c.code == request.code))
                .mappings()
                .first()
            )
        if row is None:
            raise errors.NotFound("no member has this code", code="unknown_code")
        data = {
            "pension": {
                "category": row["category"],
                "contribution_months": row["contribution_months"],
                "annual_benefit_yen": row["annual_benefit_yen"],
            }
        }
        return seal(self.keys, request.requester, data, exchange_id=request.exchange_id)


def create_app(ctx: OrgContext) -> FastAPI:
    engine = create_org_engine(ctx.settings, ORG)
    migrate(engine, "mynumber.orgs.pension.migrations")
    keys = EncryptionKeys(ctx.settings.data_dir / "keys")
    keys.ensure(ORG)
    service = PensionService(
        engine=engine, jlis=ServiceClient(ctx.directory, "jlis", ctx.identity), keys=keys
    )
    from_hub = Depends(signed_by(ctx.verifier(), lambda org: org == "hub"))
    app = new_app(
        title="日本年金機構 (pension service)",
        description="Pension records; its intermediate server answers the hub.",
    )

    @app.post("/api/members", response_model=MembersOut)
    def enrol(body: MembersIn) -> MembersOut:
        """資格取得 / 記録: members with the My Number they gave."""
        enrolled, unknown = service.enrol(body.members)
        return MembersOut(enrolled=enrolled, unknown=unknown)

    @app.post("/intermediate/provide", response_model=ProvideOut)
    def provide(body: ProvideIn, _: Annotated[str, from_hub]) -> ProvideOut:
        """情報提供 (the hub only): the answer, encrypted to the requester."""
        return ProvideOut(jwe=service.provide(body))

    @app.get("/healthz")
    def healthz() -> dict[str, object]:
        with engine.connect() as conn:
            count = conn.scalar(select(func.count()).select_from(store.members))
        return {"org": ORG, "ok": True, "members": count}

    app.state.engine = engine
    app.state.service = service
    app.state.health = healthz
    return app
