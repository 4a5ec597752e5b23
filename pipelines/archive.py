"""Stage 1: keep every fetched file's raw bytes (by SHA-256) and fetch state."""
from harvester.process import archive_file

from .base import Stage


class ArchivePipeline(Stage):
    def process_item(self, item):
        for f in item.files:
            archive_file(self.ctx.store, f)
        return item
