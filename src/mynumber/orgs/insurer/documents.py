"""資格確認書 and 資格情報のお知らせ as PDF (services-reference §1, "End of paper cards").

From 2024-12-02 no new insurance cards are issued. The insurer sends a 資格確認書 without
application to a member who has no card registered as insurance card (valid up to 5 years:
here to the loss of eligibility or 5 years from issue, whichever comes first — this
project's choice within the rule; the dates are :mod:`mynumber.insurance_dates`), and a
資格情報のお知らせ (a notice of the same data, not a certificate) to one who has. The layout
is this project's (the real forms vary by insurer).
Japanese text is set in IPAex Gothic when installed (embedded), else reportlab's built-in
HeiseiKakuGo-W5 (not embedded).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from mynumber.orgs.insurer.model import InsurerPlan

IPAEX = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
CERTIFICATE = "資格確認書"
NOTICE = "資格情報のお知らせ"


def _font() -> str:
    if IPAEX.exists():
        if "IPAexGothic" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("IPAexGothic", str(IPAEX)))
        return "IPAexGothic"
    if "HeiseiKakuGo-W5" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
    return "HeiseiKakuGo-W5"


def render(
    plan: InsurerPlan,
    member: Mapping[str, Any],
    *,
    certificate_until: dt.date | None,
    issued: dt.date,
) -> tuple[str, bytes]:
    """(the document's kind, the PDF): a 資格確認書 valid to ``certificate_until``, or (None)
    the 資格情報のお知らせ."""
    card_registered = certificate_until is None
    kind = NOTICE if card_registered else CERTIFICATE
    font = _font()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setTitle(kind)
    _, height = A4
    pdf.setFont(font, 18)
    pdf.drawString(25 * mm, height - 30 * mm, kind)
    pdf.setFont(font, 11)
    lines = [
        ("保険者番号", plan.number),
        ("保険者名称", plan.name),
        ("記号", member["symbol"]),
        ("番号", member["number"]),
        ("枝番", member["branch"]),
        ("氏名", member.get("name") or ""),
        ("生年月日", str(member.get("birth_date") or "")),
        ("資格取得年月日", str(member["valid_from"])),
        ("一部負担金の割合", f"{(member.get('ratio') or 30) // 10}割"),
        ("交付年月日", issued.isoformat()),
    ]
    if certificate_until is not None:
        lines.append(("有効期限", certificate_until.isoformat()))
    y = height - 45 * mm
    for label, value in lines:
        pdf.drawString(25 * mm, y, label)
        pdf.drawString(75 * mm, y, value)
        y -= 8 * mm
    y -= 6 * mm
    note = (
        "マイナ保険証をお持ちでない方に交付します。医療機関・薬局で提示してください。"
        if not card_registered
        else "マイナ保険証をご利用の方へのお知らせです。この書面だけでは受診できません。"
    )
    pdf.drawString(25 * mm, y, note)
    pdf.showPage()
    pdf.save()
    return kind, out.getvalue()
