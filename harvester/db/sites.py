"""The site registry part of the Store: upserting registry rows, stub sites, site lookups."""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, select, update

from .coerce import _text
from .models import Site, utcnow

SITE_FIELDS = ("name", "province", "city", "county", "start_url", "platform", "division_code")
_SITE_ALIASES = {"id": "site_id", "url": "start_url"}


class SiteStore:
    """Mixin of ``Store``: the ``sites`` table."""

    def upsert_sites(self, rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
        """Insert or update registry rows; returns counts {'new', 'updated', 'unchanged'}.

        Known keys: site_id (or id), name, province, city, county, start_url (or url), platform,
        division_code; other non-empty keys are kept in ``sites.extra``.
        """
        prepared: dict[str, dict] = {}
        for raw in rows:
            row: dict[str, Any] = {}
            extra: dict[str, Any] = {}
            for key, value in raw.items():
                key = _SITE_ALIASES.get(key, key)
                if key == "site_id" or key in SITE_FIELDS:
                    row[key] = _text(value)
                elif value not in (None, ""):
                    extra[key] = value
            site_id = row.get("site_id")
            if not site_id:
                raise ValueError(f"registry row without site_id: {dict(raw)!r}")
            for key in ("name", "province", "city", "county"):
                row[key] = row.get(key) or ""
            for key in ("start_url", "platform", "division_code"):
                row.setdefault(key, None)
            # JSON round trip so tuples, dates … compare equal to what the database gives back
            row["extra"] = json.loads(json.dumps(extra, ensure_ascii=False, default=str)) if extra else None
            prepared[site_id] = row
        counts = {"new": 0, "updated": 0, "unchanged": 0}
        if not prepared:
            return counts
        now = utcnow()
        columns = ("site_id", *SITE_FIELDS, "extra")
        with self._write() as conn:
            existing = {}
            ids = list(prepared)
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                for r in conn.execute(select(*(getattr(Site, c) for c in columns))
                                      .where(Site.site_id.in_(chunk))).mappings():
                    existing[r["site_id"]] = dict(r)
            for site_id, row in prepared.items():
                old = existing.get(site_id)
                if old is None:
                    stmt = (self._insert(Site).values(**row, updated_at=now)
                            .on_conflict_do_nothing(index_elements=["site_id"]))
                    conn.execute(stmt)
                    counts["new"] += 1
                    continue
                changes = {c: row[c] for c in columns if c != "site_id" and old[c] != row[c]}
                if changes:
                    conn.execute(update(Site).where(Site.site_id == site_id)
                                 .values(**changes, updated_at=now))
                    counts["updated"] += 1
                else:
                    counts["unchanged"] += 1
        return counts

    def _ensure_site(self, conn: Connection, site_id: str) -> Mapping[str, Any]:
        """The site's row; a stub row (name = site_id) when the registry was not loaded."""
        if not site_id:
            raise ValueError("site_id is required")
        conn.execute(self._insert(Site).values(site_id=site_id, name=site_id, updated_at=utcnow())
                     .on_conflict_do_nothing(index_elements=["site_id"]))
        return conn.execute(select(Site.site_id, Site.province, Site.city, Site.county,
                                   Site.division_code).where(Site.site_id == site_id)).mappings().one()


    def site_exists(self, site_id: str) -> bool:
        with self._read() as conn:
            return conn.execute(select(Site.site_id).where(Site.site_id == site_id)).first() is not None
