"""documents: the last read of each document's bytes in the sandbox — status (ok, too_large, timeout,
memory_limit, crashed, encrypted, corrupt), detail, wall seconds and the worker's peak memory

Revision ID: 0005
Revises: 0010

Revision ids are names, not the order: this one was written beside 0007–0010 and merged after
them, so it follows 0010 (the chain of down_revision is the order).

Existing rows get no read (NULL); the next crawl or ``harvester reparse`` records one. Downgrade drops
the columns.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('documents') as batch:
        batch.add_column(sa.Column('read_status', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('read_detail', sa.Text(), nullable=True))
        batch.add_column(sa.Column('read_seconds', sa.Double(), nullable=True))
        batch.add_column(sa.Column('read_peak_mib', sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('documents') as batch:
        for name in ('read_peak_mib', 'read_seconds', 'read_detail', 'read_status'):
            batch.drop_column(name)
