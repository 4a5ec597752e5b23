"""agencies.agency_key: the stable agency id (harvester.agencies); norm_name recomputed with the new
normalisation (人民政府 short forms, parenthesised aliases), agencies that now share a key merged

Revision ID: 0003
Revises: 0002

Backfill, in the migration's transaction:

* every agency's ``norm_name`` is recomputed from its published ``name`` with
  ``harvester.agencies.normalize_agency_name``; an agency without a ``division_code`` whose division
  is its site's takes the site's ``division_code`` (what ``Store._ensure_agency`` now does);
* agencies of one division whose new ``norm_name`` is the same (``XX县政府`` and ``XX县人民政府``) are
  merged into one: the one already carrying that name, else the oldest (lowest id). The other's
  reports are re-pointed to it and the emptied agency row is removed; each merge is recorded as a
  ``crawl_events`` row (kind ``agency_merged``, level info) naming both rows. When both have a
  report for the same year, that agency is *not* merged: it keeps its old ``norm_name`` and the
  reports of the other years stay with it too, it gets the same ``agency_key`` (it is the same
  agency), and a ``agency_merge_conflict`` warning event names the years — nothing harvested is
  dropped or overwritten;
* ``agency_key`` is set for every agency.

Downgrade drops the column; merges are not undone.
"""
from __future__ import annotations

from collections import defaultdict
import datetime as dt

from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

agencies = sa.table(
    'agencies', sa.column('id', sa.Integer), sa.column('name', sa.Text), sa.column('norm_name', sa.Text),
    sa.column('site_id', sa.Text), sa.column('province', sa.Text), sa.column('city', sa.Text),
    sa.column('county', sa.Text), sa.column('division_code', sa.String), sa.column('agency_key', sa.Text))
sites = sa.table(
    'sites', sa.column('site_id', sa.Text), sa.column('province', sa.Text), sa.column('city', sa.Text),
    sa.column('county', sa.Text), sa.column('division_code', sa.String))
reports = sa.table('reports', sa.column('id', sa.Integer), sa.column('agency_id', sa.Integer),
                   sa.column('year', sa.Integer))
events = sa.table(
    'crawl_events', sa.column('run_id', sa.Integer), sa.column('site_id', sa.Text), sa.column('url', sa.Text),
    sa.column('level', sa.String), sa.column('kind', sa.String), sa.column('reason', sa.Text),
    sa.column('at', sa.DateTime(timezone=True)))


def upgrade() -> None:
    with op.batch_alter_table('agencies') as batch:
        batch.add_column(sa.Column('agency_key', sa.Text(), nullable=True))
        batch.create_index('ix_agencies_agency_key', ['agency_key'])
    backfill(op.get_bind())


def backfill(conn) -> dict:
    """Recompute norm_name, merge collapsed agencies, set agency_key; returns counts (for tests)."""
    from harvester.agencies import agency_key, normalize_agency_name
    from harvester.divisions import lookup_division

    now = dt.datetime.now(dt.timezone.utc)
    if conn.dialect.name == 'sqlite':
        now = now.replace(tzinfo=None)
    site_rows = {r.site_id: r for r in conn.execute(sa.select(
        sites.c.site_id, sites.c.province, sites.c.city, sites.c.county, sites.c.division_code))}
    rows = conn.execute(sa.select(agencies).order_by(agencies.c.id)).mappings().all()
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        r = dict(r)
        r['new_norm'] = normalize_agency_name(r['name'] or r['norm_name']) or r['norm_name']
        site = site_rows.get(r['site_id'])
        if not r['division_code'] and site is not None and site.division_code and (
                (site.province or '', site.city or '', site.county or '') == (r['province'], r['city'], r['county'])):
            r['division_code'] = site.division_code
        groups[(r['province'], r['city'], r['county'], r['new_norm'])].append(r)

    counts = {'agencies': len(rows), 'renamed': 0, 'merged': 0, 'conflicts': 0}
    for (province, city, county, norm), members in groups.items():
        division = lookup_division(province, city, county,
                                   next((m['division_code'] for m in members if m['division_code']), None))
        key = agency_key(norm, division)
        survivor = next((m for m in members if m['norm_name'] == norm), members[0])
        survivor_years = set(conn.execute(sa.select(reports.c.year)
                                          .where(reports.c.agency_id == survivor['id'])).scalars())
        for other in members:
            if other is survivor:
                continue
            theirs = conn.execute(sa.select(reports.c.id, reports.c.year)
                                  .where(reports.c.agency_id == other['id'])).all()
            clash = sorted({y for _, y in theirs} & survivor_years)
            if clash:
                counts['conflicts'] += 1
                conn.execute(sa.update(agencies).where(agencies.c.id == other['id'])
                             .values(agency_key=key, division_code=other['division_code']))
                conn.execute(sa.insert(events).values(
                    run_id=None, site_id=other['site_id'], url=None, level='warning',
                    kind='agency_merge_conflict', at=now,
                    reason=(f"agency {other['id']} {other['name']!r} normalises to {norm!r} like agency "
                            f"{survivor['id']} {survivor['name']!r}; both have reports for "
                            f"{', '.join(map(str, clash))}: kept apart (same agency_key {key})")))
                continue
            conn.execute(sa.update(reports).where(reports.c.agency_id == other['id'])
                         .values(agency_id=survivor['id']))
            survivor_years.update(y for _, y in theirs)
            conn.execute(sa.delete(agencies).where(agencies.c.id == other['id']))
            counts['merged'] += 1
            conn.execute(sa.insert(events).values(
                run_id=None, site_id=other['site_id'], url=None, level='info', kind='agency_merged', at=now,
                reason=(f"agency {other['id']} {other['name']!r} merged into agency {survivor['id']} "
                        f"{survivor['name']!r} ({norm!r}, {len(theirs)} report(s) moved)")))
        if survivor['norm_name'] != norm:
            counts['renamed'] += 1
        conn.execute(sa.update(agencies).where(agencies.c.id == survivor['id']).values(
            norm_name=norm, agency_key=key,
            division_code=survivor['division_code'] or next((m['division_code'] for m in members
                                                             if m['division_code']), None)))
    return counts


def downgrade() -> None:
    with op.batch_alter_table('agencies') as batch:
        batch.drop_index('ix_agencies_agency_key')
        batch.drop_column('agency_key')
