"""A bank's plain rules: the roles of its staff (see ``platform/staff``)."""

from __future__ import annotations

from mynumber.platform.staff.model import Role, Roles

#: 窓口担当: opens and closes accounts, registers public-fund accounts at the counter.
ROLES = Roles.of(
    Role("clerk", "窓口担当 (bank clerk)", frozenset({"accounts.open", "accounts.close"})),
)
