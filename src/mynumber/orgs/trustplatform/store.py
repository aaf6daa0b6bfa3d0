"""The platform operator's tables: completed contracts, their signers, identity-check
records (犯収法 確認記録) and sign transactions."""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, LargeBinary, MetaData, String, Table, Text

from mynumber.platform.db import UtcDateTime

metadata = MetaData()

#: Contracts completed for long-term validation (the file kept as signed).
contracts = Table(
    "contracts",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("provider", String(20), nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("completed_at", UtcDateTime, nullable=False),
    Column("pdf", LargeBinary, nullable=False),
)

#: Who signed each contract: the signing certificate and the four items it carries.
signers = Table(
    "contract_signers",
    metadata,
    Column("contract_id", String(16), ForeignKey("contracts.id"), primary_key=True),
    Column("field", String(100), primary_key=True),
    Column("serial", String(40), nullable=False, index=True),
    Column("certificate", LargeBinary, nullable=False),
    Column("items", Text, nullable=False),  # JSON: name, gender, birth_date, address
)

#: 犯収法 identity checks by JPKI signature (施行規則 Art. 6(1)(i)(ワ)) and their records.
ekyc_records = Table(
    "ekyc_records",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("provider", String(20), nullable=False, index=True),
    Column("serial", String(40), nullable=False),
    Column("certificate", LargeBinary, nullable=False),
    Column("signature", LargeBinary, nullable=False),  # the CMS the person signed
    Column("items", Text, nullable=False),
    Column("checked_at", UtcDateTime, nullable=False),
    Column("keep_until", Date, nullable=False),
)

#: Each provider's public key (JWK, RSA): it authenticates the provider (private_key_jwt,
#: RFC 7523) and the sign-transaction results are encrypted to it (JWE).
client_keys = Table(
    "client_keys",
    metadata,
    Column("provider", String(20), primary_key=True),
    Column("jwk", Text, nullable=False),
    Column("registered_at", UtcDateTime, nullable=False),
)

#: Client assertions already used (``jti``), refused again until they expire.
used_assertions = Table(
    "used_assertions",
    metadata,
    Column("jti", String(100), primary_key=True),
    Column("expires_at", UtcDateTime, nullable=False),
)

#: Sign transactions (デジタル認証アプリ-style): a hash a provider wants signed, the card
#: holder's signature and certificate once authorised.
sign_transactions = Table(
    "sign_transactions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("provider", String(20), nullable=False),
    Column("algorithm", String(8), nullable=False),
    Column("digest", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("status", String(10), nullable=False),  # pending | signed | collected
    Column("signature", LargeBinary),
    Column("certificate", LargeBinary),
)

#: Consents to J-LIS's provision of the latest four items (基本4情報の最新情報提供), each
#: signed by the person with the signing certificate (the CMS and the bytes kept).
consents = Table(
    "consents",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("provider", String(20), nullable=False),
    Column("serial", String(40), nullable=False, index=True),
    Column("data", LargeBinary, nullable=False),
    Column("signature", LargeBinary, nullable=False),
    Column("given_at", UtcDateTime, nullable=False),
    Column("withdrawn_at", UtcDateTime),
)
