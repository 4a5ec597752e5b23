"""Datasette plugin of ``harvester browse`` (loaded from the working directory's ``plugins/``).

* **A report page.** ``/research/reports/<report_id>`` (the report id is the table's primary key) is
  rendered by ``templates/browse/row-research-reports.html`` with what this plugin looks up: the
  report's identity and provenance, links to its page, its document and its archived copy, the derived
  figures, every cell with its Chinese and English labels and its unit next to the value, and the
  checks that did not pass with what each verifies and the arithmetic. Cells and checks link back to
  the report (``cells.report_id`` and ``checks.report_id`` are foreign keys to ``reports``).
* **CSV for Excel.** Every ``.csv`` response gets a UTF-8 byte order mark, so Excel shows Chinese
  intact (Datasette's own CSV has none).

Configured from the metadata: ``plugins: {"harvester-browse": {"companion": "research",
"main": <the database's name>, "archive_url": "/archive-copy/" or null, "archive_root", "warc_dir"}}``.
* **Archived copies.** ``/archive-copy/<sha256>`` answers with the archived bytes: the file
  ``<archive_root>/ab/cd/<sha256>`` when there is one, else the payload of the WARC record that holds them
  (``warc_captures`` of the main database; the bytes are checked against the SHA-256).
"""
from __future__ import annotations

from datasette import hookimpl

PLUGIN = "harvester-browse"
BOM = "\ufeff".encode("utf-8")


def _config(datasette) -> dict:
    return datasette.plugin_config(PLUGIN) or {}


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    conf = _config(datasette)
    if view_name != "row" or table != "reports" or database != conf.get("companion") or request is None:
        return {}

    async def report_page():
        db = datasette.get_database(database)
        pk = request.url_vars.get("pks", "")
        try:
            report_id = int(pk)
        except ValueError:
            return {}
        rows = (await db.execute("SELECT * FROM reports WHERE report_id = ?", [report_id])).rows
        if not rows:
            return {}
        report = dict(rows[0])
        labels = {r["cell_id"]: dict(r) for r in (await db.execute(
            "SELECT cell_id, row_label_zh, label_en, unit, definition FROM dictionary "
            "WHERE kind = 'derived'")).rows}
        derived = [{"id": k, "value": report[k], **labels.get(k, {})} for k in report if k.startswith("derived.")]
        cells = [dict(r) for r in (await db.execute(
            "SELECT rowid AS cell_rowid, cell_id, value, raw, COALESCE(NULLIF(unit, ''), dictionary_unit) AS unit, "
            '"table", row_label, col_label, label_en, imputed, flags, src_reader, document_link '
            "FROM cells WHERE report_id = ? ORDER BY rowid", [report_id])).rows]
        checks = [dict(r) for r in (await db.execute(
            "SELECT rowid AS check_rowid, check_id, status, explanation, detail, cells FROM checks "
            "WHERE report_id = ? AND status != 'PASS' ORDER BY status, check_id", [report_id])).rows]
        archive_url = conf.get("archive_url")
        sha = report.get("document_sha256")
        archive_link = (archive_url + sha) if archive_url and sha else None
        return {"hv_report": report, "hv_cells": cells, "hv_checks": checks, "hv_derived": derived,
                "hv_archive_link": archive_link}

    return report_page


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def with_bom(scope, receive, send):
            if scope.get("type") != "http" or not scope.get("path", "").endswith(".csv"):
                await app(scope, receive, send)
                return
            state = {"csv": False, "sent": False}

            async def send_bom(event):
                if event["type"] == "http.response.start":
                    headers = list(event.get("headers") or [])
                    kinds = [v for k, v in headers if k.lower() == b"content-type"]
                    state["csv"] = bool(kinds) and kinds[0].split(b";")[0].strip() in (b"text/csv", b"text/plain")
                    if state["csv"]:
                        headers = [(k, str(int(v) + len(BOM)).encode() if k.lower() == b"content-length" else v)
                                   for k, v in headers]
                        event = {**event, "headers": headers}
                elif event["type"] == "http.response.body" and state["csv"] and not state["sent"]:
                    state["sent"] = True
                    event = {**event, "body": BOM + event.get("body", b"")}
                await send(event)

            await app(scope, receive, send_bom)
        return with_bom
    return wrap


def _archived(conf: dict, rows, sha: str) -> bytes | None:
    import hashlib
    from pathlib import Path

    root = conf.get("archive_root")
    if root:
        from harvester.archive import Archive

        path = Path(root) / Archive.relpath(sha)
        if path.is_file():
            return path.read_bytes()
    warc_dir = conf.get("warc_dir")
    for row in rows:
        path = Path(warc_dir or "") / row["warc_file"]
        if not warc_dir or not path.is_file():
            continue
        from harvester.evidence.warc import read_record_payload

        data = read_record_payload(path, row["offset"])
        if hashlib.sha256(data).hexdigest() == sha:
            return data
    return None


@hookimpl
def register_routes(datasette):
    from datasette.utils.asgi import Response

    async def archive_copy(request):
        conf = _config(datasette)
        sha = request.url_vars["sha"]
        rows = []
        main = conf.get("main")
        if main and conf.get("warc_dir"):
            db = datasette.get_database(main)
            if await db.table_exists("warc_captures"):
                rows = (await db.execute(
                    "SELECT warc_file, \"offset\" FROM warc_captures WHERE body_sha256 = ? AND record_type IN "
                    "('response', 'resource', 'conversion') ORDER BY id DESC", [sha])).rows
        data = _archived(conf, rows, sha)
        if data is None:
            return Response.text(f"no archived copy of {sha}", status=404)
        return Response(data, content_type="application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="{sha}"'})

    return [(r"^/archive-copy/(?P<sha>[0-9a-f]{64})$", archive_copy)]
