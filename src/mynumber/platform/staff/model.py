"""Staff of an organisation: roles and permissions, sessions, the access log's chain.

Plain rules, no web or database. Each organisation names its roles (:class:`Role`) and
what each may do (permissions such as ``residents.register``); a route asks for one
permission. The local administrator (``admin``) may do everything, and manage staff.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mynumber import errors

#: 15 minutes without use ends a session; none lives longer than 8 hours (this project's
#: choice, in line with a working day at a counter).
IDLE = dt.timedelta(minutes=15)
ABSOLUTE = dt.timedelta(hours=8)
#: A sign-in challenge lives 5 minutes; an administrator's token at most 30 days.
CHALLENGE_TTL = dt.timedelta(minutes=5)
TOKEN_TTL_MAX = dt.timedelta(days=30)
#: How often a session's card is asked about again (OCSP): a suspended or revoked card ends
#: its sessions within this time.
STATUS_RECHECK = dt.timedelta(seconds=60)

ADMIN = "admin"
#: The organisation's local administrator: whoever holds its data folder (the command line
#: acting on ``--data``). Recorded as such in the access log.
LOCAL_ADMIN_ID = "local-admin"
LOCAL_ADMIN_NAME = "ローカル管理者 (local administrator)"
MANAGE_STAFF = "staff.manage"

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CODE_LENGTH = 8
_ROLE_NAME = re.compile(r"[a-z][a-z_]{1,30}")


class StaffRequired(errors.Unauthorized):
    """No staff session (or it ended): sign in with your card."""

    code = "staff_sign_in_required"


class PermissionDenied(errors.Forbidden):
    """Signed in, but no role of this staff member grants the permission."""

    code = "permission_denied"


class CsrfRefused(errors.Forbidden):
    code = "csrf_refused"


class SignInRefused(errors.Unauthorized):
    """The card's answer was not accepted (why in ``code``)."""


class ChallengeGone(errors.NotFound):
    code = "sign_in_code_unknown"


@dataclass(frozen=True, slots=True)
class Role:
    """A role of an organisation's staff: its name, a label (日本語 / English), its permissions."""

    name: str
    label: str
    permissions: frozenset[str]

    def __post_init__(self) -> None:
        if not _ROLE_NAME.fullmatch(self.name):
            raise ValueError(f"bad role name {self.name!r}")


@dataclass(frozen=True, slots=True)
class Roles:
    """The roles one organisation knows, the administrator's included."""

    roles: tuple[Role, ...]
    by_name: Mapping[str, Role] = field(init=False)

    def __post_init__(self) -> None:
        every = frozenset(p for r in self.roles for p in r.permissions) | {MANAGE_STAFF}
        admin = Role(ADMIN, "管理者 (administrator)", every)
        object.__setattr__(self, "by_name", {r.name: r for r in (*self.roles, admin)})

    @classmethod
    def of(cls, *roles: Role) -> Roles:
        return cls(tuple(roles))

    @property
    def permissions(self) -> frozenset[str]:
        return self.by_name[ADMIN].permissions

    def check(self, names: Iterable[str]) -> tuple[str, ...]:
        """The role names, each known here, or :class:`errors.InvalidInput`."""
        out = tuple(dict.fromkeys(n.strip() for n in names if n.strip()))
        if not out:
            raise errors.InvalidInput("give at least one role", field="roles")
        for name in out:
            if name not in self.by_name:
                known = ", ".join(sorted(self.by_name))
                raise errors.InvalidInput(f"unknown role {name!r} (known: {known})", field="roles")
        return out

    def granting(self, names: Iterable[str], permission: str) -> str | None:
        """The first of ``names`` whose role grants ``permission``, or None."""
        for name in names:
            role = self.by_name.get(name)
            if role is not None and permission in role.permissions:
                return name
        return None


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: str
    name: str
    roles: tuple[str, ...]
    auth_serial: str | None
    valid_from: dt.datetime
    valid_to: dt.datetime | None
    removed_at: dt.datetime | None

    def active(self, now: dt.datetime) -> bool:
        return (
            self.removed_at is None
            and self.valid_from <= now
            and (self.valid_to is None or now < self.valid_to)
        )


@dataclass(frozen=True, slots=True)
class StaffSession:
    """Who is acting: the staff member, their roles, the session's CSRF token and kind."""

    staff_id: str
    name: str
    roles: tuple[str, ...]
    csrf: str
    kind: str  # card | token | local
    via_cookie: bool = False

    def __repr__(self) -> str:  # the CSRF token stays out of logs and tracebacks
        return f"StaffSession({self.staff_id!r}, roles={self.roles!r}, kind={self.kind!r})"


@dataclass(frozen=True, slots=True)
class Acting:
    """A staff member acting under one role for one permission (what a route receives)."""

    session: StaffSession
    role: str
    permission: str

    @property
    def staff_id(self) -> str:
        return self.session.staff_id

    @property
    def name(self) -> str:
        return self.session.name


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())[: CODE_LENGTH + 2]


def check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 60 or not name.isprintable():
        raise errors.InvalidInput(
            "a staff member's name is 1-60 printable characters", field="name"
        )
    return name


# --- the access log's chain ---------------------------------------------------------------

GENESIS = "0" * 64
#: The fields an entry's hash covers.
CHAINED = (
    "seq",
    "at",
    "actor",
    "actor_name",
    "role",
    "person",
    "action",
    "purpose",
    "detail",
    "prev",
)


def entry_hash(entry: Mapping[str, Any]) -> str:
    body = {name: entry[name] for name in CHAINED}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class BrokenLog(errors.Conflict):
    """The access log does not recompute from ``seq`` on."""

    code = "broken_access_log"

    def __init__(self, message: str, *, seq: int) -> None:
        super().__init__(message)
        self.seq = seq


def verify_entries(entries: Iterable[Mapping[Any, Any]]) -> tuple[int, str]:
    """Recompute the chain; the head (last seq, hash), or :class:`BrokenLog` at the first fault."""
    prev, last = GENESIS, 0
    for entry in entries:
        seq = int(entry["seq"])
        if seq != last + 1:
            raise BrokenLog(f"entry {last + 1} is missing", seq=last + 1)
        if entry["prev"] != prev or entry_hash(entry) != entry["hash"]:
            raise BrokenLog(f"entry {seq} was changed", seq=seq)
        prev, last = str(entry["hash"]), seq
    return last, prev
