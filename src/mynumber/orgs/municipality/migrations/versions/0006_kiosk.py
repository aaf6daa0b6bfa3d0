"""コンビニ交付: family registers, 本籍地 registrations, seal registration, kiosk issuances.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "koseki",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("honseki", sa.String(200), nullable=False),
        sa.Column("head_name", sa.String(61), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_table(
        "koseki_members",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("koseki_id", sa.String(16), sa.ForeignKey("koseki.id"), nullable=False),
        sa.Column("resident_id", sa.String(16)),
        sa.Column("name", sa.String(61), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("sex", sa.String(1), nullable=False),
        sa.Column("relationship", sa.String(8), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("events", sa.Text, nullable=False),
    )
    op.create_index("ix_koseki_members_koseki_id", "koseki_members", ["koseki_id"])
    op.create_index("ix_koseki_members_resident_id", "koseki_members", ["resident_id"])
    op.create_table(
        "honseki_registrations",
        sa.Column("manufacture_number", sa.String(13), primary_key=True),
        sa.Column("member_id", sa.String(16), sa.ForeignKey("koseki_members.id"), nullable=False),
        sa.Column("registered_at", _TS, nullable=False),
    )
    op.create_table(
        "seals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "resident_id", sa.String(16), sa.ForeignKey("residents.id"), nullable=False, unique=True
        ),
        sa.Column("card_number", sa.String(20), nullable=False, unique=True),
        sa.Column("impression", sa.String(8), nullable=False),
        sa.Column("registered_on", sa.Date, nullable=False),
    )
    op.create_table(
        "kiosk_issuances",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("verification_code", sa.String(19), nullable=False, unique=True),
        sa.Column("certificate", sa.String(16), nullable=False),
        sa.Column("resident_id", sa.String(16)),
        sa.Column("holder_name", sa.String(61), nullable=False),
        sa.Column("chain", sa.String(40), nullable=False),
        sa.Column("store", sa.String(40), nullable=False),
        sa.Column("transaction", sa.String(32), nullable=False, unique=True),
        sa.Column("fee_yen", sa.Integer, nullable=False),
        sa.Column("pdf_sha256", sa.String(64), nullable=False),
        sa.Column("issued_at", _TS, nullable=False),
    )
    op.create_index("ix_kiosk_issuances_issued_at", "kiosk_issuances", ["issued_at"])


def downgrade() -> None:
    for table in ("kiosk_issuances", "seals", "honseki_registrations", "koseki_members", "koseki"):
        op.drop_table(table)
