"""Stage 2: text and table grids from each file (type from the bytes), and its parse, read in the sandbox.

Documents are read in sandboxed worker processes (``harvester.extract.sandbox``) from a thread, at most
``HARVESTER_EXTRACT_WORKERS`` at once, so the reactor never waits on a document and an abort, a hang or
an OOM costs one worker, not the crawl. Each read's status, seconds and peak memory go on the
document's row; problems become events.
"""
from twisted.internet.defer import DeferredSemaphore
from twisted.internet.threads import deferToThread

from harvester.extract.safety import setting
from harvester.crawl.process import read_file

from .base import Stage

_SLOTS: DeferredSemaphore | None = None


def _slots() -> DeferredSemaphore:
    global _SLOTS
    if _SLOTS is None:
        _SLOTS = DeferredSemaphore(max(1, int(setting("HARVESTER_EXTRACT_WORKERS", 2))))
    return _SLOTS


class ExtractPipeline(Stage):
    def process_item(self, item):
        if item.unchanged_report is not None:      # same bytes as stored: nothing to extract again
            return item
        d = _slots().run(deferToThread, self._read, item)
        d.addCallback(self._record, item)
        return d

    @staticmethod
    def _read(item):
        for f in item.files:
            read_file(f, title=item.title, meta=item.meta)

    def _record(self, _, item):
        ctx = self.ctx
        for f in item.files:
            if f.read is not None:
                ctx.store.record_read(f.url, f.read.as_row())
            ex = f.extracted
            if ex is not None and not ex.ok and f.role != "page":
                ctx.event(item.site_id, f.url, ex.problem, ex.detail or ex.problem)
            for note in (getattr(ex, "notes", None) or []) if ex is not None else []:
                ctx.event(item.site_id, f.url, "capped", note)     # read on, a budget capped something
        return item
