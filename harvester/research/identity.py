"""One identity for every output: ``report_id``, ``agency_id``, ``division_code``, ``site_id``.

The exports, ``harvester.research.open_db()``, ``harvester browse``, ``harvester coverage`` and
``harvester publish`` all take an agency's identity from here, so one report carries the same ids in
every file and table a researcher meets:

* ``report_id`` — ``reports.id`` of the database (the integer ``harvester show`` and browse's report
  pages take);
* ``agency_id`` — the stable agency id ``<6-digit GB/T 2260 code>-<normalised name>``
  (``harvester.agencies.agency_key``): the stored ``agencies.agency_key``, or computed the same way for
  a row stored before that column existed. The database's integer ``agencies.id`` is never exported;
  in SQL (``harvester query``) the stable id is ``agencies.agency_key``;
* ``division_code`` — the most specific GB/T 2260 code of the agency's division (county, else city,
  else province) from the pinned division dataset: by definition the 6 digits that start ``agency_id``,
  '' when even the province is unknown (``000000``). In SQL: ``NULLIF(substr(agencies.agency_key, 1, 6),
  '000000')``;
* ``site_id`` — the registry site the report was first found on (``reports.site_id``; for an agency
  without a report, such as a missing agency-year of coverage, the agency's ``agencies.site_id``).

``IDENTITY_SQL`` selects the same four ids in ``harvester query`` (SQLite and PostgreSQL).
"""
from __future__ import annotations

from dataclasses import dataclass

from harvester.agencies import UNKNOWN_DIVISION, agency_key
from harvester.divisions import Division, lookup_division


@dataclass(frozen=True)
class AgencyIdentity:
    agency_id: str
    division_code: str
    site_id: str
    division: Division


def identify(name: str | None, norm_name: str | None, province: str | None, city: str | None,
             county: str | None, division_code: str | None, stored_key: str | None,
             site_id: str | None) -> AgencyIdentity:
    division = lookup_division(province or "", city or "", county or "", division_code)
    key = stored_key or agency_key(norm_name or name or "", division)
    prefix = key.split("-", 1)[0]
    return AgencyIdentity(key, "" if prefix == UNKNOWN_DIVISION else prefix, site_id or "", division)


def agency_identities(conn, ids=None) -> dict[int, AgencyIdentity]:
    """``agencies.id`` → its identity, for every agency (or those of ``ids``) of a connection."""
    from sqlalchemy import select

    from harvester.db.models import Agency

    stmt = select(Agency.id, Agency.name, Agency.norm_name, Agency.province, Agency.city, Agency.county,
                  Agency.division_code, Agency.agency_key, Agency.site_id)
    if ids is not None:
        stmt = stmt.where(Agency.id.in_([int(i) for i in ids]))
    return {r.id: identify(r.name, r.norm_name, r.province, r.city, r.county, r.division_code, r.agency_key,
                           r.site_id)
            for r in conn.execute(stmt)}


IDENTITY_SQL = ("SELECT r.id AS report_id, a.agency_key AS agency_id, "
                "COALESCE(NULLIF(substr(a.agency_key, 1, 6), '000000'), '') AS division_code, "
                "COALESCE(r.site_id, a.site_id, '') AS site_id, a.name AS agency, r.year "
                "FROM reports r JOIN agencies a ON a.id = r.agency_id ORDER BY r.id")
