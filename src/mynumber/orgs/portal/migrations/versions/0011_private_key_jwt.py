"""Mynaportal's OpenID provider: private_key_jwt clients (their public key), the client
assertions already used, and sign transactions.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("oidc_clients") as batch:
        batch.add_column(sa.Column("jwk", sa.Text()))
    op.create_table(
        "oidc_used_assertions",
        sa.Column("jti", sa.String(200), primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "oidc_sign_transactions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("portal_code", sa.String(32), nullable=False),
        sa.Column("algorithm", sa.String(8), nullable=False),
        sa.Column("digest", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("signature", sa.LargeBinary()),
        sa.Column("certificate", sa.LargeBinary()),
    )


def downgrade() -> None:
    op.drop_table("oidc_sign_transactions")
    op.drop_table("oidc_used_assertions")
    with op.batch_alter_table("oidc_clients") as batch:
        batch.drop_column("jwk")
