"""Stage 1: keep every fetched file's raw bytes (by SHA-256) and fetch state; tell an unchanged report."""
from harvester.crawl.process import archive_file, unchanged_report

from .base import Stage


class ArchivePipeline(Stage):
    def process_item(self, item):
        for f in item.files:
            archive_file(self.ctx.store, f, site_id=item.site_id)
        item.unchanged_report = unchanged_report(self.ctx.store, item)
        return item
