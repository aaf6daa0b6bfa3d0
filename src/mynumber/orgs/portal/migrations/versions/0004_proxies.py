"""Mynaportal: 代理人 — invitations, proxy rights, the record of what proxies did, and the
person a session acts for.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("acting_for", sa.String(32)))
    op.create_table(
        "proxy_invitations",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("principal_code", sa.String(32), nullable=False),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.Column("used_by", sa.String(32)),
    )
    op.create_index("ix_proxy_invitations_principal_code", "proxy_invitations", ["principal_code"])
    op.create_table(
        "proxies",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("principal_code", sa.String(32), nullable=False),
        sa.Column("agent_code", sa.String(32), nullable=False),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("principal_name", sa.String(100)),
        sa.Column("agent_name", sa.String(100)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("invitation_id", sa.String(16), nullable=False),
    )
    op.create_index("proxies_by_principal", "proxies", ["principal_code", "created_at"])
    op.create_index("proxies_by_agent", "proxies", ["agent_code", "created_at"])
    op.create_table(
        "proxy_actions",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("proxy_id", sa.String(16), nullable=False),
        sa.Column("principal_code", sa.String(32), nullable=False),
        sa.Column("agent_code", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(80), nullable=False),
    )
    op.create_index("proxy_actions_by_principal", "proxy_actions", ["principal_code", "at"])


def downgrade() -> None:
    op.drop_table("proxy_actions")
    op.drop_table("proxies")
    op.drop_table("proxy_invitations")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("acting_for")
