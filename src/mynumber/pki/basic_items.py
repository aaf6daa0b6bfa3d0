"""The four basic items (基本4情報) and their encoding as SAN otherNames of the signing certificate.

Type-ids from :mod:`mynumber.pki.oids` (domain-reference §3.2). Values are the DER of a
UTF8String (name, address, substitute characters) or a PrintableString (gender, birth date).
"""

from __future__ import annotations

import datetime as dt
import enum
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography import x509

from mynumber.errors import InvalidInput
from mynumber.pki import oids
from mynumber.pki._der import PRINTABLE_STRING, UTF8_STRING, decode_string, encode_string
from mynumber.pki.errors import MalformedCertificate


class Gender(enum.IntEnum):
    """ISO/IEC 5218 codes for the representation of human sexes (§3.2; §12: the Go code)."""

    NOT_KNOWN = 0
    MALE = 1
    FEMALE = 2
    NOT_APPLICABLE = 9


class Era(enum.IntEnum):
    """Era code digits of ``EYYYYMMDD``.

    The digits follow the resident-registry convention 1 明治, 2 大正, 3 昭和, 4 平成, 5 令和,
    which agrees with the §3.2 example ``419900102`` (1990-01-02, 平成2年: era 4). Only that
    example is sourced; the other digits are the convention extended (UNSOURCED).
    """

    MEIJI = 1
    TAISHO = 2
    SHOWA = 3
    HEISEI = 4
    REIWA = 5

    @property
    def first_day(self) -> dt.date:
        """First Gregorian day of the era (明治: 明治元年1月1日 = 1868-01-25, by convention)."""
        return _ERA_STARTS[self]


_ERA_STARTS = {
    Era.MEIJI: dt.date(1868, 1, 25),
    Era.TAISHO: dt.date(1912, 7, 30),
    Era.SHOWA: dt.date(1926, 12, 25),
    Era.HEISEI: dt.date(1989, 1, 8),
    Era.REIWA: dt.date(2019, 5, 1),
}
EARLIEST_BIRTH_DATE = _ERA_STARTS[Era.MEIJI]


def era_of(day: dt.date) -> Era:
    """The Japanese era ``day`` falls in; ``InvalidInput`` before 明治."""
    if day < EARLIEST_BIRTH_DATE:
        raise InvalidInput("date is before the Meiji era", field="birth_date")
    return max(era for era in Era if era.first_day <= day)


def encode_birth_date(day: dt.date) -> str:
    """``EYYYYMMDD``: era digit then the Gregorian date, e.g. 1990-01-02 → ``419900102``."""
    return f"{era_of(day)}{day:%Y%m%d}"


def decode_birth_date(text: str) -> dt.date:
    """Inverse of :func:`encode_birth_date`; the era digit must match the date."""
    if len(text) != 9 or not text.isascii() or not text.isdigit():
        raise InvalidInput("birth date must be 9 digits EYYYYMMDD", field="birth_date")
    try:
        day = dt.date(int(text[1:5]), int(text[5:7]), int(text[7:9]))
    except ValueError as exc:
        raise InvalidInput("birth date is not a calendar date", field="birth_date") from exc
    if str(era_of(day).value) != text[0]:
        raise InvalidInput("birth date era digit does not match the date", field="birth_date")
    return day


MAX_NAME_LENGTH = 100  # UNSOURCED: a sanity bound, not J-LIS's limit
MAX_ADDRESS_LENGTH = 200  # UNSOURCED: a sanity bound, not J-LIS's limit


def _check_text(value: object, *, field: str, limit: int) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field} must be non-empty text", field=field)
    if len(value) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters", field=field)
    if any(unicodedata.category(ch) in {"Cc", "Cs"} for ch in value):
        raise InvalidInput(f"{field} contains control characters", field=field)


@dataclass(frozen=True, slots=True, repr=False)
class BasicItems:
    """Name, gender, birth date and address, as the resident record holds them.

    ``name_substitute`` and ``address_substitute`` (OIDs .2 and .6) are carried opaquely when
    given. ``repr`` shows no value: these are personal data.
    """

    name: str
    gender: Gender
    birth_date: dt.date
    address: str
    name_substitute: str | None = None
    address_substitute: str | None = None

    def __post_init__(self) -> None:
        _check_text(self.name, field="name", limit=MAX_NAME_LENGTH)
        _check_text(self.address, field="address", limit=MAX_ADDRESS_LENGTH)
        if not isinstance(self.gender, Gender):
            try:
                object.__setattr__(self, "gender", Gender(self.gender))
            except ValueError as exc:
                raise InvalidInput("gender must be an ISO 5218 code", field="gender") from exc
        if not isinstance(self.birth_date, dt.date) or isinstance(self.birth_date, dt.datetime):
            raise InvalidInput("birth_date must be a date", field="birth_date")
        era_of(self.birth_date)
        for field, value, limit in (
            ("name_substitute", self.name_substitute, MAX_NAME_LENGTH),
            ("address_substitute", self.address_substitute, MAX_ADDRESS_LENGTH),
        ):
            if value is not None:
                _check_text(value, field=field, limit=limit)

    def __repr__(self) -> str:
        return "BasicItems(name=***, gender=***, birth_date=***, address=***)"

    def to_other_names(self) -> list[x509.OtherName]:
        """SAN otherNames in OID order (.1 to .6), absent substitutes left out."""
        values: list[tuple[x509.ObjectIdentifier, int, str | None]] = [
            (oids.NAME, UTF8_STRING, self.name),
            (oids.NAME_SUBSTITUTE, UTF8_STRING, self.name_substitute),
            (oids.GENDER, PRINTABLE_STRING, str(self.gender.value)),
            (oids.DATE_OF_BIRTH, PRINTABLE_STRING, encode_birth_date(self.birth_date)),
            (oids.ADDRESS, UTF8_STRING, self.address),
            (oids.ADDRESS_SUBSTITUTE, UTF8_STRING, self.address_substitute),
        ]
        return [
            x509.OtherName(oid, encode_string(tag, text))
            for oid, tag, text in values
            if text is not None
        ]

    @classmethod
    def from_other_names(cls, names: Iterable[x509.GeneralName]) -> BasicItems:
        """Inverse of :meth:`to_other_names`; other general names are ignored."""
        found: dict[x509.ObjectIdentifier, str] = {}
        for general in names:
            if not isinstance(general, x509.OtherName) or general.type_id not in _TAGS:
                continue
            if general.type_id in found:
                raise MalformedCertificate(
                    f"basic item {general.type_id.dotted_string} appears twice"
                )
            try:
                _, text = decode_string(general.value, tags=_TAGS[general.type_id])
            except InvalidInput as exc:
                raise MalformedCertificate(
                    f"basic item {general.type_id.dotted_string} is not a valid string"
                ) from exc
            found[general.type_id] = text
        missing = [oid.dotted_string for oid in _REQUIRED if oid not in found]
        if missing:
            raise MalformedCertificate(f"basic items missing: {', '.join(missing)}")
        try:
            return cls(
                name=found[oids.NAME],
                gender=Gender(int(found[oids.GENDER])),
                birth_date=decode_birth_date(found[oids.DATE_OF_BIRTH]),
                address=found[oids.ADDRESS],
                name_substitute=found.get(oids.NAME_SUBSTITUTE),
                address_substitute=found.get(oids.ADDRESS_SUBSTITUTE),
            )
        except (InvalidInput, ValueError) as exc:
            raise MalformedCertificate("basic items have invalid values") from exc


_TAGS: dict[x509.ObjectIdentifier, frozenset[int]] = {
    oids.NAME: frozenset({UTF8_STRING}),
    oids.NAME_SUBSTITUTE: frozenset({UTF8_STRING}),
    oids.GENDER: frozenset({PRINTABLE_STRING}),
    oids.DATE_OF_BIRTH: frozenset({PRINTABLE_STRING}),
    oids.ADDRESS: frozenset({UTF8_STRING}),
    oids.ADDRESS_SUBSTITUTE: frozenset({UTF8_STRING}),
}
_REQUIRED = (oids.NAME, oids.GENDER, oids.DATE_OF_BIRTH, oids.ADDRESS)


def read_basic_items(certificate: x509.Certificate) -> BasicItems:
    """The four basic items of a signing certificate; ``MalformedCertificate`` if absent."""
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound as exc:
        raise MalformedCertificate("certificate has no subjectAltName") from exc
    return BasicItems.from_other_names(san.value)
