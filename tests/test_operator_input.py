"""Every operator mistake fails loudly: a table of bad inputs for every command — malformed and unknown
database URLs, a missing SQLite folder, an unreachable PostgreSQL, a missing database for the commands that
only read, GBK/UTF-16/broken registries, an unknown site or province. Each is the real `harvester` command
in a subprocess, run in an empty folder: exit 2, at most three lines on stderr, no traceback, and no file
created (not the database, not its folder, not a log)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PG_DOWN = f"postgresql://nobody@127.0.0.1:{closed_port()}/test"

# every command that takes --db, with the arguments it needs besides
COMMANDS = {
    "crawl": ["crawl", "--sites", "{registry}"],
    "nightly": ["nightly", "--sites", "{registry}"],
    "demo": ["demo", "--port", "0"],
    "init": ["init"],
    "health": ["health"],
    "export": ["export", "--out", "out"],
    "query": ["query", "SELECT 1"],
    "coverage": ["coverage", "--out", "out"],
    "browse": ["browse", "--port", "0"],
    "show": ["show", "1"],
    "reparse": ["reparse"],
    "mute": ["mute", "site1", "--why", "x", "--until", "30d"],
}
CREATING = {"crawl", "nightly", "demo", "init"}
BAD_URLS = {
    "no-slashes": "sqlite:/bad",
    "unknown-backend": "foo://x",
    "mysql": "mysql://u@localhost/db",
    "unknown-driver": "postgresql+nosuchdriver://u@localhost/db",
    "not-a-url": "://",
    "missing-folder": "sqlite:///{tmp}/nonexistent/dir/x.db",
    "pg-unreachable": PG_DOWN,
}


def run(tmp: Path, args: list[str], env: dict | None = None) -> subprocess.CompletedProcess:
    e = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    e.pop("HARVESTER_DB", None)
    e.pop("HARVESTER_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "harvester.cli", *args], cwd=tmp, env=e, capture_output=True,
                          text=True, timeout=120)


def tree(path: Path) -> set[str]:
    return {str(p.relative_to(path)) for p in path.rglob("*")}


def registry(tmp: Path) -> Path:
    reg = tmp / "sites.csv"
    reg.write_text("site_id,name,province,city,county,start_url,platform\n"
                   f"site1,某县人民政府,江苏省,淮安市,某县,http://127.0.0.1:{closed_port()}/,\n", encoding="utf-8")
    return reg


def assert_loud(result: subprocess.CompletedProcess, before: set[str], tmp: Path, *needles: str) -> None:
    lines = result.stderr.strip().splitlines()
    detail = f"exit {result.returncode}\nstdout: {result.stdout[-800:]}\nstderr: {result.stderr[-1500:]}"
    assert result.returncode == 2, detail
    assert 1 <= len(lines) <= 3, detail
    assert "Traceback" not in result.stderr + result.stdout, detail
    created = {p for p in tree(tmp) - before    # a WAL database read leaves its -wal/-shm companions: not new files
               if not (p.endswith(("-wal", "-shm")) and p[:-4] in before)}
    assert not created, f"files created: {sorted(created)}\n{detail}"
    for needle in needles:
        assert needle in result.stderr, detail


def sql(url: str, statement: str) -> list[tuple]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement))
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()


def fill(args: list[str], tmp: Path, reg: Path) -> list[str]:
    return [a.format(tmp=tmp, registry=reg) for a in args]


@pytest.mark.parametrize("url_name", sorted(BAD_URLS))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_bad_database_urls(tmp_path, command, url_name):
    reg = registry(tmp_path)
    before = tree(tmp_path)
    url = BAD_URLS[url_name].format(tmp=tmp_path)
    result = run(tmp_path, fill(COMMANDS[command], tmp_path, reg) + ["--db", url])
    needle = {"missing-folder": "does not exist", "pg-unreachable": "cannot connect to PostgreSQL",
              "unknown-driver": "unknown driver", "mysql": "unsupported database"}.get(url_name, "--db")
    assert_loud(result, before, tmp_path, needle)


@pytest.mark.parametrize("command", sorted(set(COMMANDS) - CREATING))
def test_read_only_commands_never_create_a_database(tmp_path, command):
    reg = registry(tmp_path)
    before = tree(tmp_path)
    result = run(tmp_path, fill(COMMANDS[command], tmp_path, reg) + ["--db", f"sqlite:///{tmp_path / 'typo.db'}"])
    assert_loud(result, before, tmp_path, "no database at", "typo.db")
    # and the same with the default database (./data/harvester.db, absent here)
    result = run(tmp_path, fill(COMMANDS[command], tmp_path, reg))
    assert_loud(result, before, tmp_path)


def test_the_creating_commands_create_a_database_in_an_existing_folder(tmp_path):
    result = run(tmp_path, ["init", "--db", f"sqlite:///{tmp_path / 'new.db'}"])
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "new.db").is_file()
    assert run(tmp_path, ["health", "--db", f"sqlite:///{tmp_path / 'new.db'}"]).returncode == 0


BAD_REGISTRIES = {
    "utf16": ("\ufeffsite_id,name,province,city,county,start_url\n".encode("utf-16-le"), "UTF-16"),
    "binary": (b"site_id,name\n\x81\x30\xff\xfe\x80\x80garbage", "neither UTF-8 nor GBK/GB18030"),
    "bad-header": ("name,url\n某县,http://x/\n".encode(), "header lacks"),
    "bad-url": ("site_id,name,province,city,county,start_url\n1,某县,江苏省,,,ftp://x/\n".encode("gbk"),
                "not an http(s) URL"),
    "duplicate": ("site_id,name,province,city,county,start_url\n1,a,,,,http://a/\n1,b,,,,http://b/\n".encode(),
                  "duplicate site_id"),
}


@pytest.mark.parametrize("name", sorted(BAD_REGISTRIES))
@pytest.mark.parametrize("command", ["crawl", "nightly", "health"])
def test_broken_registries(tmp_path, command, name):
    data, needle = BAD_REGISTRIES[name]
    (tmp_path / "bad.csv").write_bytes(data)
    db = f"sqlite:///{tmp_path / 'h.db'}"
    assert run(tmp_path, ["init", "--db", db]).returncode == 0
    before = tree(tmp_path)
    result = run(tmp_path, [command, "--sites", "bad.csv", "--db", db])
    assert_loud(result, before, tmp_path, needle, "bad.csv")


def test_missing_registry(tmp_path):
    db = f"sqlite:///{tmp_path / 'h.db'}"
    assert run(tmp_path, ["init", "--db", db]).returncode == 0
    before = tree(tmp_path)
    for command in ("crawl", "nightly", "health"):
        assert_loud(run(tmp_path, [command, "--sites", "nosuch.csv", "--db", db]), before, tmp_path, "nosuch.csv")


@pytest.fixture()
def stocked(tmp_path):
    """A real SQLite database with one site and one report (no crawl needed to hold data)."""
    from harvester.db import Store

    db = f"sqlite:///{tmp_path / 'h.db'}"
    with Store(db, archive_root=tmp_path / "archive") as store:
        store.upsert_sites([{"site_id": "site1", "name": "某县人民政府", "province": "江苏省", "city": "淮安市",
                             "county": "某县", "start_url": "http://127.0.0.1:9/"}])
        store.upsert_report(site_id="site1", agency="某县人民政府", year=2023,
                            fields={"title": "某县人民政府2023年政府信息公开工作年度报告", "parse_status": "parsed"})
    return tmp_path, db


@pytest.mark.parametrize("args, needle", [
    (["crawl", "--sites", "{registry}", "--site", "nosuch"], "--site nosuch: not in the registry"),
    (["export", "--province", "Atlantis"], "unknown province 'Atlantis'"),
    (["coverage", "--province", "Atlantis"], "unknown province 'Atlantis'"),
    (["export", "--year", "20x3"], "--year"),
    (["mute", "nosuch", "--why", "x", "--until", "30d"], "site 'nosuch' is not in the database"),
    (["mute", "site1", "--why", "x", "--until", "2001-01-01"], "the date has passed"),
    (["mute", "site1", "--until", "30d"], "--why"),
    (["show", "某县人民政府"], "YEAR"),
    (["crawl", "--sites", "{registry}", "--no-such-flag"], "No such option"),
])
def test_unknown_site_province_and_other_bad_options(stocked, args, needle):
    tmp, db = stocked
    reg = registry(tmp)
    before = tree(tmp)
    result = run(tmp, fill(args, tmp, reg) + ["--db", db])
    assert_loud(result, before, tmp, needle)


def test_gbk_and_bom_registries_are_read(tmp_path):
    """What Excel saves: GBK ("CSV"), UTF-8 with BOM ("CSV UTF-8"), and plain UTF-8 — the same sites."""
    from harvester.crawl.registry import load_sites

    text = "site_id,name,province,city,county,start_url\n320800,淮安市人民政府,江苏省,淮安市,,http://www.huaian.gov.cn/\n"
    got = []
    for name, data in (("gbk", text.encode("gbk")), ("gb18030", text.encode("gb18030")),
                       ("bom", b"\xef\xbb\xbf" + text.encode()), ("utf8", text.encode())):
        (tmp_path / f"{name}.csv").write_bytes(data)
        got.append([(s.site_id, s.name, s.province) for s in load_sites(tmp_path / f"{name}.csv")])
    assert got == [[("320800", "淮安市人民政府", "江苏省")]] * 4


def test_debug_shows_the_traceback(tmp_path):
    """An unexpected error is one line without --debug and the whole traceback with it."""
    from harvester.db import Store

    db = tmp_path / "h.db"
    Store(f"sqlite:///{db}").close()
    db.write_bytes(b"this is not a sqlite database" * 100)     # exists, so the URL check passes
    quiet = run(tmp_path, ["reparse", "--db", f"sqlite:///{db}"])
    assert quiet.returncode == 1 and "Traceback" not in quiet.stderr
    assert len(quiet.stderr.strip().splitlines()) == 1 and "--debug" in quiet.stderr, quiet.stderr
    loud = run(tmp_path, ["--debug", "reparse", "--db", f"sqlite:///{db}"])
    assert loud.returncode != 0 and "Traceback" in loud.stderr
    after = run(tmp_path, ["reparse", "--db", f"sqlite:///{db}", "--debug"])     # where people type it
    assert after.returncode != 0 and "Traceback" in after.stderr and "No such option" not in after.stderr


@pytest.mark.parametrize("command", sorted(set(COMMANDS) - CREATING))
def test_read_only_commands_never_create_tables_in_an_empty_postgresql_database(tmp_path, pg_url, command):
    """A PostgreSQL database without the harvester's tables (a mistyped database or schema): the read-only
    commands say so and exit 2; they do not migrate it."""
    reg = registry(tmp_path)
    before = tree(tmp_path)
    result = run(tmp_path, fill(COMMANDS[command], tmp_path, reg) + ["--db", pg_url])
    assert_loud(result, before, tmp_path, "no harvester tables")
    assert sql(pg_url, "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()") \
        == [(0,)]
    assert run(tmp_path, ["init", "--db", pg_url]).returncode == 0          # init creates them
    assert sql(pg_url, "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() "
                       "AND table_name = 'rejected_revisions'") == [(1,)]
    for kind, drop in (("VIEW", "DROP VIEW "), ("BASE TABLE", "DROP TABLE ")):   # views (report_evidence) first
        names = [t for (t,) in sql(pg_url, "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                                           f"current_schema() AND table_type = '{kind}'")]
        if names:
            sql(pg_url, drop + ", ".join(names) + " CASCADE")
