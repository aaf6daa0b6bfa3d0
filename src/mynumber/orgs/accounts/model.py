"""The account registry's plain rules: the roles of its staff (see ``platform/staff``)."""

from __future__ import annotations

from mynumber.platform.staff.model import Role, Roles

#: 運用担当: looks after registrations (demo seeding, corrections).
ROLES = Roles.of(
    Role("operator", "運用担当 (registry operator)", frozenset({"accounts.register"})),
)
