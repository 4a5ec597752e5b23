"""`harvester query`: read-only on SQLite and PostgreSQL, tables and CSV, one-line errors."""
from __future__ import annotations

import csv
import io
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from harvester.cli import main
from harvester.research.query import display_width, format_table, readonly_sqlite_connection


def harvester(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def counts(url):
    from harvester.db import Store

    with Store(url, migrate_schema=False) as store:
        s = store.summary()
        return s["reports"], s["agencies"], len(store.cells(1)), [r["id"] for r in store.report_rows()]


def test_query_prints_an_aligned_table_and_csv(research_db):
    sql = "SELECT year, count(*) AS n FROM reports GROUP BY year ORDER BY year"
    result = harvester("query", "--db", research_db.url, sql)
    assert result.exit_code == 0, result.output
    expected = sorted(Counter(r["year"] for r in research_db.reports).items())
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["year", "n"] and set(lines[1]) <= {"-", " "}
    assert [tuple(int(x) for x in line.split()) for line in lines[2:]] == expected
    widths = {len(line) for line in lines[2:]}
    assert len(widths) == 1                              # numbers right-aligned in fixed columns

    out = harvester("query", "--db", research_db.url, "--csv", sql)
    assert out.exit_code == 0
    rows = list(csv.reader(io.StringIO(out.stdout)))
    assert rows[0] == ["year", "n"]
    assert [(int(a), int(b)) for a, b in rows[1:]] == expected


def test_query_of_the_report_evidence_view_as_the_readme_shows(research_db, research_evidence, monkeypatch):
    """README, Evidence: `harvester query "SELECT * FROM report_evidence"` (the database from $HARVESTER_DB)."""
    monkeypatch.setenv("HARVESTER_DB", research_db.url)
    out = harvester("query", "--csv", "SELECT * FROM report_evidence")
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert len(rows) == len(research_db.reports)
    assert {"report_id", "page_url", "page_record_id", "page_captured_at", "document_url", "document_record_id",
            "document_captured_at", "document_warc_file", "withdrawn_at", "withdrawn_record_id"} <= set(rows[0])
    by_id = {int(r["report_id"]): r for r in rows}
    cited = 0
    for rid, ev in research_evidence.items():
        for key in ("page_record_id", "document_record_id", "document_warc_file"):
            assert by_id[rid][key] == (ev.get(key) or ""), (rid, key)
        for key in ("page_captured_at", "document_captured_at"):
            if ev.get(key):
                assert by_id[rid][key].replace("T", " ").startswith(ev[key].strftime("%Y-%m-%d %H:%M:%S")), key
        cited += bool(ev.get("document_record_id"))
    assert cited >= 2
    table = harvester("query", "SELECT * FROM report_evidence")          # and the aligned table, as printed
    assert table.exit_code == 0 and table.stdout.splitlines()[0].split()[:3] == ["report_id", "page_url",
                                                                              "page_record_id"]
    assert len(table.stdout.splitlines()) == 2 + len(research_db.reports)


def test_query_csv_neutralises_formulas_and_keeps_numbers(research_db):
    sql = "SELECT '=1+1' AS f, '-x' AS g, -18 AS n, 2.5 AS d, title FROM reports ORDER BY id LIMIT 1"
    out = harvester("query", "--db", research_db.url, "--csv", sql)
    assert out.exit_code == 0, out.output
    row = list(csv.reader(io.StringIO(out.stdout)))[1]
    first_title = min(research_db.reports, key=lambda r: r["report_id"])["parsed"].title
    assert row[:4] == ["'=1+1", "'-x", "-18", "2.5"]
    assert row[4] == first_title


def test_table_truncates_wide_cells_by_display_width(research_db):
    result = harvester("query", "--db", research_db.url, "--max-width", "12",
                       "SELECT a.name, r.title FROM reports r JOIN agencies a ON a.id = r.agency_id ORDER BY r.id")
    assert result.exit_code == 0
    body = result.stdout.splitlines()[2:]
    titles = [r["parsed"].title if r["parsed"] else None for r in sorted(research_db.reports, key=lambda r: r["report_id"])]
    assert len(body) == len(titles)
    for line in body:
        assert "…" in line                                   # every title is longer than 12 columns
        for part in line.split("  "):
            assert display_width(part.strip()) <= 12
    text = format_table(["a", "b"], [("淮安市财政局", 1), ("x", 22)])
    lines = text.splitlines()
    assert len({display_width(line) for line in lines[2:]}) == 1   # CJK counted as two columns


WRITES = [
    "INSERT INTO sites (site_id, name) VALUES ('x', 'x')",
    "DELETE FROM cells",
    "UPDATE reports SET year = 1999",
    "DROP TABLE checks",
    "CREATE TABLE scratch (a integer)",
    "WITH doomed AS (SELECT id FROM reports) DELETE FROM reports WHERE id IN (SELECT id FROM doomed)",
]


@pytest.mark.parametrize("sql", WRITES)
def test_writes_are_refused_by_the_database(research_db, sql):
    before = counts(research_db.url)
    result = harvester("query", "--db", research_db.url, sql)
    assert result.exit_code == 1
    assert result.output.startswith("Error: SQL error: ") and len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert counts(research_db.url) == before
    tables = harvester("query", "--db", research_db.url, "--csv",
                       "SELECT count(*) FROM information_schema.tables WHERE table_name = 'scratch'"
                       if research_db.url.startswith("postgresql") else
                       "SELECT count(*) FROM sqlite_master WHERE name = 'scratch'")
    assert tables.stdout.splitlines()[1] == "0"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_tricks_are_refused(research_db, tmp_path):
    other = tmp_path / "other.db"
    for sql in ("PRAGMA writable_schema = ON", "PRAGMA query_only = OFF", f"ATTACH '{other}' AS o",
                f"VACUUM INTO '{other}'", "CREATE TEMP TABLE t (a)"):
        result = harvester("query", "--db", research_db.url, sql)
        assert result.exit_code == 1 and "SQL error" in result.output, sql
        assert not other.exists(), sql
    # the layer under the authorizer: mode=ro alone refuses writes in the driver
    path = Path(research_db.url.removeprefix("sqlite:///"))
    conn = readonly_sqlite_connection(path, authorizer=False)
    conn.execute("PRAGMA query_only = OFF")
    for sql in ("DELETE FROM cells", "PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = ''"):
        with pytest.raises(sqlite3.OperationalError, match="readonly database"):
            conn.executescript(sql)
    conn.close()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgresql_tricks_are_refused(research_db):
    before = counts(research_db.url)
    for sql, message in (("SELECT 1; DELETE FROM cells", "multiple commands"),
                         ("SET TRANSACTION READ WRITE", "before any query"),
                         ("WITH d AS (DELETE FROM cells RETURNING 1) SELECT count(*) FROM d", "read-only transaction"),
                         ("SELECT nextval('reports_id_seq')", "read-only transaction"),
                         ("DELETE FROM reports", "read-only transaction")):
        result = harvester("query", "--db", research_db.url, sql)
        assert result.exit_code == 1 and message in result.output, (sql, result.output)
    assert counts(research_db.url) == before


def test_clear_errors(tmp_path, research_db):
    missing = tmp_path / "nope" / "harvester.db"
    result = harvester("query", "--db", f"sqlite:///{missing}", "SELECT 1")
    assert result.exit_code == 2 and "does not exist" in result.output       # bad --db: exit 2 (issue 20)
    assert not missing.exists() and not missing.parent.exists()
    for url, words in (("postgresql://nobody@127.0.0.1:1/none", "cannot connect"),
                       ("mysql://x@y/z", "unsupported database")):
        result = harvester("query", "--db", url, "SELECT 1")
        assert result.exit_code == 2 and words in result.output and "Traceback" not in result.output
    result = harvester("query", "--db", research_db.url, "SELEKT * FROM reports")
    assert result.exit_code == 1 and result.output.startswith("Error: SQL error:")
    assert len(result.output.strip().splitlines()) == 1
    result = harvester("query", "--db", research_db.url, "SELECT * FROM no_such_table")
    assert result.exit_code == 1 and "no_such_table" in result.output
