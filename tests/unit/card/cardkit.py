"""Test helpers: demo keys, a tiny two-CA chain, and a J-LIS-like personalisation.

Shared by tests/unit/card, tests/unit/reader and tests/interop (each conftest loads this
file by path). The CA chain here is a stand-in until the JPKI profiles in ``mynumber.pki``
are ready; everything in it is demo data.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from mynumber.card import Chip, ChipTransport, derive_issuer_key
from mynumber.card.freearea import FreeApp, derive_free_area_key
from mynumber.card.image import ImageStore
from mynumber.reader import (
    CardFace,
    IssuerSession,
    KeyKind,
    PinRef,
    TextAttributes,
    placeholder_png,
)
from mynumber.reader.freearea import (
    FreeAreaSession,
    Licence,
    make_licence_number,
    sign_licence,
)

DEMO_KEYS_DIR = Path(__file__).resolve().parents[2] / "assets" / "demo-keys"
SEAL_KEY = bytes(range(32))  # demo value
MASTER_KEY = b"demo issuer master key (J-LIS)!!"  # demo value
MY_NUMBER = "123456789018"  # a valid demo number (stdnum doctest)
AUTH_PIN = "1234"
SIGN_PASSWORD = "ABC123"
TEXT_PIN = "2345"
JUKI_PIN = "3456"
BIRTH = "19900102"
EXPIRY = "20350102"
VISUAL_PIN_B = "900102" + "2035" + "5678"
ATTRIBUTES = TextAttributes(
    name="デモ 太郎", address="東京都千代田区霞が関2-1-2", birth_date=BIRTH, sex="1"
)


@cache
def demo_keys() -> tuple[rsa.RSAPrivateKey, ...]:
    keys = []
    for path in sorted(DEMO_KEYS_DIR.glob("demo-rsa2048-*.pem")):
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        keys.append(key)
    assert len(keys) >= 8
    return tuple(keys)


class DemoKeySource:
    """Hands out the pre-generated card keys (demo keys 3..7) in turn."""

    def __init__(self) -> None:
        self._keys = itertools.cycle(demo_keys()[3:])
        self.handed_out: list[rsa.RSAPrivateKey] = []

    def new_rsa_key(self) -> rsa.RSAPrivateKey:
        key = next(self._keys)
        self.handed_out.append(key)
        return key


def auth_ca_key() -> rsa.RSAPrivateKey:
    return demo_keys()[0]


def sign_ca_key() -> rsa.RSAPrivateKey:
    return demo_keys()[1]


def jlis_text_key() -> rsa.RSAPrivateKey:
    return demo_keys()[2]


_NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _name(*ous: str, cn: str | None = None) -> x509.Name:
    attrs = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "JPKI"),
    ]
    attrs += [x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou) for ou in ous]
    if cn:
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


_OU_JLIS = "Japan Agency for Local Authority Information Systems"


@cache
def ca_certificate(kind: KeyKind) -> x509.Certificate:
    key = auth_ca_key() if kind is KeyKind.AUTH else sign_ca_key()
    ou = "JPKI for user authentication" if kind is KeyKind.AUTH else "JPKI for digital signature"
    name = _name(ou, _OU_JLIS)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1 if kind is KeyKind.AUTH else 2)
        .not_valid_before(_NOW - dt.timedelta(days=1))
        .not_valid_after(_NOW + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )


def issue_certificate(kind: KeyKind, public_key: rsa.RSAPublicKey, serial: int) -> x509.Certificate:
    ca = ca_certificate(kind)
    ca_key = auth_ca_key() if kind is KeyKind.AUTH else sign_ca_key()
    return (
        x509.CertificateBuilder()
        .subject_name(_name(cn=f"DEMO {kind.value.upper()} {serial:08d}"))
        .issuer_name(ca.subject)
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(_NOW - dt.timedelta(days=1))
        .not_valid_after(_NOW + dt.timedelta(days=5 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                True, kind is KeyKind.SIGN, False, False, False, False, False, False, False
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )


def jlis_sign(data: bytes) -> bytes:
    return jlis_text_key().sign(data, padding.PKCS1v15(), hashes.SHA256())


def card_face() -> CardFace:
    return CardFace(
        birth_date=BIRTH,
        sex="1",
        name_image=placeholder_png(64, 16),
        address_image=placeholder_png(96, 16),
        photo=placeholder_png(24, 32, shade=0x80),
        expiry=EXPIRY,
    )


@dataclass
class DemoCard:
    chip: Chip
    transport: ChipTransport
    issuer_key: bytes
    store: ImageStore | None
    certificates: dict[KeyKind, x509.Certificate] = field(default_factory=dict)

    manufacture_number: str = ""


_serials = itertools.count(1000)


def manufacture(
    manufacture_number: str = "AB12345678901",
    *,
    store: ImageStore | None = None,
    key_source: DemoKeySource | None = None,
) -> tuple[Chip, bytes]:
    issuer_key = derive_issuer_key(MASTER_KEY, manufacture_number)
    chip = Chip.manufacture(
        manufacture_number=manufacture_number,
        issuer_key=issuer_key,
        seal_key=SEAL_KEY,
        key_source=key_source or DemoKeySource(),
        store=store,
    )
    return chip, issuer_key


def personalise(
    chip: Chip, issuer_key: bytes, *, finish: bool = True
) -> dict[KeyKind, x509.Certificate]:
    """What J-LIS issuance does, through the public issuer API only."""
    session = IssuerSession.open(ChipTransport(chip), issuer_key=issuer_key)
    certs = {}
    for kind in (KeyKind.AUTH, KeyKind.SIGN):
        public_key = session.generate_key_pair(kind)
        cert = issue_certificate(kind, public_key, next(_serials))
        session.write_certificate(kind, cert.public_bytes(serialization.Encoding.DER))
        session.write_ca_certificate(
            kind, ca_certificate(kind).public_bytes(serialization.Encoding.DER)
        )
        certs[kind] = cert
    session.write_text_ap(my_number=MY_NUMBER, attributes=ATTRIBUTES, sign=jlis_sign)
    session.write_card_face(card_face())
    session.set_pin(PinRef.JPKI_AUTH, AUTH_PIN)
    session.set_pin(PinRef.JPKI_SIGN, SIGN_PASSWORD)
    session.set_pin(PinRef.TEXT, TEXT_PIN)
    session.set_pin(PinRef.JUKI, JUKI_PIN)
    session.set_pin(PinRef.VISUAL_A, MY_NUMBER)
    session.set_pin(PinRef.VISUAL_B, VISUAL_PIN_B)
    if finish:
        session.finish()
    chip.reset()
    return certs


def make_card(
    manufacture_number: str = "AB12345678901", *, store: ImageStore | None = None
) -> DemoCard:
    chip, issuer_key = manufacture(manufacture_number, store=store)
    certs = personalise(chip, issuer_key)
    return DemoCard(chip, ChipTransport(chip), issuer_key, store, certs, manufacture_number)


# --- raw APDU helpers -------------------------------------------------------------------


def tx(chip: Chip, apdu: bytes | str) -> tuple[bytes, int]:
    """Send one APDU (bytes or hex with spaces) and split the answer into (data, SW)."""
    raw = bytes.fromhex(apdu.replace(" ", "")) if isinstance(apdu, str) else apdu
    out = chip.transmit(raw)
    assert len(out) >= 2
    return out[:-2], int.from_bytes(out[-2:], "big")


def select_ap(aid: bytes) -> bytes:
    return bytes((0x00, 0xA4, 0x04, 0x0C, len(aid))) + aid


def select_ef(fid: int) -> bytes:
    return bytes((0x00, 0xA4, 0x02, 0x0C, 0x02)) + fid.to_bytes(2, "big")


def verify(pin: str | bytes) -> bytes:
    value = pin.encode("ascii") if isinstance(pin, str) else pin
    return bytes((0x00, 0x20, 0x00, 0x80, len(value))) + value


PIN_STATUS = bytes.fromhex("00200080")


def sign_apdu(data: bytes, le: int | None = 0) -> bytes:
    out = bytes((0x80, 0x2A, 0x00, 0x80, len(data))) + data
    return out + (bytes((le,)) if le is not None else b"")


def read_binary(offset: int, le: int) -> bytes:
    return bytes((0x00, 0xB0, offset >> 8, offset & 0xFF, le & 0xFF))


def run(chip: Chip, *apdus: bytes | str) -> tuple[bytes, int]:
    """Send several APDUs, asserting 90 00 for all but the last; return the last answer."""
    for apdu in apdus[:-1]:
        _data, sw = tx(chip, apdu)
        assert sw == 0x9000, f"{apdu!r} -> {sw:04X}"
    return tx(chip, apdus[-1])


# --- free area: the police (DEMO keys made per run) ----------------------------------

LICENCE_PIN = "4321"  # demo value


def ec_cert(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[str, ec.EllipticCurvePrivateKey]
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    issuer_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer[0])])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_NOW - dt.timedelta(days=1))
        .not_valid_after(_NOW + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=subject == issuer[0], path_length=None), True)
        .sign(issuer[1], hashes.SHA256())
    )


@cache
def police() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey, x509.Certificate]:
    """DEMO: a police root, and the licence-signing key and certificate it issued."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = ec_cert("DEMO 警察庁 licence root", root_key, ("DEMO 警察庁 licence root", root_key))
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer = ec_cert("DEMO 東京都公安委員会", signer_key, ("DEMO 警察庁 licence root", root_key))
    return root, signer_key, signer


def demo_licence() -> Licence:
    return Licence(
        number=make_licence_number(30, 2010, 123456, reissues=1),
        name="デモ 太郎",
        birth_date=dt.date(1990, 1, 2),
        address="東京都千代田区霞が関2-1-2",
        issued_on=dt.date(2025, 3, 24),
        valid_until=dt.date(2030, 2, 2),
        types=("普通", "普自二"),
        conditions=("眼鏡等",),
        commission="東京都公安委員会",
        photo=b"\x89PNG demo photo",
    )


def police_write(
    card: DemoCard, lic: Licence, *, pin: str = LICENCE_PIN, transport: object = None
) -> None:
    """The police write ``lic`` into the card's licence application (a granted session)."""
    _, key, cert = police()
    data = lic.to_bytes()
    session_key = derive_free_area_key(card.issuer_key, FreeApp.LICENCE)
    session = FreeAreaSession.open(
        transport or card.transport,  # type: ignore[arg-type]
        FreeApp.LICENCE,
        session_key,
    )
    session.write_licence(data, sign_licence(data, key, cert), pin)
