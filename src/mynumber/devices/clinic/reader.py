"""A simulated 顔認証付きカードリーダー (services-reference §1): reads the card, checks the
holder by face, by the 4-digit auth PIN, or lets staff check visually (目視確認).

- **PIN mode**: the card checks the auth PIN (3 tries, then it locks itself) and signs the
  eligibility system's one-time challenge with the user-authentication key.
- **Face mode**: the card face is "scanned" for 照合番号B (birth date YYMMDD + expiry year +
  the 4-digit security code: :class:`PrintedFace`), which opens the 券面AP; the chip's photo
  is compared with the camera image and the score (0-1) goes upstream with the auth
  certificate (read without a PIN). The comparison here is a stand-in (this project's
  choice): the mean byte difference of both images resampled to the same length — the
  real algorithm is not public. Consecutive failures are counted upstream (10 lock).
- **A smartphone** (スマホ用電子証明書) held to the reader: PIN mode only, with the phone's
  own auth key and PIN (a phone has no card face to scan and no photo); the system links it
  to the insured member through the card it was enrolled from.
- **Visual mode**: staff compare the card's face with the person; only the certificate goes
  upstream, and the counters are untouched.
- **A 顔認証マイナンバーカード** (face-only card) has no PIN: PIN mode is refused at the
  reader (``face_only_card``, the chip answers ``69 84``); face and visual modes work as for
  any card, and so does 利用登録 by face.

The reader never sends a PIN, a photo or a My Number anywhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from mynumber.errors import Forbidden
from mynumber.reader import JPKIClient, KeyKind, PinBlocked, PinIncorrect, PinNotSet
from mynumber.reader.cardfiles import decode_card_face
from mynumber.reader.client import PinRef
from mynumber.reader.codes import EF_VISUAL_FACE
from mynumber.reader.errors import ReaderError

#: Samples each image is resampled to before comparison.
SAMPLES = 4096


class AuthKeyHolder(Protocol):
    """What PIN mode needs of the card or the phone: its auth certificate and key."""

    def read_certificate(self, kind: KeyKind) -> bytes: ...

    def sign(self, kind: KeyKind, data: bytes, *, pin: str | None = None) -> bytes: ...


class ReaderRefused(Forbidden):
    """The reader stopped before asking the system (``code``: pin_locked, pin_wrong …)."""

    code = "reader_refused"


@dataclass(frozen=True, slots=True)
class PrintedFace:
    """What the reader's OCR takes from the card's printed face to open the 券面AP."""

    birth_date: dt.date
    expiry: dt.date
    security_code: str

    def __repr__(self) -> str:
        return "PrintedFace(…)"

    @property
    def pin_b(self) -> str:
        """照合番号B: YYMMDD + expiry year + security code (14 digits)."""
        return f"{self.birth_date:%y%m%d}{self.expiry.year:04d}{self.security_code}"


@dataclass(frozen=True, slots=True)
class ReaderResult:
    """What the reader hands the reception terminal."""

    mode: str
    certificate: bytes
    signature: bytes | None = None
    face_score: float | None = None


def face_score(photo: bytes, camera: bytes) -> float:
    """Similarity 0-1 of two images (1: identical): see the module's note."""
    if not photo or not camera:
        return 0.0
    a = np.frombuffer(photo, dtype=np.uint8).astype(np.float64)
    b = np.frombuffer(camera, dtype=np.uint8).astype(np.float64)
    grid = np.linspace(0.0, 1.0, SAMPLES)
    ra = np.interp(grid, np.linspace(0.0, 1.0, a.size), a)
    rb = np.interp(grid, np.linspace(0.0, 1.0, b.size), b)
    return round(float(1.0 - np.mean(np.abs(ra - rb)) / 255.0), 4)


class CardReader:
    """The reader with one card (or a phone) on it."""

    def __init__(self, card: JPKIClient | AuthKeyHolder) -> None:
        self.card = card

    def certificate(self) -> bytes:
        return self.card.read_certificate(KeyKind.AUTH)

    def with_pin(self, challenge: bytes, pin: str) -> ReaderResult:
        """PIN mode: the card signs the challenge after the auth PIN."""
        try:
            signature = self.card.sign(KeyKind.AUTH, challenge, pin=pin)
        except PinNotSet as exc:
            raise ReaderRefused(
                "顔認証マイナンバーカードです。暗証番号はありません：顔認証または目視で確認して"
                "ください / a face-only card has no PIN: confirm by face or by sight",
                code="face_only_card",
            ) from exc
        except PinBlocked as exc:
            raise ReaderRefused(
                "暗証番号がロックされています（市区町村で解除） / the PIN is locked",
                code="pin_locked",
            ) from exc
        except PinIncorrect as exc:
            raise ReaderRefused(
                f"暗証番号が違います（残り{exc.tries_left}回） / wrong PIN, "
                f"{exc.tries_left} tries left",
                code="pin_locked" if exc.tries_left == 0 else "pin_wrong",
            ) from exc
        return ReaderResult("pin", self.certificate(), signature=signature)

    def photo(self, printed: PrintedFace) -> bytes:
        """The 券面AP's photo, opened with 照合番号B read off the printed face."""
        if not isinstance(self.card, JPKIClient):
            raise ReaderRefused(
                "スマートフォンは暗証番号で確認してください / a phone is confirmed with its PIN",
                code="face_unreadable",
            )
        try:
            self.card.verify_pin(PinRef.VISUAL_B, printed.pin_b)
            self.card.select_ef(EF_VISUAL_FACE)
            return decode_card_face(self.card.read_tlv_file()).photo
        except ReaderError as exc:
            raise ReaderRefused(
                "券面を読み取れません / the card face could not be read", code="face_unreadable"
            ) from exc

    def with_face(self, printed: PrintedFace, camera: bytes) -> ReaderResult:
        """Face mode: the score of the chip's photo against the camera image."""
        score = face_score(self.photo(printed), camera)
        return ReaderResult("face", self.certificate(), face_score=score)

    def visual(self) -> ReaderResult:
        """目視確認 by staff: the certificate only."""
        return ReaderResult("visual", self.certificate())
