"""The rules of コンビニ交付 at a municipality, in plain Python: which certificates each
municipality offers at kiosks and for how much, the mayor who signs them, and the
verification code printed on each (domain-reference §8).

Fees and offers: municipalities set their own (often ¥100 below the counter's, §8). The
figures and the mayors' names here are this project's synthetic demo values.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from mynumber.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class CertificateKind:
    key: str
    title: str  # as printed
    name_en: str
    at_honseki: bool  # issued by the 本籍地 (family register), not the residence


KINDS = {
    k.key: k
    for k in (
        CertificateKind("juminhyo", "住民票の写し", "certificate of residence", False),
        CertificateKind("juminhyo-kisai", "住民票記載事項証明書", "residence items", False),
        CertificateKind("inkan", "印鑑登録証明書", "seal registration certificate", False),
        CertificateKind("shotoku", "所得・課税証明書", "income and resident tax", False),
        CertificateKind("koseki", "戸籍全部事項証明書", "family register (full)", True),
        CertificateKind("koseki-fuhyo", "戸籍の附票の写し", "family register annex", True),
    )
}

#: fee in yen of each certificate each municipality offers at kiosks (demo values; a
#: certificate missing from a municipality's list is not offered there)
FEES: dict[str, dict[str, int]] = {
    "131016": {  # 千代田区
        "juminhyo": 200,
        "juminhyo-kisai": 200,
        "inkan": 200,
        "shotoku": 200,
        "koseki": 350,
        "koseki-fuhyo": 200,
    },
    "131041": {  # 新宿区: no 戸籍の附票 at kiosks
        "juminhyo": 200,
        "juminhyo-kisai": 200,
        "inkan": 200,
        "shotoku": 200,
        "koseki": 350,
    },
    "131024": {"juminhyo": 250, "inkan": 250, "shotoku": 250},  # 中央区
    "271004": {"juminhyo": 200, "inkan": 200, "koseki": 350},  # 大阪市
    "011002": {"juminhyo": 200, "juminhyo-kisai": 200, "inkan": 200},  # 札幌市
}

#: the mayor of each demo municipality (synthetic names)
MAYORS = {
    "131016": "千代 一郎",
    "131041": "新井 宿子",
    "131024": "中野 央",
    "271004": "大坂 太郎",
    "011002": "札野 幌子",
}


def kind(key: str) -> CertificateKind:
    try:
        return KINDS[key]
    except KeyError as exc:
        raise InvalidInput("unknown certificate", field="certificate") from exc


def fee(municipality: str, key: str) -> int | None:
    """The fee, or None when the municipality does not offer ``key`` at kiosks."""
    return FEES.get(municipality, {}).get(key)


def mayor_title(municipality_name: str) -> str:
    return f"{municipality_name}長"


#: verification code: 16 characters of Crockford's base32 in four groups (this project's
#: format), so a code read off paper is typed without 0/O or 1/I confusion
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_verification_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def normalise_code(text: str) -> str:
    """A typed code in its printed form (case, spaces and dashes forgiven)."""
    raw = "".join(c for c in text.upper() if c not in " -")
    raw = raw.replace("O", "0").replace("I", "1").replace("L", "1")
    if len(raw) != 16 or any(c not in _ALPHABET for c in raw):
        raise InvalidInput("a verification code is 16 letters and digits", field="code")
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def seal_card_number(municipality: str, sequence: int) -> str:
    """印鑑登録証 number: the municipality code and a sequence (this project's format)."""
    return f"{municipality}-{sequence:07d}"
