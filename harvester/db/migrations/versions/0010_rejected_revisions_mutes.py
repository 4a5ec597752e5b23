"""operators: rejected revisions (a re-fetched document that parses worse never becomes current) and site
mutes (an alarm silenced with a reason and an expiry)

Revision ID: 0010
Revises: 0008
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rejected_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Text(), nullable=True),
    sa.Column('document_url', sa.Text(), nullable=True),
    sa.Column('document_sha256', sa.String(length=64), nullable=True),
    sa.Column('document_type', sa.String(length=32), nullable=True),
    sa.Column('parse_status', sa.String(length=32), nullable=True),
    sa.Column('filled_cells', sa.Integer(), nullable=False),
    sa.Column('failed_checks', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('rejected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_rejected_revisions_report_id_reports'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_runs.id'], name=op.f('fk_rejected_revisions_run_id_crawl_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rejected_revisions'))
    )
    with op.batch_alter_table('rejected_revisions') as batch:
        batch.create_index(batch.f('ix_rejected_revisions_report_id'), ['report_id'], unique=False)
        batch.create_index(batch.f('ix_rejected_revisions_site_id'), ['site_id'], unique=False)
    op.create_table('site_mutes',
    sa.Column('site_id', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('until', sa.Date(), nullable=False),
    sa.Column('muted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('site_id', name=op.f('pk_site_mutes'))
    )


def downgrade() -> None:
    op.drop_table('site_mutes')
    with op.batch_alter_table('rejected_revisions') as batch:
        batch.drop_index(batch.f('ix_rejected_revisions_site_id'))
        batch.drop_index(batch.f('ix_rejected_revisions_report_id'))
    op.drop_table('rejected_revisions')
