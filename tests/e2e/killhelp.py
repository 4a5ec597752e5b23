"""Kill a crawl at random moments and resume it: shared by tests/e2e/test_kill.py and bench/bench_kill.py."""
from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from crawlhelp import ROOT, query, run_cli, snapshot


def _count(db_file: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db_file}?mode=ro", uri=True, timeout=1) as c:
            return c.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
    except sqlite3.Error:
        return 0


def _runs(db_file: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db_file}?mode=ro", uri=True, timeout=1) as c:
            # runs not finished: a kill while the process exits after recording its run finished interrupts nothing
            return c.execute("SELECT COUNT(*) FROM crawl_runs WHERE status != 'finished'").fetchone()[0]
    except sqlite3.Error:
        return 0


def start(args, env) -> subprocess.Popen:
    e = {**os.environ, **env}
    e.pop("HARVESTER_DB", None)
    return subprocess.Popen([sys.executable, "-m", "harvester.cli", *map(str, args)], cwd=ROOT, env=e,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def kill_at(proc: subprocess.Popen, delay: float) -> bool:
    """SIGKILL the process group after ``delay`` seconds; False when it had finished before."""
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    if proc.poll() is not None:
        return False
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return True


def sandbox_leftovers(pid: int) -> list[str]:
    """Sandbox processes (fork server, monitors, workers) of a killed crawl still alive."""
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [ln for ln in out.splitlines() if f"harvester-sandbox-{pid}-" in ln]


def integrity(db_file: Path) -> str:
    with sqlite3.connect(db_file) as c:
        return c.execute("PRAGMA integrity_check").fetchone()[0]


def orphans(db_url: str, archive: Path) -> dict:
    """Archive files no document row names, documents whose bytes cannot be read back, and partial files left
    in the spool."""
    known = {s for (s,) in query(db_url, "SELECT sha256 FROM documents WHERE sha256 IS NOT NULL")}
    known |= {s for (s,) in query(db_url, "SELECT document_sha256 FROM report_versions WHERE document_sha256 IS NOT NULL")}
    files = {p.name for p in archive.glob("[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f]/*")}
    spool = list((archive / ".tmp").glob("*")) if (archive / ".tmp").exists() else []
    # the archive is a view of the WARC records (harvester/evidence/warc.py): a document's bytes are a file of the
    # archive or the payload of a recorded WARC record — read back and checked against the SHA-256
    from harvester.db import Store

    store = Store(db_url, archive_root=archive, migrate_schema=False)
    try:
        missing = []
        for sha in sorted(known - files):
            try:
                store.read_document(sha)
            except (FileNotFoundError, ValueError):
                missing.append(sha)
    finally:
        store.close()
    return {"unreferenced": sorted(files - known), "missing": missing, "partial": [p.name for p in spool]}


def _sandbox_processes(pid: int) -> int:
    """Processes of the crawl ``pid``'s sandbox alive now (the fork server, and while a document is read, its
    monitor and worker), from /proc (cheap enough to poll every few milliseconds)."""
    marker = f"harvester-sandbox-{pid}-".encode()
    n = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/cmdline", "rb") as fh:
                    n += marker in fh.read()
            except OSError:
                pass
    return n


def kill_when(proc: subprocess.Popen, ready, *, timeout: float, poll: float = 0.005) -> bool:
    """SIGKILL the process group as soon as ``ready()`` is true; False when the process ended or ``timeout``
    passed first (the phase was not met)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if ready():
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(poll)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    return False


def kill_in_phase(phase: str, args, env: dict, *, db_file: Path | None = None, out: Path | None = None,
                  timeout: float = 60.0) -> tuple[bool, dict]:
    """Start ``harvester *args`` and SIGKILL it in ``phase``:

    - ``extract``: while a document is read (a sandbox worker forked: more processes than the fork server);
    - ``db_write``: while the store writes — after this run stored a report, the next growth of the database's
      WAL file (a write under way: cells, checks, a report);
    - ``export``: while an export file is written (a non-empty ``*.tmp`` in ``out``, not yet renamed).

    Returns (the phase was hit, what was seen at the kill)."""
    proc = start(args, env)
    seen: dict = {}
    if phase == "extract":
        def ready():
            n = _sandbox_processes(proc.pid)
            seen["sandbox_processes"] = n
            return n >= 2
    elif phase == "db_write":
        wal = Path(f"{db_file}-wal")
        start_count = _count(db_file)
        state = {"stored": False, "size": None}

        def ready():
            if not state["stored"]:
                state["stored"] = _count(db_file) > start_count
                state["size"] = wal.stat().st_size if wal.exists() else 0
                return False
            size = wal.stat().st_size if wal.exists() else 0
            grew = size != state["size"]
            state["size"] = size
            seen.update(reports=_count(db_file), wal_bytes=size)
            return grew
    elif phase == "export":
        def ready():
            tmp = []
            for p in (out.glob("*.tmp") if out.exists() else []):
                try:
                    if p.stat().st_size > 0:
                        tmp.append(p)
                except OSError:                # renamed meanwhile
                    pass
            seen["tmp"] = [p.name for p in tmp]
            return bool(tmp)
    else:
        raise ValueError(phase)
    hit = kill_when(proc, ready, timeout=timeout, poll=0.002 if phase == "export" else 0.005)
    seen["left"] = sandbox_leftovers(proc.pid) if hit else []
    return hit, seen


STARTUP = 2.0          # seconds before a crawl process does anything (Python, Scrapy, the database)


def kill_and_resume(registry, tmp: Path, *, kills: int, seed: int, duration: float, env: dict, max_tries: int = 40,
                    total: int = 0):
    """Crawl into tmp/killed.db, SIGKILLed at ``kills`` random moments (each run killed after the start-up and
    a random share of ``duration / kills`` seconds: the moments fall over the whole crawl, in fetching, reading
    documents and writing the database),
    resumed each time, then once to the end. Returns (db_url, moments: [(delay, reports stored when killed,
    sandbox processes left, whether the killed run was under way: its crawl_runs row written, not finished)], tries). Only kills of
    a run that had begun count towards ``kills`` (a kill during Python's start-up tests nothing)."""
    rng = random.Random(seed)
    per_kill = max(1.0, duration / kills)          # spread over the crawl: each resumed run gets a little further
    db_file = tmp / "killed.db"
    db = f"sqlite:///{db_file}"
    moments = []
    tries = 0
    shortest = None
    while sum(1 for m in moments if m[3]) < kills and tries < max_tries:
        tries += 1
        # alternately a short run (a share of duration / kills) and a long one (a share of what is left to
        # do: a resumed crawl fetches again what it had not stored), so kills fall before, among and after
        # the reports' writes
        done = _count(db_file) / total if total else 0.0
        if tries % 2:
            delay = STARTUP + rng.uniform(0.05, 0.85) * max(0.15 * duration, (duration - STARTUP) * (1.0 - done))
        else:
            delay = STARTUP + rng.uniform(0.1, 1.5) * per_kill
        if shortest is not None:                   # a resumed run that finished showed how short runs now are
            delay = min(delay, rng.uniform(0.3, 0.9) * shortest)
        t0 = time.monotonic()
        runs = _runs(db_file)
        proc = start(["crawl", "--sites", registry, "--db", db], env)
        if kill_at(proc, delay):
            moments.append((round(delay, 2), _count(db_file), sandbox_leftovers(proc.pid), _runs(db_file) > runs))
        else:
            ran = time.monotonic() - t0
            shortest = ran if shortest is None else min(shortest, ran)
    final = run_cli("crawl", "--sites", registry, "--db", db, env=env, timeout=900)
    assert final.returncode == 0, final.stderr[-3000:]
    return db, moments, tries


__all__ = ["kill_and_resume", "kill_in_phase", "kill_when", "integrity", "orphans", "snapshot", "query", "run_cli", "start", "kill_at"]
