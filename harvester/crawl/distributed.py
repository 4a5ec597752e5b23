"""Distributed crawls: several `harvester crawl --distributed redis://…` workers share one frontier.

The engine is Scrapy with scrapy-redis: the scheduler's queue and the request dupefilter live in Redis, so
every worker of a job pops from the same priority queue and a URL is requested once per job, whichever worker
finds it first. PostgreSQL is the shared database (reports are unique by agency and year; every write is an
upsert). This module adds what scrapy-redis leaves to the application (docs/distributed.md):

* **job keys** — everything of a job lives under ``harvester:<job>:`` (`JobKeys`): ``requests`` (the
  frontier), ``dupefilter`` (fingerprints), ``workers`` (live workers), ``state`` (busy/idle per worker),
  ``alive:<worker>`` (a heartbeat with a short TTL), ``stats`` (each worker's per-site counters), ``done``.
  ``SCHEDULER_PERSIST`` is on: a worker that closes never flushes the shared frontier; the job's last worker
  deletes the job's keys after recording its outcomes and leaves ``done`` behind, so the same job name is
  not crawled twice. Every key expires `HARVESTER_JOB_TTL` seconds after the job's last heartbeat: a job
  whose workers all died can be resumed with the same ``--job`` until then.
* **idle / close** — a worker with nothing to do marks itself idle and stays open (DontCloseSpider) while the
  shared queue holds requests or another live worker is busy (it may still yield requests); it marks itself
  busy *before* it pops a request, so at any moment outstanding work is in the queue or with a busy worker.
* **outcomes** — each worker keeps its own CrawlContext and run row; its per-site counters (`SiteStats`) are
  published to Redis while it runs and when it closes. The last worker to leave merges every worker's
  counters (`merge_stats`) and records the job's per-site outcomes (and the report columns to remember) with
  its run; the other workers' runs record their counts and events but no outcomes.
"""
from __future__ import annotations

import json
import logging
import os
import re
import socket
import threading
from collections import Counter
from dataclasses import fields
from datetime import datetime, timezone
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.scheduler import Scheduler

log = logging.getLogger(__name__)

JOB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
HEARTBEAT_SECONDS = 2.0       # the heartbeat thread refreshes the worker's alive key this often
ALIVE_TTL = 15                # a worker whose alive key expired is gone (crashed, killed)
POLL_SECONDS = 0.5            # an idle worker looks at the shared queue this often
STATS_SECONDS = 5.0           # a running worker publishes its counters this often (a crashed one's are kept)
DEFAULT_JOB_TTL = 3 * 24 * 3600


class DistributedError(Exception):
    """A distributed worker cannot start (message for the user)."""


# ---- settings for a worker ------------------------------------------------------------------------
def default_job(sites: str) -> str:
    """The registry's name and today's UTC date: tonight's job never shares keys with tomorrow's."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(sites).stem).strip("-._") or "sites"
    return f"{stem}-{datetime.now(timezone.utc).date().isoformat()}"


def prefix(job: str) -> str:
    return f"harvester:{job}"


def worker_settings(redis_url: str, job: str) -> dict:
    """Scrapy settings (cmdline priority) that make a crawl a worker of `job` on the Redis at `redis_url`."""
    from harvester import settings as project

    return {
        "SCHEDULER": "harvester.crawl.distributed.JobScheduler",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_QUEUE_KEY": f"{prefix(job)}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{prefix(job)}:dupefilter",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,            # closing never flushes the shared frontier (see the module doc)
        "SCHEDULER_IDLE_BEFORE_CLOSE": 0,     # never block the reactor on an empty queue; WorkerExtension polls
        "REDIS_URL": redis_url,
        "HARVESTER_DISTRIBUTED": redis_url,
        "HARVESTER_JOB": job,
        "EXTENSIONS": {**project.EXTENSIONS, "harvester.crawl.distributed.WorkerExtension": 510},
    }


def prepare_worker(redis_url: str, job: str | None, *, sites: str, db_url: str) -> tuple[str, dict]:
    """Check that a worker can start — a shared database, Redis answering, a job that is not done — and
    return (job name, settings)."""
    from sqlalchemy.engine import make_url

    try:
        backend = make_url(db_url).get_backend_name()
    except Exception as exc:  # noqa: BLE001 - reported to the user
        raise DistributedError(f"bad database URL {db_url!r}: {exc}") from None
    if backend != "postgresql":
        raise DistributedError(
            f"--distributed needs the shared PostgreSQL database (--db postgresql://user@host/db); {backend} "
            "cannot be shared by workers (a SQLite file serialises every writer and is not reachable from other "
            "machines)")
    if not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise DistributedError(f"--distributed takes a Redis URL (redis://host:6379/0), not {redis_url!r}")
    job = job or default_job(sites)
    if not JOB_NAME.match(job):
        raise DistributedError(f"bad job name {job!r}: letters, digits, '.', '_' and '-' (at most 100)")
    server = _redis(redis_url)
    try:
        server.ping()
        done = server.get(JobKeys(job).done)
    except Exception as exc:  # noqa: BLE001 - redis.ConnectionError and friends
        raise DistributedError(f"Redis at {redis_url} does not answer: {exc}") from None
    finally:
        server.close()
    if done:
        raise DistributedError(f"job {job!r} is already done ({done.decode()}); give tonight's crawl another "
                               "name with --job")
    return job, worker_settings(redis_url, job)


def _redis(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10)


# ---- the job's Redis bookkeeping -----------------------------------------------------------------------
class JobKeys:
    def __init__(self, job: str):
        p = prefix(job)
        self.requests, self.dupefilter = f"{p}:requests", f"{p}:dupefilter"
        self.workers, self.state, self.stats = f"{p}:workers", f"{p}:state", f"{p}:stats"
        self.merged, self.done = f"{p}:merged", f"{p}:done"
        self._alive = f"{p}:alive:"

    def alive(self, worker: str) -> str:
        return self._alive + worker

    def all(self) -> list[str]:
        return [self.requests, self.dupefilter, self.workers, self.state, self.stats, self.merged]


class Job:
    """One worker's view of its job in Redis."""

    def __init__(self, redis_url: str, job: str, job_ttl: int = DEFAULT_JOB_TTL):
        self.url, self.name, self.ttl = redis_url, job, job_ttl
        self.keys = JobKeys(job)
        self.server = _redis(redis_url)
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self.busy = True
        self.registered = False
        self.merged = False                   # this worker recorded the job's outcomes
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- membership and heartbeat --
    def register(self) -> None:
        k = self.keys
        self._prune()
        pipe = self.server.pipeline()
        pipe.sadd(k.workers, self.worker).hset(k.state, self.worker, "busy")
        pipe.set(k.alive(self.worker), "1", ex=ALIVE_TTL)
        for key in (k.workers, k.state):
            pipe.expire(key, self.ttl)
        pipe.execute()
        self.registered = True
        self._thread = threading.Thread(target=self._heartbeat, name="harvester-job-heartbeat", daemon=True)
        self._thread.start()

    def _heartbeat(self) -> None:
        """In a thread of its own: a worker busy in a long synchronous pipeline stage is still alive."""
        server = _redis(self.url)
        try:
            while not self._stop.wait(HEARTBEAT_SECONDS):
                try:
                    pipe = server.pipeline()
                    pipe.set(self.keys.alive(self.worker), "1", ex=ALIVE_TTL)
                    for key in self.keys.all():
                        pipe.expire(key, self.ttl)
                    pipe.execute()
                except Exception:  # noqa: BLE001 - a Redis hiccup: try again on the next beat
                    log.warning("job heartbeat failed", exc_info=True)
        finally:
            server.close()

    def stop_heartbeat(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=HEARTBEAT_SECONDS + 5)

    def _live(self, workers) -> set[str]:
        workers = [w.decode() if isinstance(w, bytes) else w for w in workers]
        if not workers:
            return set()
        flags = self.server.mget([self.keys.alive(w) for w in workers])
        return {w for w, flag in zip(workers, flags) if flag is not None or w == self.worker}

    def _prune(self) -> None:
        """Workers whose heartbeat stopped (killed, crashed) leave the job."""
        members = self.server.smembers(self.keys.workers)
        dead = {m.decode() for m in members} - self._live(members)
        if dead:
            log.warning("workers %s of job %s are gone (no heartbeat)", sorted(dead), self.name)
            self.server.srem(self.keys.workers, *dead)

    # -- busy / idle --
    def queued(self) -> int:
        return self.server.zcard(self.keys.requests)

    def mark_busy(self) -> None:
        if not self.busy:
            self.server.hset(self.keys.state, self.worker, "busy")
            self.busy = True

    def mark_idle(self) -> None:
        if self.busy:
            self.server.hset(self.keys.state, self.worker, "idle")
            self.busy = False

    def others_busy(self) -> list[str]:
        state = {w.decode(): s.decode() for w, s in self.server.hgetall(self.keys.state).items()}
        busy = [w for w, s in state.items() if s == "busy" and w != self.worker]
        return sorted(self._live(busy) - {self.worker}) if busy else []

    def should_wait(self) -> bool:
        """While this worker is idle: is there work in the job still? (queue first, then the workers: work is
        always in the queue or with a busy worker, who marks itself busy before it pops)."""
        return self.queued() > 0 or bool(self.others_busy()) or self.queued() > 0

    # -- stats and the end of the job --
    def publish(self, stats: dict) -> None:
        data = json.dumps({sid: st.as_dict() for sid, st in stats.items()}, ensure_ascii=False)
        self.server.hset(self.keys.stats, self.worker, data)

    def leave(self, stats: dict) -> dict | None:
        """Publish this worker's final counters and leave the job. The last worker out gets every worker's
        counters merged (and clears the job's keys); the others get None."""
        k = self.keys
        self.stop_heartbeat()
        self.publish(stats)
        self._prune()
        pipe = self.server.pipeline(transaction=True)
        pipe.srem(k.workers, self.worker).hset(k.state, self.worker, "done").scard(k.workers)
        left = pipe.execute()[-1]
        self.server.delete(k.alive(self.worker))
        if left:
            log.info("job %s: %d workers still running; the last one records the outcomes", self.name, left)
            return None
        if not self.server.set(k.merged, self.worker, nx=True, ex=self.ttl):
            return None                                     # a worker that joined late merged already
        published = self.server.hgetall(k.stats)
        merged = merge_stats([json.loads(v) for v in published.values()])
        self.merged = True
        log.info("job %s: last worker; outcomes merged from %d workers", self.name, len(published))
        return merged

    def finish(self, run_id: int | None) -> None:
        """After the merged outcomes are stored: the job is done; its frontier and bookkeeping go."""
        stamp = f"outcomes recorded by run {run_id} at {datetime.now(timezone.utc).isoformat(timespec='seconds')}"
        pipe = self.server.pipeline(transaction=True)
        pipe.set(self.keys.done, stamp, ex=self.ttl)
        pipe.delete(*self.keys.all())
        pipe.execute()

    def close(self) -> None:
        self.stop_heartbeat()
        self.server.close()


def job_for(crawler) -> Job:
    job = getattr(crawler, "harvester_job", None)
    if job is None:
        s = crawler.settings
        job = Job(s.get("HARVESTER_DISTRIBUTED"), s.get("HARVESTER_JOB"),
                  s.getint("HARVESTER_JOB_TTL", DEFAULT_JOB_TTL))
        crawler.harvester_job = job
    return job


# ---- merging per-site counters ------------------------------------------------------------------------
def merge_stats(workers: list[dict]) -> dict:
    """Per-site SiteStats of the whole job from each worker's `SiteStats.as_dict()` by site: counts summed,
    flags or-ed, URL sets united, lists joined, the first reason kept."""
    from harvester.crawl.run import SiteStats

    proto = SiteStats()
    kinds = {f.name: type(getattr(proto, f.name)) for f in fields(SiteStats)}
    out: dict[str, SiteStats] = {}
    for per_site in workers:
        for sid, raw in per_site.items():
            st = out.setdefault(sid, SiteStats())
            for name, value in raw.items():
                kind, cur = kinds.get(name), getattr(st, name, None)
                if kind is None or value is None:
                    continue
                if kind is bool:
                    setattr(st, name, cur or bool(value))
                elif kind is int:
                    setattr(st, name, cur + int(value))
                elif kind is set:
                    cur.update(value)
                elif kind is Counter:
                    cur.update(Counter(value))
                elif kind is list:
                    cur.extend(v for v in value if v not in cur)
                elif not cur:                           # str | None: entry_error, blocked, moved_to, …
                    setattr(st, name, value)
    return out


# ---- Scrapy components ------------------------------------------------------------------------------------
class JobScheduler(Scheduler):
    """scrapy-redis's scheduler (shared priority queue + dupefilter), marking the worker busy before it pops
    and without the deprecated `spider=` argument to the stats."""

    @classmethod
    def from_crawler(cls, crawler):
        instance = super().from_crawler(crawler)
        instance.job = job_for(crawler)
        return instance

    def enqueue_request(self, request):
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self):
        if not self.job.busy:
            if not len(self.queue):
                return None
            self.job.mark_busy()
        request = self.queue.pop(self.idle_before_close)
        if request is not None and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request


class WorkerExtension:
    """Registers the worker, keeps it open while the job has work, and merges outcomes at the end."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.job = job_for(crawler)
        self._poll = self._publish = None

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider):
        from twisted.internet.task import LoopingCall

        from harvester.crawl.run import crawl_context

        self.job.register()
        ctx = crawl_context(self.crawler)
        ctx.merge_stats = self._merge           # the hook CrawlContext.finish calls (harvester/crawl/run.py)
        log.info("worker %s of job %s (run %s)", self.job.worker, self.job.name, ctx.run_id)
        self._poll = LoopingCall(self._wake)
        self._poll.start(POLL_SECONDS, now=False)
        self._publish = LoopingCall(lambda: self.job.publish(ctx.stats))
        self._publish.start(STATS_SECONDS, now=False)

    def _wake(self):
        """Scrapy's engine looks at an idle scheduler every 5 s; requests other workers queue are taken sooner."""
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None and getattr(slot, "closing", None) is None:
            slot.nextcall.schedule()

    def spider_idle(self, spider):
        self.job.mark_idle()
        if self.job.should_wait():
            raise DontCloseSpider

    def _stop_loops(self):
        for loop in (self._poll, self._publish):
            if loop is not None and loop.running:
                loop.stop()

    def _merge(self, stats: dict) -> dict | None:
        self._stop_loops()
        if not self.job.registered:
            return None
        try:
            return self.job.leave(stats)
        except Exception:  # noqa: BLE001 - Redis gone: record no outcome rather than a partial one
            log.exception("job %s: leaving the job failed; this worker records no outcomes", self.job.name)
            return None

    def spider_closed(self, spider, reason):
        from harvester.crawl.run import crawl_context

        self._stop_loops()
        ctx = crawl_context(self.crawler)
        if not ctx.closed:
            ctx.finish("finished" if reason == "finished" else f"stopped: {reason}")
        if self.job.merged:
            self.job.finish(ctx.run_id)
        self.job.close()
