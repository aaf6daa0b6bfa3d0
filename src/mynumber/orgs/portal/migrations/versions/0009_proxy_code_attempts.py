"""Mynaportal: wrong 代理人 invitation codes per person, for the limit on guessing.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "proxy_code_attempts",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("portal_code", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(8), nullable=False),
    )
    op.create_index("proxy_code_attempts_by_person", "proxy_code_attempts", ["portal_code", "at"])


def downgrade() -> None:
    op.drop_index("proxy_code_attempts_by_person", table_name="proxy_code_attempts")
    op.drop_table("proxy_code_attempts")
