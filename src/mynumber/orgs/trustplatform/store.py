"""The platform operator's tables: completed contracts, their signers, identity-check
records (犯収法 確認記録) and consents."""

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
