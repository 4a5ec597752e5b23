"""Stage 1: keep every fetched file's raw bytes (by SHA-256) and fetch state."""
from harvester.crawlrun import crawl_context
from harvester.process import archive_file


class ArchivePipeline:
    @classmethod
    def from_crawler(cls, crawler):
        p = cls()
        p.crawler = crawler
        return p

    def process_item(self, item):
        ctx = crawl_context(self.crawler)
        for f in item.files:
            archive_file(ctx.store, f)
        return item
