"""Rows -> cell ids of report-format.json for tables 二, 三, 四 and the pre-2019 statistics table.

All ids, keywords, orders and types come from the schema; nothing here names an individual cell.
"""
from __future__ import annotations

import itertools
import re
from functools import lru_cache
from dataclasses import dataclass, field

from .decode import MAX_CANDIDATES, TooManyReadings, Vector, candidates, glued_candidates
from .model import MAX_KEPT_READINGS, Cell, Source
from .normalize import Value, parse_value
from .rows import Row, best_match
from .schema import (pre2019_defs, table2_cells_by_row, table2_format_markers, table2_row_defs, table3_columns,
                     table3_row_defs, table4_cell_ids)

MAX_JOINT = 20000
MIN_T3_KEYWORD_ROWS = 3      # rows found by keyword before a region counts as table 三
MIN_T2_ROWS = 2
MAX_POSITIONAL_LABEL = 60    # a row placed by position (misprinted label) has a short label
_UNIT_HDR = re.compile(r"单位[:：]?(万元|元)|\((万元|元)\)")


@dataclass
class TableResult:
    kind: str
    fmt: str | None = None
    cells: dict[str, Cell] = field(default_factory=dict)
    printed_rows: list[str] = field(default_factory=list)   # T3 row ids present in the document
    problems: list[str] = field(default_factory=list)
    incomplete: bool = False
    found: bool = False


def _cell(v: Value | None, flags: list[str] | None = None, unit: str | None = None,
          src: Source | None = None, at: tuple | None = None) -> Cell:
    col, line = at if at is not None else (None, None)
    if v is None:
        return Cell(None, "", unit, list(flags) if flags else [], False, src, col, line)
    kind = v.kind
    f = list(flags) if flags else []
    if kind != "number":
        f.append(kind)          # blank / marker
    return Cell(v.value, v.raw, v.unit or unit, f, False, src, col, line)


def _empty(flag: str, unit: str | None = None, src: Source | None = None) -> Cell:
    return Cell(None, "", unit, [flag], False, src)


# ---- provenance -----------------------------------------------------------------------------------

_GLUED_LABEL = 16

def _source(row: Row, readings: list[Vector] | None = None) -> Source:
    """Where ``row`` was read, with its readings when there were several (glued digits, one value too many)."""
    if row.source == "grid":
        text = ""
    elif row.glued:                 # the digits and the end of the text before them (headers run into it)
        label = row.label if len(row.label) <= _GLUED_LABEL else "…" + row.label[-_GLUED_LABEL:]
        text = label + " ".join(row.values)
    else:
        text = row.raw_line
    if readings and len(readings) > 1:
        kept = tuple(tuple(x.raw for x in vec) for vec in readings[:MAX_KEPT_READINGS])
        return Source(row.source, row.table, row.row, row.line, text, kept, len(readings))
    return Source(row.source, row.table, row.row, row.line, text)


def _norm_raw(text: str) -> str:
    v = parse_value(text)
    return v.raw if v is not None else text


def _value_indexes(row: Row, vec: Vector) -> list[int | None]:
    """Which of the row's cells each value of ``vec`` is. The vector is a subsequence of the cells in
    order (a spacer cell before the values dropped, one value too many dropped), so values are matched
    to cells with their text from the right; a blank of a text line's span is no cell (None)."""
    vals = row.values
    if len(vals) == len(vec):       # the common case: one value per cell
        return list(range(len(vec)))
    out: list[int | None] = [None] * len(vec)
    k = len(vals) - 1
    has_blank = "" in vals
    for i in range(len(vec) - 1, -1, -1):
        x = vec[i].raw
        if x == "" and not has_blank:
            continue
        while k >= 0 and _norm_raw(vals[k]) != x:
            k -= 1
        if k < 0:
            break
        out[i] = k
        k -= 1
    return out


def _places(row: Row, vec: Vector) -> list[tuple]:
    """(col, line) of each value of ``vec``: grid — its grid column; text readers — its place in the
    row and its line."""
    if row.glued or row.pos is None:
        return [(i + 1, row.line) for i in range(len(vec))]
    pos = row.pos
    if row.source == "grid":
        return [(None if j is None else pos[j], None) for j in _value_indexes(row, vec)]
    return [(i + 1, row.line if j is None else pos[j]) for i, j in enumerate(_value_indexes(row, vec))]


# ---- table 三 -------------------------------------------------------------------------------------

def _h2_ok(vec: Vector) -> bool:
    vals = [x.value for x in vec]
    if any(v is None for v in vals):
        return True   # blanks: nothing to filter on
    return sum(vals[:-1]) == vals[-1]


def _table_ok(table: dict[str, Vector], ncols: int) -> bool:
    """H1 and H3 on every column where all the cells are known (joint decode of glued rows)."""
    def col(rid: str, c: int):
        vec = table.get(rid)
        return None if vec is None else vec[c].value
    results = [r for r in table if r not in ("new", "carried_over", "total", "carry_forward")]
    for c in range(ncols):
        a, b, t, f = col("new", c), col("carried_over", c), col("total", c), col("carry_forward", c)
        if None not in (a, b, t, f) and a + b != t + f:
            return False
        parts = [col(r, c) for r in results]
        if t is not None and parts and None not in parts and sum(parts) != t:
            return False
    return True


@lru_cache(maxsize=64)
def _t3_ids(rid: str) -> tuple[str, ...]:
    return tuple(f"apply.{rid}.{c}" for c in table3_columns())


def map_t3(rows: list[Row], prior: str | None) -> TableResult:
    res = TableResult("t3")
    defs = table3_row_defs()
    cols = table3_columns()
    k = len(cols)
    idx = {d.id: i for i, d in enumerate(defs)}
    i_other, i_total = idx["other"], idx["total"]
    subs = [d.id for d in defs if d.id.startswith("other.")]
    assigned: dict[str, Row] = {}
    by_keyword = 0
    ptr = 0
    for row in rows:
        if not row.values:
            continue
        m = best_match(row.label, defs, ptr)
        if m is not None:
            by_keyword += 1
        else:
            if ptr and best_match(row.label, defs, 0, ptr) is not None:
                continue  # a repeated group label or header after a table split (H-M8)
            plausible = (row.glued or len(row.values) in (k, k + 1) or (row.span is not None and len(row.span) == k)) \
                and len(row.label) <= MAX_POSITIONAL_LABEL and by_keyword > 0
            if ptr >= len(defs) or not plausible:
                continue
            m = ptr   # misprinted or stripped label: the next row in canonical order (P-M10, H-M2)
            if m == i_other and prior == "gov2021":
                m = idx[subs[0]]
        assigned[defs[m].id] = row
        ptr = i_total if m == i_other else m + 1
    if by_keyword < MIN_T3_KEYWORD_ROWS:
        return res   # a few numbers near a keyword are not table 三
    res.found = True
    if "other" in assigned:
        res.fmt = "gov2019"
    elif any(s in assigned for s in subs):
        res.fmt = "gov2021"
    fmt = res.fmt or prior or "gov2021"
    expected = [d.id for d in defs if fmt in d.formats]

    # candidates per row, filtered by the row sum (H2)
    fixed: dict[str, Vector] = {}
    multi: dict[str, list[Vector]] = {}
    readings: dict[str, list[Vector]] = {}
    kinds = ("int",) * k
    for rid, row in assigned.items():
        cands = candidates(row, kinds)
        if cands is None:
            multi[rid] = []
            continue
        if not cands:
            n = len(row.values)
            res.problems.append(f"T3 row {rid}: {n} value{'s' if n != 1 else ''} for {k} cells")
            res.incomplete = True
            continue
        if len(cands) > 1:
            readings[rid] = cands
            ok = [c for c in cands if _h2_ok(c)]
            cands = ok or cands
        if len(cands) == 1:
            fixed[rid] = cands[0]
        else:
            multi[rid] = cands
    if multi:
        names = list(multi)
        size = 1
        for n in names:
            size *= len(multi[n])
        solutions: list[tuple[Vector, ...]] = []
        if 0 < size <= MAX_JOINT:
            for combo in itertools.product(*(multi[n] for n in names)):
                table = dict(fixed)
                table.update(zip(names, combo))
                if _table_ok(table, k):
                    solutions.append(combo)
        for j, n in enumerate(names):
            vecs = {tuple(x.value for x in sol[j]) for sol in solutions}
            if len(vecs) == 1:
                fixed[n] = solutions[0][j]
            else:
                count = len(multi[n]) or f"more than {MAX_CANDIDATES}"
                res.problems.append(f"T3 row {n}: {count} readings of the glued digits "
                                    f"'{' '.join(assigned[n].values)}', not decidable")
                res.incomplete = True
    for rid in expected:
        row = assigned.get(rid)
        ids = _t3_ids(rid)
        src = _source(row, readings.get(rid)) if row is not None else None
        if rid in fixed:
            flags = ["glued"] if row.glued else []
            if not row.glued and len(row.values) == k + 1:
                flags.append("extra_value_dropped")
            for cid, v, at in zip(ids, fixed[rid], _places(row, fixed[rid])):
                res.cells[cid] = _cell(v, flags, None, src, at)
        else:
            flag = "ambiguous" if rid in multi else "missing"
            for cid in ids:
                res.cells[cid] = _empty(flag, None, src)
    res.printed_rows = [rid for rid in expected if rid in assigned]
    missing = [rid for rid in expected if rid not in assigned]
    if missing:
        res.problems.append("T3 rows not found: " + ", ".join(missing))
        res.incomplete = True
    return res


# ---- table 四 -------------------------------------------------------------------------------------

_T4_BLOCKS = None


def t4_blocks() -> list[tuple[str, list[str]]]:
    """[(block, [ids of positions 1..5])] derived from the schema's ids."""
    global _T4_BLOCKS
    if _T4_BLOCKS is None:
        blocks: dict[str, list[str]] = {}
        for cid in table4_cell_ids():
            blocks.setdefault(cid.split(".")[1], []).append(cid)
        _T4_BLOCKS = list(blocks.items())
    return _T4_BLOCKS


def _h4_ok(vec: Vector) -> bool:
    for b in range(0, len(vec), 5):
        vals = [x.value for x in vec[b:b + 5]]
        if None not in vals and sum(vals[:4]) != vals[4]:
            return False
    return True


def map_t4(rows: list[Row]) -> TableResult:
    res = TableResult("t4")
    ids = table4_cell_ids()
    k = len(ids)
    kinds = ("int",) * k
    value_rows = [r for r in rows if r.values]
    if not value_rows:
        return res
    res.found = True
    cands: list[Vector] = []
    glued = any(r.glued for r in value_rows)
    if glued:
        toks = [t for r in value_rows for t in r.values]
        merged = Row(value_rows[0].label, toks, True, source="glued", line=value_rows[0].line)
        try:
            cands = glued_candidates(toks, kinds) or glued_candidates(toks, kinds, ignore_spaces=True)
        except TooManyReadings:
            cands = None
    else:
        exact = [r for r in value_rows if len(r.values) == k]
        pool = exact[-1:] if exact else value_rows
        first, last = pool[0], pool[-1]
        pos = None if any(r.pos is None for r in pool) else [p for r in pool for p in r.pos]
        merged = Row("", [v for r in pool for v in r.values], span=last.span if len(pool) == 1 else None,
                     source=last.source if len(pool) == 1 else "cell_per_line" if first.source != "grid" else "grid",
                     table=first.table, row=first.row, line=first.line, pos=pos, raw_line=first.raw_line)
        cands = candidates(merged, kinds)
    all_readings = cands
    if cands is None:            # too many readings to decide
        uniq: dict = {"too many": None, "readings": None}
    else:
        if len(cands) > 1:
            cands = [c for c in cands if _h4_ok(c)] or cands
        uniq = {tuple(x.value for x in c): c for c in cands}
    src = _source(merged, all_readings)
    if len(uniq) == 1:
        vec = next(iter(uniq.values()))
        if not glued and merged.source == "grid" and len(pool) > 1:   # values from several grid rows
            owners = [(r, j) for r in pool for j in range(len(r.values))]
            srcs = {id(r): _source(r) for r in pool}
            for cid, v, j in zip(ids, vec, _value_indexes(merged, vec)):
                r, jj = owners[j] if j is not None else (first, None)
                res.cells[cid] = _cell(v, [], None, srcs[id(r)], (None if jj is None else r.pos[jj], None))
            return res
        for cid, v, at in zip(ids, vec, _places(merged, vec)):
            res.cells[cid] = _cell(v, ["glued"] if glued else [], None, src, at)
        return res
    n = sum(len(r.values) for r in value_rows)
    flag = "ambiguous" if len(uniq) > 1 else "missing"
    for cid in ids:
        res.cells[cid] = _empty(flag, None, src)
    res.incomplete = True
    if flag == "missing":
        res.problems.append(f"T4 incomplete: {n} value cells for {k} (extraction lost cells; not guessed)")
    else:
        count = len(uniq) if cands is not None else f"more than {MAX_CANDIDATES}"
        res.problems.append(f"T4: {count} readings of the values, not decidable")
    return res


# ---- table 二 -------------------------------------------------------------------------------------

_KIND = {"int": "int", "signed int": "signed"}


def _kind(cell_def: dict) -> str:
    t = cell_def.get("type", "int")
    return "decimal" if t.startswith("decimal") else _KIND.get(t, "int")


def _declared_unit(cell_def: dict) -> str | None:
    t = cell_def.get("type", "")
    return "万元" if "万元" in t and "NOT fixed" not in t else None


def t2_format(region_sq: str, assigned: dict[str, Row], prior: str | None) -> str:
    marks = table2_format_markers()
    n21 = sum(1 for m in marks["gov2021"] if m in region_sq)
    n19 = sum(1 for m in marks["gov2019"] if m in region_sq)
    if n21 != n19:
        return "gov2021" if n21 > n19 else "gov2019"
    if "other_mgmt_services" in assigned or "procurement" in assigned:
        return "gov2019"
    lic = assigned.get("licensing")
    if lic is not None and not lic.glued:
        n = len([v for v in lic.values if v != ""])
        if n == 3:
            return "gov2019"
        if n == 1:
            return "gov2021"
    return prior or "gov2021"


def map_t2(rows: list[Row], prior: str | None, region_sq: str = "") -> TableResult:
    res = TableResult("t2")
    defs = table2_row_defs()
    assigned: dict[str, Row] = {}
    for row in rows:
        if not row.values:
            continue
        m = best_match(row.label, defs)
        if m is not None and defs[m].id not in assigned:
            assigned[defs[m].id] = row
    if len(assigned) < MIN_T2_ROWS:
        return res
    res.found = True
    res.fmt = t2_format(region_sq + "".join(r.text() for r in rows), assigned, prior)
    by_row = table2_cells_by_row(res.fmt)
    glued_rows = []
    for rid, cdefs in by_row.items():
        row = assigned.get(rid)
        ids = [c["id"] for c in cdefs]
        kinds = tuple(_kind(c) for c in cdefs)
        hdr = _UNIT_HDR.search(row.text()) if row is not None else None
        hdr_unit = (hdr.group(1) or hdr.group(2)) if hdr else None
        units = [(hdr_unit or _declared_unit(c)) if k == "decimal" else None for c, k in zip(cdefs, kinds)]
        if row is None:
            for cid, u in zip(ids, units):
                res.cells[cid] = _empty("missing", u)
            res.problems.append(f"T2 row {rid} not found")
            res.incomplete = True
            continue
        vals = row.values
        if not row.glued and len(vals) > len(ids):
            vals = [v for v in vals if v != ""] or vals
            if len(ids) == 1 and len(set(vals)) == 1:
                vals = vals[:1]   # one value cell spanning 3 columns, repeated by a reader without span info
        cands = candidates(Row(row.label, list(vals), row.glued, row.span, source=row.source), kinds)
        src = _source(row, cands)
        if cands is not None and len(cands) == 1:
            for cid, v, u, at in zip(ids, cands[0], units, _places(row, cands[0])):
                res.cells[cid] = _cell(v, ["glued"] if row.glued else [], u, src, at)
            continue
        flag = "glued_ambiguous" if row.glued else "missing"
        for cid, u in zip(ids, units):
            res.cells[cid] = _empty(flag, u, src)
        res.incomplete = True
        if row.glued:
            n = f"{len(cands)}" if cands is not None else "too many"
            glued_rows.append(f"{rid} '{''.join(row.values)}' ({n} readings)")
        else:
            res.problems.append(f"T2 row {rid}: {len(row.values)} values for {len(ids)} cells")
    if glued_rows:
        res.problems.append("T2 glued digits with several readings, left empty: " + "; ".join(glued_rows))
    return res


# ---- pre-2019 statistics table --------------------------------------------------------------------

def map_pre2019(rows: list[Row], region_sq: str) -> TableResult:
    res = TableResult("pre2019", fmt="pre2019")
    defs = pre2019_defs()
    ncols = 2 if "累计" in region_sq else 1
    assigned: dict[str, Row] = {}
    for row in rows:
        if not row.values:
            continue
        m = best_match(row.label, defs)
        if m is not None and defs[m].id not in assigned:
            assigned[defs[m].id] = row
    res.found = bool(assigned)
    ambiguous = []
    for d in defs:
        row = assigned.get(d.id)
        if row is None:
            res.cells[d.id] = _empty("not_printed")
            continue
        kind = "decimal" if d.id.startswith("pre2019.fees") else "int"
        if row.glued:
            try:
                cands = glued_candidates(row.values, (kind,) * ncols)
            except TooManyReadings:
                cands = []
            if ncols == 2:
                cands = [c for c in cands if c[0].value <= c[1].value]
            uniq = {tuple(x.value for x in c): c for c in cands}
            src = _source(row, list(uniq.values()))
            if len(uniq) == 1:
                res.cells[d.id] = _cell(next(iter(uniq.values()))[0], ["glued"], None, src, (1, row.line))
            else:
                res.cells[d.id] = _empty("glued_ambiguous", None, src)
                ambiguous.append(f"{d.id} '{''.join(row.values)}' ({len(uniq)} readings)")
            continue
        v = parse_value(row.values[0]) or Value(None, row.values[0], None, "marker")
        res.cells[d.id] = _cell(v, None, None, _source(row), _places(row, (v,))[0])
    if ambiguous:
        res.incomplete = True
        res.problems.append("statistics table: glued digits with several readings, left empty: " + "; ".join(ambiguous))
    return res
