"""The chip's file system: dedicated files (applications) holding elementary files.

Four kinds of EF: binary (READ BINARY), record (READ RECORD), PIN (VERIFY, never read)
and key (used by COMPUTE DIGITAL SIGNATURE, never read; the key itself lives in the
chip's vault, not in the EF). ``holds`` says in words what an EF may contain: the test
``test_card_contents`` pins the whole list, so nothing else creeps onto the chip.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mynumber.card.pins import PinPolicy

__all__ = [
    "EC_P384",
    "FREE",
    "NEVER",
    "RSA_2048",
    "Access",
    "BinaryFile",
    "DedicatedFile",
    "ElementaryFile",
    "KeyFile",
    "PinFile",
    "RecordFile",
    "after",
]


@dataclass(frozen=True, slots=True)
class Access:
    """Read condition: free, never, or after any one of ``pins`` (EF ids) is verified."""

    never: bool = False
    pins: frozenset[int] = frozenset()

    def allows(self, verified: set[int]) -> bool:
        if self.never:
            return False
        return not self.pins or bool(self.pins & verified)


FREE = Access()
NEVER = Access(never=True)


def after(*pins: int) -> Access:
    """Readable once any of these PIN EFs is verified in the current application."""
    return Access(pins=frozenset(pins))


@dataclass(slots=True)
class BinaryFile:
    """A transparent EF. ``writable``: the issuer may UPDATE BINARY it before activation."""

    fid: int
    holds: str
    read: Access = FREE
    writable: bool = False
    capacity: int = 0
    data: bytes = field(default=b"", repr=False)


@dataclass(slots=True)
class RecordFile:
    """A linear EF of records, reached by its short file identifier (SFI)."""

    fid: int
    sfi: int
    holds: str
    read: Access = FREE
    records: list[bytes] = field(default_factory=list, repr=False)


@dataclass(slots=True)
class PinFile:
    """Reference data (a PIN) and its retry counter; ``value`` None until the issuer sets it."""

    fid: int
    holds: str
    policy: PinPolicy
    value: bytes | None = field(default=None, repr=False)
    tries_left: int = 0

    def __post_init__(self) -> None:
        if self.tries_left == 0 and self.value is None:
            self.tries_left = self.policy.max_tries


#: Key algorithms of a key EF: JPKI's RSA-2048 (PKCS#1 v1.5 over a DigestInfo) and the
#: generation-2 card's ECDSA P-384 (over a SHA-384 hash).
RSA_2048 = "rsa-2048"
EC_P384 = "ecdsa-p384"


@dataclass(slots=True)
class KeyFile:
    """A private-key slot; signing with it needs ``pin_fid`` verified."""

    fid: int
    holds: str
    pin_fid: int
    algorithm: str = RSA_2048


ElementaryFile = BinaryFile | RecordFile | PinFile | KeyFile


@dataclass(slots=True)
class DedicatedFile:
    """An application (DF) selected by its AID; ``name`` is a short stable label."""

    name: str
    aid: bytes
    title: str
    efs: dict[int, ElementaryFile] = field(default_factory=dict)
