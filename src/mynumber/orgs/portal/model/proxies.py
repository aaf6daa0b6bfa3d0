"""代理人 (proxies) as plain rules: the rights and what includes what, invitation codes
(drawn, shown, hashed), a right's end of day in Japan, and the refusals. The use cases
are in :mod:`..services.proxies`."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from mynumber import errors
from mynumber.jst import JST
from mynumber.orgs.portal.model import CODE_ALPHABET, normalise_code

#: Rights, weakest first: a right includes every right before it.
RIGHTS = ("view", "apply")
RIGHT_LABEL = {"view": "閲覧 / view", "apply": "閲覧・申請 / view and apply"}
INVITATION_TTL = dt.timedelta(days=3)
INVITATION_CODE_LENGTH = 12
LONGEST_RIGHT = dt.timedelta(days=5 * 366)
SELF = "ご本人"
UNKNOWN_NAME = "（氏名を取得できませんでした / name unavailable）"

#: What a proxy did, as the grantor reads it.
ACTION_LABEL = {
    "accept": "代理人として登録 / became your proxy",
    "act": "代理での操作を開始 / started acting for you",
    "information": "わたしの情報を閲覧 / viewed My information",
    "licence": "運転免許情報を閲覧 / viewed the driver's licence",
    "notices": "お知らせを閲覧 / viewed the notices",
    "notice": "お知らせを開封 / opened a notice",
    "records": "やりとり履歴を閲覧 / viewed the exchange records",
    "records_export": "やりとり履歴をダウンロード / downloaded the exchange records",
    "record_access": "住民票の閲覧・変更の記録を閲覧 / viewed who looked at your resident record",
    "revoke": "代理権を取り消し / right revoked",
    "view": "閲覧 / viewed",
    "apply": "申請 / applied",
}


class ProxyRefused(errors.Forbidden):
    """The actor holds no (or no longer a) right to do this for the principal."""

    code = "proxy_refused"


class InvitationRefused(errors.Conflict):
    """The invitation code cannot be accepted (unknown, used, expired, or one's own)."""

    code = "invitation_refused"


def includes(scope: str, right: str) -> bool:
    """Whether a proxy's ``scope`` includes ``right`` (``apply`` includes ``view``)."""
    return scope in RIGHTS and right in RIGHTS and RIGHTS.index(scope) >= RIGHTS.index(right)


def new_invitation_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(INVITATION_CODE_LENGTH))


def show_code(code: str) -> str:
    """``ABCDEFGHJKMN`` → ``ABCD-EFGH-JKMN`` (read aloud or typed more easily)."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def code_hash(code: str) -> str:
    return hashlib.sha256(f"mynumber/portal/proxy\x00{normalise_code(code)}".encode()).hexdigest()


def end_of_day(day: dt.date) -> dt.datetime:
    """The last second of ``day`` in Japan, as an aware time (shown as that day)."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), JST)
