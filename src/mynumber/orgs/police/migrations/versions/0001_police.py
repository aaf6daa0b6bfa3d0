"""Licence records, counter fees and online renewal courses.

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
        "licences",
        sa.Column("number", sa.String(12), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("types", sa.Text, nullable=False),
        sa.Column("conditions", sa.Text, nullable=False),
        sa.Column("category", sa.String(4), nullable=False),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("valid_until", sa.Date, nullable=False),
        sa.Column("photo", sa.LargeBinary, nullable=False),
        sa.Column("holding", sa.String(8), nullable=False),
        sa.Column("signer_serial", sa.String(40)),
        sa.Column("hub_code", sa.String(32), unique=True),
        sa.Column("linked_at", sa.DateTime(timezone=True)),
        sa.Column("card_pending", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("written_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "fees",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(12), nullable=False, index=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("holding", sa.String(8), nullable=False),
        sa.Column("amount", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "courses",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("number", sa.String(12), nullable=False, index=True),
        sa.Column("face_score", sa.Float, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("courses")
    op.drop_table("fees")
    op.drop_table("licences")
