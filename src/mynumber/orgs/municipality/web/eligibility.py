"""``POST /api/benefits/eligible`` and ``/eligible/bounds``: who lived here on a base date,
for the benefit office (see :mod:`mynumber.orgs.municipality.services.eligibility`)."""

# no `from __future__ import annotations`: FastAPI must resolve the dependency aliases
# made inside the router factory, which string annotations would hide from it
from typing import Annotated

from fastapi import APIRouter, Depends

from mynumber.orgs.municipality.schemas import (
    EligibleBoundsIn,
    EligibleBoundsOut,
    EligibleIn,
    EligibleOut,
)
from mynumber.orgs.municipality.services.eligibility import (
    CALLERS,
    ELIGIBILITY,
    bounds,
    eligible,
    page_exchange,
)
from mynumber.platform.context import OrgContext
from mynumber.platform.encryption import EncryptionKeys, seal_signed
from mynumber.platform.web import signed_by
from mynumber.platform.web.uow import Work


def router(ctx: OrgContext) -> APIRouter:
    keys = EncryptionKeys(ctx.settings.data_dir / "keys", ctx.keys)
    from_benefits = Depends(signed_by(lambda org: org in CALLERS))
    api = APIRouter(tags=["benefits"])

    @api.post("/benefits/eligible", response_model=EligibleOut)
    def eligible_people(
        body: EligibleIn, caller: Annotated[str, from_benefits], uow: Work
    ) -> EligibleOut:
        """給付対象者の抽出 (the benefit office only): one page of the residents registered
        in this municipality on ``as_of`` (not moved out or dead by then), with their age
        on that date, household id and whether they head it, signed by us and sealed to the
        caller (JWE). Page with ``after`` = the previous page's ``next`` until it is null;
        with ``upto``, only up to that id (a range of ``/eligible/bounds``)."""
        page = eligible(
            uow,
            as_of=body.as_of,
            min_age=body.min_age,
            max_age=body.max_age,
            after=body.after,
            upto=body.upto,
            limit=body.limit,
        )
        sealed = seal_signed(  # signed by us and bound to this page's query
            keys,
            page,
            signer=ctx.org,
            recipient=caller,
            exchange_id=page_exchange(body.programme, body.as_of, body.after, body.upto),
            procedure=ELIGIBILITY,
        )
        return EligibleOut(sealed=sealed)

    @api.post("/benefits/eligible/bounds", response_model=EligibleBoundsOut)
    def eligible_bounds(
        body: EligibleBoundsIn, caller: Annotated[str, from_benefits], uow: Work
    ) -> EligibleBoundsOut:
        """給付対象者の分割 (the benefit office only): the same people as ``/eligible``,
        cut into ranges of ``every`` for a run's workers to read side by side — the id of
        every ``every``-th of them, in id order (opaque ids, no personal data)."""
        return EligibleBoundsOut(
            bounds=bounds(
                uow,
                as_of=body.as_of,
                min_age=body.min_age,
                max_age=body.max_age,
                every=body.every,
            )
        )

    return api
