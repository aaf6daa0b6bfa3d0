"""The current four basic items of a card's holder, for J-LIS (基本4情報の最新情報提供).

J-LIS provides a platform operator with a person's latest four items when the person has
consented with the signing certificate (services-reference §5, from 2023-05-16). J-LIS
keeps no personal data here, so it asks the municipality that handed the card over
(``POST /api/jlis/holder-items``, J-LIS only, signed); that municipality follows the
person's moves (``POST /api/residents/current-items``, another municipality only, signed,
by the resident code the move-in carried) to the one where they live now. This project's
choice: the real J-LIS holds 本人確認情報 in 住基ネット's national server.
"""

# no `from __future__ import annotations`: FastAPI resolves the dependency aliases
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from mynumber.orgs.municipality.services.holder_items import holder_of_card, latest_record
from mynumber.platform.context import OrgContext
from mynumber.platform.http import ServiceClient
from mynumber.platform.web import signed_by
from mynumber.platform.web.uow import Work

#: moves followed at most (a person moving more often within one request is unlikely)
MAX_HOPS = 5


class HolderIn(BaseModel):
    manufacture_number: str = Field(pattern="^[A-Z0-9]{13}$")


class CodeIn(BaseModel):
    resident_code: str = Field(pattern="^[0-9]{11}$")
    hops: int = Field(default=0, ge=0, le=MAX_HOPS)


class ItemsOut(BaseModel):
    status: str  # active | deceased | unknown
    name: str | None = None
    gender: int | None = None
    birth_date: str | None = None
    address: str | None = None
    municipality: str | None = None


def router(ctx: OrgContext, *, code: str) -> APIRouter:
    api = APIRouter(tags=["jlis"])
    from_jlis = Depends(signed_by(lambda org: org == "jlis", who="J-LIS"))
    from_peer = Depends(
        signed_by(
            lambda org: org.startswith("municipality-") and org != ctx.org,
            who="another municipality",
        )
    )

    def current(row: Any, hops: int) -> ItemsOut:
        if row["status"] == "active":
            return ItemsOut(
                status="active",
                name=f"{row['family_name']}\u3000{row['given_name']}",
                gender=int(row["sex"]),
                birth_date=row["birth_date"].isoformat(),
                address=row["address"],
                municipality=code,
            )
        if row["status"] == "deceased":
            return ItemsOut(status="deceased")
        if row["moved_to"] and hops < MAX_HOPS:
            peer = ServiceClient(ctx.directory, f"municipality-{row['moved_to']}", ctx.identity)
            if peer.org in ctx.directory.urls:
                answer = peer.request(
                    "POST",
                    "/api/residents/current-items",
                    {"resident_code": row["resident_code"], "hops": hops + 1},
                )
                return ItemsOut(**answer)
        return ItemsOut(status="unknown")

    @api.post("/api/jlis/holder-items", response_model=ItemsOut)
    def holder_items(body: HolderIn, _: Annotated[str, from_jlis], uow: Work) -> ItemsOut:
        """The current four items of the holder of a card issued here (J-LIS only)."""
        return current(holder_of_card(uow, body.manufacture_number), 0)

    @api.post("/api/residents/current-items", response_model=ItemsOut)
    def current_items(body: CodeIn, _: Annotated[str, from_peer], uow: Work) -> ItemsOut:
        """The current four items of a person who moved here (the municipality they left)."""
        row = latest_record(uow, body.resident_code)
        if row is None:
            return ItemsOut(status="unknown")
        return current(row, body.hops)

    return api
