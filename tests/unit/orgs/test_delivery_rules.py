"""The rules of deliveries and proxies that need no database: whom a JWE is sealed to, what
a notice may hold, which right includes which, the invitation code's shape, the inbox's
encryption at rest."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

import pytest

from mynumber import errors
from mynumber.orgs.hub.deliveries import sealed_to
from mynumber.orgs.portal.model.proxies import (
    code_hash,
    end_of_day,
    includes,
    new_invitation_code,
    show_code,
)
from mynumber.orgs.portal.services.inbox import NoticeCipher
from mynumber.orgs.portal.services.notices import sender_name, valid_notice
from mynumber.platform.encryption import EncryptionKeys, seal


def test_the_hub_reads_whom_a_jwe_is_sealed_to_from_its_header_only(tmp_path: Path) -> None:
    keys = EncryptionKeys(tmp_path)
    keys.ensure("portal")
    token = seal(keys, "portal", {"messages": ["秘密"]})
    assert sealed_to(token) == "portal"
    for bad in ("not.a.jwe.at.all", "e30.x.y.z.w", ""):  # e30 is "{}": no kid
        with pytest.raises(errors.InvalidInput):
            sealed_to(bad)


@pytest.mark.parametrize(
    "message",
    [
        {"title": "件名", "body": "本文"},
        {"title": "件名", "body": "一行目\r\n二行目\tタブ"},
        {"title": "件名", "body": "本文", "link": "/portal/records?x=1"},
    ],
)
def test_well_formed_notices_are_taken(message: dict[str, str]) -> None:
    assert valid_notice(message) is not None


@pytest.mark.parametrize(
    "message",
    [
        {"title": "", "body": "x"},
        {"title": "x", "body": "   "},
        {"title": "x" * 201, "body": "x"},
        {"title": "x", "body": "x" * 4001},
        {"title": "二\n行", "body": "x"},
        {"title": "x", "body": "bell\x07"},
        {"title": "x", "body": "x", "link": "https://evil.example/"},
        {"title": "x", "body": "x", "link": "/portal//evil.example/"},
        {"title": "x", "body": "x", "link": "/portal/../jlis/"},
        {"title": "x", "body": "x", "link": "javascript:alert(1)"},
        {"title": "x", "body": "x", "extra": "field"},
        ["title", "body"],
        None,
    ],
)
def test_malformed_notices_are_refused(message: object) -> None:
    assert valid_notice(message) is None


def test_senders_are_shown_by_name() -> None:
    assert "国税庁" in sender_name("tax")
    assert "千代田区" in sender_name("municipality-131016")
    assert "999999" in sender_name("municipality-999999")


def test_the_inbox_cipher_binds_a_notice_to_its_id_and_owner() -> None:
    cipher = NoticeCipher(secrets.token_bytes(32))
    sealed = cipher.seal("n1", "alice", "title", "還付のお知らせ")
    assert "還付" not in sealed and sealed.startswith("v1:")
    assert cipher.open("n1", "alice", "title", sealed) == "還付のお知らせ"
    assert "unreadable" in cipher.open("n1", "bob", "title", sealed)  # moved to another owner
    assert "unreadable" in cipher.open("n2", "alice", "title", sealed)
    assert "unreadable" in cipher.open("n1", "alice", "body", sealed)
    assert cipher.open("n1", "alice", "title", "平文") == "平文"  # written before encryption


def test_apply_includes_view_and_not_the_other_way_round() -> None:
    assert includes("apply", "view") and includes("apply", "apply") and includes("view", "view")
    assert not includes("view", "apply")
    assert not includes("admin", "view") and not includes("view", "admin")


def test_invitation_codes_are_typed_forgivingly() -> None:
    code = new_invitation_code()
    assert len(code) == 12 and not set(code) & set("01ILO")
    shown = show_code(code)
    assert shown.count("-") == 2
    assert code_hash(shown.lower().replace("-", " ")) == code_hash(code)
    assert code_hash(code) != code_hash(new_invitation_code())


def test_an_end_date_is_the_end_of_that_day_in_japan() -> None:
    ends = end_of_day(dt.date(2027, 3, 31))
    assert ends.astimezone(dt.timezone(dt.timedelta(hours=9))).date() == dt.date(2027, 3, 31)
    assert ends.astimezone(dt.UTC) == dt.datetime(2027, 3, 31, 14, 59, 59, tzinfo=dt.UTC)
