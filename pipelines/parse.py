"""Stage 3: parse each readable file; the best parse becomes the report's data."""
import logging

from harvester.crawl.process import choose, parse_file

from .base import Stage

log = logging.getLogger(__name__)


class ParsePipeline(Stage):
    def process_item(self, item):
        ctx = self.ctx
        if item.unchanged_report is not None:      # same bytes as stored: the stored parse stands
            return item
        for f in item.files:
            if f.read is not None:                 # read and parsed in the sandbox
                continue
            try:
                parse_file(f, title=item.title, meta=item.meta)
            except Exception as exc:  # a parser bug must not lose the report: record it, keep the raw file
                log.exception("parser failed on %s", f.url)
                ctx.event(item.site_id, f.url, "parser_error", f"{type(exc).__name__}: {exc}"[:500], level="error")
        item.chosen = choose(item.files)
        item.parsed = item.chosen.parsed if item.chosen is not None else None
        return item
