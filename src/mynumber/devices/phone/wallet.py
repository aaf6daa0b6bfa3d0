"""The phone's wallet: the card images it can reach by NFC, in the demo a folder of files.

``DATA/wallet/*.card`` are residents' cards and ``DATA/staff-wallet/*.card`` staff cards,
each with the ``.json`` note written beside it when it was issued. The phone's own
certificates (スマホ用電子証明書), made by ``mynumber phone enrol --out
DATA/phone-credentials/NAME.phone``, are listed too (``phone:NAME``). The images are sealed
with ``DATA/card-seal.key`` (:func:`mynumber.card.load_or_create_demo_seal_key`); PIN
counters change on the card and are saved back to its file.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mynumber.card import CardFile, Chip, ChipTransport, load_or_create_demo_seal_key
from mynumber.devices.phone.credential import PhoneCredential
from mynumber.errors import InvalidInput
from mynumber.reader import JPKIClient

#: the wallet's folders under the data folder, and how the phone labels their cards
FOLDERS = {"wallet": "resident", "staff-wallet": "staff"}
#: the phone's own credentials (its secure store), one file each
PHONE_FOLDER = "phone-credentials"


@dataclass(frozen=True, slots=True)
class WalletCard:
    """One card in the wallet: ``id`` is ``<stem>`` (resident) or ``staff:<stem>``."""

    id: str
    kind: str  # resident | staff | phone
    holder: str
    organisation: str
    path: Path

    @property
    def label(self) -> str:
        if self.kind == "phone":
            return f"スマホ用電子証明書 — {self.holder} ({self.organisation})"
        role = "職員証 staff" if self.kind == "staff" else "マイナンバーカード"
        return f"{role} — {self.holder} ({self.organisation})"


def open_card(path: Path, seal_key: Path) -> JPKIClient:
    """A card image file as the phone's NFC reader sees it (PIN counters are saved)."""
    store = CardFile(path)
    seal = load_or_create_demo_seal_key(seal_key)
    return JPKIClient(ChipTransport(Chip.from_image(store.load(), seal_key=seal, store=store)))


class Wallet:
    """The cards under one data folder; one card operation at a time (the files change)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.seal_key = data_dir / "card-seal.key"
        self._lock = threading.Lock()

    def cards(self) -> list[WalletCard]:
        found = []
        for folder, kind in FOLDERS.items():
            for note in sorted((self.data_dir / folder).glob("*.json")):
                card = note.with_suffix(".card")
                if not card.exists():
                    continue
                try:
                    data = json.loads(note.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    data = {}
                found.append(
                    WalletCard(
                        id=note.stem if kind == "resident" else f"{kind}:{note.stem}",
                        kind=kind,
                        holder=str(data.get("holder", "")),
                        organisation=str(
                            data.get("organisation")
                            or data.get("org")
                            or data.get("municipality", "")
                        ),
                        path=card,
                    )
                )
        for credential in sorted((self.data_dir / PHONE_FOLDER).glob("*.phone")):
            found.append(
                WalletCard(
                    id=f"phone:{credential.stem}",
                    kind="phone",
                    holder=credential.stem,
                    organisation="J-LIS",
                    path=credential,
                )
            )
        return found

    def card(self, card_id: str) -> WalletCard:
        for card in self.cards():
            if card.id == card_id:
                return card
        raise InvalidInput("no such card in the wallet", field="card")

    @contextmanager
    def holding(self, card_id: str) -> Iterator[JPKIClient]:
        """The card ``card_id`` held to the phone, alone for the time of the block; a phone
        credential is refused here (what needs the card itself: enrolling a phone, a PIN
        reset, the card's own data)."""
        card = self.card(card_id)
        if card.kind == "phone":
            raise InvalidInput(
                "スマホ用電子証明書ではなくカードを選んでください / choose a card here, "
                "not the phone's own certificate",
                field="card",
            )
        with self._lock:
            yield open_card(card.path, self.seal_key)

    @contextmanager
    def holding_chip(self, card_id: str) -> Iterator[ChipTransport]:
        """The card ``card_id``'s chip held to the phone (for an application other than
        JPKI's: the licence in the free area), alone for the time of the block."""
        card = self.card(card_id)
        if card.kind == "phone":
            raise InvalidInput("choose a card here, not the phone's own certificate", field="card")
        with self._lock:
            store = CardFile(card.path)
            seal = load_or_create_demo_seal_key(self.seal_key)
            yield ChipTransport(Chip.from_image(store.load(), seal_key=seal, store=store))

    @contextmanager
    def holding_token(self, card_id: str) -> Iterator[JPKIClient | PhoneCredential]:
        """What signs a login, a document or a kiosk's challenge: the card ``card_id`` or the
        phone's own credential."""
        card = self.card(card_id)
        with self._lock:
            if card.kind == "phone":
                yield PhoneCredential.load(card.path, load_or_create_demo_seal_key(self.seal_key))
            else:
                yield open_card(card.path, self.seal_key)
