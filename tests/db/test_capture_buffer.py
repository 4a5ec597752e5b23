"""warc_captures rows are buffered by the store and written in batches (Store.add_captures): the lookups see
the buffer, every other write transaction carries it, queries of the table and close write it."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap

from sqlalchemy import create_engine, text

from harvester.db import Store


def _row(n: int, run_id: int, **kw) -> dict:
    row = {"record_id": f"<urn:uuid:00000000-0000-0000-0000-{n:012d}>", "request_record_id": None,
           "record_type": "response", "profile": None, "uri": f"http://a.example/{n}.html", "method": "GET",
           "http_status": 200, "content_type": "text/html", "warc_file": "x.warc.gz", "offset": 100 * n,
           "length": 90, "payload_digest": f"sha256:D{n}", "body_sha256": f"{n:064x}", "refers_to": None,
           "captured_at": dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=n),
           "run_id": run_id}
    row.update(kw)
    return row


def _rows_on_disk(db_file) -> int:
    eng = create_engine(f"sqlite:///{db_file}")
    try:
        with eng.connect() as conn:
            return conn.execute(text("SELECT COUNT(*) FROM warc_captures")).scalar_one()
    finally:
        eng.dispose()


def test_lookups_read_the_buffer_and_a_query_of_the_table_writes_it(tmp_path):
    db = tmp_path / "h.db"
    store = Store(f"sqlite:///{db}", archive_root=tmp_path / "a")
    run = store.start_run("crawl")
    store.add_captures([_row(1, run)])
    store.add_captures([_row(2, run, uri="http://a.example/1.html", record_type="revisit", profile="identical",
                             payload_digest="sha256:D1", body_sha256=f"{1:064x}")])
    assert _rows_on_disk(db) == 0                          # buffered, not one transaction a fetch
    assert store.latest_capture("http://a.example/1.html")["offset"] == 200     # the newest one, a revisit
    assert store.capture_by_digest("sha256:D1")["offset"] == 100               # responses only
    assert store.capture_holding(f"{1:064x}")["offset"] == 100                  # payload records only
    assert store.capture_holding(f"{9:064x}") is None
    assert [c["offset"] for c in store.captures(run_id=run)] == [100, 200]      # written first
    assert _rows_on_disk(db) == 2
    # after the write the same answers come from the table
    assert store.latest_capture("http://a.example/1.html")["offset"] == 200
    assert store.capture_by_digest("sha256:D1")["offset"] == 100
    store.close()


def test_any_other_write_carries_the_buffer_and_a_batch_is_written_when_full(tmp_path):
    db = tmp_path / "h.db"
    store = Store(f"sqlite:///{db}", archive_root=tmp_path / "a")
    run = store.start_run("crawl")
    store.add_captures([_row(1, run)])
    store.record_event(run, None, "http://a.example/1.html", "test", "a write of something else")
    assert _rows_on_disk(db) == 1           # committed with the event: nothing committed can name a missing row
    store.add_captures([_row(n, run) for n in range(2, 2 + Store.CAPTURE_BATCH)])
    assert _rows_on_disk(db) == 1 + Store.CAPTURE_BATCH
    store.add_captures([_row(9999, run)])
    store.close()                           # close writes what is left
    assert _rows_on_disk(db) == 2 + Store.CAPTURE_BATCH


def test_a_failed_transaction_keeps_the_buffer_for_the_next(tmp_path):
    db = tmp_path / "h.db"
    store = Store(f"sqlite:///{db}", archive_root=tmp_path / "a")
    run = store.start_run("crawl")
    store.add_captures([_row(1, run)])
    try:
        with store._write() as conn:
            conn.execute(text("SELECT 1"))
            raise RuntimeError("the other write fails")
    except RuntimeError:
        pass
    assert _rows_on_disk(db) == 0
    assert store.flush_captures() == 1 and _rows_on_disk(db) == 1
    store.close()


def test_a_killed_process_loses_only_its_buffered_rows(tmp_path):
    """SIGKILL (os._exit) with rows buffered: the database is whole, holding what was written before."""
    db = tmp_path / "h.db"
    code = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(tmp_path)!r})
        from harvester.db import Store
        from test_rows import _row
        s = Store("sqlite:///{db}", archive_root={str(tmp_path / "a")!r})
        run = s.start_run("crawl")
        s.add_captures([_row(1, run)])
        s.flush_captures()
        s.add_captures([_row(2, run)])
        os._exit(9)
    """)
    (tmp_path / "test_rows.py").write_text(
        "import datetime as dt\n" + __import__("inspect").getsource(_row), encoding="utf-8")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 9
    assert _rows_on_disk(db) == 1
    eng = create_engine(f"sqlite:///{db}")
    with eng.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    eng.dispose()
