"""The providers' pages (public): each provider's page at the operator, where anyone
holding a signed contract can have it verified (the file carries its own proof)."""

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from mynumber.errors import Error
from mynumber.orgs.trustplatform import model
from mynumber.orgs.trustplatform.services import Platform
from mynumber.platform.policy import public
from mynumber.platform.web import templates_for

_templates = templates_for(Path(__file__).parent.parent / "templates")


def router(*, platform: Platform, root: str) -> APIRouter:
    pages = APIRouter(include_in_schema=False)
    open_page = public("a provider's page: verifying a contract someone holds")

    def render(request: Request, provider_id: str, **extra: Any) -> HTMLResponse:
        provider = model.provider(provider_id)
        context = {"provider": provider, "root": root, **extra}
        return _templates.TemplateResponse(request, "provider.html", context)

    @pages.get("/providers/{provider}", response_class=HTMLResponse, dependencies=[open_page])
    def provider_page(request: Request, provider: str) -> HTMLResponse:
        return render(request, provider)

    @pages.post(
        "/providers/{provider}/verify", response_class=HTMLResponse, dependencies=[open_page]
    )
    async def verify_page(
        request: Request, provider: str, contract: Annotated[UploadFile, File()]
    ) -> HTMLResponse:
        model.provider(provider)
        data = await contract.read(model.MAX_UPLOAD + 1)
        try:
            # off the event loop: the check asks J-LIS, which may be served by this loop
            report = await run_in_threadpool(platform.verify, data)
        except Error as exc:
            return render(request, provider, error=exc.message)
        return render(request, provider, report=report)

    return pages
