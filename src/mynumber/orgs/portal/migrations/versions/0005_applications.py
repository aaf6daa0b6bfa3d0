"""Mynaportal: sign requests (signing key, detached CMS) and e-applications.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_requests",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("code", sa.String(8), nullable=False, unique=True),
        sa.Column("portal_code", sa.String(32), nullable=False, index=True),
        sa.Column("purpose_ja", sa.String(200), nullable=False),
        sa.Column("purpose_en", sa.String(200)),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("data", sa.LargeBinary),
        sa.Column("data_hash", sa.String(64), nullable=False),
        sa.Column("next_path", sa.String(200)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.Column("reason", sa.String(40)),
        sa.Column("cms", sa.LargeBinary),
        sa.Column("serial", sa.String(40)),
        sa.Column("signed_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("actor_code", sa.String(32), nullable=False, index=True),
        sa.Column("applicant_code", sa.String(32), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("sign_request_id", sa.String(16)),
        sa.Column("sealed", sa.Text),
        sa.Column("delivery_id", sa.String(40)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision_reason", sa.Text),
    )
    op.create_table(
        "submissions",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("application_id", sa.String(16), nullable=False, index=True),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("submissions")
    op.drop_table("applications")
    op.drop_table("sign_requests")
