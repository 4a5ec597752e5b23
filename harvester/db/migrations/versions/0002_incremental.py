"""incremental crawls: per-URL site/role, the report columns each site was found at, revisions,
run host/pid/job (resume, distributed workers), raw per-site counters

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

JSON_T = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('documents') as batch:
        batch.add_column(sa.Column('site_id', sa.Text(), nullable=True))
        batch.add_column(sa.Column('role', sa.String(length=16), nullable=True))
        batch.create_index('ix_documents_site_id', ['site_id'])
    with op.batch_alter_table('reports') as batch:
        batch.add_column(sa.Column('revised_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('crawl_runs') as batch:
        batch.add_column(sa.Column('host', sa.Text(), nullable=True))
        batch.add_column(sa.Column('pid', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('job', sa.Text(), nullable=True))
    with op.batch_alter_table('site_outcomes') as batch:
        batch.add_column(sa.Column('stats', JSON_T, nullable=True))
    op.create_table('site_columns',
    sa.Column('site_id', sa.Text(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('first_seen_run', sa.Integer(), nullable=True),
    sa.Column('last_seen_run', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['sites.site_id'], name=op.f('fk_site_columns_site_id_sites')),
    sa.ForeignKeyConstraint(['first_seen_run'], ['crawl_runs.id'], name=op.f('fk_site_columns_first_seen_run_crawl_runs')),
    sa.ForeignKeyConstraint(['last_seen_run'], ['crawl_runs.id'], name=op.f('fk_site_columns_last_seen_run_crawl_runs')),
    sa.PrimaryKeyConstraint('site_id', 'url', name=op.f('pk_site_columns'))
    )


def downgrade() -> None:
    op.drop_table('site_columns')
    with op.batch_alter_table('site_outcomes') as batch:
        batch.drop_column('stats')
    with op.batch_alter_table('crawl_runs') as batch:
        batch.drop_column('job')
        batch.drop_column('pid')
        batch.drop_column('host')
    with op.batch_alter_table('reports') as batch:
        batch.drop_column('revised_at')
    with op.batch_alter_table('documents') as batch:
        batch.drop_index('ix_documents_site_id')
        batch.drop_column('role')
        batch.drop_column('site_id')
