"""Smartphone certificates: the phones and the card certificate each of theirs follows.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "phone_devices",
        sa.Column("device_id", sa.String(16), primary_key=True),
        sa.Column(
            "manufacture_number",
            sa.String(13),
            sa.ForeignKey("cards.manufacture_number"),
            nullable=False,
        ),
        sa.Column("holder_key", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("key_fp", sa.String(64), nullable=False, unique=True),
    )
    op.create_index("ix_phone_devices_holder_key", "phone_devices", ["holder_key"])
    op.create_table(
        "phone_certificates",
        sa.Column("hierarchy", sa.String(4), primary_key=True),
        sa.Column("serial", sa.String(40), primary_key=True),
        sa.Column(
            "device_id",
            sa.String(16),
            sa.ForeignKey("phone_devices.device_id"),
            nullable=False,
        ),
        sa.Column("card_serial", sa.String(40), nullable=False),
    )
    op.create_index(
        "phone_certificates_by_card", "phone_certificates", ["hierarchy", "card_serial"]
    )


def downgrade() -> None:
    op.drop_index("phone_certificates_by_card", "phone_certificates")
    op.drop_table("phone_certificates")
    op.drop_index("ix_phone_devices_holder_key", "phone_devices")
    op.drop_table("phone_devices")
