"""JPKI: cards, certificate serials and their status, registered verifiers, CRL numbers.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cards",
        sa.Column("manufacture_number", sa.String(13), primary_key=True),
        sa.Column("municipality", sa.String(6), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_on", sa.Date, nullable=False),
        sa.Column("suspended_at", sa.DateTime(timezone=True)),
        sa.Column("request_key", sa.String(64), unique=True),
    )
    op.create_table(
        "certificates",
        sa.Column("hierarchy", sa.String(4), primary_key=True),
        sa.Column("serial", sa.String(40), primary_key=True),
        sa.Column(
            "manufacture_number",
            sa.String(13),
            sa.ForeignKey("cards.manufacture_number"),
            nullable=False,
        ),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("reason", sa.String(24)),
    )
    op.create_index("ix_certificates_manufacture_number", "certificates", ["manufacture_number"])
    op.create_index("certificates_by_status", "certificates", ["hierarchy", "status"])
    op.create_table(
        "verifiers",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("credential_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_table(
        "crl_numbers",
        sa.Column("hierarchy", sa.String(4), primary_key=True),
        sa.Column("number", sa.BigInteger, nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("crl_numbers")
    op.drop_table("verifiers")
    op.drop_index("certificates_by_status", "certificates")
    op.drop_index("ix_certificates_manufacture_number", "certificates")
    op.drop_table("certificates")
    op.drop_table("cards")
