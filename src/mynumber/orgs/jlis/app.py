"""J-LIS's web API: only municipalities, signing their requests, may ask for numbers."""

from typing import Annotated

from fastapi import Depends, FastAPI
from sqlalchemy import func, select

from mynumber.orgs.jlis import services, store
from mynumber.orgs.jlis.numbering import Numbering
from mynumber.orgs.jlis.schemas import (
    NumbersIn,
    NumbersOut,
    ReissueIn,
    ReissueOut,
)
from mynumber.platform.context import OrgContext
from mynumber.platform.db import create_org_engine, migrate, retrying
from mynumber.platform.secrets import secret_bytes
from mynumber.platform.web import new_app, signed_by

ORG = "jlis"


def _is_municipality(org: str) -> bool:
    return org.startswith("municipality-")


def create_app(ctx: OrgContext) -> FastAPI:
    engine = create_org_engine(ctx.settings, ORG)
    migrate(engine, "mynumber.orgs.jlis.migrations")
    numbering = Numbering(secret_bytes(ctx.settings.data_dir / "jlis" / "numbering.key"))
    from_municipality = Depends(signed_by(ctx.verifier(), _is_municipality))

    app = new_app(
        title="J-LIS",
        description="地方公共団体情報システム機構: My Numbers from resident record codes.",
    )

    @app.get("/healthz")
    def healthz() -> dict[str, object]:
        with engine.connect() as conn:
            count = conn.scalar(select(func.count()).select_from(store.issued_numbers))
        return {"org": ORG, "ok": True, "numbers_issued": count}

    @app.post("/numbers", response_model=NumbersOut)
    def generate_numbers(
        body: NumbersIn, municipality: Annotated[str, from_municipality]
    ) -> NumbersOut:
        """番号法 Art. 8: the My Number of each resident code, generated on first request.

        With ``reserve``, fresh codes are first reserved nationwide for the caller; codes
        another municipality holds come back in ``taken``.
        """
        numbers, taken = retrying(
            engine,
            lambda conn: services.generate_numbers(
                conn,
                numbering,
                municipality=municipality.removeprefix("municipality-"),
                codes=body.resident_codes,
                reserve=body.reserve,
            ),
        )
        return NumbersOut(numbers=numbers, taken=taken)

    @app.post("/numbers/reissue", response_model=ReissueOut)
    def reissue(body: ReissueIn, municipality: Annotated[str, from_municipality]) -> ReissueOut:
        """Retire a leaked number and issue a new one that was never issued before."""
        number = retrying(
            engine,
            lambda conn: services.reissue_number(
                conn,
                numbering,
                code=body.resident_code,
                old_number=body.old_number,
                reason=body.reason,
            ),
        )
        return ReissueOut(number=number)

    app.state.engine = engine
    app.state.health = healthz
    return app
