"""Ruled tables in positioned text: rule segments -> a cell grid; the words in each cell -> one table row a line.

Every word inside a ruled cell is assigned to that cell (the nearest rule above, below, left and
right of it that actually covers it, so merged cells come out whole). A table row is one line: the
cells whose top edge is that row's top rule, left to right, separated by ``\t``; a merged cell
continuing from a row above, or a blank cell, is an empty field; a cell's own wrapped lines are
joined. Rules are ``(y, x0, x1)`` (horizontal) and ``(x, y0, y1)`` (vertical), in points, y up.
"""
from __future__ import annotations

import bisect

from .textlines import _cell_text, _Line


def _levels(segs, tol=2.0):
    """Cluster segments by their position: sorted list of (pos, [(a, b), ...]) with merged spans."""
    if not segs:
        return []
    segs = sorted(segs)
    out = []
    cur_pos, cur = segs[0][0], [(segs[0][1], segs[0][2])]
    n = 1
    for pos, a, b in segs[1:]:
        if pos - cur_pos <= tol:
            cur.append((a, b))
            cur_pos = (cur_pos * n + pos) / (n + 1)
            n += 1
        else:
            out.append((cur_pos, _merge_spans(cur)))
            cur_pos, cur, n = pos, [(a, b)], 1
    out.append((cur_pos, _merge_spans(cur)))
    return out


def _merge_spans(spans, tol=2.5):
    spans.sort()
    out = [list(spans[0])]
    for a, b in spans[1:]:
        if a <= out[-1][1] + tol:
            if b > out[-1][1]:
                out[-1][1] = b
        else:
            out.append([a, b])
    return out


def _covers(spans, v, tol=1.5):
    for a, b in spans:
        if a - tol <= v <= b + tol:
            return True
    return False


def _edge_rules(vs):
    """Synthetic horizontal rules where several vertical rules end at the same height.

    A table cut by a page break has no bottom (or top) rule on that page; its column rules
    still end together, which is where the cells end."""
    ends = sorted([(y0, x) for x, y0, _ in vs] + [(y1, x) for x, _, y1 in vs])
    out = []
    i = 0
    while i < len(ends):
        j = i
        while j + 1 < len(ends) and ends[j + 1][0] - ends[i][0] <= 2.0:
            j += 1
        if j > i:
            xs = [x for _, x in ends[i:j + 1]]
            if max(xs) - min(xs) > 4:
                out.append((sum(y for y, _ in ends[i:j + 1]) / (j - i + 1), min(xs), max(xs)))
        i = j + 1
    return out


class _Grid:
    def __init__(self, hs, vs):
        hs = hs + _edge_rules(vs)
        self.h = _levels(hs)          # ascending y
        self.v = _levels(vs)          # ascending x
        self.hy = [p for p, _ in self.h]
        self.vx = [p for p, _ in self.v]

    def ok(self):
        return len(self.h) >= 2 and len(self.v) >= 2

    def cell(self, x, y):
        """(bottom_idx, top_idx, left_idx, right_idx) of the ruled cell containing (x, y), or None."""
        h, v = self.h, self.v
        nh, nv = len(h), len(v)
        k0 = bisect.bisect_left(self.hy, y)
        top = bot = left = right = -1
        for t in range(k0, nh):
            for a, b in h[t][1]:
                if a - 1.5 <= x <= b + 1.5:
                    top = t
                    break
            if top >= 0:
                break
        if top < 0:
            return None
        for t in range(k0 - 1, -1, -1):
            for a, b in h[t][1]:
                if a - 1.5 <= x <= b + 1.5:
                    bot = t
                    break
            if bot >= 0:
                break
        if bot < 0:
            return None
        k0 = bisect.bisect_left(self.vx, x)
        for t in range(k0, nv):
            for a, b in v[t][1]:
                if a - 1.5 <= y <= b + 1.5:
                    right = t
                    break
            if right >= 0:
                break
        if right < 0:
            return None
        for t in range(k0 - 1, -1, -1):
            for a, b in v[t][1]:
                if a - 1.5 <= y <= b + 1.5:
                    left = t
                    break
            if left >= 0:
                break
        if left < 0:
            return None
        return bot, top, left, right

    def columns(self, y):
        """Vertical rule indices crossing height y, ascending x."""
        return [i for i, (_, spans) in enumerate(self.v) if _covers(spans, y, 0.5)]


def _table_lines(words, grid, page_h):
    """Assign words to ruled cells; return (table row lines, words outside any cell)."""
    cells = {}
    free = []
    hy, vx = grid.hy, grid.vx
    lookup = grid.cell
    tall = 0.4 * page_h
    for w in words:
        c = lookup((w[2] + w[3]) * 0.5, w[0])
        if c is None or hy[c[1]] - hy[c[0]] > tall:
            free.append(w)
        elif c in cells:
            cells[c].append(w)
        else:
            cells[c] = [w]
    if not cells:
        return [], words
    # a row is keyed by the top rule of the cells that start there
    rows = {}
    for c, ws in cells.items():
        if c[1] in rows:
            rows[c[1]].append((c, ws))
        else:
            rows[c[1]] = [(c, ws)]
    vlev = grid.v
    out = []
    for top in sorted(rows, reverse=True):
        row = rows[top]
        bottom = max(c[0] for c, _ in row)
        ymid = (hy[top] + hy[bottom]) * 0.5 if bottom < top else hy[top] - 1.0
        texts = {}
        rights = {}
        lo = hi = None
        for c, ws in row:
            texts[c[2]] = ws[0][6] if len(ws) == 1 else _cell_text(ws)
            rights[c[2]] = c[3]
            if lo is None or c[2] < lo:
                lo = c[2]
            if hi is None or c[3] > hi:
                hi = c[3]
        # the column rules crossing this row's band, from the table's left edge
        cols = []
        for k in range(hi + 1):
            for a, b in vlev[k][1]:
                if a - 0.5 <= ymid <= b + 0.5:
                    cols.append(k)
                    break
        if not cols or cols[0] > lo:
            cols = sorted(set(cols) | set(rights) | {hi})
        fields = []
        i = 0
        n = len(cols) - 1
        while i < n:
            k = cols[i]
            if k in texts:
                fields.append(texts[k])
                r = rights[k]
                while i < n and cols[i] < r:
                    i += 1
                continue
            fields.append("")  # a blank cell, or a merged cell continuing from a row above
            i += 1
        while fields and not fields[-1]:
            fields.pop()
        if fields:
            out.append(_Line(hy[top] - 0.01, vx[lo], vx[hi], max(row[0][1][0][1], 4.0), fields, table=True))
    return out, free
