"""`harvester replay`: the crawl's WARC collection served by pywb (wayback) on loopback, so a person opens a
report page as it was captured on a given night.

pywb lives in its own virtualenv (``.venv-replay``, built by scripts/setup.sh from requirements-replay.txt):
its pins conflict with the harvester's and it pulls gevent, which monkey-patches — it is never imported here,
only run as a separate process. The collection is the WARC directory and its CDXJ indexes
(harvester/evidence/warc.py), named ``harvester``; a page is at ``http://HOST:PORT/harvester/<YYYYMMDDhhmmss>/<url>``.
"""
from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import time
from pathlib import Path

COLLECTION = "harvester"
ROOT = Path(__file__).resolve().parents[2]


class ReplayError(RuntimeError):
    """pywb cannot be started (its virtualenv is missing, the port is taken …); the message says why."""


def wayback_binary() -> Path:
    venv = Path(os.environ.get("HARVESTER_REPLAY_VENV") or ROOT / ".venv-replay")
    exe = venv / "bin" / "wayback"
    if not exe.is_file():
        raise ReplayError(f"pywb is not installed: {exe} is missing (run scripts/setup.sh, which builds "
                          f"{venv.name} from requirements-replay.txt)")
    return exe


def timestamp(when) -> str:
    """A capture time as pywb's 14-digit timestamp (UTC)."""
    if isinstance(when, str):
        when = dt.datetime.fromisoformat(when.replace("Z", "+00:00").replace(" ", "T"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc).strftime("%Y%m%d%H%M%S")


def replay_url(base: str, url: str, when=None, modifier: str = "") -> str:
    ts = timestamp(when) if when is not None else ""
    return f"{base.rstrip('/')}/{COLLECTION}/{ts}{modifier}/{url}"


def write_config(warc_dir: str | os.PathLike, workdir: str | os.PathLike) -> Path:
    """pywb's config.yaml: one collection reading the WARC directory and its indexes; no live web, no
    recording, no framing (the page itself, with pywb's rewriting, at the URL above)."""
    warc_dir = Path(warc_dir).resolve()
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    cfg = workdir / "config.yaml"
    cfg.write_text(
        "# written by harvester replay\n"
        "collections:\n"
        f"  {COLLECTION}:\n"
        f"    index_paths: {warc_dir / 'indexes'}/\n"
        f"    archive_paths: {warc_dir}/\n"
        "framed_replay: false\n"
        "enable_memento: true\n", encoding="utf-8")
    return cfg


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def start(warc_dir: str | os.PathLike, workdir: str | os.PathLike, *, host: str = "127.0.0.1",
          port: int = 0, timeout: float = 60.0, log=None) -> tuple[subprocess.Popen, str]:
    """Start wayback on ``host:port`` (a free port when 0); returns the process and its base URL once it
    answers. The caller stops it (``stop``)."""
    from harvester.evidence.warc import index_all

    exe = wayback_binary()
    index_all(warc_dir)                       # an index missing (a crawl killed before its end): written now
    write_config(warc_dir, workdir)
    port = port or _free_port(host)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    proc = subprocess.Popen([str(exe), "-b", host, "-p", str(port)], cwd=str(workdir), env=env,
                            stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
                            start_new_session=True)
    base = f"http://{host}:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ReplayError(f"wayback exited with code {proc.returncode} (see its log)")
        try:
            with socket.create_connection((host, port), timeout=1):
                return proc, base
        except OSError:
            time.sleep(0.2)
    stop(proc)
    raise ReplayError(f"wayback did not answer on {base} within {timeout:g} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
