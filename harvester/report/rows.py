"""Table rows from any input shape: (label, value cells), the one thing the table mappers consume.

Three readers, one output:

- ``rows_from_grid``: an HTML/DOCX grid with merged cells expanded (plus the cell-identity grid, so a
  merged cell counts once and a rowspan continuation is not re-read). Blank cells are real cells.
- ``rows_from_lines``: PDF text (tab-separated, or space-separated as pypdfium2 prints it) and
  one-cell-per-line HTML text. Values are the trailing run of numeric cells (P-M3); label-only lines
  are kept as pending label text for the next value row (wrapped labels, P-M1, H-M1).
- ``rows_from_glued``: text where a table's cells were concatenated (H-M7): every digit group that
  touches label text is one row's values, whitespace inside it a (weak) separator.

Every row says where it was read (the provenance its cells carry): its reader (``Row.source``:
``grid``, ``text_runs`` — a line holding the row's cells —, ``cell_per_line`` — values on lines of
their own —, ``glued``), the grid's table and row, or the text line, and per value its grid column or
line (``Row.pos``). Keeping them costs a list append per cell.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .normalize import PAGE_LINE, nfkc, parse_value, squash
from .schema import RowDef


@dataclass(slots=True)
class Row:
    label: str                      # squashed label text (wrapped/pending parts included)
    values: list[str]               # raw value cells in order ('' = a blank grid cell)
    glued: bool = False             # values are whitespace tokens of concatenated digits
    span: list[str] | None = None   # tab-separated line: cells from first to last value, blanks kept
    context: str = ""               # squashed header text seen since the previous value row
    source: str = "text_runs"       # the reader: grid / text_runs / cell_per_line / glued (model.READERS)
    # where it was read (1-based): the grid (table, row) or the text line; ``pos`` per value: its grid
    # column (grid) or its line (text readers); ``raw_line`` the text line of a text_runs row
    table: int | None = None
    row: int | None = None
    line: int | None = None
    pos: list[int] | None = None
    raw_line: str = ""

    def text(self) -> str:
        return self.context + self.label


# ---- keyword matching -----------------------------------------------------------------------------

_FLAT: dict[int, tuple] = {}


def _flat(defs: tuple[RowDef, ...]) -> tuple[tuple, tuple[int, ...]]:
    """(keyword, def index, exclusions) in def order, and where each def's keywords start.

    Cached by the identity of ``defs`` (the schema's cached tuples): hashing a tuple of dataclasses on
    every call cost more than the matching."""
    hit = _FLAT.get(id(defs))
    if hit is not None and hit[0] is defs:
        return hit[1]
    flat, starts = [], []
    for i, d in enumerate(defs):
        starts.append(len(flat))
        flat.extend((kw, i, d.exclude) for kw in d.keywords)
    starts.append(len(flat))
    out = (tuple(flat), tuple(starts))
    if len(_FLAT) > 64:
        _FLAT.clear()
    _FLAT[id(defs)] = (defs, out)
    return out


def best_match(label: str, defs: tuple[RowDef, ...], start: int = 0, stop: int | None = None) -> int | None:
    """Index of the def whose keyword ends latest in ``label`` (then: longest keyword, earliest def).

    Latest-ending wins because pending text of wrapped labels and headers comes first and the row's
    own label last (``三、本年度办理结果（一）予以公开``, ``（六）其他处理1.申请人…逾期不补正``).
    """
    if not label:
        return None
    flat, starts = _flat(defs)
    best_key = None
    best_i = None
    for j in range(starts[start], starts[len(defs) if stop is None else stop]):
        kw, i, exclude = flat[j]
        pos = label.rfind(kw)
        if pos < 0 or (exclude and any(x in label for x in exclude)):
            continue
        key = (pos + len(kw), len(kw), -i)
        if best_key is None or key > best_key:
            best_key, best_i = key, i
    return best_i


def detect(text_sq: str, rule: tuple[tuple[str, ...], tuple[str, ...], int]) -> bool:
    all_of, any_of, min_hits = rule
    if not all(k in text_sq for k in all_of):
        return False
    return sum(1 for k in any_of if k in text_sq) >= min_hits if any_of else True


# ---- grids ----------------------------------------------------------------------------------------

def rows_from_grid(grid: list[list[str]], ids: list[list[int]] | None = None, table: int | None = None) -> list[Row]:
    """Rows of a grid. ``ids`` gives each position's source cell (same id = same merged cell);
    ``table`` is the grid's 1-based place among the document's tables (provenance)."""
    rows: list[Row] = []
    pending: list[str] = []
    prev: list[int] | None = None
    for r, cells in enumerate(grid):
        rid = ids[r] if ids is not None and r < len(ids) else None
        own: list[str] = []
        cols: list[int] = []
        if rid is not None and len(rid) == len(cells):
            above = prev if prev is not None and len(prev) == len(rid) else None
            last = None
            for c, cid in enumerate(rid):
                if cid == last:
                    continue            # horizontal span
                last = cid
                if above is not None and above[c] == cid:
                    continue            # rowspan continuation: belongs to a row above
                own.append(cells[c])
                cols.append(c + 1)
        else:
            for c, text in enumerate(cells):
                if c and text == cells[c - 1] and parse_value(text) is None:
                    continue            # no identity grid: collapse repeated label text only (values may repeat)
                own.append(text)
                cols.append(c + 1)
        prev = rid
        k = len(own)
        while k and parse_value(own[k - 1]) is not None:
            k -= 1
        values = [t.strip() for t in own[k:]]
        label = squash("".join(t for t in own[:k] if parse_value(t) is None))
        if values and (label or any(values)):
            rows.append(Row(label, values, context=squash("".join(pending)) if pending else "", source="grid",
                            table=table, row=r + 1, pos=cols[k:]))
            pending = []
        elif label:
            pending.append(label)
    return rows


# ---- text lines -----------------------------------------------------------------------------------

def _split_line(line: str) -> tuple[str, list[str], list[str] | None]:
    """(label text, value cells, span with blanks or None) of one text line."""
    items: list[tuple[str, str]] = []
    for cell in line.split("\t"):
        c = cell.strip()
        if not c:
            items.append(("b", ""))
            continue
        if " " not in c:
            v = parse_value(c)
            if v is not None and v.kind != "blank":
                items.append(("v", c))
                continue
            items.append(("l", c))
            continue
        toks = c.split()
        j = len(toks)
        while j > 0 and (pv := parse_value(toks[j - 1])) is not None and pv.kind == "number":
            j -= 1
        if j == len(toks):
            items.append(("l", c))
            continue
        if j:
            items.append(("l", " ".join(toks[:j])))
        items.extend(("v", t) for t in toks[j:])
    k = len(items)
    while k > 0 and items[k - 1][0] in "vb":
        k -= 1
    tail = items[k:]
    values = [t for kind, t in tail if kind == "v"]
    label = "".join(t for kind, t in items[:k] if kind == "l")
    span = None
    if values and "\t" in line:
        first = next(i for i, (kind, _) in enumerate(tail) if kind == "v")
        last = max(i for i, (kind, _) in enumerate(tail) if kind == "v")
        span = [t for _, t in tail[first:last + 1]]
    return label, values, span


def rows_from_lines(text: str, line0: int = 1) -> list[Row]:
    """Rows of text lines; ``line0`` is the line number of the text's first line (provenance)."""
    rows: list[Row] = []
    pending: list[str] = []
    cur: Row | None = None
    collecting = False
    for n, line in enumerate(text.split("\n"), line0):
        if not line.strip() or PAGE_LINE.match(line):
            continue
        label, values, span = _split_line(line)
        if values and not label and collecting and cur is not None:
            cur.values.extend(values)      # one cell per line (H-M1) or values wrapped to a new line
            cur.pos.extend([n] * len(values))
            cur.span = None
            cur.source = "cell_per_line"
            continue
        if values:
            cur = Row(squash("".join(pending) + label), values, span=span,
                      source="text_runs" if label or len(values) > 1 else "cell_per_line",
                      line=n, pos=[n] * len(values), raw_line=line.strip())
            rows.append(cur)
            pending = []
            collecting = True
        elif label:
            pending.append(label)
            collecting = False
    return rows


# ---- glued digits ---------------------------------------------------------------------------------

_GROUP = re.compile(r"[+\-−]?\d(?:[\d .]|[+\-−](?=\d)|,(?=\d{3}))*(?:万元|元)?")
_ABUT = re.compile(r"[\u4e00-\u9fff)）”](?:[+\-]?\d){2,}(?![\d.、年月日])|(?<![\d.])\d{2,}[\u4e00-\u9fff(（]")


_NARRATIVE_UNIT = re.compile(r"\s*(?:[年月日时号%％‰倍]|件|条|个|人|次|项|家|篇|份|余|多|起|宗|届|期|名|天|小时|分钟|周岁|岁)")


def looks_glued(region: str) -> bool:
    """Cells concatenated without separators: digit runs touching label text, no tabs (H-M7)."""
    if "\t" in region:
        return False
    lines = [ln for ln in region.split("\n") if ln.strip()]
    hits = len(_ABUT.findall(region))
    return hits >= 3 and hits * 4 >= len(lines)


def rows_from_glued(text: str, line0: int = 1) -> list[Row]:
    """Rows of glued digits; ``line0`` is the line number of the text's first line (provenance)."""
    text = nfkc(text)
    rows: list[Row] = []
    prev_end = 0
    counted, line = 0, line0
    for m in _GROUP.finditer(text):
        g = m.group(0)
        start, end = m.start(), m.end()
        core = g.rstrip()
        nxt = text[start + len(core): start + len(core) + 1] if start + len(core) < len(text) else ""
        if core.endswith(".") or nxt in ("、", "．"):
            # an enumerator of the next label ("…00000002.其他", "…0000001、申请人") is not a value
            core = core.rstrip(".")
            core = core[:-1].rstrip()
            end = start + len(core)
        if not core or not any(ch.isdigit() for ch in core):
            continue
        if _NARRATIVE_UNIT.match(text, start + len(core)):
            continue  # "2013年", "共收到申请3件", "7700余条": a number in a sentence, not a cell
        label = squash(text[prev_end:start])
        line += text.count("\n", counted, start)
        counted = start
        if not label and rows:
            rows[-1].values.extend(core.split())   # nothing between two digit runs: one row's cells
        else:
            rows.append(Row(label, core.split(), glued=True, source="glued", line=line))
        prev_end = end
    return rows
