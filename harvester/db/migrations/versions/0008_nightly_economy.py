"""nightly economy: the list items each site's columns showed (listed_items: a walk stops at the first page
whose items are all known) and every report column's revisit schedule (column_schedule)

Revision ID: 0008
Revises: 0007
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

JSON_T = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    op.create_table('listed_items',
    sa.Column('site_id', sa.Text(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('first_seen_run', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['sites.site_id'], name=op.f('fk_listed_items_site_id_sites')),
    sa.ForeignKeyConstraint(['first_seen_run'], ['crawl_runs.id'], name=op.f('fk_listed_items_first_seen_run_crawl_runs')),
    sa.PrimaryKeyConstraint('site_id', 'key', name=op.f('pk_listed_items'))
    )
    op.create_table('column_schedule',
    sa.Column('site_id', sa.Text(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('checks', sa.Integer(), nullable=False, server_default='0'),
    sa.Column('changes', sa.Integer(), nullable=False, server_default='0'),
    sa.Column('last_checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('interval_days', sa.Double(), nullable=False, server_default='1'),
    sa.Column('next_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('history', JSON_T, nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['sites.site_id'], name=op.f('fk_column_schedule_site_id_sites')),
    sa.PrimaryKeyConstraint('site_id', 'url', name=op.f('pk_column_schedule'))
    )


def downgrade() -> None:
    op.drop_table('column_schedule')
    op.drop_table('listed_items')
