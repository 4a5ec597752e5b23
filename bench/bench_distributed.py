"""Distributed-crawl benchmark: the simulated world with response latency, crawled by one worker and by two
workers sharing a Redis frontier (`harvester crawl --distributed`), each into a fresh PostgreSQL database.

    .venv/bin/python bench/bench_distributed.py [--latency 0.3] [--workers 1,2] [--per-domain 2] [--delay 0]
        [--redis redis://127.0.0.1:6379/12] [--pg postgresql://root@127.0.0.1:5432/test] [--scale N]

`--scale N` crawls N variant portals of the scale world (harvester/devportal/variants.py, ~20 reports a site)
instead of the default world: `--scale 100 --latency 0.2 --workers 1,2,4` is the latency-bound world of the
scale question.

Every site of the world answers each request `--latency` seconds late (the devportal's `latency` fault), as
distant government servers do: a crawl is bound by waiting, not by CPU, and by the per-domain politeness
limits of a worker (`--per-domain` requests at a time per site, AutoThrottle on). Prints, per number of workers,
the wall-clock time until the last worker ended, requests, reports stored, and the speed-up over one worker.
"""
from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harvester.devportal.server import start_world, write_registry  # noqa: E402
from harvester.devportal.world import build_world  # noqa: E402


def pg_database(admin_url: str) -> tuple[str, callable]:
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(admin_url)
    kwargs = {"host": u.host or "127.0.0.1", "port": u.port or 5432, "user": u.username, "dbname": u.database}
    name = f"harvester_bench_{secrets.token_hex(4)}"
    with psycopg.connect(**kwargs, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0')

    def drop():
        with psycopg.connect(**kwargs, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return u.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False), drop


def crawl(n: int, *, registry: Path, db: str, redis_url: str, tmp: Path, env: dict) -> float:
    job = f"bench-{n}-{secrets.token_hex(3)}"
    t0 = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "harvester.cli", "crawl", "--distributed", redis_url,
                               "--job", job, "--db", db, "--sites", str(registry),
                               "--log-file", str(tmp / f"{job}-{i}.log")], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(n)]
    for p in procs:
        _out, err = p.communicate()
        if p.returncode not in (0, 1):
            raise SystemExit(f"worker failed ({p.returncode}): {err[-2000:]}")
    wall = time.perf_counter() - t0
    import redis
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"harvester:{job}:*"))
    if keys:
        client.delete(*keys)                  # the job's `done` marker: the benchmark's jobs are not kept
    client.close()
    return wall


def counts(db: str) -> tuple[int, int, list]:
    from sqlalchemy import create_engine, text

    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            reports = conn.execute(text("SELECT COUNT(*) FROM reports")).scalar()
            runs = conn.execute(text("SELECT id, counts FROM crawl_runs ORDER BY id")).all()
            outcomes = conn.execute(text("SELECT outcome, COUNT(*) FROM site_outcomes GROUP BY outcome")).all()
    finally:
        engine.dispose()
    return reports, sum((c or {}).get("requests", 0) for _, c in runs), [tuple(o) for o in outcomes]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency", type=float, default=0.3, help="seconds each answer of the simulated sites takes")
    ap.add_argument("--workers", default="1,2", help="worker counts to compare (comma-separated)")
    ap.add_argument("--per-domain", default="2", help="HARVESTER_PER_DOMAIN of each worker")
    ap.add_argument("--delay", default="0", help="HARVESTER_DOWNLOAD_DELAY of each worker")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    ap.add_argument("--pg", default="postgresql://root@127.0.0.1:5432/test", help="admin URL (creates databases)")
    ap.add_argument("--scale", type=int, default=0,
                    help="N variant portals of the scale world (~20 reports a site) instead of the default world")
    args = ap.parse_args()

    if args.scale:
        from harvester.devportal.variants import variant_world
        world = variant_world(n=args.scale, seed=7, many=True)
    else:
        world = build_world()
    for site in world.sites:
        site.faults.add("latency")
        site.fault_state["latency"] = args.latency
    running = start_world(world, port=0)
    results = {}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-distributed-") as tmpdir:
            tmp = Path(tmpdir)
            registry = write_registry(running, tmp / "sites.csv")
            for n in [int(x) for x in args.workers.split(",")]:
                db, drop = pg_database(args.pg)
                env = {**os.environ, "HARVESTER_DOWNLOAD_DELAY": args.delay, "HARVESTER_PER_DOMAIN": args.per_domain,
                       "HARVESTER_ARCHIVE": str(tmp / f"archive-{n}")}
                env.pop("HARVESTER_DB", None)
                try:
                    mark = len(running.request_log)
                    wall = crawl(n, registry=registry, db=db, redis_url=args.redis, tmp=tmp, env=env)
                    reports, _requests, outcomes = counts(db)
                finally:
                    drop()
                served = len(running.request_log) - mark
                results[n] = wall
                print(f"{n} worker{'s' if n > 1 else ' '}: {wall:7.1f} s wall, {served} requests served, "
                      f"{reports} reports stored, outcomes {dict(outcomes)}", flush=True)
    finally:
        running.stop()
    base = results.get(1)
    print(f"world: {len(world.sites)} sites, {len(running.expected_reports())} reports, latency {args.latency:g} s, "
          f"per-domain {args.per_domain}, delay {args.delay} s, machine: {os.cpu_count()} cores")
    if base:
        for n, wall in sorted(results.items()):
            print(f"speed-up with {n} worker{'s' if n > 1 else ''}: {base / wall:.2f}x")


if __name__ == "__main__":
    main()
