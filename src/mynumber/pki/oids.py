"""JPKI object identifiers, each with its source.

Source for all values: domain-reference §3.2 ("JPKI OIDs"), taken from a public jsrsasign OID
add-on and confirmed by other public code; J-LIS's profile document is
j-lis.go.jp/file/13_profile_genkou.pdf. The arc is 1.2.392.200149.8.5 (J-LIS, JPKI).
"""

from __future__ import annotations

from cryptography.x509 import ObjectIdentifier

JPKI = ObjectIdentifier("1.2.392.200149.8.5")

# Personal-data arc 1.2.392.200149.8.5.5: SAN otherName type-ids of the signing certificate.
NAME = ObjectIdentifier("1.2.392.200149.8.5.5.1")
"""氏名: the name as on the resident record (UTF8String)."""
NAME_SUBSTITUTE = ObjectIdentifier("1.2.392.200149.8.5.5.2")
"""氏名代替文字の使用位置: substitute characters of the name."""
GENDER = ObjectIdentifier("1.2.392.200149.8.5.5.3")
"""性別: ISO/IEC 5218 digit."""
DATE_OF_BIRTH = ObjectIdentifier("1.2.392.200149.8.5.5.4")
"""生年月日: ``EYYYYMMDD`` (era digit + Gregorian date), e.g. ``419900102``."""
ADDRESS = ObjectIdentifier("1.2.392.200149.8.5.5.5")
"""住所: the address as on the resident record (UTF8String)."""
ADDRESS_SUBSTITUTE = ObjectIdentifier("1.2.392.200149.8.5.5.6")
"""住所代替文字の使用位置: substitute characters of the address."""

# Certificate policies, arc 1.2.392.200149.8.5.1.
POLICY_SIGN = ObjectIdentifier("1.2.392.200149.8.5.1.1")
"""署名用電子証明書 (digital signature) policy."""
POLICY_SIGN_CLASS_20 = ObjectIdentifier("1.2.392.200149.8.5.1.1.20")
"""Digital signature, class 20 sub-arc."""
POLICY_AUTH = ObjectIdentifier("1.2.392.200149.8.5.1.3")
"""利用者証明用電子証明書 (user authentication) policy."""
POLICY_AUTH_CLASS_30 = ObjectIdentifier("1.2.392.200149.8.5.1.3.30")
"""User authentication, class 30 sub-arc."""

# Smartphone certificates (移動端末設備用電子証明書, services-reference §3). Their profile is
# not public: these two policies are THIS PROJECT'S CHOICE, sub-arcs of the card's policies
# so that every verifier that accepts a card's certificate accepts the phone's too.
POLICY_SIGN_MOBILE = ObjectIdentifier("1.2.392.200149.8.5.1.1.90")
"""移動端末設備用署名用電子証明書: this project's sub-arc of :data:`POLICY_SIGN`."""
POLICY_AUTH_MOBILE = ObjectIdentifier("1.2.392.200149.8.5.1.3.90")
"""移動端末設備用利用者証明用電子証明書: this project's sub-arc of :data:`POLICY_AUTH`."""
