"""J-LIS 証明書交付センター: kiosk challenges and the transaction log.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kiosk_sessions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("chain", sa.String(40), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "kiosk_transactions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("chain", sa.String(40), nullable=False),
        sa.Column("store", sa.String(40), nullable=False),
        sa.Column("municipality", sa.String(6)),
        sa.Column("certificate", sa.String(16), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(40)),
        sa.Column("fee_yen", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_kiosk_transactions_at", "kiosk_transactions", ["at"])


def downgrade() -> None:
    op.drop_table("kiosk_transactions")
    op.drop_table("kiosk_sessions")
