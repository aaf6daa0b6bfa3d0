"""Certificates as PDF: laid out like the paper forms (A4, title, a ruled table, the
certification sentence, the mayor's name and seal line, the verification code), Japanese
text in the embedded IPAex Gothic, signed PAdES (B-B) by the mayor's 職責証明書 under LGPKI.

reportlab draws the page: it embeds a subset of the TrueType IPAex Gothic, so the PDF
renders on a machine without a Japanese font, and its canvas places text at exact
coordinates — what a form needs (fpdf2 would do too; reportlab was already proven here with
this font, see engineering-notes). pyHanko signs (PAdES baseline, ``ETSI.CAdES.detached``).

The background repeats 複写 faintly (the paper's けん制文字 model, §8): a signature, not
paper, is what protects the PDF; the pattern keeps the look of the real form.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT_PATH = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
FONT = "IPAexGothic"
WIDTH, HEIGHT = A4  # points: 595 x 842
MARGIN = 50

#: regions of the page, in points from the top-left, that a visual check can look at:
#: the title, the table, the certification with the mayor's line, the verification code
REGIONS = {
    "title": (MARGIN, 60, WIDTH - MARGIN, 110),
    "table": (MARGIN, 130, WIDTH - MARGIN, 560),
    "mayor": (MARGIN, 600, WIDTH - MARGIN, 700),
    "code": (MARGIN, 730, WIDTH - MARGIN, 800),
}


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_PATH)))
    return FONT


@dataclass(frozen=True, slots=True)
class Form:
    """What one certificate says: its title, rows of (label, value) per person or section,
    and the certification sentence."""

    title: str
    sections: list[list[tuple[str, str]]]
    certification: str
    municipality: str  # e.g. 東京都千代田区
    mayor: str  # e.g. 千代田区長 千代 一郎
    issued_on: dt.date
    verification_code: str
    verify_url: str
    notes: list[str] = field(default_factory=list)


def _wareki(day: dt.date) -> str:
    """令和 dates as printed on the forms (令和元年 = 2019)."""
    year = day.year - 2018
    return f"令和{'元' if year == 1 else year}年{day.month}月{day.day}日"


def render(form: Form) -> bytes:
    """The unsigned PDF of ``form`` (one A4 page; a long household continues on more)."""
    font = _font()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    pdf.setTitle(form.title)
    pdf.setAuthor(form.mayor)
    pdf.setSubject(f"{form.municipality} コンビニ交付")

    def top(y: float) -> float:  # page coordinates run from the bottom
        return float(HEIGHT) - y

    def background() -> None:
        pdf.saveState()
        pdf.setFillColor(Color(0.85, 0.88, 0.95))
        pdf.setFont(font, 28)
        for row in range(0, int(HEIGHT), 90):
            for col in range(-40, int(WIDTH), 120):
                pdf.drawString(col + (row // 90 % 2) * 60, row + 20, "複写")
        pdf.restoreState()

    def header() -> None:
        background()
        pdf.setFillColor(black)
        pdf.setFont(font, 22)
        pdf.drawCentredString(WIDTH / 2, top(95), form.title)
        pdf.setFont(font, 9)
        pdf.drawRightString(WIDTH - MARGIN, top(70), f"{form.municipality}  コンビニ交付")

    header()
    y = 130.0
    label_width = 120
    row_height = 22
    for section in form.sections:
        needed = row_height * len(section) + 10
        if y + needed > 560:
            pdf.showPage()
            header()
            y = 130.0
        for label, value in section:
            pdf.rect(MARGIN, top(y + row_height), WIDTH - 2 * MARGIN, row_height)
            pdf.line(MARGIN + label_width, top(y), MARGIN + label_width, top(y + row_height))
            pdf.setFont(font, 10)
            pdf.drawString(MARGIN + 6, top(y + 15), label)
            pdf.setFont(font, 11 if len(value) < 40 else 8)
            pdf.drawString(MARGIN + label_width + 6, top(y + 15), value)
            y += row_height
        y += 10
    pdf.setFont(font, 8)
    for note in form.notes:
        pdf.drawString(MARGIN, top(y + 10), note)
        y += 12
    # certification, date, the mayor's name and seal line
    pdf.setFont(font, 11)
    pdf.drawString(MARGIN, top(615), form.certification)
    pdf.drawString(MARGIN, top(640), _wareki(form.issued_on))
    pdf.setFont(font, 14)
    pdf.drawRightString(WIDTH - MARGIN - 80, top(680), form.mayor)
    seal = form.mayor.split()[0] + "之印"
    pdf.saveState()
    pdf.setStrokeColor(Color(0.8, 0.1, 0.1))
    pdf.setFillColor(Color(0.8, 0.1, 0.1))
    pdf.setLineWidth(2)
    pdf.rect(WIDTH - MARGIN - 66, top(700), 60, 60)
    pdf.setFont(font, 10)
    for i in range(0, len(seal), 3):
        pdf.drawCentredString(WIDTH - MARGIN - 36, top(660 + (i // 3) * 13), seal[i : i + 3])
    pdf.restoreState()
    # verification code
    pdf.setFont(font, 9)
    pdf.drawString(MARGIN, top(745), "この証明書の内容は、次の検証コードで確認できます。")
    pdf.setFont(font, 14)
    pdf.drawString(MARGIN, top(768), f"検証コード {form.verification_code}")
    pdf.setFont(font, 8)
    pdf.drawString(MARGIN, top(785), form.verify_url)
    pdf.drawString(
        MARGIN, top(797), "電子署名: 地方公共団体組織認証基盤 (LGPKI) 職責証明書による署名付き"
    )
    pdf.showPage()
    pdf.save()
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class MayorSigner:
    """The mayor's key and 職責証明書, with the LGPKI root in the signature's chain."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    root: x509.Certificate

    def __repr__(self) -> str:
        return "MayorSigner(<mayor's key>)"

    def pyhanko_signer(self) -> signers.SimpleSigner:
        pem = serialization.Encoding.PEM
        key_der = self.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        cert = next(iter(load_certs_from_pemder_data(self.certificate.public_bytes(pem))))
        root = next(iter(load_certs_from_pemder_data(self.root.public_bytes(pem))))
        return _KeptKeySigner(
            self.key,
            signing_cert=cert,
            signing_key=load_private_key_from_pemder_data(key_der, passphrase=None),
            cert_registry=SimpleCertificateStore.from_certs([root]),  # type: ignore[no-untyped-call]
        )


class _KeptKeySigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner loads its key from DER on every signature (~0.2 s for an
    RSA-2048 key, its checks included); this one signs with the key already loaded
    (RSA PKCS#1 v1.5 with SHA-256, the only mechanism the mayor's key is used with)."""

    def __init__(self, key: rsa.RSAPrivateKey, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._key = key

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        if digest_algorithm.lower() != "sha256":
            raise ValueError("the mayor's key signs with SHA-256 only")
        return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def sign(pdf: bytes, signer: signers.SimpleSigner, *, reason: str, location: str) -> bytes:
    """``pdf`` with a PAdES signature (``ETSI.CAdES.detached``) by ``signer``."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name="MayorSignature",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    # a fixed reservation (the CMS is ~4 KB): pyHanko skips its trial signature to size it
    out = signers.PdfSigner(meta, signer=signer).sign_pdf(writer, bytes_reserved=16384)
    return bytes(out.getvalue())
