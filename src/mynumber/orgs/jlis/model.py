"""J-LIS's plain rules: the roles of its staff (see ``platform/staff``)."""

from __future__ import annotations

from mynumber.platform.staff.model import Role, Roles

#: 運用担当: the 24/7 desk — suspension, revocation, registered verifiers.
ROLES = Roles.of(
    Role(
        "operator",
        "運用担当 (J-LIS operator)",
        frozenset({"cards.suspend", "cards.revoke", "verifiers.manage", "cards.read"}),
    ),
)
