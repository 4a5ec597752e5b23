"""Reconciliation: a discovery run (``harvester.discovery.discover``) against the registry it updates.

    rows, changes = reconcile(current_rows, result.rows, now=result.started_at, run_seeds=seeds)
    append_changes("data/sites.csv.changes.jsonl", changes)

The changes, each with its evidence: ``new`` rows; ``moved`` (the same 网站标识码, or the same column of the
same parent, at a new URL; the columns that moved with their site are listed under its move); ``gone`` (a
discovered row its parent's directory no longer lists — and the rows below it with it); ``unconfirmed`` (its
parent was not reached, or it is listed but did not answer: kept). Rows whose ``source`` is ``manual`` are
kept as they are: a discovered site one of them names is ``superseded``, its move is reported as
``moved_manual``. A discovered row edited by hand (its ``discovered_hash`` no longer matches) is kept,
becomes manual and is reported ``edited``.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import urlsplit

from harvester.discovery.discover import norm_url


def _public(row: dict) -> dict:
    return {k: v for k, v in row.items() if not k.startswith("_")}


# the registry columns a discovered row's fingerprint covers: everything but its source and the fingerprint
HASHED = ("site_id", "name", "province", "city", "county", "start_url", "platform", "site_code", "division_code",
          "level", "agency_type", "icp", "parent_site", "discovered_from", "discovered_at", "note", "domains")
COMPARED = tuple(k for k in HASHED if k not in ("site_id", "discovered_from", "discovered_at"))


def row_hash(row: dict) -> str:
    """The fingerprint of a registry row as discovery writes it (column ``discovered_hash``): a discovered row
    whose fingerprint no longer matches its cells was edited by hand."""
    cells = [str(row.get(k) or "").strip() for k in HASHED]
    return hashlib.sha1(json.dumps(cells, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


def hand_edited(row: dict) -> bool:
    """A discovered row changed since discovery wrote it (a row without fingerprint, from before the column
    existed, cannot tell: False)."""
    return row.get("source") == "discovered" and bool(row.get("discovered_hash")) \
        and row["discovered_hash"] != row_hash(row)


def reconcile(current: list[dict], found: list[dict], *, now: str, run_seeds: list[str],
              refused: list[dict] | None = None, probe=None) -> tuple[list[dict], list[dict]]:
    """(the new registry, the changes). ``current`` are the registry's rows (dicts of COLUMNS), ``found`` the
    rows of a discovery run. Manual rows stay as they are and hide a discovered row for the same site (same
    网站标识码 or URL, or a URL that redirects to it); when that site is found at another URL, the move is
    reported (``moved_manual``) and the manual row still kept. A discovered row edited by hand (its
    ``discovered_hash`` no longer matches) becomes a manual row (``edited``, with the cells that differ from
    what the run found). A discovered row found again keeps its site_id; one at a new URL is ``moved``; one not
    found again is ``gone`` (with what the run saw at its URL, when anything); one whose site a manual row now
    names is ``superseded``. Every discovered row written gets its fingerprint."""
    refused_at = {norm_url(r["url"]): r for r in (refused or [])}
    scope = {r["division_code"][:2] for r in found if r.get("division_code")}
    in_scope = [r for r in current if r.get("source") == "discovered" and r.get("division_code", "")[:2] in scope]
    # a person's edit of a discovered row: from now on the row is theirs
    edited = {r["site_id"]: {**r, "source": "manual", "discovered_hash": ""} for r in in_scope if hand_edited(r)}
    edits: dict[str, dict] = {}                # site_id of an edited row -> the cells that differ from the finding
    manual = [r for r in current if (r.get("source") or "manual") == "manual"]
    # discovered rows of other provinces (other seeds' runs) are not this run's business: kept as they are
    manual += [r for r in current if r.get("source") == "discovered" and r.get("division_code", "")[:2] not in scope]
    manual += list(edited.values())
    old = [r for r in in_scope if r["site_id"] not in edited]
    manual_codes = {r["site_code"] for r in manual if r.get("site_code")}
    manual_urls = {norm_url(r["start_url"]) for r in manual}
    by_code = {r["site_code"]: r for r in old if r.get("site_code")}
    by_url = {norm_url(r["start_url"]): r for r in old}
    by_parent_name = {(r.get("parent_site", ""), r["name"]): r for r in old}
    matched: set[str] = set()
    out = [dict(r) for r in manual]
    changes: list[dict] = []

    def change(kind, row, **evidence):
        changes.append({"at": now, "change": kind, "site_id": row["site_id"], "name": row["name"],
                        "site_code": row.get("site_code", ""), "division_code": row.get("division_code", ""),
                        **evidence})

    ids = {r["site_id"] for r in manual}
    host_moves: dict[str, dict] = {}          # site_id of a moved site -> its change
    # sites before columns, so that a column that moved with its site is told apart
    found = sorted(found, key=lambda r: r["_kind"] != "site")
    manual_by = {**{r["site_code"]: r["site_id"] for r in manual if r.get("site_code")},
                 **{norm_url(r["start_url"]): r["site_id"] for r in manual}}
    manual_rows = {r["site_id"]: r for r in manual}
    hidden: dict[str, str] = {}              # discovered site_id -> the manual row's that stands for it
    for row in found:
        linked = norm_url((row.get("_evidence") or {}).get("linked_url") or row["start_url"])
        if row.get("site_code") and row["site_code"] in manual_codes:
            by_what, mid = "site_code", manual_by[row["site_code"]]
        elif norm_url(row["start_url"]) in manual_urls:
            by_what, mid = "url", manual_by[norm_url(row["start_url"])]
        elif linked in manual_urls:                       # the manual row's URL redirects to the site found
            by_what, mid = "redirect", manual_by[linked]
        elif row["site_id"] in edited:                    # an edited row whose URL the person changed
            by_what, mid = "site_id", row["site_id"]
        else:
            by_what = mid = ""
        if mid:                                           # a person's row wins
            hidden[row["site_id"]] = mid
            mrow = manual_rows[mid]
            if mid in edited:
                edits[mid] = {k: {"registry": mrow.get(k) or "", "discovered": row.get(k) or ""} for k in COMPARED
                              if k != "parent_site" and (mrow.get(k) or "").strip() != (row.get(k) or "").strip()}
            elif norm_url(mrow["start_url"]) != norm_url(row["start_url"]):
                change("moved_manual", mrow, old_url=mrow["start_url"], new_url=row["start_url"],
                       evidence={"matched_by": by_what, **row.get("_evidence", {}), "found_on": row["discovered_from"],
                                 "kept": "the manual row is kept as it is: change its start_url (or delete it) "
                                         "to follow the move"})
            # the discovered row this site had before the person's row named it: replaced by that row
            prev = (by_code.get(row.get("site_code")) if row.get("site_code") else None) \
                or by_url.get(norm_url(row["start_url"]))
            if prev is not None and prev["site_id"] not in matched and prev["site_id"] != mid:
                matched.add(prev["site_id"])
                change("superseded", prev, old_url=prev["start_url"],
                       evidence={"by_manual_row": mid, "matched_by": by_what,
                                 "seen": f"the manual row {mid} names the same site; the discovered row is dropped"})
            continue
        prev = (by_code.get(row.get("site_code")) if row.get("site_code") else None) \
            or by_url.get(norm_url(row["start_url"])) \
            or (by_parent_name.get((row.get("parent_site", ""), row["name"])) if row["_kind"] == "column" else None)
        new = _public(row)
        if prev is not None and prev["site_id"] not in matched:
            matched.add(prev["site_id"])
            new["site_id"] = prev["site_id"]
            if norm_url(prev["start_url"]) != norm_url(row["start_url"]):
                parent_move = host_moves.get(prev.get("parent_site", ""))
                if row["_kind"] == "column" and parent_move and _moved_with(prev["start_url"], row["start_url"],
                                                                            parent_move):
                    parent_move["evidence"].setdefault("columns_moved_with_it", []).append(
                        {"site_id": prev["site_id"], "name": row["name"], "old_url": prev["start_url"],
                         "new_url": row["start_url"]})
                else:
                    change("moved", new, old_url=prev["start_url"], new_url=row["start_url"],
                           evidence={"matched_by": "site_code" if row.get("site_code") and prev.get("site_code") ==
                                     row.get("site_code") else "parent and name", **row["_evidence"],
                                     "found_on": row["discovered_from"]})
                    if row["_kind"] == "site":
                        host_moves[prev["site_id"]] = changes[-1]
            else:
                new["discovered_at"] = prev.get("discovered_at") or new["discovered_at"]
        else:
            change("new", new, new_url=row["start_url"],
                   evidence={**row["_evidence"], "found_on": row["discovered_from"]})
        while new["site_id"] in ids:
            new["site_id"] += "x"
        ids.add(new["site_id"])
        out.append(new)
    for r in out:
        if r.get("source") == "discovered" and r.get("parent_site") in hidden:
            r["parent_site"] = hidden[r["parent_site"]]
    for sid, row in edited.items():
        change("edited", row, old_url=row["start_url"], evidence={
            "seen": "the row differs from what discovery wrote (its discovered_hash no longer matches its cells)",
            "fields": edits.get(sid, {}),
            "found_this_run": sid in edits,
            "kept": "the hand edit is kept and the row is now source=manual: discovery will not change it"})
    reached = matched | set(hidden.values()) | {r["site_id"] for r in manual}
    gone: set[str] = set()
    orphans: list[dict] = []
    for prev in old:
        if prev["site_id"] in matched:
            continue
        if prev.get("parent_site") and prev["parent_site"] not in reached:
            orphans.append(prev)          # judged below, once it is known whether its parent is gone
            continue
        seen = refused_at.get(norm_url(prev["start_url"]))
        if seen and seen["reason"].startswith("unreachable"):
            # still listed by its directory, but did not answer: kept until its directory drops it
            out.append(dict(prev))
            change("unconfirmed", prev, old_url=prev["start_url"],
                   evidence={"seen": f"still linked from {seen['found_on']}, but {seen['reason']}; the row is kept",
                             "seeds": run_seeds})
            continue
        evidence = {"seen": seen["reason"] if seen else "not linked from any directory page visited",
                    "last_found_on": prev.get("discovered_from", ""), "seeds": run_seeds}
        if probe is not None:          # what its old URL answers now
            got = probe(prev["start_url"])
            evidence["old_url_answers"] = got.error or f"HTTP {got.status} at {got.final_url}"
        change("gone", prev, old_url=prev["start_url"], evidence=evidence)
        gone.add(prev["site_id"])
    while True:                     # the rows below a site that is gone are gone with it (its columns, its departments)
        below = [prev for prev in orphans if prev["parent_site"] in gone]
        if not below:
            break
        for prev in below:
            orphans.remove(prev)
            gone.add(prev["site_id"])
            change("gone", prev, old_url=prev["start_url"],
                   evidence={"seen": f"its parent {prev['parent_site']} is gone this run, and with it this row",
                             "last_found_on": prev.get("discovered_from", ""), "seeds": run_seeds})
    for prev in orphans:
        # its parent was not reached this run (down for the night?): nothing says it is gone — kept
        out.append(dict(prev))
        change("unconfirmed", prev, old_url=prev["start_url"],
               evidence={"seen": f"its parent {prev['parent_site']} was not reached this run; the row is kept",
                         "seeds": run_seeds})
    for r in out:                   # the fingerprint of what discovery writes: a later hand edit shows
        if r.get("source") == "discovered" and r.get("division_code", "")[:2] in scope:
            r["discovered_hash"] = row_hash(r)
    return out, changes


def _moved_with(old_url: str, new_url: str, parent_move: dict) -> bool:
    """True when a column's new URL is its old one on its site's new host (the column moved with its site)."""
    o, n = urlsplit(old_url), urlsplit(new_url)
    po, pn = urlsplit(parent_move["old_url"]), urlsplit(parent_move["new_url"])
    return o.netloc == po.netloc and n.netloc == pn.netloc and o.path == n.path and o.query == n.query


def append_changes(path: str | Path, changes: list[dict]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        for c in changes:
            fh.write(json.dumps(c, ensure_ascii=False) + "\n")
    return path
