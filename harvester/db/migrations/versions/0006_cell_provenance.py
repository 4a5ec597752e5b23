"""cells: where every number came from — imputed (spec §7 zeros), the document's SHA-256, the reader
and location (page, grid table/row/column, text line), the source text and the readings of glued digits

Revision ID: 0006
Revises: 0004

Existing cells get ``imputed = false`` and no location; ``harvester reparse`` fills them in from the
archived documents. Downgrade drops the columns.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0006'
down_revision = '0004'
branch_labels = None
depends_on = None

JSON_T = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
COLUMNS = ('document_sha256', 'src_reader', 'src_page', 'src_table', 'src_row', 'src_col', 'src_line',
           'src_text', 'src_readings', 'src_candidates')


def upgrade() -> None:
    with op.batch_alter_table('cells') as batch:
        batch.add_column(sa.Column('imputed', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('document_sha256', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('src_reader', sa.String(length=16), nullable=True))
        for name in ('src_page', 'src_table', 'src_row', 'src_col', 'src_line'):
            batch.add_column(sa.Column(name, sa.Integer(), nullable=True))
        batch.add_column(sa.Column('src_text', sa.Text(), nullable=True))
        batch.add_column(sa.Column('src_readings', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('src_candidates', JSON_T, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cells') as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
        batch.drop_column('imputed')
