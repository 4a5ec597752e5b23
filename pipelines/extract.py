"""Stage 2: text and table grids from each file (type from the bytes); problems recorded."""
from harvester.process import extract_file

from .base import Stage


class ExtractPipeline(Stage):
    def process_item(self, item):
        if item.unchanged_report is not None:      # same bytes as stored: nothing to extract again
            return item
        for f in item.files:
            ex = extract_file(f)
            if ex is not None and not ex.ok and f.role != "page":
                self.ctx.event(item.site_id, f.url, ex.problem, ex.detail or ex.problem)
        return item
