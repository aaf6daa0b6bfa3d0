"""The clinic's calls out: the オンライン資格確認等システム (``oqs``), signed by the clinic."""

from __future__ import annotations

from typing import Any

import httpx

from mynumber import errors
from mynumber.platform.context import OrgContext
from mynumber.platform.http import ServiceClient, error_from_response

XML = "application/xml"


class Oqs(ServiceClient):
    """The eligibility system, as a clinic's reception terminal reaches it."""

    def __init__(self, ctx: OrgContext) -> None:
        super().__init__(ctx.directory, "oqs", ctx.identity)

    def xml(self, path: str, *, json: Any = None, content: bytes | None = None) -> httpx.Response:
        """POST a JSON or XML body; the raw answer (XML), or raise the system's error."""
        url = httpx.URL(self.directory.url(self.org) + path)
        if json is not None:
            import json as _json

            body = _json.dumps(json, ensure_ascii=False).encode()
            headers = {"content-type": "application/json"}
        else:
            body, headers = content or b"", {"content-type": XML}
        assert self.identity is not None
        headers.update(self.identity.sign("POST", url.raw_path.decode(), body))
        try:
            response = self.directory.http.request(
                "POST", url, content=body, headers=headers, timeout=self.timeout
            )
        except httpx.HTTPError as exc:
            raise errors.Unavailable(f"oqs did not answer: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise error_from_response(self.org, response)
        return response
