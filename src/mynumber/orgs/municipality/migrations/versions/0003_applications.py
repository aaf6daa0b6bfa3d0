"""E-applications received from Mynaportal through the hub, with their signature verdict.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("portal_application_id", sa.String(16), nullable=False, unique=True),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column(
            "resident_id", sa.String(16), sa.ForeignKey("residents.id"), nullable=False, index=True
        ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("cms", sa.LargeBinary),
        sa.Column("signer_serial", sa.String(40)),
        sa.Column("verdict", sa.Text, nullable=False),
        sa.Column("delivery_id", sa.String(40), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision_reason", sa.Text),
        sa.Column("income", sa.Text),
        sa.Column("income_exchange_id", sa.String(40)),
    )


def downgrade() -> None:
    op.drop_table("applications")
