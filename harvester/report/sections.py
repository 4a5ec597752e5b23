"""The six sections (spec §2): headings found by keyword, at line starts or inline; table regions.

A heading is ``<numeral>、<title>``; the section is decided by keywords at the start of the title
(``schema.section_defs``), not by the numeral, so ``四、结转下年度继续办理`` (a T3 row) and
``三、本年度办理结果`` are never headings, and pre-2019 numbering works. Headings must come in
canonical order; the longest ordered chain of candidates wins, so a stray match cannot hide the rest.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .normalize import squash
from .schema import section_defs

_HEAD_LINE = re.compile(r"(?m)^[ \t#*>•·]*([一二三四五六七八九十])[ \t]*[、.．][ \t]*")
_HEAD_ANY = re.compile(r"([一二三四五六七八九十])\s*[、．.]\s*")
_TITLE_END = re.compile(r"[\d\n\t。；;：:（(]")
_TITLE_LOOK = 40


@dataclass
class Section:
    id: str
    start: int        # heading start
    body: int         # first char after the heading title
    end: int          # start of the next section (or end of text)
    title: str


def _title_at(text: str, pos: int) -> str:
    chunk = text[pos: pos + _TITLE_LOOK]
    m = _TITLE_END.search(chunk)
    return chunk[: m.start()] if m else chunk


def _classify(title: str) -> str | None:
    sq = squash(title)[:20]
    if not sq:
        return None
    for d in section_defs():
        if any(k in sq for k in d.keywords):
            return d.id
    return None


def _candidates(text: str, pattern: re.Pattern) -> list[tuple[int, int, str, str]]:
    out = []
    for m in pattern.finditer(text):
        title = _title_at(text, m.end())
        sid = _classify(title)
        if sid:
            out.append((m.start(), m.end() + len(title), sid, title.strip()))
    return out


def _longest_chain(cands: list[tuple[int, int, str, str]]) -> list[tuple[int, int, str, str]]:
    rank = {d.id: i for i, d in enumerate(section_defs())}
    n = len(cands)
    best = [1] * n
    prev = [-1] * n
    for i in range(n):
        for j in range(i):
            if rank[cands[j][2]] < rank[cands[i][2]] and best[j] + 1 > best[i]:
                best[i], prev[i] = best[j] + 1, j
    if not n:
        return []
    # longest chain; among equals the one ending earliest keeps the earliest headings
    i = max(range(n), key=lambda x: (best[x], -x))
    chain = []
    while i >= 0:
        chain.append(cands[i])
        i = prev[i]
    return chain[::-1]


def find_sections(text: str) -> list[Section]:
    chain = _longest_chain(_candidates(text, _HEAD_LINE))
    if len(chain) < 3:  # flattened text: headings inline (PT page.txt)
        inline = _longest_chain(_candidates(text, _HEAD_ANY))
        if len(inline) > len(chain):
            chain = inline
    out: list[Section] = []
    for i, (start, body, sid, title) in enumerate(chain):
        end = chain[i + 1][0] if i + 1 < len(chain) else len(text)
        out.append(Section(sid, start, body, end, title))
    return out
