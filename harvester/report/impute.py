"""Spec §7 imputation: a blank cell becomes 0 only when its whole row (or column) is otherwise zero or
blank and the hard checks then pass.

Groups: every row and every column of table 三 (the rows of its format) and every block of table 四
(复议, 直接起诉, 复议后起诉: the unit H4 adds up). A group qualifies when each of its cells is 0 or
printed blank (flag ``blank``) and at least one is blank — a marker (``/``, ``-``, ``无``), a cell lost
in extraction or an ambiguous reading disqualifies it. The hard checks (H1–H4) touching a qualifying
group are evaluated with its blanks as 0. When one of them fails, none of the group's blanks is set: a
blank row whose totals are not 0 stays blank (null) and the check that adds it up fails. Otherwise each blank
is set to 0 unless a check on it cannot be assessed because the reading lost a cell it needs (missing,
ambiguous): then the table as read is incomplete there and the blank stays null. A check the document itself
leaves unassessable — its blank totals hide numbers (S7, as SH2019 prints no 总计) — contradicts no zero.

Table 二 has no arithmetic to confirm a 0 with: its blank cells stay null.

An imputed cell keeps its location and its ``blank`` flag, gets the flag ``imputed``, ``imputed=True``
and a source with reader ``imputed`` whose text says why.
"""
from __future__ import annotations

from functools import lru_cache

from .checks import specs, sum_check, sum_targets
from .model import FAIL, PASS, Cell, ParsedReport, Source
from .schema import table3_columns, table3_row_defs
from .tables import t4_blocks


_BLANK = ["blank"]


@lru_cache(maxsize=8)
def _groups(fmt: str, t3: bool, t4: bool) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(name, cell ids) of every row and column of table 三 and every block of table 四."""
    out = []
    if t3:
        rows = [d.id for d in table3_row_defs() if fmt in d.formats]
        cols = table3_columns()
        out += [(f"row {r}", tuple(f"apply.{r}.{c}" for c in cols)) for r in rows]
        out += [(f"column {c}", tuple(f"apply.{r}.{c}" for r in rows)) for c in cols]
    if t4:
        out += [(f"block {b}", tuple(ids)) for b, ids in t4_blocks()]
    return tuple(out)


def _blanks(ids: tuple[str, ...], cells: dict[str, Cell]) -> list[str] | None:
    """The blank cells of a group that is 0 or blank throughout (None when it is not)."""
    blanks = []
    for cid in ids:
        cell = cells.get(cid)
        if cell is None:
            return None
        if cell.value is None:
            if cell.flags != _BLANK:
                return None
            blanks.append(cid)
        elif cell.value != 0:
            return None
    return blanks


def _lost(cell: Cell | None) -> bool:
    """A cell the reading lost (absent, or read as neither a number, a blank nor a marker: missing, ambiguous)."""
    return cell is None or (cell.value is None and not ({"blank", "marker"} & set(cell.flags)))


def impute(rep: ParsedReport, t3_rows: list[str], t3_fmt: str | None, t4_found: bool) -> list[str]:
    """Set the §7 zeros in ``rep.cells``; return the ids imputed (in cell order)."""
    cells = rep.cells
    if not any(c.value is None and c.flags == _BLANK for c in cells.values()):
        return []                   # nothing printed blank (most reports): nothing to do
    fmt = t3_fmt or "gov2021"
    found = []
    for name, ids in _groups(fmt, bool(t3_rows), bool(t4_found)):
        blanks = _blanks(ids, cells)
        if blanks:
            found.append((name, blanks))
    if not found:
        return []
    wanted = {cid for _, blanks in found for cid in blanks}
    layout = (tuple(t3_rows), fmt, bool(t4_found))
    targets = sum_targets(*layout)
    failing: set[str] = set()           # cells of a hard check that fails with the blanks as 0
    unconfirmed: set[str] = set()       # cells of a hard check that a cell lost in reading keeps from being assessed
    for spec in specs(*layout):
        ids = (*spec[1], *spec[2])
        if any(c in wanted for c in ids):
            status = sum_check(spec, cells, targets).status
            if status == FAIL:
                failing.update(ids)
            elif status != PASS and any(_lost(cells.get(c)) for c in ids):
                unconfirmed.update(ids)
    done: dict[str, str] = {}
    for name, blanks in found:
        if failing.isdisjoint(blanks):
            for cid in blanks:
                if cid not in unconfirmed:
                    done.setdefault(cid, name)
    for cid, name in done.items():
        cell = cells[cid]
        was = cell.source
        cell.value, cell.imputed = 0, True
        cell.flags = [*cell.flags, "imputed"]
        read = f" ({was.reader})" if was else ""
        cell.source = Source("imputed", was.table if was else None, was.row if was else None,
                             was.line if was else None,
                             f"printed blank{read}; {name} is blank or 0 throughout and no hard check on it fails or misses a cell")
    return [cid for cid in cells if cid in done]
