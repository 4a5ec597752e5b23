"""Positioned words -> visual lines of text (shared by the PDF, OFD and OCR readers).

A word is ``[ycentre, height, left, right, bottom, top, text]`` in points, y up. This module groups
glyph boxes into words (``merge_words``), words into visual lines by their vertical centre, and
joins a line's words into a string (spaces only between non-CJK tokens that are apart); a line
whose words stand far apart is split into tab-separated cells (borderless tables).
"""
from __future__ import annotations

import operator


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF
            or 0x3000 <= o <= 0x303F or 0x20000 <= o <= 0x2FA1F or 0x2010 <= o <= 0x201F
            or o in (0x00B7, 0x2026, 0x2014))


def _join_pieces(pieces, em):
    """Join words of one visual line (sorted by x) into a string.

    A space goes between two non-CJK tokens that are apart (``line 1``), and between CJK and a
    digit/letter only when they are a full em apart; never between two CJK characters."""
    if len(pieces) == 1:
        return pieces[0][6]
    out = []
    prev = None
    for w in pieces:
        s = w[6]
        if prev is not None:
            gap = w[2] - prev[3]
            a, b = prev[6][-1], s[0]
            if not (_is_cjk(a) or _is_cjk(b)):
                if gap > 0.15 * em:
                    out.append(" ")
            elif not (_is_cjk(a) and _is_cjk(b)) and gap > 1.0 * em and (a.isalnum() or b.isalnum()):
                out.append(" ")
        out.append(s)
        prev = w
    return "".join(out)


_KEY_Y = operator.itemgetter(0)
_KEY_X = operator.itemgetter(2)


def _cluster_lines(words):
    """Group words into visual lines by vertical centre; top line first, words left to right."""
    words = sorted(words, key=_KEY_Y, reverse=True)
    lines = []
    cur = None
    cy = ch = 0.0
    for w in words:
        if cur is not None:
            tol = 0.45 * max(ch, w[1], 3.0)
            if abs(w[0] - cy) <= tol:
                cur.append(w)
                if w[1] > ch * 0.6:  # flat glyphs (一, ，) do not move the line
                    cy = (cy * (len(cur) - 1) + w[0]) / len(cur)
                if w[1] > ch and (ch < 2.0 or w[1] < 3 * ch):
                    ch = w[1]
                continue
            lines.append(cur)
        cur = [w]
        cy, ch = w[0], max(w[1], 1.0)
    if cur is not None:
        lines.append(cur)
    for ln in lines:
        if len(ln) > 1:
            ln.sort(key=_KEY_X)
    return lines


def merge_words(boxes, *, gap: float = 0.3, floor: float = 1.0, forward_only: bool = False,
                grow_vertical: bool = False):
    """Boxes ``[ycentre, height, left, right, bottom, top, text]`` -> words: on each visual line a box
    joins the word before it when the gap is under ``gap`` × the taller height (at least ``floor``).
    ``forward_only``: a box starting left of the word never joins it. ``grow_vertical``: the word's
    bottom/top grow to cover its boxes (centre and height recomputed). Shared by PDF, OFD and OCR."""
    words = []
    for ln in _cluster_lines(boxes):
        cur = None
        for b in ln:
            if cur is not None and b[2] - cur[3] < gap * max(cur[1], b[1], floor) \
                    and (not forward_only or b[2] >= cur[2]):
                cur[3] = max(cur[3], b[3])
                if grow_vertical:
                    cur[4], cur[5] = min(cur[4], b[4]), max(cur[5], b[5])
                cur[6] += b[6]
                continue
            if cur is not None:
                words.append(cur)
            cur = list(b)
        if cur is not None:
            words.append(cur)
    if grow_vertical:
        for w in words:
            w[0], w[1] = (w[4] + w[5]) / 2, w[5] - w[4]
    return words


def _line_em(ws):
    if len(ws) == 1:
        return max(ws[0][1], 4.0)
    hs = sorted(w[1] for w in ws)
    return max(hs[len(hs) // 2], hs[-1] * 0.6, 4.0)


class _Line:
    __slots__ = ("y", "left", "right", "em", "cells", "table")

    def __init__(self, y, left, right, em, cells, table=False):
        self.y, self.left, self.right, self.em, self.cells, self.table = y, left, right, em, cells, table

    @property
    def text(self):
        return "\t".join(self.cells)


def _gap_lines(words):
    out = []
    for ws in _cluster_lines(words):
        em = _line_em(ws)
        cells = []
        cur = [ws[0]]
        for w in ws[1:]:
            if w[2] - cur[-1][3] >= 1.5 * em:
                cells.append(cur)
                cur = [w]
            else:
                cur.append(w)
        cells.append(cur)
        texts = [_join_pieces(c, em) for c in cells]
        y = sum(w[0] for w in ws) / len(ws)
        out.append(_Line(y, ws[0][2], max(w[3] for w in ws), em, texts))
    return out


def _cell_text(ws):
    if len(ws) == 1:
        return ws[0][6]
    lines = _cluster_lines(ws)
    parts = []
    for ln in lines:
        s = _join_pieces(ln, _line_em(ln))
        if parts and s:
            a, b = parts[-1][-1], s[0]
            if not (_is_cjk(a) or _is_cjk(b)) and a != "-":
                parts.append(" ")
        parts.append(s)
    return "".join(parts)
