"""Households, residents and their history.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ACTIVE = sa.text("status = 'active'")


def upgrade() -> None:
    op.create_table(
        "households",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "residents",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("resident_code", sa.String(11), nullable=False),
        sa.Column("my_number", sa.String(12)),
        sa.Column("family_name", sa.String(30), nullable=False),
        sa.Column("given_name", sa.String(30), nullable=False),
        sa.Column("family_name_kana", sa.String(60), nullable=False),
        sa.Column("given_name_kana", sa.String(60), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("sex", sa.String(1), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("household_id", sa.String(16), sa.ForeignKey("households.id"), nullable=False),
        sa.Column("relationship", sa.String(8), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("registered_on", sa.Date, nullable=False),
        sa.Column("registered_reason", sa.String(10), nullable=False),
        sa.Column("moved_from", sa.String(6)),
        sa.Column("left_on", sa.Date),
        sa.Column("moved_to", sa.String(6)),
        sa.Column("idempotency_key", sa.String(64), unique=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    for name, columns in (
        ("one_active_record_per_code", ["resident_code"]),
        ("one_active_record_per_number", ["my_number"]),
        ("one_active_record_per_person", ["family_name", "given_name", "birth_date", "address"]),
    ):
        op.create_index(
            name, "residents", columns, unique=True, sqlite_where=ACTIVE, postgresql_where=ACTIVE
        )
    op.create_index("residents_by_household", "residents", ["household_id"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("resident_id", sa.String(16), sa.ForeignKey("residents.id"), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("on", sa.Date, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_events_resident_id", "events", ["resident_id"])


def downgrade() -> None:
    op.drop_table("events")
    op.drop_table("residents")
    op.drop_table("households")
