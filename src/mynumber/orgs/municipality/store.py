"""A municipality's tables: households, residents and the history of each record; the
agency codes and resident taxes of its intermediate server; the e-applications it received."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from mynumber.platform.db import UtcDateTime

metadata = MetaData()

households = Table(
    "households",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("address", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

residents = Table(
    "residents",
    metadata,
    Column("id", String(16), primary_key=True),  # opaque; what URLs carry
    Column("resident_code", String(11), nullable=False),  # 住民票コード
    Column("my_number", String(12)),  # 個人番号, designated once J-LIS answers
    Column("family_name", String(30), nullable=False),
    Column("given_name", String(30), nullable=False),
    Column("family_name_kana", String(60), nullable=False),
    Column("given_name_kana", String(60), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("sex", String(1), nullable=False),
    Column("address", String(200), nullable=False),
    Column("household_id", String(16), ForeignKey("households.id"), nullable=False),
    Column("relationship", String(8), nullable=False),  # 続柄
    Column("status", String(10), nullable=False),
    Column("registered_on", Date, nullable=False),
    Column("registered_reason", String(10), nullable=False),  # birth | move_in | seed
    Column("moved_from", String(6)),
    Column("left_on", Date),
    Column("moved_to", String(6)),
    Column("idempotency_key", String(64), unique=True),
    Column("updated_at", UtcDateTime, nullable=False),
)
_ACTIVE = text("status = 'active'")
Index(
    "one_active_record_per_code",
    residents.c.resident_code,
    unique=True,
    sqlite_where=_ACTIVE,
    postgresql_where=_ACTIVE,
)
Index(
    "one_active_record_per_number",
    residents.c.my_number,
    unique=True,
    sqlite_where=_ACTIVE,
    postgresql_where=_ACTIVE,
)
Index(
    "one_active_record_per_person",
    residents.c.family_name,
    residents.c.given_name,
    residents.c.birth_date,
    residents.c.address,
    unique=True,
    sqlite_where=_ACTIVE,
    postgresql_where=_ACTIVE,
)
Index("residents_by_household", residents.c.household_id)

#: 異動履歴: every change to a record, oldest first.
events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("resident_id", String(16), ForeignKey("residents.id"), nullable=False, index=True),
    Column("kind", String(12), nullable=False),  # birth | move_in | move_out | death | number
    Column("on", Date, nullable=False),
    Column("detail", Text, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
)

#: 個人番号の変更 needs two people: one supervisor asks (with the reason), another approves;
#: only then does J-LIS issue the new number.
reissue_requests = Table(
    "reissue_requests",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("resident_id", String(16), ForeignKey("residents.id"), nullable=False, index=True),
    Column("reason", String(20), nullable=False),
    Column("requested_by", String(24), nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("status", String(10), nullable=False),  # pending | approved
    Column("approved_by", String(24)),
    Column("approved_at", UtcDateTime),
)

#: The municipality's agency code (機関別符号) for each enrolled resident record.
agency_codes = Table(
    "agency_codes",
    metadata,
    Column("resident_id", String(16), ForeignKey("residents.id"), primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("enrolled_at", UtcDateTime, nullable=False),
)

#: 住民税 (individual inhabitant tax) assessed per year: the municipality's own data.
resident_taxes = Table(
    "resident_taxes",
    metadata,
    Column("resident_id", String(16), ForeignKey("residents.id"), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("amount_yen", BigInteger, nullable=False),
)

#: E-applications (電子申請) received from Mynaportal, and their review.
applications = Table(
    "applications",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("portal_application_id", String(16), nullable=False, unique=True),
    Column("revision", Integer, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("resident_id", String(16), ForeignKey("residents.id"), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("cms", LargeBinary),
    Column("signer_serial", String(40)),
    Column("verdict", Text, nullable=False),
    Column("delivery_id", String(40), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("decision_reason", Text),
    Column("income", Text),
    Column("income_exchange_id", String(40)),
    Column("checks", Text),  # the child checks as they stood at the decision (JSON)
    Column("override_reason", Text),  # why it was approved with a check failing
)


#: 介護保険 被保険者 (the municipality is the insurer): one row per insured resident, with
#: the last 要介護・要支援認定 (level and period) once decided.
care_insured = Table(
    "care_insured",
    metadata,
    Column("resident_id", String(16), ForeignKey("residents.id"), primary_key=True),
    Column("insured_number", String(10), nullable=False, unique=True),
    Column("category", String(1), nullable=False),  # 1 第1号, 2 第2号
    Column("qualified_on", Date, nullable=False),  # 資格取得日
    Column("lost_on", Date),  # 資格喪失日
    Column("care_level", String(10)),  # a key of CARE_LEVELS
    Column("certified_from", Date),
    Column("certified_to", Date),
    Column("certified_by", String(16)),  # the application decided (its id here)
    Column("updated_at", UtcDateTime, nullable=False),
)


# --- コンビニ交付: 戸籍 (kept here as 本籍地), 本籍地 issuance registrations, 印鑑登録, and
# the certificates issued at kiosks ---------------------------------------------------------

#: 戸籍: one family register whose 本籍 is in this municipality, and its 筆頭者.
koseki = Table(
    "koseki",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("honseki", String(200), nullable=False),
    Column("head_name", String(61), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

#: Who is in a family register; ``resident_id`` when the person also lives here.
koseki_members = Table(
    "koseki_members",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("koseki_id", String(16), ForeignKey("koseki.id"), nullable=False, index=True),
    Column("resident_id", String(16), index=True),
    Column("name", String(61), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("sex", String(1), nullable=False),
    Column("relationship", String(8), nullable=False),  # 筆頭者, 妻, 長男 …
    Column("address", String(200), nullable=False),  # for the 附票
    Column("events", Text, nullable=False),  # JSON list of [date, event] (身分事項)
)

#: 本籍地利用登録: a card (by manufacture number) allowed 戸籍 certificates from here.
honseki_registrations = Table(
    "honseki_registrations",
    metadata,
    Column("manufacture_number", String(13), primary_key=True),
    Column("member_id", String(16), ForeignKey("koseki_members.id"), nullable=False),
    Column("registered_at", UtcDateTime, nullable=False),
)

#: 印鑑登録 with the number of its 印鑑登録証 (registration card).
seals = Table(
    "seals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("resident_id", String(16), ForeignKey("residents.id"), nullable=False, unique=True),
    Column("card_number", String(20), nullable=False, unique=True),
    Column("impression", String(8), nullable=False),  # the characters of the 印影
    Column("registered_on", Date, nullable=False),
)

#: Each certificate issued at a kiosk: what the verification page confirms.
kiosk_issuances = Table(
    "kiosk_issuances",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("verification_code", String(19), nullable=False, unique=True),
    Column("certificate", String(16), nullable=False),
    Column("resident_id", String(16)),
    Column("holder_name", String(61), nullable=False),
    Column("chain", String(40), nullable=False),
    Column("store", String(40), nullable=False),
    Column("transaction", String(32), nullable=False, unique=True),
    Column("fee_yen", Integer, nullable=False),
    Column("pdf_sha256", String(64), nullable=False),
    Column("issued_at", UtcDateTime, nullable=False, index=True),
)
