"""The eligibility system's tables: eligibility copies by its own agency code (never a My
Number), card registrations by auth-certificate serial, reader state, consents,
confirmations, drug claims and who viewed them."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

from mynumber.platform.db import UtcDateTime

metadata = MetaData()

#: 中間サーバー copies: one row per (person, insurer), as the insurer last sent it.
eligibility = Table(
    "eligibility",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("code", String(32), nullable=False, index=True),  # our agency code
    Column("insurer", String(40), nullable=False),  # the insurer organisation
    Column("insurer_number", String(8), nullable=False),
    Column("insurer_name", String(100), nullable=False),
    Column("symbol", String(20), nullable=False),
    Column("number", String(20), nullable=False),
    Column("branch", String(2), nullable=False),
    Column("relation", String(1), nullable=False),  # 1 本人, 2 家族
    Column("card_classification", String(2), nullable=False),
    Column("name", String(100), nullable=False),
    Column("name_kana_half", String(100), nullable=False),
    Column("sex", String(1), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
    Column("ratio", Integer, nullable=False),
    # the paper 被保険者証 the member holds (issued before 2024-12-02), if the insurer says
    Column("paper_card_issued_on", Date),
    Column("paper_card_expires_on", Date),
    Column("certificate_valid_to", Date),  # the 資格確認書 issued, its last day
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("code", "insurer", name="uq_eligibility_person_insurer"),
    Index("ix_eligibility_card", "insurer_number", "symbol", "number", "branch"),
)

#: 利用登録: the card registered as insurance card, by its auth certificate's serial.
registrations = Table(
    "registrations",
    metadata,
    Column("serial", String(40), primary_key=True),
    Column("code", String(32), nullable=False, index=True),
    Column("registered_at", UtcDateTime, nullable=False),
)

#: One-time challenges a reader signs in PIN mode.
challenges = Table(
    "challenges",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("institution", String(10), nullable=False),
    Column("nonce", String(64), nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),
)

#: Consecutive face-match failures per card (by auth serial).
face_counters = Table(
    "face_counters",
    metadata,
    Column("serial", String(40), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

#: 本人確認判定 of an eligibility copy (by its row id: a corrected copy is a new row and is
#: checked again) against the holder of a card's auth serial, as J-LIS answered it.
identity_checks = Table(
    "identity_checks",
    metadata,
    Column("record", String(16), primary_key=True),
    Column("serial", String(40), primary_key=True),
    Column("matches", Boolean, nullable=False),
    Column("checked_at", UtcDateTime, nullable=False),
)

#: Confirmations answered: the reference number the clinic keeps, and whose it was.
confirmations = Table(
    "confirmations",
    metadata,
    Column("id", String(16), primary_key=True),  # ReferenceNumber
    Column("institution", String(10), nullable=False, index=True),
    Column("code", String(32), index=True),
    Column("mode", String(8), nullable=False),
    Column("result", String(24), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

#: Consent per data type, given on the reader at one institution; usable until expires_at.
consents = Table(
    "consents",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("code", String(32), nullable=False),
    Column("institution", String(10), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("given_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index("ix_consents_person", "code", "institution", "kind"),
)

#: Drugs dispensed, from the claims pharmacies submit (薬剤情報).
drug_claims = Table(
    "drug_claims",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("code", String(32), nullable=False, index=True),
    Column("pharmacy", String(10), nullable=False),
    Column("dispensed_on", Date, nullable=False),
    Column("drug", String(100), nullable=False),
    Column("quantity", String(40), nullable=False),
    Column("days", Integer, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
)

#: Every view of a person's data by an institution (shown to the person on Mynaportal).
views = Table(
    "views",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("code", String(32), nullable=False, index=True),
    Column("institution", String(10), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

#: 照会番号: the number an institution registered for a patient (after a card check there),
#: so it can ask about them later without the card; one per patient per institution.
reference_numbers = Table(
    "reference_numbers",
    metadata,
    Column("institution", String(10), primary_key=True),
    Column("number", String(10), primary_key=True),
    Column("code", String(32), nullable=False),
    Column("registered_at", UtcDateTime, nullable=False),
    UniqueConstraint("institution", "code", name="uq_reference_numbers_person"),
)
