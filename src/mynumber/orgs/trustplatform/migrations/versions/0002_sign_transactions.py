"""Client keys, used client assertions, sign transactions, consents.

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
        "client_keys",
        sa.Column("provider", sa.String(20), primary_key=True),
        sa.Column("jwk", sa.Text, nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "used_assertions",
        sa.Column("jti", sa.String(100), primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "sign_transactions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("provider", sa.String(20), nullable=False),
        sa.Column("algorithm", sa.String(8), nullable=False),
        sa.Column("digest", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("signature", sa.LargeBinary),
        sa.Column("certificate", sa.LargeBinary),
    )
    op.create_table(
        "consents",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("provider", sa.String(20), nullable=False),
        sa.Column("serial", sa.String(40), nullable=False, index=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("signature", sa.LargeBinary, nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("consents")
    op.drop_table("sign_transactions")
    op.drop_table("used_assertions")
    op.drop_table("client_keys")
