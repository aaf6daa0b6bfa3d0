"""The eligibility system's tables: eligibility copies, registrations, reader state,
confirmations, consents, drug claims and views.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "challenges",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("institution", sa.String(10), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "confirmations",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("institution", sa.String(10), nullable=False),
        sa.Column("code", sa.String(32)),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("result", sa.String(24), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_confirmations_institution", "confirmations", ["institution"])
    op.create_index("ix_confirmations_code", "confirmations", ["code"])
    op.create_table(
        "consents",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("institution", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_consents_person", "consents", ["code", "institution", "kind"])
    op.create_table(
        "drug_claims",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("pharmacy", sa.String(10), nullable=False),
        sa.Column("dispensed_on", sa.Date, nullable=False),
        sa.Column("drug", sa.String(100), nullable=False),
        sa.Column("quantity", sa.String(40), nullable=False),
        sa.Column("days", sa.Integer, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_drug_claims_code", "drug_claims", ["code"])
    op.create_table(
        "eligibility",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("insurer", sa.String(40), nullable=False),
        sa.Column("insurer_number", sa.String(8), nullable=False),
        sa.Column("insurer_name", sa.String(100), nullable=False),
        sa.Column("symbol", sa.String(20), nullable=False),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("branch", sa.String(2), nullable=False),
        sa.Column("relation", sa.String(1), nullable=False),
        sa.Column("card_classification", sa.String(2), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("name_kana_half", sa.String(100), nullable=False),
        sa.Column("sex", sa.String(1), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date),
        sa.Column("ratio", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("code", "insurer", name="uq_eligibility_person_insurer"),
    )
    op.create_index(
        "ix_eligibility_card", "eligibility", ["insurer_number", "symbol", "number", "branch"]
    )
    op.create_index("ix_eligibility_code", "eligibility", ["code"])
    op.create_table(
        "face_counters",
        sa.Column("serial", sa.String(40), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "registrations",
        sa.Column("serial", sa.String(40), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_registrations_code", "registrations", ["code"])
    op.create_table(
        "views",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("institution", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_views_code", "views", ["code"])


def downgrade() -> None:
    op.drop_table("views")
    op.drop_table("registrations")
    op.drop_table("face_counters")
    op.drop_table("eligibility")
    op.drop_table("drug_claims")
    op.drop_table("consents")
    op.drop_table("confirmations")
    op.drop_table("challenges")
