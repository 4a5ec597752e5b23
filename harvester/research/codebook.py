"""The data dictionary (codebook) of the exports: one row per cell id, built from ``report-format.json``.

Chinese labels come from the format specification as it is; English labels are composed from a
translation table of its label *vocabulary* (``EN``: each distinct row, column, block and group
label, translated once) — never written per cell. A label of the specification without a
translation is an error (``MissingTranslation``), so a new row in ``report-format.json`` cannot
silently get an empty English label.

Columns (``DICTIONARY_COLUMNS``): ``cell_id``, ``table`` (t2 主动公开, t3 依申请, t4 复议诉讼,
pre2019), ``block`` (the table's block or group in Chinese), ``row_label_zh``, ``col_label_zh``,
``label_en``, ``unit``, ``value_type``, ``formats`` (``;``-separated, of gov2021/gov2019/pre2019),
``imputable`` (``yes`` for tables 三 and 四: a blank cell of a row, column or block that is blank or 0
throughout is stored as 0 with ``imputed = 1`` when no hard check on it fails or misses a cell — spec §7; ``no`` elsewhere:
table 二 and the pre-2019 figures have no arithmetic to confirm a 0, their blanks stay empty).
Where a cell id exists in two formats with different printed labels (2021 ``本年处理决定数量`` vs
2019 ``处理决定数量``) the labels of the newest format are shown.
"""
from __future__ import annotations

from functools import lru_cache

from harvester.report.schema import format_cell_ids, load_schema

DICTIONARY_COLUMNS = ("cell_id", "table", "block", "row_label_zh", "col_label_zh", "label_en", "unit",
                      "value_type", "formats", "imputable", "kind", "definition")
IMPUTABLE_TABLES = ("t3", "t4")          # harvester.report.impute: the tables with hard checks
FORMATS = ("gov2021", "gov2019", "pre2019")
TABLE_EN = {"t2": "Active disclosure", "t3": "Requests", "t4": "Review & litigation", "pre2019": "Pre-2019"}

# The label vocabulary of report-format.json, each label translated once.
EN: dict[str, str] = {
    # table 二 (主动公开): blocks, rows, columns
    "第二十条第（一）项": "Art. 20(1)", "第二十条第（五）项": "Art. 20(5)", "第二十条第（六）项": "Art. 20(6)",
    "第二十条第（八）项": "Art. 20(8)", "第二十条第（九）项": "Art. 20(9)",
    "规章": "rules", "行政规范性文件": "normative documents", "规范性文件": "normative documents",
    "行政许可": "administrative licensing", "其他对外管理服务事项": "other public management services",
    "行政处罚": "administrative penalties", "行政强制": "administrative coercion",
    "行政事业性收费": "administrative fees", "政府集中采购": "centralised government procurement",
    "本年制发件数": "issued this year", "本年废止件数": "repealed this year", "现行有效件数": "in force",
    "本年新制作数量": "newly made this year", "本年新公开数量": "newly published this year",
    "对外公开总数量": "total published", "上一年项目数量": "items in previous year",
    "本年增/减": "change this year", "处理决定数量": "decisions", "本年处理决定数量": "decisions this year",
    "本年收费金额（单位：万元）": "fees collected this year (10k yuan)",
    "采购项目数量": "procurement projects", "采购总金额": "total procurement amount",
    # table 三 (依申请): groups, rows, columns
    "一": "", "二": "", "四": "", "三、本年度办理结果": "outcome",
    "（三）不予公开": "not disclosed", "（四）无法提供": "cannot be provided", "（五）不予处理": "not processed",
    "（六）其他处理": "other handling",
    "一、本年新收政府信息公开申请数量": "new requests this year",
    "二、上年结转政府信息公开申请数量": "carried over from previous year",
    "（一）予以公开": "disclosed",
    "（二）部分公开（区分处理的，只计这一情形，不计其他情形）": "partly disclosed",
    "1.属于国家秘密": "state secret", "2.其他法律行政法规禁止公开": "prohibited by other laws",
    "3.危及“三安全一稳定”": "endangers security or stability", "4.保护第三方合法权益": "third-party rights",
    "5.属于三类内部事务信息": "internal affairs", "6.属于四类过程性信息": "process information",
    "7.属于行政执法案卷": "law-enforcement case file", "8.属于行政查询事项": "administrative query",
    "1.本机关不掌握相关政府信息": "not held by this agency", "2.没有现成信息需要另行制作": "would need creating",
    "3.补正后申请内容仍不明确": "still unclear after correction",
    "1.信访举报投诉类申请": "petition or complaint", "2.重复申请": "repeat request",
    "3.要求提供公开出版物": "published material requested", "4.无正当理由大量反复申请": "mass repeated requests",
    "5.要求行政机关确认或重新出具已获取信息": "confirmation or reissue of obtained information",
    "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请": "no correction in time",
    "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请": "fee not paid in time",
    "3.其他": "other", "（七）总计": "total", "四、结转下年度继续办理": "carried forward to next year",
    "自然人": "natural persons", "商业企业": "commercial enterprises", "科研机构": "research institutions",
    "社会公益组织": "public-interest organisations", "法律服务机构": "legal service institutions",
    "其他": "other organisations", "总计": "total",
    # table 四 (复议诉讼)
    "行政复议": "administrative review", "行政诉讼/未经复议直接起诉": "litigation without prior review",
    "行政诉讼/复议后起诉": "litigation after review",
    "结果维持": "upheld", "结果纠正": "corrected", "其他结果": "other result", "尚未审结": "pending",
    # pre-2019 key figures
    "主动公开政府信息数（主动公开信息数 / 主动公开文件数）": "information actively disclosed",
    "其中：政府网站公开数": "of which on government website", "其中：政府公报公开数": "of which in gazette",
    "其中：主动公开规范性文件数": "of which normative documents",
    "受理（收到）依申请公开总数": "requests received", "其中：当面申请数": "of which in person",
    "其中：网上（网络）申请数": "of which online", "其中：电子邮件申请数": "of which by e-mail",
    "其中：传真申请数": "of which by fax", "其中：信函申请数": "of which by letter",
    "其中：信函、传真申请数": "of which by letter or fax", "其中：其他形式申请数": "of which other forms",
    "对申请的答复总数": "replies to requests", "其中：同意公开答复数": "of which disclosure granted",
    "其中：同意部分公开答复数": "of which partly granted",
    "其中：不予公开（不同意公开 / 否决公开）答复数": "of which refused",
    "其中：其他类型答复数": "of which other replies", "举报（投诉）数": "complaints",
    "行政复议数": "administrative reviews", "行政诉讼数": "administrative lawsuits",
    "行政申诉数": "administrative appeals", "依申请公开收取的费用": "fees charged for requests",
}
_EMPTY_OK = {"一", "二", "四"}     # top-level T3 groups: the row label says it all


class MissingTranslation(KeyError):
    """A label of report-format.json has no entry in ``EN``."""


def en(label: str) -> str:
    if label not in EN:
        raise MissingTranslation(f"no English label for {label!r}: add it to harvester.research.codebook.EN")
    text = EN[label]
    if not text and label not in _EMPTY_OK:
        raise MissingTranslation(f"empty English label for {label!r}")
    return text


def _t2_unit(cell: dict) -> str:
    kind = cell.get("type", "")
    if "万元" in kind.split(";")[0]:
        return "万元"
    if kind.startswith("decimal"):
        return "元 or 万元 (see raw)"
    return "项" if "项目数量" in cell["col_label"] else "件"


@lru_cache(maxsize=1)
def dictionary_rows() -> tuple[dict, ...]:
    """One dict per cell id (in ``all_cell_ids()`` order) with the ``DICTIONARY_COLUMNS``."""
    schema = load_schema()
    formats: dict[str, list[str]] = {}
    for fmt in FORMATS:
        for cid in format_cell_ids(fmt):
            formats.setdefault(cid, []).append(fmt)
    rows: dict[str, dict] = {}

    def add(cid, **row):
        rows.setdefault(cid, {"cell_id": cid, **row, "formats": ";".join(formats.get(cid, [])),
                              "imputable": "yes" if row["table"] in IMPUTABLE_TABLES else "no",
                              "kind": "cell", "definition": "read from the report's table"})

    for fmt in ("gov2021", "gov2019"):              # newest labels first
        for c in schema["table2"][fmt]:
            add(c["id"], table="t2", block=c["block_header"], row_label_zh=c["row_label"],
                col_label_zh=c["col_label"], unit=_t2_unit(c), value_type=c.get("type", "").split(";")[0],
                label_en=f"{TABLE_EN['t2']} - {en(c['block_header'])} {en(c['row_label'])} - {en(c['col_label'])}")
    t3 = schema["table3"]
    legal = t3.get("column_groups", {}).get("legal_entity", {})
    in_legal = set(legal.get("sum_of", []))
    for r in t3["rows"]:
        group = en(r["group"])
        row_en = en(r["label"])
        if group and group != row_en:
            row_en = f"{group}: {row_en}"
        for col in t3["columns"]:
            col_zh = f"{legal['label']}/{col['label']}" if col["id"] in in_legal else col["label"]
            add(f"apply.{r['id']}.{col['id']}", table="t3", block=r["group"], row_label_zh=r["label"],
                col_label_zh=col_zh, unit="件", value_type="int",
                label_en=f"{TABLE_EN['t3']} - {row_en} - {en(col['label'])}")
    for c in sorted(schema["table4"]["cells"], key=lambda c: c["position"]):
        add(c["id"], table="t4", block=c["block_label"], row_label_zh=c["block_label"],
            col_label_zh=c["col_label"], unit="件", value_type="int",
            label_en=f"{TABLE_EN['t4']} - {en(c['block_label'])} - {en(c['col_label'])}")
    for c in schema.get("pre2019", {}).get("cells", []):
        add(c["id"], table="pre2019", block="", row_label_zh=c["label"], col_label_zh="本年度",
            unit=c.get("unit", ""), value_type="decimal" if c.get("unit") == "元" else "int",
            label_en=f"{TABLE_EN['pre2019']} - {en(c['label'])}")
    from harvester.report.schema import all_cell_ids
    order = {cid: i for i, cid in enumerate(all_cell_ids())}
    missing = set(order) - set(rows)
    if missing:
        raise MissingTranslation(f"cell ids without a dictionary row: {sorted(missing)}")
    return tuple({k: rows[cid][k] for k in DICTIONARY_COLUMNS} for cid in sorted(rows, key=lambda c: order.get(c, len(order))))


# ---- every other column of the exports: metadata and derived figures ---------------------------------
# column → (Chinese label, English description, unit, value type, files it is in)
_R, _C, _K, _V = "reports", "cells", "checks", "coverage"
META: dict[str, tuple[str, str, str, str, str]] = {
    "province": ("省级行政区", "Province (省级) of the publishing agency", "", "text", f"{_R};{_C};{_K};{_V}"),
    "city": ("地级行政区", "City / prefecture (地级) of the agency", "", "text", f"{_R};{_C};{_K};{_V}"),
    "county": ("县级行政区", "County / district (县级) of the agency", "", "text", f"{_R};{_C};{_K};{_V}"),
    "agency": ("发布机关", "The publishing agency, as first published", "", "text", f"{_R};{_C};{_K};{_V}"),
    "year": ("报告年度", "Report year (the statistics period)", "年", "int", f"{_R};{_C};{_K};{_V}"),
    "report_format": ("统计表格式", "gov2021, gov2019 or pre2019: the format of the statistical tables", "",
                      "text", f"{_R};{_C}"),
    "title": ("报告标题", "The report's title", "", "text", f"{_R};{_V}"),
    "publish_date": ("发布日期", "Publication date (发布日期)", "date", "date", _R),
    "index_no": ("索引号", "Index number (索引号) on the disclosure portal", "", "text", _R),
    "publisher": ("发布机构", "Publisher as printed on the report page (发布机构)", "", "text", _R),
    "url": ("报告页面网址", "The report's page (where it was found); in coverage the page or document",
            "URL", "text", f"{_R};{_C};{_V}"),
    "document_url": ("文件网址", "The document the cells were read from; in cells the URL of the capture "
                     "document_warc_record_id names (the report's document URL, unless only another URL was "
                     "captured holding those bytes)", "URL", "text", f"{_R};{_C}"),
    "parse_status": ("解析状态", "parsed, partial, no_tables, text_only, not_a_report, or a document problem "
                     "(image_only, encrypted, no_unicode_map, corrupt, …)", "", "text", f"{_R};{_V}"),
    "failed_checks": ("未通过的勾稽校验", "Ids of the checks that FAIL, ';'-separated (see checks_*.csv)", "",
                      "text", f"{_R};{_V}"),
    "imputed_cells": ("推定为零的单元格", "Cell ids printed blank and set to 0 by spec §7 (';'-separated); "
                      "in coverage their number", "", "text", f"{_R};{_V}"),
    "agency_id": ("机关标识", "Stable agency id: <6-digit GB/T 2260 code>-<normalised name>, the same in "
                  "every output and every database", "", "text", f"{_R};{_C};{_K};{_V}"),
    "report_id": ("报告标识", "The report's id in the database (reports.id; browse /research/reports/<id>, "
                  "harvester show <id>)", "", "int", f"{_R};{_C};{_K};{_V}"),
    "province_code": ("省级代码", "GB/T 2260 code of the province (6 digits)", "", "text", _R),
    "province_en": ("省份英文名", "The province's English name (Jiangsu); browse tables only", "", "text", ""),
    "city_code": ("地级代码", "GB/T 2260 code of the city (6 digits), when known", "", "text", _R),
    "county_code": ("县级代码", "GB/T 2260 code of the county (6 digits), when known", "", "text", _R),
    "division_status": ("区划匹配状态", "How the division was matched to the GB/T 2260 dataset "
                        "(docs/divisions.md)", "", "text", _R),
    "division_code": ("区划代码", "The most specific GB/T 2260 code of the agency's division (county, else "
                      "city, else province): the code that starts agency_id", "", "text", f"{_R};{_C};{_K};{_V}"),
    "site_id": ("站点标识", "The registry site (data/sites.csv) the report was found on", "", "text",
                f"{_R};{_C};{_K};{_V}"),
    "fetched_at": ("抓取时间", "When the document was fetched (UTC, ISO 8601)", "UTC", "datetime", _R),
    "document_sha256": ("文件SHA-256", "SHA-256 of the document's bytes (the archived copy's name)", "", "text",
                        f"{_R};{_C}"),
    "archive_path": ("存档副本", "Where the archived copy is: warc:<file>#<offset> (the WARC record "
                     "under <archive>/warc/ holding the bytes) or ab/cd/<sha256> (a file of the archive)", "", "text", _R),
    "report_state": ("版本状态", "current, revised (its document changed since first seen) or withdrawn "
                     "(page or document gone)", "", "text", _R),
    "revised_at": ("修订时间", "Last time the report's document changed (UTC)", "UTC", "datetime", _R),
    "withdrawn_at": ("撤回时间", "When the page or document was found gone (UTC)", "UTC", "datetime", _R),
    "withdrawn_reason": ("撤回原因", "Why the report counts as withdrawn (404, 410, soft 404 …)", "", "text", _R),
    "page_warc_record_id": ("页面WARC记录", "WARC-Record-ID of the first capture of the report page (url; a "
                            "response record, or a revisit of it) — replay it with `harvester replay`", "", "text",
                            f"{_R};{_C}"),
    "page_captured_at": ("页面采集时间", "When that capture was made (WARC-Date, UTC)", "UTC", "datetime",
                         f"{_R};{_C}"),
    "document_warc_record_id": ("文件WARC记录", "WARC-Record-ID of the first capture of document_url holding the "
                                "bytes the numbers were read from (document_sha256; in cells the cell's own "
                                "document_sha256)", "", "text", f"{_R};{_C}"),
    "document_captured_at": ("文件采集时间", "When the document was captured (WARC-Date, UTC)", "UTC", "datetime",
                             f"{_R};{_C}"),
    "document_warc_file": ("WARC文件", "The .warc.gz file (under the archive's warc/ directory) that holds the "
                           "document record", "", "text", f"{_R};{_C}"),
    "withdrawn_warc_record_id": ("撤回证据记录", "WARC-Record-ID of the capture of the 404/410 answer that showed "
                                 "the report gone", "", "text", _R),
    "parser_warnings": ("解析提示", "The parser's warnings, ';'-separated (a table printed in another year's "
                        "layout, ambiguous digits, …)", "", "text", _R),
    "cell_id": ("单元格标识", "Stable cell id (one row of this dictionary each)", "", "text", _C),
    "value": ("数值", "The number (empty when printed blank)", "see the cell's unit", "number", _C),
    "raw": ("原文", "The text as printed", "", "text", _C),
    "unit": ("单位", "Unit of the value (件, 项, 万元 …): as printed, else the form's", "", "text", _C),
    "flags": ("解析标记", "Parser remarks on the cell (blank, ambiguous decoding …), ';'-separated", "", "text", _C),
    "imputed": ("推定为零", "1: printed blank, set to 0 by spec §7; filter imputed = 0 to leave them out", "",
                "int", _C),
    "src_reader": ("读取方式", "How the cell was read: grid, text_runs, cell_per_line, glued, imputed", "", "text", _C),
    "src_page": ("页码", "PDF page the cell was read on", "", "int", _C),
    "src_table": ("表序号", "Which table of the document (1 = first)", "", "int", _C),
    "src_row": ("行号", "Row of that table's grid", "", "int", _C),
    "src_col": ("列号", "Column of the grid (or place in a text row)", "", "int", _C),
    "src_line": ("文本行号", "Line of the extracted text", "", "int", _C),
    "src_text": ("所在行原文", "The row as read (text line, glued digits)", "", "text", _C),
    "src_readings": ("读法数", "How many readings glued digits had", "", "int", _C),
    "src_candidates": ("候选读法", "Those readings (JSON)", "", "text", _C),
    "check_id": ("校验标识", "Id of the consistency check (勾稽关系), e.g. t3.balance.total", "", "text", _K),
    "status": ("状态", "checks: PASS, FAIL, NOT_ASSESSABLE or AMBIGUOUS; coverage: parsed, failed_checks, "
               "unparsed, missing or not_due", "", "text", f"{_K};{_V}"),
    "cells": ("涉及单元格", "The cell ids the check involves, ';'-separated", "", "text", _K),
    "detail": ("校验说明", "A failed check's arithmetic", "", "text", _K),
    "explanation": ("校验含义", "What the check verifies", "", "text", _K),
    "kind": ("机关类型", "coverage: government (deadline 31 March) or department (31 January)", "", "text", _V),
    "deadline": ("公开期限", "The date the report was due (条例 第五十条)", "date", "date", _V),
}


def metadata_rows() -> tuple[dict, ...]:
    """One dictionary row per metadata column of the exports (``kind = metadata``)."""
    return tuple({"cell_id": col, "table": "meta", "block": files, "row_label_zh": zh, "col_label_zh": "",
                  "label_en": en_, "unit": unit, "value_type": vtype, "formats": "", "imputable": "no",
                  "kind": "metadata", "definition": en_}
                 for col, (zh, en_, unit, vtype, files) in META.items())


def derived_rows() -> tuple[dict, ...]:
    """One dictionary row per derived figure (``kind = derived``, ``definition`` = its formula)."""
    from harvester.research.derived import DERIVED

    return tuple({"cell_id": d.id, "table": "derived", "block": "t3" if d.id.startswith(("derived.denied",
                  "derived.unable", "derived.not_processed", "derived.disclosure")) else "t4",
                  "row_label_zh": d.label_zh, "col_label_zh": "", "label_en": d.label_en, "unit": d.unit,
                  "value_type": "int" if d.unit == "件" else "ratio", "formats": "gov2021;gov2019",
                  "imputable": "no", "kind": "derived",
                  "definition": f"computed from the cells: {d.formula}; empty when a part is empty"
                                + (" or the denominator is 0" if d.unit == "ratio" else "")}
                 for d in DERIVED)


def export_dictionary_rows() -> tuple[dict, ...]:
    """The dictionary of the exports: metadata columns, derived figures, then every cell id."""
    return metadata_rows() + derived_rows() + dictionary_rows()
