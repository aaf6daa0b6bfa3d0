"""J-LIS's plain rules: the roles of its staff (see ``platform/staff``), and how the call
centre compares what a caller says with what J-LIS keeps (keyed hashes only)."""

from __future__ import annotations

import unicodedata

from mynumber.platform.staff.model import Role, Roles

#: 運用担当: suspension, revocation, registered verifiers. 受付担当: the 24/7 desk
#: (一時停止の受付) that takes a lost card's call and suspends it, nothing more. The call
#: centre's operator (個人番号カードコールセンター) identifies the caller by the card and
#: the basic items before suspending (``callcentre``) — this project's split of the roles.
ROLES = Roles.of(
    Role(
        "operator",
        "運用担当 (J-LIS operator)",
        frozenset(
            {
                "cards.suspend",
                "cards.revoke",
                "verifiers.manage",
                "cards.read",
                "callcentre.suspend",
                "kiosk.settle",
            }
        ),
    ),
    Role("desk", "受付担当 (24/7 suspension desk)", frozenset({"cards.suspend"})),
    Role(
        "callcentre_operator",
        "コールセンター オペレーター (24/7 call centre operator)",
        frozenset({"callcentre.suspend"}),
    ),
)


def normalise_name(name: str) -> str:
    """A name as the call centre compares it: NFKC (full-width and half-width forms alike),
    without any space (the card writes 氏 and 名 apart with U+3000; a caller may not)."""
    return "".join(unicodedata.normalize("NFKC", name).split())
