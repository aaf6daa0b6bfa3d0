"""An RFC 3161 time-stamp client for pyHanko over httpx (``mynumber contract sign``), in a
module of its own so that only signing imports pyHanko."""

from __future__ import annotations

import httpx
from asn1crypto import tsp
from pyhanko.sign.timestamps.api import TimeStamper


class HttpTimeStamper(TimeStamper):
    """pyHanko's RFC 3161 client over an httpx client (the platform's ``/tsa``)."""

    def __init__(self, http: httpx.Client, path: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.http = http
        self.path = path

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        answer = self.http.post(
            self.path,
            content=req.dump(),
            headers={"content-type": "application/timestamp-query"},
        )
        if answer.status_code != 200:
            raise OSError(f"the TSA answered {answer.status_code}")
        return tsp.TimeStampResp.load(answer.content)
