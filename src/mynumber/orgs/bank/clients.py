"""The Zengin network (全銀システム) as a paying bank uses it: records of a payer's file carried
to their receiving bank, a signed bank-to-bank call (``POST /bank/{code}/api/zengin/credits``,
:mod:`mynumber.orgs.bank.services.credits`), answered by a result code per record.

What the paying bank may conclude from a failed call decides whether a payment can ever
happen twice, so only failures that certainly credited nothing become result codes:

- the receiving bank is not on the network (not in the directory), or refused the
  connection → ``BANK_NOT_CONNECTED`` for its records;
- it answered 4xx (it refused the records, crediting none) → ``OTHER``; but 409 (it
  credited other records under these keys) stops the file, as below;
- anything else — a timeout, a 5xx, an answer that is not one — may have credited:
  :class:`errors.Unavailable`; the paying bank stores no result and the payer sends the
  file again (the receiving bank's (paying bank, file id, index) key makes that harmless).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

import httpx

from mynumber import errors
from mynumber.orgs.bank.model import FORWARD_SLICE
from mynumber.payments import ResultCode, Transfer
from mynumber.platform.context import OrgContext

log = logging.getLogger("mynumber.bank")

#: Seconds a receiving bank has to answer one slice of records.
TIMEOUT = 120.0


class ZenginNetwork:
    """A paying bank's way to the receiving banks, signed as the paying bank."""

    def __init__(self, ctx: OrgContext) -> None:
        self.ctx = ctx

    def reaches(self, bank_code: str) -> bool:
        """Whether the receiving bank is on the network (the Zengin list holds many more)."""
        return f"bank-{bank_code}" in self.ctx.directory.urls

    def forward(
        self, bank_code: str, file_id: str, records: Sequence[tuple[int, Transfer]]
    ) -> list[ResultCode]:
        """The receiving bank's result code for each (index, transfer), in the same order."""
        if not self.reaches(bank_code):
            return [ResultCode.BANK_NOT_CONNECTED] * len(records)
        codes: list[ResultCode] = []
        for start in range(0, len(records), FORWARD_SLICE):
            part = records[start : start + FORWARD_SLICE]
            codes += self._send(bank_code, file_id, part)
        return codes

    def _send(
        self, bank_code: str, file_id: str, records: Sequence[tuple[int, Transfer]]
    ) -> list[ResultCode]:
        org = f"bank-{bank_code}"
        body = json.dumps(
            {
                "file_id": file_id,
                "records": [
                    {"index": n, "record": t.to_record().decode("cp932")} for n, t in records
                ],
            },
            ensure_ascii=False,
        ).encode()
        url = httpx.URL(self.ctx.directory.url(org) + "/api/zengin/credits")
        headers = {"content-type": "application/json"}
        headers.update(self.ctx.identity.sign("POST", url.raw_path.decode(), body))
        try:
            response = self.ctx.directory.http.post(
                url, content=body, headers=headers, timeout=TIMEOUT
            )
        except httpx.ConnectError:  # never delivered: nothing was credited there
            log.warning("zengin: %s refused the connection for %s", org, file_id)
            return [ResultCode.BANK_NOT_CONNECTED] * len(records)
        except httpx.HTTPError as exc:
            raise errors.Unavailable(f"{org} did not answer: {type(exc).__name__}") from exc
        if response.status_code == 409:  # it holds other credits under these keys: stop
            raise errors.Unavailable(f"{org} holds other records under {file_id}")
        if 400 <= response.status_code < 500:
            log.warning("zengin: %s refused %s: %s", org, file_id, response.status_code)
            return [ResultCode.OTHER] * len(records)
        if response.status_code != 200:
            raise errors.Unavailable(f"{org} answered {response.status_code}")
        return _codes(org, response, [n for n, _ in records])


def _codes(org: str, response: httpx.Response, indexes: list[int]) -> list[ResultCode]:
    """The answer's codes, aligned with the indexes sent — or Unavailable if it is not one."""
    try:
        results = response.json()["results"]
        answered = [(int(r["index"]), ResultCode(r["code"])) for r in results]
    except (ValueError, KeyError, TypeError) as exc:
        raise errors.Unavailable(f"{org} answered something that is not a result") from exc
    if [n for n, _ in answered] != indexes:
        raise errors.Unavailable(f"{org} answered other records than were sent")
    return [code for _, code in answered]
