"""Stage 4: upsert the report by (agency, year), with its cells, checks and every URL it was seen at."""
from harvester.process import identify, keeps_stored_version, report_fields, report_urls

from .base import Stage


class StorePipeline(Stage):
    def process_item(self, item):
        ctx = self.ctx
        site = ctx.sites.get(item.site_id)
        agency, year = identify(item, site.name if site else "")
        item.agency, item.year = agency, year
        if not agency or not year:
            ctx.event(item.site_id, item.page_url, "no_year" if not year else "no_agency",
                      f"cannot tell the report's {'year' if not year else 'agency'} from {item.title!r}")
            ctx.site(item.site_id).reports["failed"] += 1
            return item
        existing = ctx.store.find_report(item.site_id, agency, year)
        if keeps_stored_version(existing, item):
            # a second copy (repost, 图片版, another column): remember where it was seen, keep the better one
            report_id, status = ctx.store.upsert_report(site_id=item.site_id, agency=agency, year=year,
                                                        urls=report_urls(item), run_id=ctx.run_id)
            ctx.event(item.site_id, item.page_url, "duplicate",
                      f"another copy of {agency} {year}; kept {existing['document_url']}", level="info")
        else:
            report_id, status = ctx.store.upsert_report(site_id=item.site_id, agency=agency, year=year,
                                                        fields=report_fields(item), urls=report_urls(item),
                                                        run_id=ctx.run_id)
            if item.parsed is not None:
                ctx.store.save_parse(report_id, item.parsed)
        ctx.site(item.site_id).reports[status] += 1
        return item
