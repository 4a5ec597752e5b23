"""cells.value on SQLite: NUMERIC instead of FLOAT, so that a whole figure is stored as an integer (Datasette's
pages and CSV of the database show 1615, not 1615.0); PostgreSQL keeps double precision.

Revision ID: 0011
Revises: 0005

SQLite cannot change a column's type: the table is rebuilt (batch mode) and its rows copied; NUMERIC affinity
stores every whole REAL as an INTEGER on the copy. Downgrade rebuilds it as FLOAT.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0005'
branch_labels = None
depends_on = None


def _retype(type_) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table('cells', recreate='always') as batch:
        batch.alter_column('value', type_=type_, existing_nullable=True)


def upgrade() -> None:
    _retype(sa.Numeric(asdecimal=False))


def downgrade() -> None:
    _retype(sa.Double())
