"""escalation and alarms: the evidence of each site outcome (site_outcomes.evidence), and the list APIs a
rendered report column was found to call (site_apis), asked over plain HTTP by later runs

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

JSON_T = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('site_outcomes') as batch:
        batch.add_column(sa.Column('evidence', JSON_T, nullable=True))
    op.create_table('site_apis',
    sa.Column('site_id', sa.Text(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('column_url', sa.Text(), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('headers', JSON_T, nullable=True),
    sa.Column('first_seen_run', sa.Integer(), nullable=True),
    sa.Column('last_seen_run', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['sites.site_id'], name=op.f('fk_site_apis_site_id_sites')),
    sa.ForeignKeyConstraint(['first_seen_run'], ['crawl_runs.id'], name=op.f('fk_site_apis_first_seen_run_crawl_runs')),
    sa.ForeignKeyConstraint(['last_seen_run'], ['crawl_runs.id'], name=op.f('fk_site_apis_last_seen_run_crawl_runs')),
    sa.PrimaryKeyConstraint('site_id', 'key', name=op.f('pk_site_apis'))
    )


def downgrade() -> None:
    op.drop_table('site_apis')
    with op.batch_alter_table('site_outcomes') as batch:
        batch.drop_column('evidence')
