"""The card's life after issue: the call centre's keyed hashes, the police receipt number,
cancellation (廃止) and the card that replaced it; PIN-reset reservations.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("name_fp", 32),
    ("birth_fp", 32),
    ("police_receipt", 40),
    ("end_reason", 20),
    ("replaced_by", 13),
)


def upgrade() -> None:
    for name, length in _COLUMNS:
        op.add_column("cards", sa.Column(name, sa.String(length)))
    op.add_column("cards", sa.Column("ended_at", sa.DateTime(timezone=True)))
    op.create_table(
        "pin_resets",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column(
            "manufacture_number",
            sa.String(13),
            sa.ForeignKey("cards.manufacture_number"),
            nullable=False,
        ),
        sa.Column("pin", sa.String(4), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_pin_resets_manufacture_number", "pin_resets", ["manufacture_number"])


def downgrade() -> None:
    op.drop_index("ix_pin_resets_manufacture_number", "pin_resets")
    op.drop_table("pin_resets")
    with op.batch_alter_table("cards") as batch:
        for name, _ in _COLUMNS:
            batch.drop_column(name)
        batch.drop_column("ended_at")
