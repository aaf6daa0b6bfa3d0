"""The linkage hub's plain rules: the roles of its staff (see ``platform/staff``)."""

from __future__ import annotations

from mynumber.platform.staff.model import Role, Roles

#: 運用担当: the permitted-exchange table and the exchange record's integrity.
ROLES = Roles.of(
    Role("operator", "運用担当 (hub operator)", frozenset({"permitted.manage", "log.verify"})),
)
