"""initial schema: registry, agencies, reports (+urls, versions), documents, parse results, crawl runs

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 15:57:36.731320
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

# JSON everywhere, JSONB on PostgreSQL (same as harvester.db.models.JSONType)
JSON_T = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    op.create_table('crawl_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('command', sa.Text(), nullable=False),
    sa.Column('args', JSON_T, nullable=True),
    sa.Column('counts', JSON_T, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crawl_runs'))
    )
    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('content_type', sa.Text(), nullable=True),
    sa.Column('etag', sa.Text(), nullable=True),
    sa.Column('last_modified', sa.Text(), nullable=True),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('storage_path', sa.Text(), nullable=True),
    sa.Column('problem', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('url', name=op.f('uq_documents_url'))
    )
    op.create_index('ix_documents_sha256', 'documents', ['sha256'])
    op.create_table('sites',
    sa.Column('site_id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), server_default='', nullable=False),
    sa.Column('province', sa.Text(), server_default='', nullable=False),
    sa.Column('city', sa.Text(), server_default='', nullable=False),
    sa.Column('county', sa.Text(), server_default='', nullable=False),
    sa.Column('start_url', sa.Text(), nullable=True),
    sa.Column('platform', sa.Text(), nullable=True),
    sa.Column('division_code', sa.String(length=12), nullable=True),
    sa.Column('extra', JSON_T, nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('site_id', name=op.f('pk_sites'))
    )
    op.create_table('agencies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('norm_name', sa.Text(), nullable=False),
    sa.Column('site_id', sa.Text(), nullable=True),
    sa.Column('province', sa.Text(), server_default='', nullable=False),
    sa.Column('city', sa.Text(), server_default='', nullable=False),
    sa.Column('county', sa.Text(), server_default='', nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.site_id'], name=op.f('fk_agencies_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agencies')),
    sa.UniqueConstraint('norm_name', 'province', 'city', 'county', name=op.f('uq_agencies_norm_name_province_city_county'))
    )
    op.create_index('ix_agencies_site_id', 'agencies', ['site_id'])
    op.create_table('crawl_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('site_id', sa.Text(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_runs.id'], name=op.f('fk_crawl_events_run_id_crawl_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crawl_events'))
    )
    op.create_index('ix_crawl_events_run_id', 'crawl_events', ['run_id'])
    op.create_index('ix_crawl_events_site_id', 'crawl_events', ['site_id'])
    op.create_table('site_outcomes',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Text(), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requests', sa.Integer(), nullable=False),
    sa.Column('reports_found', sa.Integer(), nullable=False),
    sa.Column('reports_new', sa.Integer(), nullable=False),
    sa.Column('reports_updated', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_runs.id'], name=op.f('fk_site_outcomes_run_id_crawl_runs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.site_id'], name=op.f('fk_site_outcomes_site_id_sites')),
    sa.PrimaryKeyConstraint('run_id', 'site_id', name=op.f('pk_site_outcomes'))
    )
    op.create_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Text(), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('publish_date', sa.Date(), nullable=True),
    sa.Column('written_date', sa.Date(), nullable=True),
    sa.Column('index_no', sa.Text(), nullable=True),
    sa.Column('publisher', sa.Text(), nullable=True),
    sa.Column('doc_number', sa.Text(), nullable=True),
    sa.Column('validity', sa.Text(), nullable=True),
    sa.Column('page_url', sa.Text(), nullable=True),
    sa.Column('document_url', sa.Text(), nullable=True),
    sa.Column('document_type', sa.String(length=32), nullable=True),
    sa.Column('document_sha256', sa.String(length=64), nullable=True),
    sa.Column('report_format', sa.String(length=32), nullable=True),
    sa.Column('table_formats', JSON_T, nullable=True),
    sa.Column('parse_status', sa.String(length=32), nullable=True),
    sa.Column('parse_detail', sa.Text(), nullable=True),
    sa.Column('parsed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_reason', sa.Text(), nullable=True),
    sa.Column('first_seen_run', sa.Integer(), nullable=True),
    sa.Column('last_seen_run', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_reports_agency_id_agencies')),
    sa.ForeignKeyConstraint(['first_seen_run'], ['crawl_runs.id'], name=op.f('fk_reports_first_seen_run_crawl_runs')),
    sa.ForeignKeyConstraint(['last_seen_run'], ['crawl_runs.id'], name=op.f('fk_reports_last_seen_run_crawl_runs')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.site_id'], name=op.f('fk_reports_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    sa.UniqueConstraint('agency_id', 'year', name=op.f('uq_reports_agency_id_year'))
    )
    op.create_index('ix_reports_site_id', 'reports', ['site_id'])
    op.create_index('ix_reports_year', 'reports', ['year'])
    op.create_index('ix_reports_document_url', 'reports', ['document_url'])
    op.create_table('cells',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('cell_id', sa.String(length=128), nullable=False),
    sa.Column('value', sa.Double(), nullable=True),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=True),
    sa.Column('flags', JSON_T, nullable=True),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_cells_report_id_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', 'cell_id', name=op.f('pk_cells'))
    )
    op.create_index('ix_cells_cell_id', 'cells', ['cell_id'])
    op.create_table('checks',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('cells', JSON_T, nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_checks_report_id_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', 'check_id', name=op.f('pk_checks'))
    )
    op.create_table('report_sections',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_sections_report_id_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', 'section_id', name=op.f('pk_report_sections'))
    )
    op.create_table('report_urls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('first_seen_run', sa.Integer(), nullable=True),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['first_seen_run'], ['crawl_runs.id'], name=op.f('fk_report_urls_first_seen_run_crawl_runs')),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_urls_report_id_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_urls')),
    sa.UniqueConstraint('report_id', 'url', name=op.f('uq_report_urls_report_id_url'))
    )
    op.create_index('ix_report_urls_url', 'report_urls', ['url'])
    op.create_table('report_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('document_url', sa.Text(), nullable=True),
    sa.Column('document_sha256', sa.String(length=64), nullable=False),
    sa.Column('document_type', sa.String(length=32), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('publish_date', sa.Date(), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('superseded_run', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_versions_report_id_reports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['superseded_run'], ['crawl_runs.id'], name=op.f('fk_report_versions_superseded_run_crawl_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_versions'))
    )
    op.create_index('ix_report_versions_report_id', 'report_versions', ['report_id'])


def downgrade() -> None:
    op.drop_index('ix_report_versions_report_id', table_name='report_versions')
    op.drop_table('report_versions')
    op.drop_index('ix_report_urls_url', table_name='report_urls')
    op.drop_table('report_urls')
    op.drop_table('report_sections')
    op.drop_table('checks')
    op.drop_index('ix_cells_cell_id', table_name='cells')
    op.drop_table('cells')
    op.drop_index('ix_reports_document_url', table_name='reports')
    op.drop_index('ix_reports_year', table_name='reports')
    op.drop_index('ix_reports_site_id', table_name='reports')
    op.drop_table('reports')
    op.drop_table('site_outcomes')
    op.drop_index('ix_crawl_events_site_id', table_name='crawl_events')
    op.drop_index('ix_crawl_events_run_id', table_name='crawl_events')
    op.drop_table('crawl_events')
    op.drop_index('ix_agencies_site_id', table_name='agencies')
    op.drop_table('agencies')
    op.drop_table('sites')
    op.drop_index('ix_documents_sha256', table_name='documents')
    op.drop_table('documents')
    op.drop_table('crawl_runs')
