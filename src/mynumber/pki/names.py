"""Distinguished names of the two JPKI hierarchies and of their end entities.

CA names as in the J-LIS CA certificates parsed from libmyna ``src/ta/*.pem``
(domain-reference §3.2): ``C=JP, O=JPKI, OU=JPKI for digital signature|user authentication,
OU=Japan Agency for Local Authority Information Systems``; their SAN DirName in Japanese.
End-entity subjects hold an opaque CN and nothing about the person (§3.1).

Generation 2 (this project's model of the next card's hierarchy, ECDSA P-384; its real
names are not public): the same DNs with `` (generation 2)`` appended to the hierarchy's
OU, and ``（次期）`` to the Japanese one, so both hierarchies run side by side.
"""

from __future__ import annotations

import enum
import re
import secrets

from cryptography import x509
from cryptography.x509.oid import NameOID

from mynumber.errors import InvalidInput

AGENCY = "Japan Agency for Local Authority Information Systems"
AGENCY_JA = "地方公共団体情報システム機構"
SERVICE_JA = "公的個人認証サービス"


class Purpose(enum.Enum):
    """The two JPKI hierarchies (§3.1); each has its own CA, key usage and policy."""

    SIGN = "sign"
    """署名用電子証明書: digital signature, carries the four basic items."""
    AUTH = "auth"
    """利用者証明用電子証明書: user authentication, carries no personal data."""

    @property
    def unit(self) -> str:
        """The OU that names the hierarchy in the CA DN."""
        return (
            "JPKI for digital signature" if self is Purpose.SIGN else "JPKI for user authentication"
        )

    @property
    def unit_ja(self) -> str:
        # 署名用 is in the 2023 signing CA's SAN; 利用者証明用 is inferred by analogy (UNSOURCED).
        return SERVICE_JA + ("署名用" if self is Purpose.SIGN else "利用者証明用")


GENERATIONS = (1, 2)


def _check_generation(generation: int) -> None:
    if generation not in GENERATIONS:
        raise InvalidInput("a JPKI hierarchy generation is 1 or 2", field="generation")


def ca_name(purpose: Purpose, generation: int = 1) -> x509.Name:
    """Subject (= issuer) DN of the JPKI CA for ``purpose`` in hierarchy ``generation``."""
    _check_generation(generation)
    unit = purpose.unit if generation == 1 else f"{purpose.unit} (generation 2)"
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "JPKI"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, AGENCY),
        ]
    )


def ca_alt_name(purpose: Purpose, generation: int = 1) -> x509.Name:
    """The CA's SAN DirName, in Japanese.

    ``C=JP, O=公的個人認証サービス, OU=公的個人認証サービス署名用, OU=地方公共団体情報システム機構``
    """
    _check_generation(generation)
    unit = purpose.unit_ja if generation == 1 else purpose.unit_ja + "（次期）"
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, SERVICE_JA),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, AGENCY_JA),
        ]
    )


def ca_of(name: x509.Name) -> tuple[Purpose, int]:
    """(purpose, generation) of a JPKI CA DN; ``InvalidInput`` for any other DN."""
    for generation in GENERATIONS:
        for purpose in Purpose:
            if name == ca_name(purpose, generation):
                return purpose, generation
    raise InvalidInput("not a JPKI CA name", field="subject", code="not_jpki_ca")


def purpose_of_ca(name: x509.Name) -> Purpose:
    """Which purpose a JPKI CA DN (either generation) names; ``InvalidInput`` otherwise."""
    return ca_of(name)[0]


def ocsp_responder_name(purpose: Purpose, generation: int = 1) -> x509.Name:
    """DN of the delegated OCSP responder of a hierarchy: the CA DN plus ``CN=OCSP Responder``."""
    return x509.Name(
        [
            *ca_name(purpose, generation),
            x509.NameAttribute(NameOID.COMMON_NAME, "OCSP Responder"),
        ]
    )


# The real CN format is not public (§3.1 says only "opaque"): 25 characters drawn at random
# from digits and capitals, so the CN reveals nothing and cannot be derived from the person.
SUBJECT_ID_LENGTH = 25
_SUBJECT_ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SUBJECT_ID = re.compile(rf"[0-9A-Z]{{{SUBJECT_ID_LENGTH}}}")


def new_subject_id() -> str:
    """A fresh opaque CN for an end-entity certificate."""
    return "".join(secrets.choice(_SUBJECT_ID_ALPHABET) for _ in range(SUBJECT_ID_LENGTH))


def end_entity_name(subject_id: str) -> x509.Name:
    """Subject DN of a user certificate: ``C=JP, CN=<opaque id>``."""
    if not _SUBJECT_ID.fullmatch(subject_id):
        raise InvalidInput(
            f"subject_id must be {SUBJECT_ID_LENGTH} characters of 0-9 and A-Z",
            field="subject_id",
        )
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.COMMON_NAME, subject_id),
        ]
    )
