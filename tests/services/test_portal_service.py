"""Mynaportal's use cases on its own database: a login with the card (real signature, chain
and OCSP) and its session, the inbox and the notices agencies deliver, a proxy's invitation,
and a login that fails half-way leaving nothing of its transaction. J-LIS is a small
in-process authority with real keys; no federation is built."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from servicekit import Authority, Clock
from sqlalchemy import Connection, Table, func, select

from mynumber import errors
from mynumber.orgs.portal import store
from mynumber.orgs.portal.model import (
    IDLE_TIMEOUT,
    ChallengeUsed,
    LoginRefused,
    SessionRequired,
)
from mynumber.orgs.portal.model.proxies import InvitationRefused
from mynumber.orgs.portal.services.inbox import Inbox, NewNotice, NoticeCipher
from mynumber.orgs.portal.services.login import LoginResult, Portal
from mynumber.orgs.portal.services.notices import NoticeReceiver
from mynumber.orgs.portal.services.proxies import Proxies
from mynumber.pki import (
    GOOD,
    Purpose,
    Revoked,
)
from mynumber.platform.deliveries import Opened
from mynumber.platform.uow import UnitOfWork

OCSP_URL = "http://127.0.0.1:8001/ocsp/auth"
CRL_URL = "http://127.0.0.1:8001/crl/auth.crl"


class Jlis(Authority):
    """J-LIS as a login asks it (``services.login.LoginAuthority``): the user-authentication
    CA and its OCSP responder (real keys), whose certificate a serial is, and hub codes."""

    def __init__(self, keys: list[rsa.RSAPrivateKey], clock: Clock) -> None:
        super().__init__(Purpose.AUTH, keys, clock)
        self.holders: dict[str, dict[str, str]] = {}
        self.resolved: list[str] = []

    def issue(self, key: rsa.RSAPrivateKey, portal_code: str) -> bytes:
        """A card's auth certificate (DER) for the person of ``portal_code``."""
        cert = self.ca.issue_auth(
            key.public_key(),
            birth_date=dt.date(1985, 4, 1),
            now=self.clock(),
            ocsp_url=OCSP_URL,
            crl_url=CRL_URL,
        )
        self.statuses[cert.serial_number] = GOOD
        self.holders[f"{cert.serial_number:x}"] = {
            "portal_code": portal_code,
            "municipality": "131016",
        }
        return cert.public_bytes(Encoding.DER)

    def revoke(self, cert_der: bytes) -> None:
        serial = x509.load_der_x509_certificate(cert_der).serial_number
        self.statuses[serial] = Revoked(self.clock(), x509.ReasonFlags.key_compromise)

    # --- what a login asks of J-LIS ----------------------------------------------------------

    def auth_roots(self) -> list[x509.Certificate]:
        return [self.ca.certificate]

    def ocsp(self, request_der: bytes, hierarchy: str = "auth") -> bytes:
        assert hierarchy == "auth"
        return self.responder.respond(request_der, now=self.clock())

    def resolve(self, serial: str) -> dict[str, str]:
        self.resolved.append(serial)
        if serial not in self.holders:
            raise errors.NotFound("no such certificate", code="unknown_certificate")
        return dict(self.holders[serial])

    def hub_code(self, serial: str) -> str:
        return "hub-" + self.holders[serial]["portal_code"]


class FullInbox(Inbox):
    """An inbox whose table takes nothing more: the last step of a login's transaction."""

    def add(
        self, conn: Connection, notices: Sequence[NewNotice], *, at: dt.datetime | None = None
    ) -> list[str]:
        raise RuntimeError("the notices table is full")


@pytest.fixture
def work(database) -> UnitOfWork:
    return UnitOfWork(database("portal", "mynumber.orgs.portal.migrations"))


@pytest.fixture
def jlis(rsa_keys, clock) -> Jlis:
    return Jlis(rsa_keys, clock)


@pytest.fixture
def cipher() -> NoticeCipher:
    return NoticeCipher(secrets.token_bytes(32))


@pytest.fixture
def portal(jlis, cipher, clock) -> Portal:
    return Portal(jlis=jlis, inbox=Inbox(cipher=cipher, clock=clock), clock=clock)


@pytest.fixture
def hanako(jlis, rsa_keys) -> tuple[rsa.RSAPrivateKey, bytes]:
    return rsa_keys[2], jlis.issue(rsa_keys[2], "a" * 32)


@pytest.fixture
def taro(jlis, rsa_keys) -> tuple[rsa.RSAPrivateKey, bytes]:
    return rsa_keys[3], jlis.issue(rsa_keys[3], "b" * 32)


def log_in(
    portal: Portal, work: UnitOfWork, card: tuple[rsa.RSAPrivateKey, bytes], code: str = ""
) -> LoginResult:
    """What the card holder's device does: sign the challenge with the card's auth key."""
    key, cert_der = card
    challenge = portal.challenge(work, code) if code else portal.start(work, method="cli")
    signature = key.sign(challenge.nonce, padding.PKCS1v15(), hashes.SHA256())
    return portal.complete(
        work, challenge.code, signature=signature, certificate=cert_der, open_session=True
    )


def rows(work: UnitOfWork, table: Table) -> int:
    with work as conn:
        return int(conn.scalar(select(func.count()).select_from(table)) or 0)


# --- login and session ------------------------------------------------------------------------


def test_a_card_login_opens_a_session_that_idles_out_and_ends_at_logout(
    portal, work, jlis, hanako, clock
) -> None:
    first = log_in(portal, work, hanako)
    assert first.first_login and first.portal_code == "a" * 32
    assert first.session_token is not None
    session = portal.session(work, first.session_token)
    assert (session.portal_code, session.acting_for) == ("a" * 32, None)
    account = portal.account(work, first.portal_code)
    assert (account["municipality"], account["hub_code"]) == ("131016", "hub-" + "a" * 32)

    second = log_in(portal, work, hanako)
    assert not second.first_login
    assert len(jlis.resolved) == 1  # the certificate's holder is kept from the first login
    assert [g["result"] for g in portal.logins(work, first.portal_code)] == ["success"] * 2

    assert second.session_token is not None
    portal.logout(work, second.session_token)
    with pytest.raises(SessionRequired):
        portal.session(work, second.session_token)
    clock.advance(IDLE_TIMEOUT + dt.timedelta(seconds=1))
    with pytest.raises(SessionRequired):
        portal.session(work, first.session_token)


def test_a_revoked_card_is_refused_its_challenge_used_up_and_the_attempt_recorded(
    portal, work, jlis, hanako
) -> None:
    jlis.revoke(hanako[1])
    challenge = portal.start(work, method="cli")
    with pytest.raises(LoginRefused):
        log_in(portal, work, hanako, challenge.code)
    with pytest.raises(ChallengeUsed):
        portal.challenge(work, challenge.code)
    # the card signed: the refusal is the holder's, on their login record
    assert [(g["result"], g["reason"]) for g in portal.logins(work, "a" * 32)] == [
        ("refused", "certificate_revoked")
    ]
    assert rows(work, store.accounts) == rows(work, store.sessions) == 0


# --- the inbox and agencies' notices ----------------------------------------------------------


def delivery(codes: list[str | None], messages: list[object]) -> Opened:
    return Opened(
        delivery_id="d-" + secrets.token_hex(4),
        sender="tax",
        procedure="tax_notice",
        items=("notice",),
        codes=codes,
        messages=messages,
    )


def test_delivered_notices_reach_their_owners_inbox_once_sealed_at_rest(
    portal, work, hanako, taro, cipher, clock
) -> None:
    hanako_code = log_in(portal, work, hanako).portal_code
    taro_code = log_in(portal, work, taro).portal_code
    receiver = NoticeReceiver(inbox=Inbox(cipher=cipher, clock=clock))
    notice = {"title": "住民税の通知", "body": "令和8年度の税額が決まりました。", "ref": "tax-2026"}
    answer = receiver(
        work,
        delivery(
            ["hub-" + hanako_code, None, "hub-nobody", "hub-" + taro_code],
            [notice, notice, notice, {"title": "改行\nのある件名", "body": "x"}],
        ),
    )
    assert answer.accepted == [True, False, False, False]
    again = receiver(work, delivery(["hub-" + hanako_code], [notice]))
    assert again.accepted == [True]  # taken, and kept once (same sender and ref)

    titles = [n["title"] for n in portal.notices(work, hanako_code)]
    assert titles.count("住民税の通知") == 1
    assert "住民税の通知" not in [n["title"] for n in portal.notices(work, taro_code)]
    with work as conn:
        stored = conn.scalars(select(store.notices.c.title)).all()
    assert stored and not any("住民税" in t for t in stored)  # sealed in the table

    tax = next(n for n in portal.notices(work, hanako_code) if n["title"] == "住民税の通知")
    assert tax["read_at"] is None and tax["sender"] == "国税庁 / National Tax Agency"
    with pytest.raises(errors.NotFound):
        portal.mark_read(work, taro_code, tax["id"])  # another person's: as if none
    portal.mark_read(work, hanako_code, tax["id"])
    read = next(n for n in portal.notices(work, hanako_code) if n["id"] == tax["id"])
    assert read["read_at"] is not None


# --- a proxy's invitation ---------------------------------------------------------------------


def test_an_invitation_is_accepted_once_and_a_wrong_code_counts(
    portal, work, hanako, taro, clock
) -> None:
    names = {"a" * 32: "試験 花子", "b" * 32: "試験 太郎"}
    asked: list[str] = []

    def name_of(uow: UnitOfWork, portal_code: str) -> str | None:
        asked.append(portal_code)  # the municipality, through the hub, between two units
        return names.get(portal_code)

    proxies = Proxies(name_of=name_of, clock=clock)
    principal, agent = log_in(portal, work, hanako), log_in(portal, work, taro)
    invitation = proxies.invite(work, principal.portal_code, scope="view")
    proxy = proxies.accept(work, agent.portal_code, invitation.code)
    assert (proxy.principal_name, proxy.agent_name) == ("試験 花子", "試験 太郎")
    assert asked == ["a" * 32, "b" * 32]
    with pytest.raises(InvitationRefused):
        proxies.accept(work, agent.portal_code, invitation.code)
    with pytest.raises(InvitationRefused):
        proxies.accept(work, agent.portal_code, "WRONG-CODE")
    assert proxies.attempts.count(work, agent.portal_code, "wrong") == 1
    assert [p.id for p in proxies.principals(work, agent.portal_code)] == [proxy.id]


# --- a failure half-way ---------------------------------------------------------------------


def test_a_login_that_fails_half_way_leaves_nothing_and_its_code_answers_again(
    portal, work, jlis, hanako, cipher, clock
) -> None:
    """The holder's certificate is learned and committed in a unit of its own; the login's
    one transaction (the challenge used up, the account, the login record, the session, the
    notice) fails at its last step: none of it stays, and the same code logs in after."""
    challenge = portal.start(work, method="cli")
    portal.inbox = FullInbox(cipher=cipher, clock=clock)
    with pytest.raises(RuntimeError, match="full"):
        log_in(portal, work, hanako, challenge.code)

    assert rows(work, store.login_certificates) == 1  # committed before the failure
    for table in (store.accounts, store.logins, store.sessions, store.notices):
        assert rows(work, table) == 0, table.name
    assert portal.challenge(work, challenge.code).code == challenge.code  # not used up

    portal.inbox = Inbox(cipher=cipher, clock=clock)
    result = log_in(portal, work, hanako, challenge.code)
    assert result.first_login and len(jlis.resolved) == 1
    assert rows(work, store.accounts) == rows(work, store.sessions) == 1
