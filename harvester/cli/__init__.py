"""The `harvester` command: the group and its error handling (``main``), and one module per command group —
the crawl (crawl, nightly, demo, health, reparse, init, mute), export, research (query, show, browse, coverage),
release (chart, publish), discover, the web-archive evidence (replay, warc-index); ``options`` holds what they
share."""
from harvester.cli.main import main

__all__ = ["main"]
