"""``POST /api/residents/export``: one page of active residents with their My Numbers, for
the demo seeding (see :mod:`mynumber.orgs.municipality.services.export`)."""

# no `from __future__ import annotations`: FastAPI must resolve the dependency aliases
from fastapi import APIRouter
from sqlalchemy import Connection

from mynumber.orgs.municipality.schemas import ExportIn, ExportOut
from mynumber.orgs.municipality.services.export import export_page
from mynumber.orgs.municipality.web.deps import Exporter, Purpose, why
from mynumber.platform.staff.services import Staff
from mynumber.platform.web.uow import Work


def router(*, staff: Staff) -> APIRouter:
    api = APIRouter(tags=["residents"])

    @api.post("/residents/export", response_model=ExportOut)
    def export(body: ExportIn, acting: Exporter, uow: Work, purpose: Purpose = None) -> ExportOut:
        """One page of active residents with their My Numbers (in this body only)."""
        reason = why(acting, purpose)

        def record(conn: Connection, resident_id: str) -> None:
            staff.record(
                conn,
                actor=acting.session,
                role=acting.role,
                action="residents.export",
                purpose=reason,
                person=resident_id,
            )

        # the page read and its log entries: one unit of work
        return export_page(uow, after=body.after, limit=body.limit, record=record)

    return api
