"""Agency-name normalisation, the stable agency id, and migration 0003 that introduces it."""
from __future__ import annotations

import random

import pytest
from sqlalchemy import select, text

from harvester.agencies import agency_key, normalize_agency_name
from harvester.db import Store
from harvester.db.models import Agency, CrawlEvent, Report
from harvester.divisions import lookup_division


@pytest.mark.parametrize("variant, canonical", [
    ("洪泽区人民政府", "洪泽区人民政府"),
    ("洪泽区 人民政府", "洪泽区人民政府"),
    ("洪泽区\u3000人民政府\n", "洪泽区人民政府"),
    ("洪泽区\u200b人民\ufeff政府", "洪泽区人民政府"),
    ("洪泽区政府", "洪泽区人民政府"),
    ("金湖县政府", "金湖县人民政府"),
    ("岔河镇政府", "岔河镇人民政府"),
    ("淮安市政府办公室", "淮安市人民政府办公室"),
    ("淮安市人民政府办公室（市政府研究室）", "淮安市人民政府办公室"),
    ("淮安市人民政府办公室(市政府研究室)", "淮安市人民政府办公室"),
    ("淮安市人民政府办公室【市政府研究室】", "淮安市人民政府办公室"),
    ("ＸＹ县财政局", "XY县财政局"),                      # full-width letters
    ("淮安市（市场监督管理局）", "淮安市(市场监督管理局)"),  # the parenthesis is the agency: kept
    ("淮安市政府采购中心", "淮安市政府采购中心"),          # 政府采购 is not 人民政府
    ("", ""),
])
def test_normalisation(variant, canonical):
    assert normalize_agency_name(variant) == canonical
    assert normalize_agency_name(canonical) == canonical      # idempotent


def test_key_format_and_variants():
    hz = lookup_division("江苏省", "淮安市", "洪泽区")
    assert agency_key("洪泽区人民政府", hz) == "320813-洪泽区人民政府"
    for variant in ("洪泽区政府", "洪泽区　人民政府", "洪泽区人民政府（洪泽区政府办）"):
        assert agency_key(variant, hz) == "320813-洪泽区人民政府"
    # registry names in other spellings resolve to the same division, so the same key
    assert agency_key("洪泽区政府", lookup_division("江苏", "淮安市", "洪泽县")) == "320813-洪泽区人民政府"
    pt = lookup_division("福建省", "福州市", "平潭综合实验区")
    assert agency_key("财政局", pt) == "350100-平潭综合实验区-财政局"
    assert agency_key("财政局", lookup_division("福建省", "福州市", "福州高新区")) != agency_key("财政局", pt)
    assert agency_key("某局", None) == "000000-某局"
    with pytest.raises(ValueError):
        agency_key("  ", hz)


SITES = [
    {"site_id": "hz", "name": "淮安市洪泽区人民政府", "province": "江苏省", "city": "淮安市", "county": "洪泽区"},
    {"site_id": "ha", "name": "淮安市人民政府", "province": "江苏省", "city": "淮安市"},
    {"site_id": "pt", "name": "平潭综合实验区", "province": "福建省", "city": "福州市", "county": "平潭综合实验区"},
    {"site_id": "pt2", "name": "平潭", "province": "福建省", "city": "福州市", "county": "平潭综合实验区",
     "division_code": "350128"},
]
AGENCIES = [("hz", ["洪泽区人民政府", "洪泽区政府", "洪泽区 人民政府"]),
            ("hz", ["淮安市洪泽区财政局", "淮安市洪泽区财政局（区国资办）"]),
            ("ha", ["淮安市人民政府", "淮安市政府"]),
            ("ha", ["淮安市人民政府办公室", "淮安市政府办公室"]),
            ("pt", ["平潭综合实验区管委会", "平潭综合实验区 管委会"]),
            ("pt2", ["平潭综合实验区财政金融局"])]


def _build(store, seed):
    """The same agencies and years, with the name variants and order drawn by ``seed``."""
    rng = random.Random(seed)
    store.upsert_sites(SITES)
    work = [(site, names, year) for site, names in AGENCIES for year in (2022, 2023, 2024)]
    rng.shuffle(work)
    for site, names, year in work:
        store.upsert_report(site_id=site, agency=rng.choice(names), year=year)
    with store.engine.connect() as conn:
        return sorted(conn.execute(select(Agency.agency_key, Report.year)
                                   .join(Report, Report.agency_id == Agency.id)).all())


def test_agency_key_stable_across_databases_and_variants(store, tmp_path):
    one = _build(store, seed=1)
    other = Store(f"sqlite:///{tmp_path / 'other.db'}", archive_root=tmp_path / "a2")
    try:
        two = _build(other, seed=2)
    finally:
        other.close()
    assert one == two
    keys = {k for k, _ in one}
    assert len(one) == 3 * len(AGENCIES) and len(keys) == len(AGENCIES)   # one agency per variant group
    assert "320813-洪泽区人民政府" in keys and "320800-淮安市人民政府办公室" in keys
    assert "350100-平潭综合实验区-平潭综合实验区管委会" in keys
    assert "350128-平潭综合实验区财政金融局" in keys                      # the registry's division_code


def test_division_code_given_later_updates_the_key(store):
    store.upsert_sites(SITES[:1])
    store.upsert_report(site_id="hz", agency="洪泽区人民政府", year=2024)
    store.upsert_sites([{**SITES[0], "division_code": "320899"}])   # a (fictional) registry correction
    store.upsert_report(site_id="hz", agency="洪泽区政府", year=2024)
    with store.engine.connect() as conn:
        assert conn.execute(select(Agency.agency_key, Agency.division_code)).all() == [
            ("320899-洪泽区人民政府", "320899")]


# ---- migration 0003 ----------------------------------------------------------------------------------

def _db_at_0002(url):
    from alembic import command

    from harvester.db.engine import alembic_config, make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0002")
    return engine


def test_migration_backfills_keys_and_merges_collapsed_agencies(db_url, tmp_path):
    engine = _db_at_0002(db_url)
    now = "CURRENT_TIMESTAMP"
    agencies = [  # id, name, norm_name as 0002 stored it, county, years
        (1, "洪泽区政府", "洪泽区政府", "洪泽区", [2021, 2022]),
        (2, "洪泽区人民政府", "洪泽区人民政府", "洪泽区", [2023]),
        (3, "岔河镇政府", "岔河镇政府", "洪泽区", [2022]),
        (4, "岔河镇人民政府", "岔河镇人民政府", "洪泽区", [2022, 2023]),
        (5, "淮安市洪泽区财政局（区国资办）", "淮安市洪泽区财政局(区国资办)", "洪泽区", [2024]),
        (6, "洪泽区人民政府", "洪泽区人民政府", "", [2024]),          # another division: not merged
    ]
    try:
        with engine.begin() as conn:
            conn.execute(text(f"INSERT INTO sites (site_id, name, province, city, county, updated_at) VALUES "
                              f"('hz', '洪泽', '江苏省', '淮安市', '洪泽区', {now})"))
            for aid, name, norm, county, years in agencies:
                conn.execute(text(f"INSERT INTO agencies (id, name, norm_name, site_id, province, city, county, "
                                  f"created_at) VALUES (:i, :n, :m, 'hz', '江苏省', '淮安市', :c, {now})"),
                             {"i": aid, "n": name, "m": norm, "c": county})
                for y in years:
                    conn.execute(text(f"INSERT INTO reports (agency_id, year, site_id, created_at, updated_at) "
                                      f"VALUES (:a, :y, 'hz', {now}, {now})"), {"a": aid, "y": y})
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT setval(pg_get_serial_sequence('agencies', 'id'), 100)"))
    finally:
        engine.dispose()

    store = Store(db_url, archive_root=tmp_path / "a")           # migrates to head
    try:
        assert store.applied_migrations[0] == "0003"           # then any later revision
        with store.engine.connect() as conn:
            rows = {r.id: r for r in conn.execute(select(Agency.id, Agency.norm_name, Agency.agency_key))}
            years = {}
            for aid, year in conn.execute(select(Report.agency_id, Report.year)):
                years.setdefault(aid, set()).add(year)
            events = conn.execute(select(CrawlEvent.kind, CrawlEvent.level, CrawlEvent.reason)
                                  .order_by(CrawlEvent.id)).all()
        assert set(rows) == {2, 3, 4, 5, 6}                        # 1 merged into 2
        assert years[2] == {2021, 2022, 2023}                      # its reports re-pointed, none lost
        assert rows[2].norm_name == "洪泽区人民政府" and rows[2].agency_key == "320813-洪泽区人民政府"
        # 3 and 4 both have 2022: kept apart, same agency key, recorded
        assert years[3] == {2022} and years[4] == {2022, 2023}
        assert rows[3].norm_name == "岔河镇政府" and rows[4].norm_name == "岔河镇人民政府"
        assert rows[3].agency_key == rows[4].agency_key == "320813-岔河镇人民政府"
        assert rows[5].norm_name == "淮安市洪泽区财政局" and rows[5].agency_key == "320813-淮安市洪泽区财政局"
        assert rows[6].agency_key == "320800-洪泽区人民政府"
        kinds = [(k, level) for k, level, _ in events]
        assert kinds == [("agency_merged", "info"), ("agency_merge_conflict", "warning")]
        assert "2022" in events[1].reason and "岔河镇政府" in events[1].reason
        # after the migration the variants land on the surviving agencies
        rid, status = store.upsert_report(site_id="hz", agency="洪泽区 政府", year=2021)
        assert status == "unchanged" and store.get_report(rid)["agency_id"] == 2
        rid, status = store.upsert_report(site_id="hz", agency="岔河镇政府", year=2024)
        assert status == "new" and store.get_report(rid)["agency_id"] == 4
    finally:
        store.close()


def test_migration_on_an_empty_database_and_downgrade(db_url):
    from alembic import command

    from harvester.db.engine import alembic_config

    engine = _db_at_0002(db_url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0002")
        from sqlalchemy import inspect
        assert "agency_key" not in {c["name"] for c in inspect(engine).get_columns("agencies")}
    finally:
        engine.dispose()
