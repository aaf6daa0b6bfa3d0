"""The staff service of an organisation on its own database: the directory, sign-in with the
staff member's card (a real JPKI chain and OCSP), sessions and tokens, removal, and the
hash-chained access log. J-LIS is a small in-process authority with real keys."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from servicekit import Authority, Clock
from sqlalchemy import update

from mynumber import errors
from mynumber.pki import (
    GOOD,
    Purpose,
    Revoked,
)
from mynumber.platform import store
from mynumber.platform.staff.model import (
    Acting,
    BrokenLog,
    ChallengeGone,
    Role,
    Roles,
    SignInRefused,
    StaffRequired,
)
from mynumber.platform.staff.services import Staff

ROLES = Roles.of(Role("clerk", "窓口 (clerk)", frozenset({"records.read"})))
OCSP_URL = "http://127.0.0.1:8001/ocsp/auth"
CRL_URL = "http://127.0.0.1:8001/crl/auth.crl"


class CardAuthority(Authority):
    """J-LIS's user-authentication CA and its OCSP responder, in process (real keys)."""

    def __init__(self, keys: list[rsa.RSAPrivateKey], clock: Clock) -> None:
        super().__init__(Purpose.AUTH, keys, clock)
        self.asked = 0

    def issue(self, key: rsa.RSAPrivateKey) -> x509.Certificate:
        cert = self.ca.issue_auth(
            key.public_key(),
            birth_date=dt.date(1985, 4, 1),
            now=self.clock(),
            ocsp_url=OCSP_URL,
            crl_url=CRL_URL,
        )
        self.statuses[cert.serial_number] = GOOD
        return cert

    def revoke(self, cert: x509.Certificate) -> None:
        self.statuses[cert.serial_number] = Revoked(
            self.clock().replace(microsecond=0), x509.ReasonFlags.key_compromise
        )

    # --- what Staff asks of J-LIS (staff.services.CardAuthority) ------------------------

    def auth_roots(self) -> list[x509.Certificate]:
        return [self.ca.certificate]

    def ocsp(self, request_der: bytes, hierarchy: str = "auth") -> bytes:
        self.asked += 1
        return self.responder.respond(request_der, now=self.clock())


@pytest.fixture
def authority(rsa_keys, clock) -> CardAuthority:
    return CardAuthority(rsa_keys, clock)


@pytest.fixture
def staff(database, authority, clock) -> Staff:
    engine = database("tax", "mynumber.orgs.tax.migrations")
    return Staff(engine=engine, org="tax", roles=ROLES, authority=authority, clock=clock)


def card_of(authority: CardAuthority, key: rsa.RSAPrivateKey) -> tuple[rsa.RSAPrivateKey, bytes]:
    return key, authority.issue(key).public_bytes(Encoding.DER)


def sign_in(staff: Staff, key: rsa.RSAPrivateKey, cert_der: bytes) -> str:
    """What the staff member's device does: sign the challenge with the card's auth key."""
    started = staff.start("pair-secret")
    nonce = staff.challenge(started.code).nonce
    signature = key.sign(nonce, padding.PKCS1v15(), hashes.SHA256())
    staff.answer(started.code, signature=signature, certificate=cert_der)
    poll = staff.poll(started.id, "pair-secret")
    assert poll.state == "done" and poll.token is not None
    return poll.token


def serial_of(cert_der: bytes) -> str:
    return f"{x509.load_der_x509_certificate(cert_der).serial_number:x}"


def test_an_enrolled_card_signs_its_staff_member_in_and_the_token_is_given_once(
    staff, authority, rsa_keys
):
    key, cert = card_of(authority, rsa_keys[2])
    member = staff.add(name="窓口 太郎", roles=["clerk"], auth_serial=serial_of(cert))
    started = staff.start("pair-secret")
    signature = key.sign(staff.challenge(started.code).nonce, padding.PKCS1v15(), hashes.SHA256())

    assert staff.answer(started.code, signature=signature, certificate=cert).id == member.id
    first = staff.poll(started.id, "pair-secret")
    again = staff.poll(started.id, "pair-secret")

    assert first.state == "done" and first.token
    assert again.state == "done" and again.token is None
    session = staff.session(first.token)
    assert (session.staff_id, session.roles, session.kind) == (member.id, ("clerk",), "card")
    with pytest.raises(ChallengeGone):
        staff.poll(started.id, "another browser's secret")


def test_a_card_nobody_enrolled_is_refused_and_its_code_is_used_up(staff, authority, rsa_keys):
    key, cert = card_of(authority, rsa_keys[2])
    started = staff.start("pair-secret")
    signature = key.sign(staff.challenge(started.code).nonce, padding.PKCS1v15(), hashes.SHA256())

    with pytest.raises(SignInRefused) as refused:
        staff.answer(started.code, signature=signature, certificate=cert)

    assert refused.value.code == "not_staff"
    assert staff.poll(started.id, "pair-secret").state == "refused"
    with pytest.raises(ChallengeGone):
        staff.answer(started.code, signature=signature, certificate=cert)


def test_a_signature_by_another_key_than_the_certificates_is_refused(staff, authority, rsa_keys):
    _, cert = card_of(authority, rsa_keys[2])
    staff.add(name="窓口 太郎", roles=["clerk"], auth_serial=serial_of(cert))
    started = staff.start("pair-secret")
    forged = rsa_keys[3].sign(
        staff.challenge(started.code).nonce, padding.PKCS1v15(), hashes.SHA256()
    )

    with pytest.raises(SignInRefused):
        staff.answer(started.code, signature=forged, certificate=cert)
    assert staff.poll(started.id, "pair-secret").state == "refused"


def test_a_card_from_another_authority_is_refused(staff, rsa_keys, clock):
    impostor = CardAuthority([rsa_keys[4], rsa_keys[5]], clock)  # same DN, other keys
    key, cert = card_of(impostor, rsa_keys[2])
    staff.add(name="窓口 太郎", roles=["clerk"], auth_serial=serial_of(cert))

    with pytest.raises(SignInRefused):
        sign_in(staff, key, cert)


def test_a_revoked_card_cannot_sign_in(staff, authority, rsa_keys):
    key, cert = card_of(authority, rsa_keys[2])
    staff.add(name="窓口 太郎", roles=["clerk"], auth_serial=serial_of(cert))
    authority.revoke(x509.load_der_x509_certificate(cert))

    with pytest.raises(SignInRefused):
        sign_in(staff, key, cert)


def test_a_card_session_ends_at_the_first_status_check_after_its_card_is_revoked(
    staff, authority, rsa_keys, clock
):
    key, cert = card_of(authority, rsa_keys[2])
    staff.add(name="窓口 太郎", roles=["clerk"], auth_serial=serial_of(cert))
    token = sign_in(staff, key, cert)
    authority.revoke(x509.load_der_x509_certificate(cert))

    clock.advance(dt.timedelta(seconds=30))
    staff.session(token)  # within the minute the card is not asked about again
    clock.advance(dt.timedelta(seconds=31))
    with pytest.raises(StaffRequired):
        staff.session(token)
    with pytest.raises(StaffRequired):
        staff.session(token)  # it stays ended


def test_a_card_session_ends_after_fifteen_idle_minutes_and_lasts_while_used(
    staff, authority, rsa_keys, clock
):
    key, cert = card_of(authority, rsa_keys[2])
    staff.add(name="窓口 太郎", roles=["clerk"], auth_serial=serial_of(cert))
    busy, idle = sign_in(staff, key, cert), sign_in(staff, key, cert)

    for _ in range(3):
        clock.advance(dt.timedelta(minutes=10))
        staff.session(busy)

    staff.session(busy)
    with pytest.raises(StaffRequired):
        staff.session(idle)


def test_a_token_lives_its_ttl_only_and_within_thirty_days(staff, clock):
    member = staff.add(name="バッチ 花子", roles=["clerk"], auth_serial="ab12")
    with pytest.raises(errors.InvalidInput):
        staff.issue_token(member.id, ttl=dt.timedelta(0))
    with pytest.raises(errors.InvalidInput):
        staff.issue_token(member.id, ttl=dt.timedelta(days=31))

    opened = staff.issue_token(member.id, ttl=dt.timedelta(minutes=5))
    staff.session(opened.token)
    clock.advance(dt.timedelta(minutes=5))
    with pytest.raises(StaffRequired):
        staff.session(opened.token)


def test_removing_a_staff_member_ends_their_sessions_and_tokens_at_once(staff, authority, rsa_keys):
    key, cert = card_of(authority, rsa_keys[2])
    member = staff.add(name="窓口 太郎", roles=["clerk"], auth_serial=serial_of(cert))
    card_token = sign_in(staff, key, cert)
    bearer = staff.issue_token(member.id).token

    staff.remove(member.id)

    for token in (card_token, bearer):
        with pytest.raises(StaffRequired):
            staff.session(token)
    assert member.id not in [m.id for m in staff.members()]
    with pytest.raises(errors.Conflict):
        staff.issue_token(member.id)
    with pytest.raises(SignInRefused):
        sign_in(staff, key, cert)


def test_the_directory_refuses_a_second_enrolment_of_a_card_and_unknown_roles(staff, clock):
    staff.add(name="窓口 太郎", roles=["clerk"], auth_serial="AB12")
    with pytest.raises(errors.Conflict):
        staff.add(name="窓口 次郎", roles=["clerk"], auth_serial="ab12")
    with pytest.raises(errors.InvalidInput) as unknown:
        staff.add(name="窓口 三郎", roles=["chief"], auth_serial="cd34")
    assert unknown.value.field == "roles"
    with pytest.raises(errors.InvalidInput) as backwards:
        staff.add(
            name="窓口 四郎",
            roles=["clerk"],
            auth_serial="ef56",
            valid_from=clock(),
            valid_to=clock() - dt.timedelta(days=1),
        )
    assert backwards.value.field == "valid_to"
    assert [m.name for m in staff.members()] == ["窓口 太郎"]


def test_the_access_log_chains_its_entries_and_finds_a_changed_or_dropped_one(staff):
    member = staff.add(name="窓口 太郎", roles=["clerk"], auth_serial="ab12")
    acting = Acting(staff.session(staff.issue_token(member.id).token), "clerk", "records.read")
    for person in ("p1", "p2", "p3"):
        staff.log(acting, action="read", purpose="窓口", person=person, detail={"why": "test"})

    count, head = staff.verify_log()
    assert count == 3 and len(head) == 64
    assert [e["person"] for e in staff.log_entries(person="p2")] == ["p2"]

    with staff.engine.begin() as conn:
        conn.execute(
            update(store.access_log).where(store.access_log.c.seq == 2).values(person="p9")
        )
    with pytest.raises(BrokenLog) as changed:
        staff.verify_log()
    assert changed.value.seq == 2

    with staff.engine.begin() as conn:
        conn.execute(
            update(store.access_log).where(store.access_log.c.seq == 2).values(person="p2")
        )
        conn.execute(store.access_log.delete().where(store.access_log.c.seq == 3))
    with pytest.raises(BrokenLog) as dropped:
        staff.verify_log()
    assert dropped.value.seq == 3
