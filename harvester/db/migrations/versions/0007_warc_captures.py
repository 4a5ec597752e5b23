"""web-archive evidence: warc_captures (every WARC record a crawl wrote: where it is, what it holds) and the
report_evidence view (each report's page and document captures, and when it vanished)

Revision ID: 0007
Revises: 0006

Existing databases keep their archived files (the archive reads them first); new fetches are kept only in
WARC records. Downgrade drops the view and the table (the WARC files stay on disk).
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# each report's evidence: the first capture of its page that answered 200 and the first capture holding the
# document's bytes at its URL (a response, or a revisit of the same bytes), and — for a withdrawn report —
# the first capture of its page answering 404/410 (when it vanished)
REPORT_EVIDENCE = """
CREATE VIEW report_evidence AS
SELECT r.id AS report_id,
       r.page_url,
       pc.record_id AS page_record_id, pc.captured_at AS page_captured_at, pc.warc_file AS page_warc_file,
       r.document_url, r.document_sha256,
       dc.record_id AS document_record_id, dc.captured_at AS document_captured_at,
       dc.warc_file AS document_warc_file,
       r.withdrawn_at, r.withdrawn_reason,
       gc.record_id AS withdrawn_record_id, gc.captured_at AS withdrawn_captured_at
FROM reports r
LEFT JOIN warc_captures pc ON pc.id = (
    SELECT MIN(c.id) FROM warc_captures c
    WHERE c.uri = r.page_url AND c.http_status IN (200, 304)
      AND c.record_type IN ('response', 'revisit'))
LEFT JOIN warc_captures dc ON dc.id = (
    SELECT MIN(c.id) FROM warc_captures c
    WHERE c.uri = r.document_url AND c.body_sha256 = r.document_sha256
      AND c.record_type IN ('response', 'revisit', 'resource'))
LEFT JOIN warc_captures gc ON gc.id = (
    SELECT MIN(c.id) FROM warc_captures c
    WHERE r.withdrawn_at IS NOT NULL AND c.uri IN (r.page_url, r.document_url)
      AND c.http_status IN (404, 410))
"""


def upgrade() -> None:
    op.create_table('warc_captures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=False),
    sa.Column('request_record_id', sa.String(length=64), nullable=True),
    sa.Column('record_type', sa.String(length=16), nullable=False),
    sa.Column('profile', sa.String(length=16), nullable=True),
    sa.Column('uri', sa.Text(), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=True),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('content_type', sa.Text(), nullable=True),
    sa.Column('captured_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('warc_file', sa.Text(), nullable=False),
    sa.Column('offset', sa.BigInteger(), nullable=False),
    sa.Column('length', sa.BigInteger(), nullable=False),
    sa.Column('payload_digest', sa.String(length=80), nullable=True),
    sa.Column('body_sha256', sa.String(length=64), nullable=True),
    sa.Column('refers_to', sa.String(length=64), nullable=True),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_runs.id'], name=op.f('fk_warc_captures_run_id_crawl_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warc_captures')),
    sa.UniqueConstraint('record_id', name=op.f('uq_warc_captures_record_id'))
    )
    op.create_index('ix_warc_captures_uri', 'warc_captures', ['uri'])
    op.create_index('ix_warc_captures_body_sha256', 'warc_captures', ['body_sha256'])
    op.create_index('ix_warc_captures_payload_digest', 'warc_captures', ['payload_digest'])
    op.create_index(op.f('ix_warc_captures_run_id'), 'warc_captures', ['run_id'])
    op.execute(REPORT_EVIDENCE)


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS report_evidence")
    op.drop_index(op.f('ix_warc_captures_run_id'), table_name='warc_captures')
    op.drop_index('ix_warc_captures_payload_digest', table_name='warc_captures')
    op.drop_index('ix_warc_captures_body_sha256', table_name='warc_captures')
    op.drop_index('ix_warc_captures_uri', table_name='warc_captures')
    op.drop_table('warc_captures')
