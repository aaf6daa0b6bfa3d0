"""The pension service's plain rules: the roles of its staff (see ``platform/staff``)."""

from __future__ import annotations

from mynumber.platform.staff.model import Role, Roles

#: 受付担当: takes in records (filings, members) keyed by My Number.
ROLES = Roles.of(
    Role("intake", "受付担当 (intake staff)", frozenset({"records.intake", "notices.send"})),
)
