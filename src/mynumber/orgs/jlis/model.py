"""J-LIS's plain rules: the roles of its staff (see ``platform/staff``)."""

from __future__ import annotations

from mynumber.platform.staff.model import Role, Roles

#: 運用担当: suspension, revocation, registered verifiers. 受付担当: the 24/7 desk
#: (一時停止の受付) that takes a lost card's call and suspends it, nothing more (this
#: project's split).
ROLES = Roles.of(
    Role(
        "operator",
        "運用担当 (J-LIS operator)",
        frozenset(
            {"cards.suspend", "cards.revoke", "verifiers.manage", "cards.read", "kiosk.settle"}
        ),
    ),
    Role("desk", "受付担当 (24/7 suspension desk)", frozenset({"cards.suspend"})),
)
