"""An insurer's own routes beside the agency's (:mod:`mynumber.platform.web.agency`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from mynumber.orgs.insurer.clients import IntermediateServer
from mynumber.orgs.insurer.model import InsurerPlan
from mynumber.orgs.insurer.schemas import DocumentIn
from mynumber.orgs.insurer.services import issue_document
from mynumber.platform.staff.model import Acting
from mynumber.platform.staff.services import Staff
from mynumber.platform.staff.web import staff as staff_permission
from mynumber.platform.web.uow import Work


def documents_router(plan: InsurerPlan, server: IntermediateServer, staff: Staff) -> APIRouter:
    router = APIRouter(tags=["documents"])

    @router.post(
        "/api/documents",
        response_class=Response,
        responses={200: {"content": {"application/pdf": {}}, "description": "the PDF"}},
    )
    def issue(
        body: DocumentIn,
        acting: Annotated[Acting, Depends(staff_permission("documents.issue"))],
        uow: Work,
    ) -> Response:
        """資格確認書 (no card registered as insurance card) or 資格情報のお知らせ (one is), as
        PDF: the member's copy is registered with the 中間サーバー again, whose answer says
        which."""
        kind, pdf = issue_document(plan, uow, server, body)
        staff.log(acting, action="documents.issue", purpose=kind, detail={"kind": kind})
        return Response(pdf, media_type="application/pdf")

    return router
