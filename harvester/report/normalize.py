"""Text and value normalisation (spec §7): NFKC, CJK spacing, page furniture, numbers with units/signs.

Everything here is pure and precompiled; the readers call these per cell, never per document scan.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from dataclasses import dataclass

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# whitespace between two CJK characters (or CJK and CJK punctuation) is layout, not content (P-M2)
_CJK_GAP = re.compile(rf"(?<=[{_CJK}\u3000-\u303f\uff00-\uffef“”（）、，。：；])[ \t\u3000\xa0]+(?=[{_CJK}\u3000-\u303f\uff00-\uffef“”（）、，。：；])")
_WS = re.compile(r"\s+")
_QUOTES = str.maketrans("", "", "“”\"'‘’「」『』*")
_ENUM_PUNCT = re.compile(r"(?<=\d)[、．]")
# page furniture produced by PDF text extraction: "- 4 -", "第 2 页 共 5 页", "2/5"
PAGE_LINE = re.compile(r"^\s*(?:[-—–－]\s*\d{1,3}\s*[-—–－]|第\s*\d{1,3}\s*页(?:\s*[,，/]?\s*共\s*\d{1,3}\s*页)?|\d{1,3}\s*/\s*\d{1,3})\s*$")


_FAST = re.compile("[\uff01-\uff5e\u3000\xa0\u2026]")


def _fast_sub(m: re.Match) -> str:
    c = m.group()
    if c in "\u3000\xa0":
        return " "
    return "..." if c == "\u2026" else chr(ord(c) - 0xFEE0)


def nfkc(s: str) -> str:
    """NFKC, with U+3000 and NBSP as plain spaces.

    Full NFKC costs ~0.2 µs a character; Chinese text needs it mostly for full-width ASCII forms and
    spaces, so those are mapped first and full NFKC runs only if anything else remains."""
    if s.isascii():
        return s
    s = _FAST.sub(_fast_sub, s)
    if unicodedata.is_normalized("NFKC", s):
        return s
    return unicodedata.normalize("NFKC", s).replace("\u3000", " ").replace("\xa0", " ")


@lru_cache(maxsize=20000)
def squash(s: str) -> str:
    """Normalised label text for keyword matching: NFKC, no whitespace, no quotes, '1、' -> '1.'."""
    s = _WS.sub("", nfkc(s)).translate(_QUOTES)
    return _ENUM_PUNCT.sub(".", s)


def tidy(s: str) -> str:
    """Human-readable normalised text: NFKC, collapsed spaces, no spaces between CJK characters."""
    s = nfkc(s).replace("**", "")
    s = _CJK_GAP.sub("", s)
    return re.sub(r"[ \t]+", " ", s).strip()


# ---- values -------------------------------------------------------------------------------------

MARKERS = frozenset({"/", "／", "-", "--", "—", "——", "－", "－－", "-—", "无", "空", "不适用", "—-", "---"})
_NUM = re.compile(r"^(?P<sign>[+\-−]|增加|减少)?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<unit>万元|元)?$")


@dataclass(frozen=True, slots=True)
class Value:
    value: float | int | None
    raw: str
    unit: str | None = None
    kind: str = "number"        # number / blank / marker


@lru_cache(maxsize=20000)
def parse_value(raw: str) -> Value | None:
    """A table cell as a value, or None when the cell is not value-like (it is label text)."""
    s = _WS.sub("", nfkc(raw))
    if not s:
        return Value(None, "", None, "blank")
    if s in MARKERS:
        return Value(None, s, None, "marker")
    m = _NUM.match(s)
    if not m:
        return None
    num = m.group("num").replace(",", "")
    v: float | int = float(num) if "." in num else int(num)
    sign = m.group("sign")
    if sign in ("-", "−", "减少"):
        v = -v
    return Value(v, s, m.group("unit"), "number")


def is_number_token(tok: str) -> bool:
    v = parse_value(tok)
    return v is not None and v.kind == "number"


_SENTENCE_END = ("。", "；", "！", "？", "：", "!", "?", ";", ":", "…")
_ENUM_START = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[.、．](?!\d)|第[一二三四五六七八九十]+)")


def join_broken_lines(text: str) -> str:
    """Narrative paragraphs broken across lines or pages are joined (P-M11); ``**`` residue removed.

    A line is continued by the next one when it lacks final punctuation, is not a short heading
    (enumerated or ≤ 20 characters) and neither line is a table row (tabs)."""
    out: list[str] = []
    for raw in text.replace("**", "").split("\n"):
        line = raw.strip()
        if not line:
            continue
        if out:
            prev = out[-1]
            if ("\t" not in prev and "\t" not in line and not prev.endswith(_SENTENCE_END)
                    and len(prev) > 20 and not _ENUM_START.match(line)):
                out[-1] = prev + line
                continue
        out.append(line)
    return "\n".join(out)
