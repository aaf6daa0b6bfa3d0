"""J-LIS's tables. It keeps keyed hashes, never a My Number or a resident code in clear.

The numbering tables are each keyed by one hash, so a bulk load maintains two indexes and no
more. The JPKI tables hold cards, certificate serials and verifiers: no personal data.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    func,
    select,
)

from mynumber.platform.db import UtcDateTime

metadata = MetaData()

#: Resident record codes in use nationwide (住基ネット keeps them unique across
#: municipalities), with the generation of the code's current My Number.
resident_codes = Table(
    "resident_codes",
    metadata,
    Column("code_fp", String(32), primary_key=True),
    Column("municipality", String(6), nullable=False),
    Column("reserved_at", UtcDateTime, nullable=False),
    Column("generation", Integer, nullable=False),
)

#: Every My Number ever issued, by keyed hash; a retired one stays, so it is never reissued.
issued_numbers = Table(
    "issued_numbers",
    metadata,
    Column("number_fp", String(32), primary_key=True),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("retired_at", UtcDateTime),
    Column("retire_reason", String(40)),
)

# --- JPKI: cards, certificates, verifiers, CRL numbers (no personal data in any of them) ---

#: Cards J-LIS personalised, by manufacture number (カード製造番号). Nothing about the holder.
cards = Table(
    "cards",
    metadata,
    Column("manufacture_number", String(13), primary_key=True),
    Column("municipality", String(6), nullable=False),  # who handed it over
    Column("status", String(10), nullable=False),  # active | suspended | cancelled
    Column("issued_at", UtcDateTime, nullable=False),
    Column("expires_on", Date, nullable=False),  # card expiry (券面の有効期限)
    Column("suspended_at", UtcDateTime),
    Column("request_key", String(64), unique=True),  # keyed hash of an idempotency key
)

#: Every user certificate issued, by hierarchy and serial (lower-case hex): what OCSP and the
#: CRL answer from. The certificate itself (it carries the four items) is not kept.
certificates = Table(
    "certificates",
    metadata,
    Column("hierarchy", String(8), primary_key=True),  # auth | sign | auth-g2 | sign-g2
    Column("serial", String(40), primary_key=True),
    Column(
        "manufacture_number",
        String(13),
        ForeignKey("cards.manufacture_number"),
        nullable=False,
        index=True,
    ),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("not_after", UtcDateTime, nullable=False),
    Column("status", String(8), nullable=False),  # good | revoked
    Column("revoked_at", UtcDateTime),
    Column("reason", String(24)),  # RFC 5280 CRLReason name, e.g. keyCompromise
)
Index("certificates_by_status", certificates.c.hierarchy, certificates.c.status)

#: Registered verifiers (署名検証者 / 利用者証明検証者, 公的個人認証法 Art. 17, 36): only they
#: may get revocation information. Only a SHA-256 of the bearer credential is kept.
verifiers = Table(
    "verifiers",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("credential_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("active", Boolean, nullable=False),
)

#: The last CRLNumber (RFC 5280 §5.2.3) issued per hierarchy; it only grows.
crl_numbers = Table(
    "crl_numbers",
    metadata,
    Column("hierarchy", String(8), primary_key=True),
    Column("number", BigInteger, nullable=False),
    Column("issued_at", UtcDateTime, nullable=False),
)

# --- the portal link (portal_link.py): whose card this is, without personal data ---------

#: The keyed hash of the holder's resident code (``resident_codes.code_fp``), sent by the
#: municipality with the card application; null for cards issued before migration 0004.
cards.append_column(Column("code_fp", String(32), index=True))

# --- the card's life after issue (migration 0005): the call centre, cancellation, reissue --

#: Keyed hashes (J-LIS's numbering key) of the holder's name, normalised, and date of birth:
#: what the call centre checks a caller against (``callcentre``); never the items in clear.
cards.append_column(Column("name_fp", String(32)))
cards.append_column(Column("birth_fp", String(32)))
#: 遺失届の受理番号 a caller gave for a card lost outside (the police's receipt number).
cards.append_column(Column("police_receipt", String(40)))
#: 廃止: when and why the card ended (``cancelled``, ``replaced``, ``expired``…) and, for a
#: reissue, the manufacture number of the card that replaced it.
cards.append_column(Column("ended_at", UtcDateTime))
cards.append_column(Column("end_reason", String(20)))
cards.append_column(Column("replaced_by", String(13)))

# --- the 追記欄 (migration 0009, ``endorsements``): how full it is, never what it says -----

#: Entries the counter wrote in the card's 追記欄, the day the last slot was filled (特急発行
#: may be applied for within 30 days of it), and a keyed hash of the address the text AP
#: carries (to tell a move from a repeat); the address itself stays on the card.
cards.append_column(Column("endorsements", Integer, nullable=False, server_default="0"))
cards.append_column(Column("endorsements_full_on", Date))
cards.append_column(Column("address_fp", String(32)))


def issued(conn: Connection) -> tuple[int, int]:
    """How many My Numbers and how many cards J-LIS has issued."""
    numbers = conn.scalar(select(func.count()).select_from(issued_numbers)) or 0
    issued_cards = conn.scalar(select(func.count()).select_from(cards)) or 0
    return int(numbers), int(issued_cards)


# --- 証明書交付センター (コンビニ交付): challenges handed to kiosks, and the transaction log ---

#: A challenge a kiosk's card signs (one use, short-lived).
kiosk_sessions = Table(
    "kiosk_sessions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("chain", String(40), nullable=False),
    Column("nonce", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),
)

#: Every kiosk request relayed, issued or refused; no personal data (the fee is what the
#: store collected and the municipality is owed: 0 when refused).
kiosk_transactions = Table(
    "kiosk_transactions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("chain", String(40), nullable=False),
    Column("store", String(40), nullable=False),
    Column("municipality", String(6)),
    Column("certificate", String(16), nullable=False),
    Column("status", String(8), nullable=False),  # issued | refused
    Column("reason", String(40)),
    Column("fee_yen", Integer, nullable=False),
    Column("at", UtcDateTime, nullable=False, index=True),
)
#: コンビニでの暗証番号リセット: a reservation made on the phone (the other JPKI PIN and a
#: face match), completed at a kiosk within its validity. No personal data: the card and
#: which PIN.
pin_resets = Table(
    "pin_resets",
    metadata,
    Column("code", String(16), primary_key=True),
    Column(
        "manufacture_number",
        String(13),
        ForeignKey("cards.manufacture_number"),
        nullable=False,
        index=True,
    ),
    Column("pin", String(4), nullable=False),  # auth | sign
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),
)

# --- smartphone certificates (phones.py): devices linked to a card, no personal data -----

#: Phones holding certificates (スマホ用電子証明書). ``holder_key`` says whose (the card's
#: ``code_fp``, or ``card:<manufacture number>`` for a card without one) so that one device
#: per person holds certificates; ``key_fp`` (SHA-256 of the auth public key) refuses a
#: replayed enrolment.
phone_devices = Table(
    "phone_devices",
    metadata,
    Column("device_id", String(16), primary_key=True),
    Column(
        "manufacture_number", String(13), ForeignKey("cards.manufacture_number"), nullable=False
    ),
    Column("holder_key", String(40), nullable=False, index=True),
    Column("kind", String(8), nullable=False),  # android | iphone
    Column("status", String(10), nullable=False),  # active | replaced
    Column("enrolled_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime),
    Column("key_fp", String(64), nullable=False, unique=True),
)

#: Each phone certificate (also a row of ``certificates``, under the card's manufacture
#: number, which OCSP and the CRL answer from) and the card certificate it follows.
phone_certificates = Table(
    "phone_certificates",
    metadata,
    Column("hierarchy", String(4), primary_key=True),
    Column("serial", String(40), primary_key=True),
    Column("device_id", String(16), ForeignKey("phone_devices.device_id"), nullable=False),
    Column("card_serial", String(40), nullable=False),
)
Index(
    "phone_certificates_by_card",
    phone_certificates.c.hierarchy,
    phone_certificates.c.card_serial,
)


#: 空き領域: standing approvals of issuers (employers, 公安委員会) per free-area application.
free_area_approvals = Table(
    "free_area_approvals",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("issuer", String(100), nullable=False, index=True),
    Column("application", String(8), nullable=False),  # employee | licence
    Column("approved_at", UtcDateTime, nullable=False),
    Column("withdrawn_at", UtcDateTime),
)
