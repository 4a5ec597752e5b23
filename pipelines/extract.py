"""Stage 2: text and table grids from each file (type from the bytes); problems recorded."""
from harvester.crawlrun import crawl_context
from harvester.process import extract_file


class ExtractPipeline:
    @classmethod
    def from_crawler(cls, crawler):
        p = cls()
        p.crawler = crawler
        return p

    def process_item(self, item):
        ctx = crawl_context(self.crawler)
        for f in item.files:
            ex = extract_file(f)
            if ex is not None and not ex.ok and f.role != "page":
                ctx.event(item.site_id, f.url, ex.problem, ex.detail or ex.problem)
        return item
