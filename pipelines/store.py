"""Stage 4: upsert the report by (agency, year), with its cells, checks and every URL it was seen at."""
from harvester.crawl.process import (
    identify, keeps_stored_version, other_copy, report_fields, report_urls, score, worse_revision,
)

from .base import Stage


class StorePipeline(Stage):
    def process_item(self, item):
        ctx = self.ctx
        if item.unchanged_report is not None:      # seen again, bytes unchanged (a verifying run's 304s)
            ctx.store.touch_report(item.unchanged_report, ctx.run_id)
            ctx.site(item.site_id).reports["unchanged"] += 1
            item.report_id, item.store_status = item.unchanged_report, "unchanged"
            return item
        site = ctx.sites.get(item.site_id)
        agency, year = identify(item, site.name if site else "")
        item.agency, item.year = agency, year
        if not agency or not year:
            ctx.event(item.site_id, item.page_url, "no_year" if not year else "no_agency",
                      f"cannot tell the report's {'year' if not year else 'agency'} from {item.title!r}")
            ctx.site(item.site_id).reports["failed"] += 1
            item.store_status = "failed"
            return item
        with ctx.store.report_lock(agency, year):     # distributed workers: one copy at a time
            existing = ctx.store.find_report(item.site_id, agency, year)
            worse = worse_revision(existing, item)
            if worse:
                # never replace better with worse: the report keeps its document and cells; a person looks
                report_id, _ = ctx.store.upsert_report(site_id=item.site_id, agency=agency, year=year,
                                                       urls=report_urls(item), run_id=ctx.run_id)
                fields = report_fields(item)
                ctx.store.reject_revision(
                    report_id, site_id=item.site_id, fields=fields, filled_cells=score(item.parsed)[1],
                    failed_checks=len(item.parsed.failed_checks) if item.parsed is not None else 0,
                    reason=worse, run_id=ctx.run_id)
                ctx.event(item.site_id, fields["document_url"] or item.page_url, "rejected_revision",
                          f"{agency} {year}: {worse}; the current document stays (report {report_id}) — "
                          "`harvester health` lists it for a person")
                ctx.site(item.site_id).reports["rejected"] += 1
                item.report_id, item.store_status = report_id, "rejected"
                return item
            if keeps_stored_version(existing, item):
                # a second copy (repost, 图片版, another column): remember where it was seen, keep the better one
                report_id, status = ctx.store.upsert_report(site_id=item.site_id, agency=agency, year=year,
                                                            urls=report_urls(item), run_id=ctx.run_id)
                ctx.event(item.site_id, item.page_url, "duplicate",
                          f"another copy of {agency} {year}; kept {existing['document_url']}", level="info")
            else:
                # the report and its parse in one transaction: a crash never leaves one without the other
                replaces = other_copy(existing, item)
                report_id, status = ctx.store.upsert_report(site_id=item.site_id, agency=agency, year=year,
                                                            fields=report_fields(item), urls=report_urls(item),
                                                            run_id=ctx.run_id, parsed=item.parsed,
                                                            other_copy=replaces)
                if replaces:
                    ctx.event(item.site_id, item.page_url, "duplicate",
                              f"another copy of {agency} {year}; it replaces {existing['document_url']}",
                              level="info")
                if existing is not None and item.parsed is not None and not replaces:
                    ctx.store.resolve_rejections(report_id, f"a later document was accepted in run {ctx.run_id}")
                if status == "revised":
                    ctx.event(item.site_id, item.page_url, "revised",
                              f"{agency} {year}: the document changed; the earlier one is kept in report_versions",
                              level="info")
        ctx.site(item.site_id).reports[status] += 1
        item.report_id, item.store_status = report_id, status
        return item
