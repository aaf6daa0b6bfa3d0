"""``POST /api/residents/export``: one page of active residents with their My Numbers, for
the demo seeding (see :mod:`mynumber.orgs.municipality.services.export`)."""

# no `from __future__ import annotations`: FastAPI must resolve the dependency aliases
from fastapi import APIRouter

from mynumber.orgs.municipality.schemas import ExportIn, ExportOut
from mynumber.orgs.municipality.services.export import export_page
from mynumber.orgs.municipality.web.deps import Exporter, Purpose, why
from mynumber.platform.staff.services import Staff


def router(*, staff: Staff) -> APIRouter:
    api = APIRouter(tags=["residents"])

    @api.post("/residents/export", response_model=ExportOut)
    def export(body: ExportIn, acting: Exporter, purpose: Purpose = None) -> ExportOut:
        """One page of active residents with their My Numbers (in this body only)."""
        reason = why(acting, purpose)
        with staff.unit_of_work() as conn:  # the page read and its log entries: one unit
            page = export_page(conn, after=body.after, limit=body.limit)
            for resident in page.residents:
                staff.record(
                    conn,
                    actor=acting.session,
                    role=acting.role,
                    action="residents.export",
                    purpose=reason,
                    person=resident.id,
                )
        return page

    return api
