"""The req/res folder exchange of the 資格確認端末 (services-reference §1): the clinic's
records system drops request files in ``req``, the terminal writes each answer to ``res``
under the same name with ``req`` → ``res`` (``OQSsiquc01req_X.xml`` →
``OQSsiquc01res_X.xml``; a 照会番号 registration ``OQSsiimm01req_X.xml`` →
``OQSsiimm01res_X.xml``), and moves nothing else. A request refused as malformed gets an
answer file with the error instead, so the records system always finds one."""

from __future__ import annotations

import re
from pathlib import Path

from mynumber import errors
from mynumber.devices.clinic.terminal import Terminal

#: Request kinds by file prefix: single and batch queries by insurance-card data (or a
#: registered 照会番号), and 照会番号 registration (``siimm01``).
REQUEST = re.compile(r"^OQS(siquc01|muquc01|muquc02|siimm01)req_[0-9A-Za-z_.-]{1,80}\.xml\Z")
REGISTRATION = "OQSsiimm01req_"


def response_name(name: str) -> str:
    return name.replace("req_", "res_", 1)


def answer_folder(terminal: Terminal, folder: Path) -> list[Path]:
    """Answer each request file not answered yet; the answer files written."""
    req, res = folder / "req", folder / "res"
    res.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(req.glob("OQS*req_*.xml")):
        if not REQUEST.fullmatch(path.name):
            continue
        target = res / response_name(path.name)
        if target.exists():
            continue
        try:
            if path.name.startswith(REGISTRATION):
                answer = terminal.reference(path.read_bytes())
            else:
                answer = terminal.insurance(path.read_bytes())
        except errors.InvalidInput as exc:
            answer = _error(exc.message).encode("utf-8")
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(answer)
        tmp.replace(target)
        written.append(target)
    return written


def _error(message: str) -> str:
    text = message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<XmlMsg><MessageHeader>'
        "<SegmentOfResult>9</SegmentOfResult><ErrorCode>E0001</ErrorCode>"
        f"<ErrorMessage>{text}</ErrorMessage></MessageHeader></XmlMsg>"
    )
