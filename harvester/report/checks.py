"""Consistency checks (spec §6): H1–H5 and S5 on one report, S1 across years.

Status rules, the same for every arithmetic check:
- a cell left empty because its reading was ambiguous          -> AMBIGUOUS
- a cell missing (not found, lost in extraction, not printed)  -> NOT_ASSESSABLE
- blank (and marker) cells count as 0: if the rule then holds -> PASS; if it fails -> FAIL, unless one
  of the blanks is an *unfilled total* — a blank 总计 whose parts are not all blank or 0 (S7, e.g.
  SH2019's blank 总计 column), which may hide a number -> NOT_ASSESSABLE. So a row left blank while
  its totals are not 0 fails the check that adds it up, naming the blank cells.
A failing check's detail names the cells and the arithmetic: ``一 + 二 = 三(七) + 四: 12 + 3 ≠ 14 + 0;
apply.new.natural_person=12, …``.
"""
from __future__ import annotations

import re
from functools import lru_cache

from .model import AMBIGUOUS, FAIL, NOT_ASSESSABLE, PASS, Cell, Check, ParsedReport
from .normalize import join_broken_lines, nfkc
from .schema import table3_columns, table3_row_defs
from .tables import t4_blocks

_BALANCE_LEFT = ("new", "carried_over")
_BALANCE_RIGHT = ("total", "carry_forward")
_LONG = 6            # a side with more terms is written with its non-zero terms only
Spec = tuple[str, tuple, tuple, str]


def _num(v) -> str:
    if type(v) is int or (isinstance(v, float) and v.is_integer()):
        return str(int(v))
    return repr(v)


def _term(cell: Cell | None) -> str:
    if cell is None or cell.value is None:
        return (cell.raw if cell is not None and cell.raw else "blank")
    return _num(cell.value)


def _side(ids: tuple, cells: dict[str, Cell]) -> str:
    if len(ids) <= _LONG:
        return " + ".join(_term(cells.get(c)) for c in ids)
    values = [None if (cell := cells.get(c)) is None else cell.value for c in ids]
    terms = [_num(v) for v in values if v]       # non-zero terms, then the zeros and blanks counted: 0×13
    for what, n in (("0", values.count(0)), ("blank", sum(1 for v in values if v is None))):
        if n:
            terms.append(what if n == 1 else f"{what}×{n}")
    return " + ".join(terms)


def arithmetic(left: tuple, right: tuple, cells: dict[str, Cell], lhs, rhs) -> str:
    """'12 + 3 ≠ 14 + 0; apply.new.natural_person=12, …': every cell named with its value; on long sides
    the non-zero cells, then the blank ones."""
    expr = f"{_side(left, cells)} ≠ {_side(right, cells)}"
    ids = (*left, *right)
    if len(left) <= _LONG and len(right) <= _LONG:
        return f"{expr}; " + ", ".join(f"{c}={_term(cells.get(c))}" for c in ids)
    values = {c: (None if (cell := cells.get(c)) is None else cell.value) for c in ids}
    named = ", ".join(f"{c}={_num(v)}" for c, v in values.items() if v)
    blank = [c for c, v in values.items() if v is None]
    return (f"{expr} ({_num(lhs)} ≠ {_num(rhs)}); {named or 'every cell 0'}"
            + (f"; blank: {', '.join(blank)}" if blank else ""))


def _unfilled(cid: str, cells: dict[str, Cell], targets: dict[str, tuple]) -> bool:
    """A blank total whose parts (in some sum check) are not all blank or 0: it may hide a number (S7)."""
    for parts in targets.get(cid, ()):
        for p in parts:
            cell = cells.get(p)
            if cell is not None and cell.value:
                return True
    return False


def sum_check(spec: Spec, cells: dict[str, Cell], targets: dict[str, tuple]) -> Check:
    cid, left, right, what = spec
    lhs = rhs = 0
    blanks: list[str] = []
    for side, ids in ((0, left), (1, right)):
        for c in ids:
            cell = cells.get(c)
            v = None if cell is None else cell.value
            if v is None:
                flags = cell.flags if cell is not None else ("missing",)
                if "ambiguous" in flags or "glued_ambiguous" in flags:
                    return Check(cid, AMBIGUOUS, [*left, *right], f"{c} could not be read unambiguously")
                if "blank" in flags or "marker" in flags:
                    blanks.append(c)
                    continue
                return Check(cid, NOT_ASSESSABLE, [*left, *right], f"{c} is missing")
            if side:
                rhs += v
            else:
                lhs += v
    involved = [*left, *right]
    if abs(lhs - rhs) < 1e-9:
        return Check(cid, PASS, involved, f"{what}: {_num(lhs)} = {_num(rhs)}" + (" (blank cells as 0)" if blanks else ""))
    detail = f"{what}: {arithmetic(left, right, cells, lhs, rhs)}"
    hidden = [b for b in blanks if _unfilled(b, cells, targets)]
    if hidden:
        named = ", ".join(hidden[:3]) + (f" and {len(hidden) - 3} more" if len(hidden) > 3 else "")
        return Check(cid, NOT_ASSESSABLE, involved,
                     f"{detail} — with blank cells as 0; a blank total is not 0 (S7): {named}")
    if blanks:
        detail += " — blank cells counted as 0"
    return Check(cid, FAIL, involved, detail)


@lru_cache(maxsize=64)
def specs(t3_rows: tuple[str, ...], fmt: str, t4: bool) -> tuple[Spec, ...]:
    """(check id, left cell ids, right cell ids, rule) of every arithmetic check, built once per layout."""
    cols = table3_columns()
    out = []
    if t3_rows:
        for c in cols:  # H1
            out.append((f"t3.balance.{c}", tuple(f"apply.{r}.{c}" for r in _BALANCE_LEFT),
                        tuple(f"apply.{r}.{c}" for r in _BALANCE_RIGHT), "一 + 二 = 三(七) + 四"))
        for r in t3_rows:  # H2
            out.append((f"t3.rowsum.{r}", (f"apply.{r}.total",), tuple(f"apply.{r}.{c}" for c in cols[:-1]),
                        "总计 = Σ applicant columns"))
        results = [d.id for d in table3_row_defs()
                   if fmt in d.formats and d.id not in ("new", "carried_over", "total", "carry_forward")]
        for c in cols:  # H3
            out.append((f"t3.results.{c}", (f"apply.total.{c}",), tuple(f"apply.{r}.{c}" for r in results),
                        "(七)总计 = Σ (一)…(六)"))
    if t4:
        for block, ids in t4_blocks():  # H4
            out.append((f"t4.sum.{block}", (ids[-1],), tuple(ids[:-1]), "总计 = 维持+纠正+其他+尚未审结"))
    return tuple(out)


@lru_cache(maxsize=64)
def sum_targets(t3_rows: tuple[str, ...], fmt: str, t4: bool) -> dict[str, tuple]:
    """{total cell id: (parts of each sum check it is the total of)} — H2, H3, H4 (one cell on the left)."""
    out: dict[str, list] = {}
    for _, left, right, _ in specs(t3_rows, fmt, t4):
        if len(left) == 1:
            out.setdefault(left[0], []).append(right)
    return {k: tuple(v) for k, v in out.items()}


def table_checks(rep: ParsedReport, t3_rows: list[str], t3_fmt: str | None, t4_found: bool) -> list[Check]:
    cells = rep.cells
    layout = (tuple(t3_rows), t3_fmt or "gov2021", bool(t4_found))
    targets = sum_targets(*layout)
    out = [sum_check(spec, cells, targets) for spec in specs(*layout)]
    out.append(domain_check(rep))
    return out


@lru_cache(maxsize=4096)
def _domain(cid: str) -> str | None:
    """How H5 treats a cell id: 'signed' (本年增/减), 'amount' (decimal ≥ 0), 'count', or None (not checked)."""
    if cid.startswith("pre2019."):
        return None
    if cid.endswith(".delta"):
        return "signed"
    if cid.startswith("active.") and (cid.endswith(".amount") or cid.endswith("amount_wan_yuan")):
        return "amount"
    return "count"


def domain_check(rep: ParsedReport) -> Check:
    """H5: T3/T4 cells and T2 counts are non-negative integers; deltas may be negative; amounts ≥ 0."""
    bad = []
    n = 0
    for cid, cell in rep.cells.items():
        v = cell.value
        if v is None:
            continue
        kind = _domain(cid)
        if kind is None:
            continue
        n += 1
        if kind == "count":
            ok = v >= 0 and (type(v) is int or float(v).is_integer())
        elif kind == "signed":
            ok = type(v) is int or float(v).is_integer()
        else:
            ok = v >= 0
        if not ok:
            bad.append(cid)
    if not n:
        return Check("domain", NOT_ASSESSABLE, [], "no cells")
    if bad:
        return Check("domain", FAIL, bad, "values outside the domain: " + ", ".join(f"{c}={rep.cells[c].value}" for c in bad))
    return Check("domain", PASS, [], f"{n} cells in domain")


# ---- S5: narrative against tables -----------------------------------------------------------------

_CLAUSE = r"[^。；;！!？?\n]"
_RECEIVED = re.compile(rf"(?:收到|受理|接收|接到)(?:{_CLAUSE}{{0,24}}?)(?:公开申请|申请)\s*(?:共\s*)?(\d+)\s*(?:件|个|份|条|宗)")
_RECEIVED2 = re.compile(rf"(?:收到|受理|接收|接到)\s*(?:了)?\s*(\d+)\s*(?:件|个|份|条)(?:{_CLAUSE}{{0,12}}?)申请")
_NONE_RECEIVED = re.compile(rf"(?:未|没有|无)(?:收到|接到|受理|接收|发生)(?:{_CLAUSE}{{0,30}}?)(?:公开申请|申请)")
_NONE_APPEAL = re.compile(rf"(?:无|未|没有|不存在)(?:{_CLAUSE}{{0,30}}?)(?:行政复议|行政诉讼)")
_REVIEW_N = re.compile(r"行政复议\s*(?:案件\s*)?(?:共\s*)?(\d+)\s*(?:件|起|宗|个)")
_LITIG_N = re.compile(r"(?<!复议)(?:行政)?诉讼\s*(?:案件\s*)?(?:共\s*)?(\d+)\s*(?:件|起|宗|个)")


def _narrative(text: str) -> str:
    """The text without table rows (lines holding tabs or only numbers)."""
    keep = []
    for ln in text.split("\n"):
        if "\t" in ln:
            continue
        s = ln.strip()
        if not s or s.replace(" ", "").replace(".", "").isdigit():
            continue
        keep.append(s)
    return "\n".join(keep)


def _val(rep: ParsedReport, cid: str, blank_zero: bool = True):
    cell = rep.cells.get(cid)
    if cell is None:
        return None
    if cell.value is None:
        return 0 if blank_zero and ("blank" in cell.flags) else None
    return cell.value


def text_check(rep: ParsedReport, text: str) -> Check:
    """S5 text.vs.tables: the narrative's counts of applications, 复议 and 诉讼 against the tables."""
    nar = join_broken_lines(nfkc(_narrative(text)))
    claims: list[str] = []
    fails: list[str] = []
    cells_used: list[str] = []
    new_t, carried_t = _val(rep, "apply.new.total"), _val(rep, "apply.carried_over.total")
    received = [int(m.group(1)) for rx in (_RECEIVED, _RECEIVED2) for m in rx.finditer(nar)]
    if received and new_t is not None:
        cells_used += ["apply.new.total", "apply.carried_over.total"]
        allowed = {new_t} | ({new_t + carried_t} if carried_t is not None else set())
        for n in received:
            claims.append(f"申请{n}件")
            if n not in allowed:
                fails.append(f"text says {n} applications, table 三 has {new_t} new"
                             + (f" (+{carried_t} carried over)" if carried_t else ""))
    if not received and _NONE_RECEIVED.search(nar):
        t3 = [(cid, c.value) for cid, c in rep.cells.items() if cid.startswith("apply.") and c.value]
        claims.append("no applications")
        cells_used.append("apply.new.total")
        if t3:
            fails.append(f"text says no applications, table 三 has {len(t3)} non-zero cells (e.g. {t3[0][0]}={t3[0][1]})")
    review, lit = _val(rep, "appeal.review.total"), None
    d, a = _val(rep, "appeal.lit_direct.total"), _val(rep, "appeal.lit_after_review.total")
    if d is not None and a is not None:
        lit = d + a
    none_appeal = _NONE_APPEAL.search(nar)
    rev_n = [int(m.group(1)) for m in _REVIEW_N.finditer(nar)]
    lit_n = [int(m.group(1)) for m in _LITIG_N.finditer(nar)]
    if none_appeal and not rev_n and not lit_n:
        t4 = [(cid, c.value) for cid, c in rep.cells.items() if cid.startswith("appeal.") and c.value]
        if any(cid.startswith("appeal.") for cid in rep.cells):
            claims.append("no 复议/诉讼")
            cells_used += ["appeal.review.total", "appeal.lit_direct.total", "appeal.lit_after_review.total"]
            if t4:
                fails.append(f"text says no 行政复议/行政诉讼 ('{none_appeal.group(0)[:40]}'), table 四 has "
                             + ", ".join(f"{c}={v}" for c, v in t4[:4]))
    if rev_n and review is not None:
        cells_used.append("appeal.review.total")
        for n in rev_n:
            claims.append(f"复议{n}")
            if n != review:
                fails.append(f"text says 行政复议 {n}, table 四 review total {review}")
    if lit_n and lit is not None:
        cells_used += ["appeal.lit_direct.total", "appeal.lit_after_review.total"]
        for n in lit_n:
            claims.append(f"诉讼{n}")
            if n != lit:
                fails.append(f"text says 行政诉讼 {n}, table 四 litigation total {lit}")
    cells_used = list(dict.fromkeys(cells_used))
    if fails:
        return Check("text.vs.tables", FAIL, cells_used, "; ".join(fails))
    if claims:
        return Check("text.vs.tables", PASS, cells_used, "narrative agrees: " + ", ".join(claims))
    return Check("text.vs.tables", NOT_ASSESSABLE, [], "the narrative states no counts")


# ---- S1: carry-over chain across years ------------------------------------------------------------

def carry_chain_check(current: ParsedReport, previous_cells: dict) -> Check:
    """S1 t3.carry_chain: this year's 上年结转 (carried_over) equals last year's 结转下年度 (carry_forward)."""
    involved, diffs, missing = [], [], []
    for c in table3_columns():
        cur_id, prev_id = f"apply.carried_over.{c}", f"apply.carry_forward.{c}"
        involved += [cur_id, "previous:" + prev_id]
        cur = current.cells.get(cur_id)
        cur_v = None if cur is None else (cur.value if cur.value is not None or "blank" not in cur.flags else 0)
        prev_v = previous_cells.get(prev_id)
        if cur_v is None or prev_v is None:
            missing.append(c)
            continue
        if abs(cur_v - prev_v) > 1e-9:
            diffs.append(f"{c}: {cur_v} ≠ {prev_v}")
    if diffs:
        return Check("t3.carry_chain", FAIL, involved, "上年结转 vs previous 结转下年度: " + "; ".join(diffs))
    if missing and len(missing) == len(table3_columns()):
        return Check("t3.carry_chain", NOT_ASSESSABLE, involved, "no comparable cells")
    detail = "上年结转 = previous 结转下年度"
    if missing:
        detail += " (not compared: " + ", ".join(missing) + ")"
    return Check("t3.carry_chain", PASS, involved, detail)
