"""Never replace better with worse: a portal serves a damaged PDF in place of a good report's PDF, and
`nightly --verify` keeps the good version current (status, document, cells, export row), records the
rejected one with its reason, and the run report and `health` name it for a person — while a real revision
of another report in the same run still wins. When the portal serves the good PDF again, the next verifying
run accepts it and the alarm goes away. Real nightly runs in subprocesses against the loopback portals."""
from __future__ import annotations

import csv
import hashlib
import json
from urllib.parse import urlsplit

import pytest

from harvester.devportal.server import start_world, write_registry
from harvester.devportal.world import build_world

from crawlhelp import query, run_cli

SITE = "hongze"


def report_state(db: str, path: str) -> tuple:
    (row,) = query(db, "SELECT r.id, r.parse_status, r.document_sha256, r.revised_at, "
                       "(SELECT count(*) FROM cells c WHERE c.report_id = r.id AND c.value IS NOT NULL) "
                       "FROM reports r WHERE r.document_url LIKE :p", p=f"%{path}")
    return row


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rejected")
    world = build_world(sites=[SITE])
    running = start_world(world, port=0)
    registry = write_registry(running, tmp / "sites.csv")
    db = f"sqlite:///{tmp / 'h.db'}"
    env = {"HARVESTER_ARCHIVE": str(tmp / "archive")}
    damaged = world.site(SITE).fault_targets["broken_pdf"]
    revised = next(e for e in world.reports if e.site_id == SITE and e.doc_type == "pdf" and e.cells
                   and urlsplit(e.document_url).path != damaged)
    cell = sorted(c for c in revised.cells if c.startswith("active.") and revised.cells[c] is not None)[0]
    out = {"tmp": tmp, "db": db, "damaged": damaged, "revised": (revised, cell, revised.cells[cell])}
    n = 0

    def nightly(*extra):
        nonlocal n
        n += 1
        return run_cli("nightly", "--sites", registry, "--db", db, "--out", tmp / f"exports{n}",
                       "--reports-dir", tmp / "runs", "--log-file", tmp / "logs" / "nightly.log", *extra, env=env)

    try:
        out["first"] = nightly()
        out["before"] = report_state(db, damaged)
        out["revised_before"] = report_state(db, urlsplit(revised.document_url).path)
        running.set_fault(SITE, "broken_pdf")                         # the portal now serves a damaged copy
        running.revise(SITE, revised.document_url, {cell: revised.cells[cell] + 7})   # and a real revision
        out["verify"] = nightly("--verify")
        out["after"] = report_state(db, damaged)
        out["revised_after"] = report_state(db, urlsplit(revised.document_url).path)
        out["rejected"] = query(db, "SELECT report_id, parse_status, reason, document_sha256, resolved_at "
                                    "FROM rejected_revisions")
        out["versions"] = query(db, "SELECT count(*) FROM report_versions WHERE report_id = :r", r=out["before"][0])
        out["health"] = run_cli("health", "--db", db)
        out["health_json"] = run_cli("health", "--db", db, "--json")
        running.set_fault(SITE, "broken_pdf", on=False)               # the portal repairs it
        out["repaired"] = nightly("--verify")
        out["health_repaired"] = run_cli("health", "--db", db)
        yield out
    finally:
        running.stop()


def test_the_damaged_pdf_does_not_replace_the_good_one(nights):
    assert nights["first"].returncode == 0, nights["first"].stderr[-3000:]
    verify = nights["verify"]
    assert verify.returncode == 0, verify.stdout[-2000:] + verify.stderr[-3000:]
    rid, status, sha, revised_at, filled = nights["before"]
    assert status == "parsed" and filled > 100
    assert nights["after"] == nights["before"]                       # same status, document, cells; not revised
    db = nights["db"]
    assert nights["versions"] == [(0,)]
    (rej,) = nights["rejected"]
    assert rej[0] == rid and rej[1] != "parsed" and rej[3] != sha and rej[4] is None
    assert "where the current one is parsed" in rej[2]
    # the damaged bytes are archived (a person can look at them)
    from harvester.db import Store

    store = Store(db, archive_root=nights["tmp"] / "archive", migrate_schema=False)
    try:
        assert hashlib.sha256(store.read_document(rej[3])).hexdigest() == rej[3]   # from its WARC record
    finally:
        store.close()
    # the export row of the report keeps its values
    (export,) = (nights["tmp"] / "exports2").glob("reports_32.csv")
    with export.open(encoding="utf-8-sig", newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if r["report_id"] == str(rid))
    assert row["parse_status"] == "parsed" and sum(1 for k, v in row.items()
                                             if "." in k and not k.startswith("derived.") and v != "") == filled


def test_a_real_revision_in_the_same_run_still_wins(nights):
    rid, status, sha, revised_at, filled = nights["revised_before"]
    rid2, status2, sha2, revised_at2, filled2 = nights["revised_after"]
    assert rid2 == rid and status2 == "parsed" and sha2 != sha and revised_at2 is not None and filled2 == filled
    revised, cell, old_value = nights["revised"]
    assert query(nights["db"], "SELECT value FROM cells WHERE report_id = :r AND cell_id = :c", r=rid, c=cell) \
        == [(old_value + 7,)]


def test_the_run_report_and_the_console_name_the_rejected_revision(nights):
    verify = nights["verify"]
    assert "1 revised" in verify.stdout and "1 rejected" in verify.stdout
    assert "REJECTED revision of report" in verify.stderr
    report = json.loads((nights["tmp"] / "runs" / "run-2.json").read_text(encoding="utf-8"))
    assert report["reports"]["rejected"] == 1 and report["reports"]["revised"] == 1
    (x,) = report["rejected_revisions"]
    assert x["report_id"] == nights["before"][0] and x["kept_status"] == "parsed" and x["hint"]
    md = (nights["tmp"] / "runs" / "run-2.md").read_text(encoding="utf-8")
    assert "## Rejected revisions: need a person" in md and "What to do:" in md


def test_health_names_it_until_the_portal_serves_a_good_document(nights):
    h = nights["health"]
    assert h.returncode == 1, h.stdout + h.stderr
    rid = nights["before"][0]
    assert f"REJECTED revision of report {rid} 淮安市洪泽区人民政府 2019" in h.stdout
    assert "what to do:" in h.stdout
    (row,) = [json.loads(line) for line in nights["health_json"].stdout.splitlines()]
    assert row["site_id"] == SITE and row["outcome"] == "ok" and row["problem"]
    assert [x["report_id"] for x in row["rejected_revisions"]] == [rid]
    # repaired: the good bytes come back, are accepted (same quality), and the alarm is gone
    assert nights["repaired"].returncode == 0, nights["repaired"].stderr[-3000:]
    assert query(nights["db"], "SELECT resolved_at IS NOT NULL FROM rejected_revisions") == [(1,)]
    assert nights["health_repaired"].returncode == 0, nights["health_repaired"].stdout
    rid_, status, sha, _, filled = report_state(nights["db"], nights["damaged"])
    assert (status, sha, filled) == nights["before"][1:3] + (nights["before"][4],)
