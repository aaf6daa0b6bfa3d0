"""JPKI certificate profiles: validated inputs and the unsigned builders for each certificate.

Generation 2 (this project's model of the next card, services-reference §6: ECDSA P-384 /
SHA-384, certificates for 10 years, expiry on the birthday plus one month) is chosen by
the key: a P-384 key gets the generation-2 CA name and validity (:func:`key_generation`).

Profiles follow domain-reference §3: RSA-2048 and SHA-256; self-signed CAs with keyUsage
(critical), basicConstraints CA (critical), SKI, SAN DirName and CRL DP; user certificates
valid until the 5th birthday after issue, or the card's expiry if that comes first
(:func:`last_day`); the signing certificate carries the four basic items, the
user-authentication certificate none. Signing happens in :mod:`mynumber.pki.ca`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

from mynumber.errors import InvalidInput
from mynumber.pki import oids
from mynumber.pki._time import as_utc, end_of_jst_day, jst_date
from mynumber.pki.basic_items import BasicItems, era_of
from mynumber.pki.names import (
    Purpose,
    ca_alt_name,
    ca_name,
    ca_of,
    end_entity_name,
    new_subject_id,
    ocsp_responder_name,
)

KEY_SIZE = 2048
"""RSA modulus size of every JPKI key (§3.2; OpenSC ``card-jpki.c``)."""
SIGNING_MINIMUM_AGE = 15
"""No signing certificate below this age (§3.1, "Issued to <15 y.o.: No")."""
CA_YEARS = 10
"""The 2015 and 2023 J-LIS CAs are valid for ten years (§3.2)."""
VALIDITY_BIRTHDAYS = 5
"""User certificates run to the 5th birthday after issue (§3.2)."""
GEN2_VALIDITY_BIRTHDAYS = 10
"""Generation 2: certificates for 10 years (TF final draft 2024-03-18), to the 10th birthday
after issue plus one month (this project's reading of "birthday + 1 month")."""
GEN2_CA_YEARS = 20
"""Generation-2 CA validity: this project's choice, long enough to cover 10-year certificates."""
GEN2_CURVE = ec.SECP384R1.name

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


# ---------------------------------------------------------------------------------------------
# Calendar rules


def _birthday_in(year: int, birth_date: dt.date) -> dt.date:
    """The birthday in ``year``; a 29 February birthday falls on 28 February in common years.

    Assumption (UNSOURCED for JPKI): expiry on the last day of February, as Civil Code
    Art. 143(2) ends a period whose corresponding day is missing on the month's last day.
    """
    try:
        return birth_date.replace(year=year)
    except ValueError:
        return dt.date(year, 2, 28)


def validity_end(birth_date: dt.date, issued_on: dt.date, generation: int = 1) -> dt.date:
    """The last day of a user certificate: the 5th birthday strictly after ``issued_on``.

    A birthday on the issue day itself does not count (発行日後 = after the issue day).
    Generation 2: the 10th such birthday plus one month (the same day of the next month,
    or that month's last day).
    """
    if birth_date > issued_on:
        raise InvalidInput("birth date is after the issue date", field="birth_date")
    year = issued_on.year
    if _birthday_in(year, birth_date) <= issued_on:
        year += 1  # this year's birthday is today or past: the first one comes next year
    if generation == 2:
        return _plus_one_month(_birthday_in(year + GEN2_VALIDITY_BIRTHDAYS - 1, birth_date))
    return _birthday_in(year + VALIDITY_BIRTHDAYS - 1, birth_date)


def _plus_one_month(day: dt.date) -> dt.date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def key_generation(key: object) -> int:
    """1 for an RSA-2048 key, 2 for a P-384 key; ``InvalidInput`` for anything else."""
    if isinstance(key, rsa.RSAPublicKey) and key.key_size == KEY_SIZE:
        return 1
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == GEN2_CURVE:
        return 2
    raise InvalidInput(
        "public key must be RSA-2048 or ECDSA P-384", field="public_key", code="bad_key"
    )


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Age in completed years on ``day``.

    Japanese law (年齢計算ニ関スル法律, Civil Code Art. 143) completes a year at the end of the
    day before the anniversary, so a person is N on their birthday; someone born on
    29 February reaches a new age on 1 March in common years.
    """
    years = day.year - birth_date.year
    try:
        anniversary = birth_date.replace(year=day.year)
    except ValueError:
        anniversary = dt.date(day.year, 3, 1)
    return years - (1 if day < anniversary else 0)


def require_signing_age(birth_date: dt.date, issued_on: dt.date) -> None:
    """Refuse a signing certificate for someone under 15 on the issue day (§3.1)."""
    if age_on(birth_date, issued_on) < SIGNING_MINIMUM_AGE:
        raise InvalidInput(
            "a signing certificate (署名用電子証明書) cannot be issued to a person under 15; "
            "issue the user-authentication certificate only",
            field="birth_date",
            code="under_signing_age",
        )


# ---------------------------------------------------------------------------------------------
# Inputs


def _check_public_key(key: object) -> None:
    key_generation(key)


def _check_url(url: object, field_name: str) -> None:
    message = f"{field_name} must be an absolute http(s) URL"
    if not isinstance(url, str) or not url.isascii() or any(ch.isspace() for ch in url):
        raise InvalidInput(message, field=field_name)
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise InvalidInput(message, field=field_name)


@dataclass(frozen=True, slots=True, repr=False)
class AuthCertificateRequest:
    """What J-LIS needs for a user-authentication certificate.

    ``birth_date`` only sets the expiry (the 5th birthday); it is not written anywhere else.
    ``ocsp_url`` and ``crl_url`` are J-LIS's own endpoints for this hierarchy.
    """

    public_key: PublicKey
    birth_date: dt.date
    ocsp_url: str
    crl_url: str
    subject_id: str = field(default_factory=new_subject_id)

    def __post_init__(self) -> None:
        _check_public_key(self.public_key)
        if not isinstance(self.birth_date, dt.date) or isinstance(self.birth_date, dt.datetime):
            raise InvalidInput("birth_date must be a date", field="birth_date")
        era_of(self.birth_date)
        _check_url(self.ocsp_url, "ocsp_url")
        _check_url(self.crl_url, "crl_url")
        end_entity_name(self.subject_id)

    def __repr__(self) -> str:
        return f"AuthCertificateRequest(subject_id={self.subject_id!r}, birth_date=***)"


@dataclass(frozen=True, slots=True, repr=False)
class SignCertificateRequest:
    """What J-LIS needs for a signing certificate: the key, the four basic items, endpoints."""

    public_key: PublicKey
    items: BasicItems
    ocsp_url: str
    crl_url: str
    subject_id: str = field(default_factory=new_subject_id)

    def __post_init__(self) -> None:
        _check_public_key(self.public_key)
        if not isinstance(self.items, BasicItems):
            raise InvalidInput("items must be BasicItems", field="items")
        _check_url(self.ocsp_url, "ocsp_url")
        _check_url(self.crl_url, "crl_url")
        end_entity_name(self.subject_id)

    def __repr__(self) -> str:
        return f"SignCertificateRequest(subject_id={self.subject_id!r}, items=***)"


# ---------------------------------------------------------------------------------------------
# Builders (unsigned)


def _issuer_key_id(issuer: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    try:
        ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer.public_key()  # type: ignore[arg-type]
        )
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def _not_after(wanted: dt.datetime, issuer: x509.Certificate) -> dt.datetime:
    # A certificate never outlives its CA: path validation would refuse it after that anyway.
    return min(wanted, issuer.not_valid_after_utc)


def ca_builder(
    purpose: Purpose,
    public_key: PublicKey,
    *,
    now: dt.datetime,
    serial_number: int,
    years: int = CA_YEARS,
    crl_url: str | None = None,
) -> x509.CertificateBuilder:
    """A self-signed JPKI CA certificate, as the 2023 J-LIS CAs (§3.2).

    Validity runs from ``now`` to 23:59:59 JST on the day before the ``years``-th anniversary
    (2023-07-16 → 2033-07-15 14:59:59Z on the real CA). The CRL DP is a DirName pointing back
    to the CA, like the real one (an LDAP-style ARL location), plus ``crl_url`` if given.
    """
    generation = key_generation(public_key)
    start = as_utc(now)
    first = jst_date(start)
    try:
        anniversary = first.replace(year=first.year + years)
    except ValueError:  # 29 February
        anniversary = dt.date(first.year + years, 3, 1)
    name = ca_name(purpose, generation)
    locations: list[x509.GeneralName] = [x509.DirectoryName(name)]
    if crl_url is not None:
        _check_url(crl_url, "crl_url")
        locations.append(x509.UniformResourceIdentifier(crl_url))
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(serial_number)
        .not_valid_before(start)
        .not_valid_after(end_of_jst_day(anniversary - dt.timedelta(days=1)))
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectAlternativeName([x509.DirectoryName(ca_alt_name(purpose, generation))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        locations, relative_name=None, reasons=None, crl_issuer=None
                    )
                ]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _end_entity_builder(
    *,
    subject_id: str,
    public_key: PublicKey,
    issuer: x509.Certificate,
    now: dt.datetime,
    not_after: dt.datetime,
    serial_number: int,
    key_usage: x509.KeyUsage,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(end_entity_name(subject_id))
        .issuer_name(issuer.subject)
        .public_key(public_key)
        .serial_number(serial_number)
        .not_valid_before(as_utc(now))
        .not_valid_after(_not_after(not_after, issuer))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage, critical=True)
        .add_extension(_issuer_key_id(issuer), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _user_extensions(
    builder: x509.CertificateBuilder, *, policy: x509.ObjectIdentifier, ocsp_url: str, crl_url: str
) -> x509.CertificateBuilder:
    return (
        builder.add_extension(
            x509.CertificatePolicies([x509.PolicyInformation(policy, None)]), critical=False
        )
        .add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier(crl_url)],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
                    )
                ]
            ),
            critical=False,
        )
    )


def _key_usage(*, digital_signature: bool, non_repudiation: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=non_repudiation,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def last_day(
    birth_date: dt.date, issued_on: dt.date, generation: int, card_expiry: dt.date | None
) -> dt.date:
    """A user certificate's last day: its own term (:func:`validity_end`) or the card's
    expiry if that comes first — a certificate never outlives the card that holds its key."""
    own = validity_end(birth_date, issued_on, generation)
    return own if card_expiry is None else min(own, card_expiry)


def auth_builder(
    request: AuthCertificateRequest,
    *,
    issuer: x509.Certificate,
    now: dt.datetime,
    serial_number: int,
    card_expiry: dt.date | None = None,
) -> x509.CertificateBuilder:
    """A user-authentication certificate: opaque CN, no personal data, keyUsage digitalSignature.

    ``card_expiry``: the card's last day; the certificate ends then if that comes first."""
    generation = key_generation(request.public_key)
    not_after = end_of_jst_day(last_day(request.birth_date, jst_date(now), generation, card_expiry))
    builder = _end_entity_builder(
        subject_id=request.subject_id,
        public_key=request.public_key,
        issuer=issuer,
        now=now,
        not_after=not_after,
        serial_number=serial_number,
        key_usage=_key_usage(digital_signature=True, non_repudiation=False),
    )
    return _user_extensions(
        builder, policy=oids.POLICY_AUTH, ocsp_url=request.ocsp_url, crl_url=request.crl_url
    )


def sign_builder(
    request: SignCertificateRequest,
    *,
    issuer: x509.Certificate,
    now: dt.datetime,
    serial_number: int,
    card_expiry: dt.date | None = None,
) -> x509.CertificateBuilder:
    """A signing certificate: the four basic items in SAN otherNames, nonRepudiation.

    Refuses (``InvalidInput``, code ``under_signing_age``) a person under 15 on the issue day.
    ``card_expiry``: the card's last day; the certificate ends then if that comes first.
    """
    issued_on = jst_date(now)
    require_signing_age(request.items.birth_date, issued_on)
    generation = key_generation(request.public_key)
    not_after = end_of_jst_day(
        last_day(request.items.birth_date, issued_on, generation, card_expiry)
    )
    builder = _end_entity_builder(
        subject_id=request.subject_id,
        public_key=request.public_key,
        issuer=issuer,
        now=now,
        not_after=not_after,
        serial_number=serial_number,
        key_usage=_key_usage(digital_signature=True, non_repudiation=True),
    ).add_extension(
        x509.SubjectAlternativeName(request.items.to_other_names()),
        critical=False,
    )
    return _user_extensions(
        builder, policy=oids.POLICY_SIGN, ocsp_url=request.ocsp_url, crl_url=request.crl_url
    )


def ocsp_responder_builder(
    public_key: PublicKey,
    *,
    issuer: x509.Certificate,
    purpose: Purpose,
    now: dt.datetime,
    lifetime: dt.timedelta,
    serial_number: int,
) -> x509.CertificateBuilder:
    """A delegated OCSP responder (RFC 6960 §4.2.2.2): EKU OCSPSigning, id-pkix-ocsp-nocheck.

    ``nocheck`` (§4.2.2.2.1) tells clients not to ask about the responder itself, so keep
    ``lifetime`` short and rotate the key rather than revoke it.
    """
    _check_public_key(public_key)
    if lifetime <= dt.timedelta(0):
        raise InvalidInput("lifetime must be positive", field="lifetime")
    start = as_utc(now)
    return (
        x509.CertificateBuilder()
        .subject_name(ocsp_responder_name(purpose, ca_of(issuer.subject)[1]))
        .issuer_name(issuer.subject)
        .public_key(public_key)
        .serial_number(serial_number)
        .not_valid_before(start)
        .not_valid_after(_not_after(start + lifetime, issuer))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, non_repudiation=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
        .add_extension(x509.OCSPNoCheck(), critical=False)
        .add_extension(_issuer_key_id(issuer), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
