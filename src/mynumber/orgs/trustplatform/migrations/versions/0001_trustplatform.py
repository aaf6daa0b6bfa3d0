"""Completed contracts, their signers, identity-check records.

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
        "contracts",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("provider", sa.String(20), nullable=False, index=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pdf", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "contract_signers",
        sa.Column("contract_id", sa.String(16), sa.ForeignKey("contracts.id"), primary_key=True),
        sa.Column("field", sa.String(100), primary_key=True),
        sa.Column("serial", sa.String(40), nullable=False, index=True),
        sa.Column("certificate", sa.LargeBinary, nullable=False),
        sa.Column("items", sa.Text, nullable=False),
    )
    op.create_table(
        "ekyc_records",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("provider", sa.String(20), nullable=False, index=True),
        sa.Column("serial", sa.String(40), nullable=False),
        sa.Column("certificate", sa.LargeBinary, nullable=False),
        sa.Column("signature", sa.LargeBinary, nullable=False),
        sa.Column("items", sa.Text, nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("keep_until", sa.Date, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ekyc_records")
    op.drop_table("contract_signers")
    op.drop_table("contracts")
