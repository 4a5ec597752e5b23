"""`harvester replay` and `harvester warc-index`: the web-archive evidence (harvester/evidence/warc.py, harvester/evidence/replay.py)."""
from __future__ import annotations

import click

from harvester.cli.options import db_option


@click.command("warc-index")
@db_option
@click.option("--rebuild", is_flag=True, help="Index every WARC file again, not only those without a current index.")
def warc_index(db_url, rebuild):
    """Write the CDXJ index of every WARC file that has none (or an older one) — a crawl writes its own at the
    end; this catches a crawl killed before then. The indexes are under the WARC directory's indexes/.

    \b
    Examples:
      harvester warc-index
      harvester warc-index --rebuild --db postgresql://me@db/harvester
    """
    from harvester.db import Store
    from harvester.evidence.warc import index_all, warc_files

    with Store(db_url) as store:
        done = index_all(store.warc_dir, rebuild=rebuild)
        click.echo(f"{len(warc_files(store.warc_dir))} WARC files in {store.warc_dir}; {len(done)} indexed now")


@click.command()
@db_option
@click.option("--port", default=8090, show_default=True, help="Port of the replay server (loopback).")
@click.option("--bind", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--report", "report_ids", multiple=True, type=int, help="Print the replay URL of this report (repeatable).")
def replay(db_url, port, bind, report_ids):
    """Serve the crawl's WARC collection with pywb (wayback) — any report page as it was captured. Runs until
    Ctrl-C. pywb runs from .venv-replay (scripts/setup.sh builds it), never inside the harvester's process.

    \b
    Examples:
      harvester replay                       # http://127.0.0.1:8090/harvester/<timestamp>/<page url>
      harvester replay --report 12 --report 40
    """
    import signal
    import sys
    import time

    from harvester.evidence import replay as rp
    from harvester.db import Store

    with Store(db_url) as store:
        warc_dir = store.warc_dir
        evidence = store.report_evidence(report_ids or None)
    try:
        proc, base = rp.start(warc_dir, warc_dir.parent / "replay", host=bind, port=port)
    except rp.ReplayError as exc:
        raise click.ClickException(str(exc)) from None
    # SIGTERM (systemd, timeout) stops wayback too: it runs in a session of its own
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    click.echo(f"replaying {warc_dir} at {base}/{rp.COLLECTION}/ (Ctrl-C stops)")
    for rid, ev in sorted(evidence.items())[: len(report_ids) or 10]:
        if ev.get("page_record_id"):
            click.echo(f"  report {rid}: {rp.replay_url(base, ev['page_url'], ev['page_captured_at'])}"
                       + (f"  (withdrawn {ev['withdrawn_at']})" if ev.get("withdrawn_at") else ""))
    try:
        while proc.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        rp.stop(proc)


def register(group: click.Group) -> None:
    group.add_command(warc_index)
    group.add_command(replay)
