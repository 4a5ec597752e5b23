"""Progress: on a terminal (a real pseudo-terminal) `harvester crawl` and `harvester reparse` draw a live
line — sites done/total, reports new/updated, requests, the current site; not on a terminal (a pipe, as
under cron) nothing of it is written: the output stays quiet and line-based."""
from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys

import pytest

from harvester.devportal.server import start_world, write_registry
from harvester.devportal.world import build_world

from crawlhelp import ROOT, run_cli

SITE = "wuhou"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run_on_a_terminal(*args, env: dict) -> tuple[int, str]:
    """The command with stdout and stderr on a pseudo-terminal; everything it drew there."""
    primary, secondary = pty.openpty()
    e = {**os.environ, "HARVESTER_DOWNLOAD_DELAY": "0", "HARVESTER_PER_DOMAIN": "8", "COLUMNS": "160",
         "TERM": "xterm", **env}
    e.pop("HARVESTER_DB", None)
    e.pop("HARVESTER_PROGRESS", None)
    proc = subprocess.Popen([sys.executable, "-m", "harvester.cli", *map(str, args)], cwd=ROOT, env=e,
                            stdin=subprocess.DEVNULL, stdout=secondary, stderr=secondary)
    os.close(secondary)
    chunks = []
    while True:
        ready, _, _ = select.select([primary], [], [], 1.0)
        if ready:
            try:
                data = os.read(primary, 65536)
            except OSError:            # the command closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    proc.wait(timeout=600)
    os.close(primary)
    return proc.returncode, b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("progress")
    running = start_world(build_world(sites=[SITE]), port=0)
    try:
        yield tmp, write_registry(running, tmp / "sites.csv")
    finally:
        running.stop()


def test_a_progress_line_on_a_terminal(world):
    tmp, registry = world
    env = {"HARVESTER_ARCHIVE": str(tmp / "archive-tty")}
    db = f"sqlite:///{tmp / 'tty.db'}"
    rc, screen = run_on_a_terminal("crawl", "--sites", registry, "--db", db, "--log-file", tmp / "tty.log", env=env)
    assert rc == 0, screen[-3000:]
    text = ANSI.sub("", screen)
    lines = re.findall(r"crawl: sites (\d+)/1 done · reports (\d+) new, (\d+) updated · (\d+) requests · now (\S+)", text)
    assert lines, screen[-3000:]
    assert int(lines[-1][1]) > 0 and int(lines[-1][3]) > 0 and lines[-1][4] == SITE
    assert "Crawl run 1: 1 sites" in text                # the outcome is still printed after the line
    rc, screen = run_on_a_terminal("reparse", "--db", db, env=env)
    assert rc == 0, screen[-3000:]
    assert re.search(r"reparse: \d+/\d+", ANSI.sub("", screen)), screen[-2000:]


def test_quiet_and_line_based_off_a_terminal(world):
    tmp, registry = world
    result = run_cli("crawl", "--sites", registry, "--db", f"sqlite:///{tmp / 'pipe.db'}", "--log-file",
                     tmp / "pipe.log", env={"HARVESTER_ARCHIVE": str(tmp / "archive-pipe")})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "crawl: sites" not in result.stdout + result.stderr
    assert not ANSI.search(result.stdout + result.stderr)
    assert result.stdout.startswith("Crawl run 1: 1 sites")
