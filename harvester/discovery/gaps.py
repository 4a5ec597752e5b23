"""The holes before the aggregate: the governments a province must have, against the registry and the database.

Every county-level unit and every prefecture-level unit of the division dataset (GB/T 2260, the newest year of
the panel), and the province itself, must publish a government report each year (条例 第五十条). For each of
them, ``compute`` says:

===================  ==============================================================================
``no_site``          no registry row is this division's government (division_code — or, when blank, the
                     division its province/city/county names resolve to — and agency type)
``not_crawled``      a registry row, but no crawl of it is in the database
``no_report_column`` crawled, but no report column was found (or the site was unreachable / blocked)
``no_report``        a report column, but no report of this government in the database (for the years asked)
``ok``               reports found: their years
===================  ==============================================================================
"""
from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import text

STATUSES = ("no_site", "not_crawled", "no_report_column", "no_report", "ok")
NO_COLUMN = ("no_report_column", "unreachable", "blocked", "robots_disallowed")
COLUMNS = ("division_code", "name", "level", "city", "status", "site_ids", "outcome", "years", "detail")


@dataclass
class Gap:
    division_code: str
    name: str
    level: str
    city: str
    status: str = ""
    site_ids: str = ""
    outcome: str = ""
    years: str = ""
    detail: str = ""


def expected_governments(p2: str) -> list[Gap]:
    """The province, its prefecture-level and county-level units, from the division dataset."""
    from harvester.divisions import PROVINCES, _index
    out = [Gap(p2 + "0000", PROVINCES[p2][0], "province", "")]
    for code, unit in sorted(_index().by_code.items()):
        if code.startswith(p2):
            level = "city" if code[4:] == "00" else "county"
            out.append(Gap(code, unit.name, level, unit.city_name if level == "county" else ""))
    return out


def division_of(site) -> str:
    """The 6-digit division of a registry row: its ``division_code``, else the division its province / city /
    county names resolve to in the dataset (a hand-typed row of ``data/sites.csv`` has no code) — '' when a name
    does not resolve (平潭综合实验区 is not a GB/T 2260 unit: never counted as its city)."""
    from harvester.divisions import PROVINCES, lookup_division
    if site.division_code:
        return site.division_code[:6]
    d = lookup_division(site.province, site.city, site.county)
    if d.unresolved or not d.province_code:
        return ""
    if site.level == "province" or (not site.county and (not site.city or site.city in PROVINCES[d.province_code[:2]])):
        return d.province_code           # 上海市人民政府 (city 上海市): the municipality itself
    return d.code


def compute(p2: str, sites, engine=None, years: list[int] | None = None) -> list[Gap]:
    """``sites``: the registry (harvester.crawl.registry.Site); ``engine``: the database (None: registry only)."""
    from harvester.discovery.discover import agency_type
    gov_sites: dict[str, list] = {}
    zones: dict[str, list] = {}
    for s in sites:
        kind = s.agency_type or agency_type(s.name)
        code = division_of(s) if s.level != "township" else ""
        if code:
            if kind == "government":
                gov_sites.setdefault(code, []).append(s)
            elif kind == "zone":     # a 管委会 governing a division (平潭), counted when no government is
                zones.setdefault(code, []).append(s)
    for code, found in zones.items():
        gov_sites.setdefault(code, found)
    outcomes: dict[str, str] = {}
    reports: dict[str, set[int]] = {}
    if engine is not None:
        with engine.connect() as conn:
            for sid, outcome in conn.execute(text(
                    "SELECT o.site_id, o.outcome FROM site_outcomes o WHERE o.run_id = "
                    "(SELECT MAX(o2.run_id) FROM site_outcomes o2 WHERE o2.site_id = o.site_id)")):
                outcomes[sid] = outcome
            for name, code, year in conn.execute(text(
                    "SELECT a.name, a.division_code, r.year FROM reports r JOIN agencies a ON a.id = r.agency_id "
                    "WHERE a.division_code LIKE :p"), {"p": p2 + "%"}):
                if code and agency_type(name) == "government":
                    reports.setdefault(code[:6], set()).add(int(year))
    out = []
    for g in expected_governments(p2):
        found = gov_sites.get(g.division_code, [])
        g.site_ids = " ".join(s.site_id for s in found)
        got = sorted(y for y in reports.get(g.division_code, set()) if not years or y in years)
        g.years = " ".join(map(str, got))
        seen = [outcomes[s.site_id] for s in found if s.site_id in outcomes]
        g.outcome = " ".join(seen)
        if got:
            g.status = "ok"
        elif not found:
            g.status, g.detail = "no_site", "no registry row for this division's government"
        elif not seen:
            g.status, g.detail = "not_crawled", "in the registry, never crawled"
        elif all(o in NO_COLUMN for o in seen):
            g.status, g.detail = "no_report_column", f"crawl outcome {', '.join(seen)}"
        else:
            g.status = "no_report"
            g.detail = "no government report" + (f" for {', '.join(map(str, years))}" if years else "")
        out.append(g)
    return out


def write_csv(gaps: list[Gap], path: str | Path) -> Path:
    from harvester.csvsafe import neutralise
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for g in gaps:
            d = asdict(g)
            w.writerow([neutralise(str(d[c])) for c in COLUMNS])
    return path
