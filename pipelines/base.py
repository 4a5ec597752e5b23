"""What every stage shares: the crawl's context (database, run, per-site bookkeeping)."""
from harvester.crawl.run import CrawlContext, crawl_context


class Stage:
    @classmethod
    def from_crawler(cls, crawler):
        stage = cls()
        stage.crawler = crawler
        return stage

    @property
    def ctx(self) -> CrawlContext:
        return crawl_context(self.crawler)
