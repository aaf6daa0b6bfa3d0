"""Mynaportal: the portal code behind each login certificate serial, as J-LIS said.

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
        "login_certificates",
        sa.Column("serial", sa.String(40), primary_key=True),
        sa.Column("portal_code", sa.String(32), nullable=False),
        sa.Column("municipality", sa.String(6), nullable=False),
        sa.Column("learned_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_login_certificates_portal_code", "login_certificates", ["portal_code"])


def downgrade() -> None:
    op.drop_index("ix_login_certificates_portal_code", table_name="login_certificates")
    op.drop_table("login_certificates")
