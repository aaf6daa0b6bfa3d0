"""The linkage hub's plain rules: the roles of its staff (see ``platform/staff``), who counts
as an agency, and how much one request may carry."""

from __future__ import annotations

from mynumber.platform import wire
from mynumber.platform.staff.model import Role, Roles

#: 運用担当: the permitted-exchange table and the exchange record's integrity.
ROLES = Roles.of(
    Role("operator", "運用担当 (hub operator)", frozenset({"permitted.manage", "log.verify"})),
)

ORG = "hub"
#: 取得番号 per enrolment request: a benefit run enrols 10^5 people per call.
MAX_ENROL = 100_000
#: People per delivery.
MAX_CODES = wire.MAX_DELIVERY_CODES
#: People per bulk exchange.
MAX_BULK = wire.MAX_BULK


def is_agency(org: str) -> bool:
    """Every organisation but the hub itself and J-LIS asks and answers as an agency."""
    return org not in (ORG, "jlis")
