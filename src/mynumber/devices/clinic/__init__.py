"""A clinic's devices: the simulated 顔認証付きカードリーダー (:mod:`.reader`) and the
資格確認端末 client (:mod:`.terminal`), with the req/res folder exchange (:mod:`.folders`)."""

from mynumber.devices.clinic.reader import CardReader, PrintedFace, ReaderRefused, face_score
from mynumber.devices.clinic.terminal import Confirmed, Terminal

__all__ = ["CardReader", "Confirmed", "PrintedFace", "ReaderRefused", "Terminal", "face_score"]
