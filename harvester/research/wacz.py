"""`harvester export --wacz FILE`: the web-archive evidence of one province or agency as a WACZ package (the
wacz package), for depositing alongside a paper.

The WARC records of the selected reports' pages and documents (and the revisits and requests that go with
them, and the records a revisit refers to) are copied into one WARC; `wacz create` packs it with its CDXJ
index, a pages.jsonl listing every report page (title: agency and year) and datapackage.json; the file is then
read back — `wacz validate`, and every report page and document found in the package's index.
"""
from __future__ import annotations

import gzip
import json
import os
import tempfile
import zipfile
from pathlib import Path


class WaczError(ValueError):
    """Nothing to package, or the package does not read back; the message is one line."""


def _selected_reports(store, province_code: str | None, agency: str | None, rows) -> list[dict]:
    """The reports of the province (code) and of the one agency ``agency`` names (``match_agency``)."""
    rows = [r for r in rows if province_code is None or r["code"] == province_code]
    if agency:
        wanted = match_agency(rows, agency)
        rows = [r for r in rows if r["agency_id"] == wanted]
    return rows


def match_agency(rows, agency: str) -> str:
    """The agency_id of the one agency of ``rows`` (report rows: agency, norm_name, agency_id) that ``agency``
    names: its agency_id or its name exactly (as published, or normalised: full-width forms, spaces, 县政府 ≡
    县人民政府); else the one agency whose name or agency_id starts with it. WaczError naming the candidates when
    several agencies match (two agencies of one name in different divisions, or a prefix of several), or naming
    none when nothing does — never a substring match that pulls in other agencies."""
    from harvester.agencies import normalize_agency_name

    given = agency.strip()
    norm = normalize_agency_name(given)
    names = {}                                          # agency_id → name
    for r in rows:
        names.setdefault(r["agency_id"], r["agency"] or "")
    by_norm = {r["agency_id"]: r.get("norm_name") or normalize_agency_name(r["agency"] or "") for r in rows}

    def one(ids: set[str], how: str) -> str | None:
        if len(ids) == 1:
            return next(iter(ids))
        if len(ids) > 1:
            shown = "; ".join(f"{names[i]} ({i})" for i in sorted(ids)[:20])
            more = f" and {len(ids) - 20} more" if len(ids) > 20 else ""
            raise WaczError(f"--agency {given!r} {how} {len(ids)} agencies: {shown}{more} — give one agency_id")
        return None

    found = one({i for i in names if given == i}, "is the agency_id of") \
        or one({i for i in names if given == names[i] or (norm and norm == by_norm[i])}, "is the name of") \
        or one({i for i in names if names[i].startswith(given) or i.startswith(given)
                or (norm and by_norm[i].startswith(norm))}, "starts the name of")
    if found is None:
        raise WaczError(f"--agency {given!r} names no agency of the selected reports (its exact name or "
                        "agency_id, or the start of only one agency's name)")
    return found


def write_wacz(store, path: str | os.PathLike, *, province: str | None = None, agency: str | None = None,
               title: str | None = None) -> dict:
    """Write the WACZ; returns {path, reports, records, pages} once it has been validated by reading it back."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.warcwriter import WARCWriter

    from harvester.research.export import _report_rows, resolve_province

    code = resolve_province(province) if province else None
    reports = _selected_reports(store, code, agency, _report_rows(store, None))
    if not reports:
        raise WaczError(f"no reports for {province or ''} {agency or ''}".strip())
    if agency:                                       # the agency as matched, not as typed
        agency = f"{reports[0]['agency']} ({reports[0]['agency_id']})"
    evidence = store.report_evidence([r["id"] for r in reports])
    uris = {u for r in reports for u in (r["page_url"], r["document_url"]) if u}
    caps = [c for c in store.captures() if c["uri"] in uris]
    if not caps:
        raise WaczError("the selected reports have no WARC captures (crawled before WARC capture was on?)")
    by_id = {c["record_id"]: c for c in store.captures() if c["record_type"] != "request"}
    wanted = {c["record_id"] for c in caps} | {c["request_record_id"] for c in caps if c["request_record_id"]}
    for c in caps:                                   # what a revisit or conversion needs to be replayed
        ref = c.get("refers_to")
        while ref and ref in by_id and ref not in wanted:
            wanted.add(ref)
            if by_id[ref].get("request_record_id"):
                wanted.add(by_id[ref]["request_record_id"])
            ref = by_id[ref].get("refers_to")
    files = sorted({c["warc_file"] for c in caps} | {by_id[r]["warc_file"] for r in wanted if r in by_id})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="harvester-wacz-") as tmp:
        warc = Path(tmp) / (path.stem + ".warc.gz")
        copied = 0
        with open(warc, "wb") as out:
            writer = WARCWriter(out, gzip=True, warc_version="1.1")
            writer.write_record(writer.create_warcinfo_record(warc.name, {
                "software": "harvester export --wacz", "format": "WARC File Format 1.1",
                "description": f"evidence of {len(reports)} reports ({province or ''} {agency or ''})".strip()}))
            for name in files:
                src = store.warc_dir / name
                if not src.is_file():
                    raise WaczError(f"WARC file {src} is gone")
                with open(src, "rb") as fh, open(src, "rb") as raw:   # the wanted records' gzip members, as they are
                    it = ArchiveIterator(fh)
                    for rec in it:
                        if rec.rec_headers.get_header("WARC-Record-ID") in wanted:
                            raw.seek(it.get_record_offset())
                            out.write(raw.read(it.get_record_length()))
                            copied += 1
        pages = Path(tmp) / "pages.jsonl"
        with open(pages, "w", encoding="utf-8") as fh:
            fh.write(json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "report pages"}) + "\n")
            n_pages = 0
            for r in reports:
                ev = evidence.get(r["id"]) or {}
                if not ev.get("page_record_id"):
                    continue
                ts = str(ev["page_captured_at"]).replace(" ", "T")
                if not ts.endswith("Z") and "+" not in ts:
                    ts += "Z"
                fh.write(json.dumps({"id": ev["page_record_id"].strip("<>").split(":")[-1], "url": r["page_url"],
                                     "ts": ts, "title": f"{r['agency']} {r['year']}"}, ensure_ascii=False) + "\n")
                n_pages += 1
        from wacz.main import main as wacz_main
        tmp_out = Path(tmp) / path.name
        rc = wacz_main(["create", "-o", str(tmp_out), "-p", str(pages), "--title",
                        title or f"harvester evidence: {province or ''} {agency or ''}".strip(), str(warc)])
        if rc not in (0, None) or not tmp_out.is_file():
            raise WaczError(f"wacz create failed (exit {rc})")
        check = read_back(tmp_out)
        os.replace(tmp_out, path)
    missing = sorted(u for u in uris if u not in check["urls"])
    if missing:
        raise WaczError(f"{len(missing)} report URLs are not in the package's index, e.g. {missing[0]}")
    return {"path": path, "reports": len(reports), "records": copied, "pages": n_pages, **check}


def read_back(path: str | os.PathLike) -> dict:
    """Validate a WACZ (`wacz validate`) and read its index: {valid, urls, index_lines, files}."""
    from wacz.main import main as wacz_main

    rc = wacz_main(["validate", "-f", str(path)])
    if rc not in (0, None):
        raise WaczError(f"wacz validate failed on {path} (exit {rc})")
    urls, lines = set(), 0
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        for name in names:
            if name.startswith("indexes/") and (name.endswith(".cdxj") or name.endswith(".cdx.gz")
                                                 or name.endswith(".cdxj.gz")):
                data = z.read(name)
                if name.endswith(".gz"):
                    data = gzip.decompress(data)
                for line in data.decode("utf-8").splitlines():
                    if " {" in line:
                        lines += 1
                        urls.add(json.loads(line.split(" ", 2)[2])["url"])
        if "datapackage.json" not in names:
            raise WaczError(f"{path} has no datapackage.json")
    return {"valid": True, "urls": urls, "index_lines": lines, "files": names}
