"""RTF bytes -> Extracted: paragraphs and tables (grids with merged cells), read natively.

RTF is a text format, so no converter is needed: a tokenizer walks the groups, skips destinations
that hold no document text (font and colour tables, styles, pictures, objects, field instructions,
``{\\*\\…}`` groups), decodes ``\\uN`` (with its ``\\ucN`` fallback characters skipped) and ``\\'hh``
bytes in the code page of the current font's ``\\fcharset`` (134 → GBK, 136 → Big5 …) or the
document's ``\\ansicpg``.

Tables: each row's ``\\trowd … \\cellxN`` definitions give the cells' right edges; the grid's columns
are the union of all edges of the table, so a wider cell spans several columns (how Word and
LibreOffice write horizontal merges), ``\\clmgf/\\clmrg`` (old-style horizontal merges) and
``\\clvmgf/\\clvmrg`` (vertical merges) are honoured. The grid repeats a merged cell at every
position it covers and ``table_cell_ids`` says which positions are one cell; the text writes a row's
own cells tab-separated (vertical continuations empty), like the DOCX reader.

If the native reader finds nothing, LibreOffice converts the RTF to DOCX as a fallback.
"""
from __future__ import annotations

import codecs
import re

from .base import Extracted
from .metadata import meta_from_text

_TOKEN = re.compile(rb"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\([^a-zA-Z])|([{}])|([^\\{}\r\n]+)|[\r\n]+")
_SKIP = {b"fonttbl", b"colortbl", b"stylesheet", b"info", b"pict", b"object", b"listtable", b"listoverridetable",
         b"rsidtbl", b"generator", b"themedata", b"colorschememapping", b"datastore", b"latentstyles",
         b"xmlnstbl", b"mmathPr", b"pgdsctbl", b"revtbl", b"fldinst", b"header", b"footer", b"headerl",
         b"headerr", b"headerf", b"footerl", b"footerr", b"footerf", b"footnote", b"annotation", b"bkmkstart",
         b"bkmkend", b"shppict", b"nonshppict", b"filetbl", b"listtext", b"pntext", b"pntxta", b"pntxtb",
         b"userprops", b"docvar", b"template", b"xe", b"tc", b"txe", b"protusertbl", b"passwordhash"}
_CHARSET_CP = {0: None, 1: None, 2: None, 77: "mac_roman", 128: "cp932", 129: "cp949", 130: "johab", 134: "gbk",
               136: "big5", 161: "cp1253", 162: "cp1254", 163: "cp1258", 177: "cp1255", 178: "cp1256",
               186: "cp1257", 204: "cp1251", 222: "cp874", 238: "cp1250"}
_SYMBOLS = {b"lquote": "\u2018", b"rquote": "\u2019", b"ldblquote": "\u201c", b"rdblquote": "\u201d",
            b"bullet": "\u2022", b"endash": "\u2013", b"emdash": "\u2014", b"emspace": " ", b"enspace": " ",
            b"qmspace": " ", b"tab": "\t"}
_SPACES = re.compile(r"[ \t\xa0\u3000]+")
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef“”"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
MAX_GROUP_DEPTH = 1000


def _clean(s: str) -> str:
    return _CJK_GAP.sub("", _SPACES.sub(" ", s.replace("\n", " "))).strip()


class _State:
    __slots__ = ("skip", "uc", "font", "fonttbl")

    def __init__(self, skip=False, uc=1, font=None, fonttbl=False):
        self.skip, self.uc, self.font, self.fonttbl = skip, uc, font, fonttbl

    def copy(self):
        return _State(self.skip, self.uc, self.font, self.fonttbl)


class _CellDef:
    __slots__ = ("right", "vmerge", "hmerge")

    def __init__(self):
        self.right = 0
        self.vmerge = None   # "first" | "cont"
        self.hmerge = None


class _Reader:
    def __init__(self):
        self.ansicpg = "cp1252"
        self.fonts: dict[int, str | None] = {}
        self.blocks: list = []          # ("p", text) | ("t", rows)
        self.buf: list[str] = []        # current paragraph / cell text
        self.pending = bytearray()      # \'hh bytes not yet decoded
        self.intbl = False
        self.defs: list[_CellDef] = []  # current row's cell definitions
        self.cur_def = _CellDef()
        self.row_cells: list[str] = []
        self.table: list[tuple[list[_CellDef], list[str]]] = []
        self.trleft = 0

    # -- text ----------------------------------------------------------------------------------
    def _cp(self, st: _State) -> str:
        cp = self.fonts.get(st.font) if st.font is not None else None
        return cp or self.ansicpg

    def flush_bytes(self, st: _State):
        if self.pending:
            raw = bytes(self.pending)
            self.pending.clear()
            try:
                self.buf.append(raw.decode(self._cp(st)))
            except (UnicodeDecodeError, LookupError):
                self.buf.append(raw.decode("gb18030", "replace"))

    def text(self, s: str):
        if s:
            if not self.intbl and self.table:
                if not s.strip():
                    return          # spacing between two rows of a table
                self.end_table()
            self.buf.append(s)

    def end_para(self):
        s = "".join(self.buf)
        self.buf = []
        if self.intbl:
            self.buf.append(s + "\n") if s else None  # a paragraph inside a cell: the cell goes on
            return
        if self.table:
            self.end_table()
        for ln in s.split("\n"):
            c = _clean(ln)
            if c:
                self.blocks.append(("p", c))

    def end_cell(self):
        self.row_cells.append(_clean("".join(self.buf)))
        self.buf = []

    def end_row(self):
        if self.buf and _clean("".join(self.buf)):
            self.end_cell()
        self.buf = []
        self.table.append((list(self.defs), self.row_cells))
        self.row_cells = []
        self.intbl = False

    def end_table(self):
        if self.table:
            self.blocks.append(("t", self.table))
        self.table = []

    def finish(self):
        if self.row_cells:
            self.end_row()
        if self.buf:
            self.intbl = False
            self.end_para()
        self.end_table()


def _read(data: bytes) -> _Reader:
    r = _Reader()
    st = _State()
    stack: list[_State] = []
    skip_chars = 0
    group_start = False
    for m in _TOKEN.finditer(data):
        word, arg, hexb, sym, brace, plain = m.groups()
        if brace is not None:
            r.flush_bytes(st)
            if brace == b"{":
                if len(stack) >= MAX_GROUP_DEPTH:
                    raise ValueError(f"RTF groups nested deeper than {MAX_GROUP_DEPTH}")
                stack.append(st)
                st = st.copy()
                group_start = True
            else:
                if stack:
                    st = stack.pop()
                group_start = False
            skip_chars = 0
            continue
        first, group_start = group_start, False
        if word is not None:
            if word != b"u" and not hexb:
                r.flush_bytes(st)
            if st.fonttbl:
                if word == b"f" and arg is not None:
                    st.font = int(arg)
                elif word == b"fcharset" and arg is not None and st.font is not None:
                    r.fonts[st.font] = _CHARSET_CP.get(int(arg))
                continue
            if word == b"fonttbl":
                st.fonttbl, st.skip = True, True
                continue
            if word in _SKIP or (first and word == b"fldinst"):
                st.skip = True
                continue
            if word == b"ansicpg" and arg is not None:
                cp = f"cp{int(arg)}"
                try:
                    codecs.lookup(cp)
                    r.ansicpg = cp
                except LookupError:
                    pass
                continue
            if word == b"uc" and arg is not None:
                st.uc = max(0, int(arg))
                continue
            if word == b"f" and arg is not None:
                st.font = int(arg)
                continue
            # table structure is read even in skipped groups? no: tables live in the body only
            if st.skip:
                continue
            if word == b"u" and arg is not None:
                r.flush_bytes(st)
                n = int(arg)
                r.text(chr(n + 65536 if n < 0 else n) if 0 <= (n + 65536 if n < 0 else n) < 0x110000 else "")
                skip_chars = st.uc
                continue
            if word in (b"par", b"sect", b"page"):
                r.end_para()
            elif word == b"line":
                r.text("\n")
            elif word in _SYMBOLS:
                r.text(_SYMBOLS[word])
            elif word == b"pard":
                r.intbl = False
            elif word == b"intbl":
                r.intbl = True
            elif word == b"trowd":
                r.defs, r.cur_def, r.trleft = [], _CellDef(), 0
            elif word == b"trleft" and arg is not None:
                r.trleft = int(arg)
            elif word == b"clvmgf":
                r.cur_def.vmerge = "first"
            elif word == b"clvmrg":
                r.cur_def.vmerge = "cont"
            elif word == b"clmgf":
                r.cur_def.hmerge = "first"
            elif word == b"clmrg":
                r.cur_def.hmerge = "cont"
            elif word == b"cellx" and arg is not None:
                r.cur_def.right = int(arg)
                r.defs.append(r.cur_def)
                r.cur_def = _CellDef()
            elif word in (b"cell", b"nestcell"):
                r.intbl = True
                r.end_cell()
            elif word in (b"row", b"nestrow"):
                r.end_row()
            continue
        if st.skip:
            continue
        if hexb is not None:
            if skip_chars:
                skip_chars -= 1
                continue
            r.pending.append(int(hexb, 16))
            continue
        if sym is not None:
            r.flush_bytes(st)
            if sym == b"*":
                st.skip = True
            elif sym == b"~":
                r.text("\xa0")
            elif sym == b"_":
                r.text("-")
            elif sym in (b"\\", b"{", b"}"):
                if skip_chars:
                    skip_chars -= 1
                else:
                    r.text(sym.decode())
            elif sym in (b"\n", b"\r"):
                r.end_para()
            continue
        if plain is not None:
            r.flush_bytes(st)
            if skip_chars:
                k = min(skip_chars, len(plain))
                plain = plain[k:]
                skip_chars -= k
            if plain:
                r.text(plain.decode(r._cp(st), "replace"))
    r.flush_bytes(st)
    r.finish()
    return r


def _grid(rows):
    """Rows of (cell defs, cell texts) -> (grid, ids, tsv lines)."""
    edges = sorted({d.right for defs, _ in rows for d in defs})
    grid, ids, lines = [], [], []
    above: dict[int, int] = {}      # start column -> cell id of the cell above (for vertical merges)
    nid = 0
    texts: dict[int, str] = {}
    width = max(len(edges), max((len(c) for _, c in rows), default=0))
    for defs, cells in rows:
        if not defs:  # cells without definitions: one column each
            defs = []
            for k in range(len(cells)):
                d = _CellDef()
                d.right = edges[k] if k < len(edges) else (k + 1) * 1000
                defs.append(d)
        row_ids: list[int] = []
        own: list[str] = []
        col = 0
        here: dict[int, int] = {}
        for k, d in enumerate(defs):
            text = cells[k] if k < len(cells) else ""
            end = edges.index(d.right) + 1 if d.right in edges else col + 1
            span = max(1, end - col)
            if d.hmerge == "cont" and row_ids:
                cid = row_ids[-1]
                if text:
                    texts[cid] = (texts[cid] + text).strip()
            elif d.vmerge == "cont" and col in above:
                cid = above[col]
                if text:
                    texts[cid] = (texts[cid] + text).strip()
                own.append("")
            else:
                cid = nid
                nid += 1
                texts[cid] = text
                own.append(text)
            here[col] = cid
            row_ids.extend([cid] * span)
            col += span
        while len(row_ids) < width:
            row_ids.append(-1)
        above = here
        ids.append(row_ids)
        while own and not own[-1]:
            own.pop()
        lines.append("\t".join(own))
    texts[-1] = ""
    for row_ids in ids:
        grid.append([texts[i] for i in row_ids])
    ids = [[i if i >= 0 else nid + k for k, i in enumerate(r)] for r in ids]
    return grid, ids, lines


def _native(data: bytes) -> Extracted:
    r = _read(data)
    lines, tables, ids = [], [], []
    for kind, block in r.blocks:
        if kind == "p":
            lines.append(block)
        else:
            g, i, tsv = _grid(block)
            if g:
                tables.append(g)
                ids.append(i)
                lines.extend(ln for ln in tsv if ln.strip())
    text = "\n".join(lines)
    meta = meta_from_text(text)
    return Extracted(kind="rtf", text=text, tables=tables, meta=meta, table_cell_ids=ids)


def extract_rtf(data: bytes) -> Extracted:
    if not data.lstrip(b"\xef\xbb\xbf\r\n\t ").startswith(b"{\\rtf"):
        return Extracted(kind="rtf", problem="corrupt", detail="not an RTF document: no {\\rtf header")
    problem = ""
    try:
        ex = _native(data)
        from .convert import garbled
        why = garbled(ex.text)
        if why:
            return Extracted(kind="rtf", problem="corrupt", detail=f"not a readable RTF: {why}")
        if ex.text.strip() or ex.tables:
            if data.rstrip(b"\x00\r\n\t ").endswith(b"}") is False:
                ex.meta["rtf_truncated"] = True
            return ex
        problem = "no text in the RTF"
    except Exception as exc:
        problem = f"{type(exc).__name__}: {exc}"
    # the native reader found nothing: let LibreOffice try (pictures of text need OCR either way)
    from .convert import ConverterError, ConverterTimeout, libreoffice_convert
    try:
        from .doc import _from_docx
        ex = _from_docx(libreoffice_convert(data, "rtf", "docx"), "rtf")
        if ex.ok:
            return ex
        problem += f"; LibreOffice: {ex.problem}: {ex.detail}"
    except ConverterTimeout as exc:
        return Extracted(kind="rtf", problem="converter_timeout", detail=f"{problem}; {exc}"[:500])
    except ConverterError as exc:
        problem += f"; {exc}"
    kind = "image_only" if b"\\pict" in data else "corrupt"
    return Extracted(kind="rtf", problem=kind, detail=(problem if kind == "corrupt" else
                                                       "the RTF holds pictures and no text; " + problem)[:500])
