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
"archive_url": "/archive/" or null}}``.
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
        archive_link = (archive_url + report["archive_path"]) if archive_url and report.get("archive_path") else None
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
