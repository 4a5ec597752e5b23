"""Derived figures: computed from a report's stored cells, never read from the document.

Each figure has an id starting ``derived.``, Chinese and English labels, a unit and its formula. It
is exported next to the cells (the wide ``reports_*.csv`` file, ``open_db().reports()``, browse's
``research/reports``, ``harvester publish``), marked ``kind = derived`` in the data dictionary.

The rules (the same for every output):

* a **sum** is empty when any of its parts is empty (blank and not imputed, or missing from the
  report's format) — a gap is never counted as 0;
* a **rate** is empty when its numerator or denominator is empty or the denominator is 0; it is a
  fraction between 0 and 1 (unit ``ratio``), not a percentage;
* the pre-2019 format has none of these cells: its derived figures are empty.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from harvester.report.schema import all_cell_ids


@dataclass(frozen=True)
class Derived:
    id: str
    label_zh: str
    label_en: str
    unit: str
    formula: str
    parts: tuple[str, ...]
    compute: Callable[[Mapping[str, float | None]], float | None]


def _ids(prefix: str) -> tuple[str, ...]:
    return tuple(c for c in all_cell_ids() if c.startswith(prefix) and c.endswith(".total"))


def _sum(ids: tuple[str, ...]):
    def f(v):
        parts = [v.get(i) for i in ids]
        if not parts or any(p is None for p in parts):
            return None
        return float(sum(parts))
    return f


def _rate(num: tuple[str, ...], den: tuple[str, ...]):
    n, d = _sum(num), _sum(den)

    def f(v):
        a, b = n(v), d(v)
        if a is None or b is None or b == 0:
            return None
        return a / b
    return f


_DENIED = _ids("apply.denied.")
_UNABLE = _ids("apply.unable.")
_NOT_PROCESSED = _ids("apply.not_processed.")
_GRANTED = ("apply.granted.total", "apply.partial.total")
_LIT_CORR = ("appeal.lit_direct.corrected", "appeal.lit_after_review.corrected")
_LIT_TOTAL = ("appeal.lit_direct.total", "appeal.lit_after_review.total")

DERIVED: tuple[Derived, ...] = (
    Derived("derived.denied.total", "不予公开（各项理由合计）", "Requests - not disclosed, all reasons - total",
            "件", " + ".join(_DENIED), _DENIED, _sum(_DENIED)),
    Derived("derived.unable.total", "无法提供（各项理由合计）", "Requests - cannot be provided, all reasons - total",
            "件", " + ".join(_UNABLE), _UNABLE, _sum(_UNABLE)),
    Derived("derived.not_processed.total", "不予处理（各项理由合计）",
            "Requests - not processed, all reasons - total", "件", " + ".join(_NOT_PROCESSED), _NOT_PROCESSED,
            _sum(_NOT_PROCESSED)),
    Derived("derived.disclosure_rate", "公开率（予以公开 + 部分公开）÷ 办理结果总计",
            "Disclosure rate: (disclosed + partly disclosed) / all outcomes", "ratio",
            "(apply.granted.total + apply.partial.total) / apply.total.total",
            (*_GRANTED, "apply.total.total"), _rate(_GRANTED, ("apply.total.total",))),
    Derived("derived.review_correction_rate", "行政复议纠错率（结果纠正 ÷ 总计）",
            "Administrative review correction rate: corrected / total", "ratio",
            "appeal.review.corrected / appeal.review.total", ("appeal.review.corrected", "appeal.review.total"),
            _rate(("appeal.review.corrected",), ("appeal.review.total",))),
    Derived("derived.litigation_correction_rate", "行政诉讼纠错率（结果纠正 ÷ 总计，含复议后起诉）",
            "Litigation correction rate: corrected / total (direct and after review)", "ratio",
            "(appeal.lit_direct.corrected + appeal.lit_after_review.corrected) / "
            "(appeal.lit_direct.total + appeal.lit_after_review.total)", (*_LIT_CORR, *_LIT_TOTAL),
            _rate(_LIT_CORR, _LIT_TOTAL)),
)
DERIVED_IDS = tuple(d.id for d in DERIVED)
DERIVED_BY_ID = {d.id: d for d in DERIVED}


def derive(values: Mapping[str, float | None]) -> dict[str, float | None]:
    """{derived id: value} from one report's {cell id: value} (blank cells as None)."""
    return {d.id: d.compute(values) for d in DERIVED}


# ---- what each consistency check verifies (for researchers: exports, browse, publish) -------------------
CHECK_EXPLANATIONS = (
    ("t3.balance.", "表三 balance of one applicant column: 一 新收 + 二 上年结转 = 三(七) 办理结果总计 + 四 结转下年度 "
                    "(new + carried over = all outcomes + carried forward)"),
    ("t3.rowsum.", "表三 one row: 总计 = the sum of the applicant columns (自然人 + 法人或其他组织 + 其他)"),
    ("t3.results.", "表三 one applicant column: (七)总计 = Σ outcomes (一)…(六) (disclosed, partly, not disclosed, "
                    "cannot be provided, not processed, other)"),
    ("t4.sum.", "表四 one block (复议, 直接起诉, 复议后起诉): 总计 = 维持 + 纠正 + 其他 + 尚未审结 "
                "(total = upheld + corrected + other + pending)"),
    ("t3.carry_chain", "表三 上年结转 (carried over) equals the same agency's 结转下年度 (carried forward) in the "
                       "previous year's report"),
    ("domain", "every value is a non-negative number of the cell's type (counts are whole numbers)"),
    ("text.vs.tables", "the counts stated in the report's text (申请, 复议, 诉讼) agree with its tables"),
)


def explain_check(check_id: str) -> str:
    """What a check verifies, in one sentence ('' for an unknown check id)."""
    for prefix, text in CHECK_EXPLANATIONS:
        if check_id == prefix or (prefix.endswith(".") and check_id.startswith(prefix)):
            return text
    return ""
