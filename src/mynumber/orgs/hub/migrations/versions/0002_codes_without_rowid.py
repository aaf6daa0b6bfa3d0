"""On SQLite, the agency codes are a table clustered on (agency, code) (``WITHOUT ROWID``):
converting a code is one search of that tree, and its index by person holds the code too,
so a bulk exchange's conversion reads two trees per person instead of four.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _rebuild(with_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL's tables have no rowid: nothing to change
    op.drop_index("one_code_per_person_and_agency", table_name="codes")
    op.rename_table("codes", "codes_before")
    op.create_table(
        "codes",
        sa.Column("agency", sa.String(40), primary_key=True),
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("person_ref", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sqlite_with_rowid=with_rowid,
    )
    op.execute("INSERT INTO codes SELECT agency, code, person_ref, created_at FROM codes_before")
    op.drop_table("codes_before")
    op.create_index(
        "one_code_per_person_and_agency", "codes", ["person_ref", "agency"], unique=True
    )


def upgrade() -> None:
    _rebuild(with_rowid=False)


def downgrade() -> None:
    _rebuild(with_rowid=True)
