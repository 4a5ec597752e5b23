"""Row values -> candidate value vectors of a known length k.

- exactly k cells: one candidate;
- k+1 cells (P-M6): every way of dropping one, de-duplicated (all-zero rows stay unique);
- fewer than k in a tab-separated line: the span with its blank cells, if that has k cells;
- glued digits (H-M7): every segmentation of the digit tokens into k numbers without leading zeros,
  whitespace being a separator; the caller filters the candidates by the table's arithmetic.
"""
from __future__ import annotations

import re
from functools import lru_cache

from .normalize import Value, parse_value
from .rows import Row

Vector = tuple[Value, ...]

_INT = re.compile(r"^(?:0|[1-9]\d*)$")
_SINT = re.compile(r"^[+\-−]?(?:0|[1-9]\d*)$")
_DEC = re.compile(r"^(?:0|[1-9]\d*)(?:\.\d+)?$")
_UNIT = re.compile(r"(万元|元)$")

MAX_CANDIDATES = 5000


class TooManyReadings(Exception):
    """More than MAX_CANDIDATES segmentations: the digits cannot be decided (never truncate and guess)."""


def _valid(piece: str, kind: str) -> bool:
    if kind == "decimal":
        return bool(_DEC.match(piece))
    if kind == "signed":
        return bool(_SINT.match(piece))
    return bool(_INT.match(piece))


@lru_cache(maxsize=4096)
def segmentations(tokens: tuple[str, ...], kinds: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """All ways to cut the tokens into len(kinds) numbers of the given kinds (int/signed/decimal)."""
    k = len(kinds)
    out: list[tuple[str, ...]] = []
    acc: list[str] = []

    def rec(ti: int, pos: int) -> None:
        if len(out) > MAX_CANDIDATES:
            raise TooManyReadings(f"more than {MAX_CANDIDATES} readings of {' '.join(tokens)!r}")
        if ti == len(tokens):
            if len(acc) == k:
                out.append(tuple(acc))
            return
        tok = tokens[ti]
        if pos == len(tok):
            rec(ti + 1, 0)
            return
        if len(acc) >= k:
            return
        kind = kinds[len(acc)]
        for end in range(pos + 1, len(tok) + 1):
            piece = tok[pos:end]
            if _valid(piece, kind):
                acc.append(piece)
                rec(ti, end)
                acc.pop()
            if kind == "int" and piece == "0":
                break  # 0 is a whole number: "05" is never one
    rec(0, 0)
    return tuple(out)


def glued_candidates(tokens: list[str], kinds: tuple[str, ...], ignore_spaces: bool = False) -> list[Vector]:
    unit = None
    toks = [t for t in tokens if t]
    if toks:
        m = _UNIT.search(toks[-1])
        if m:
            unit = m.group(1)
            toks[-1] = toks[-1][: m.start()]
            toks = [t for t in toks if t]
    if ignore_spaces:
        toks = ["".join(toks)]
    segs = segmentations(tuple(toks), kinds)
    out: list[Vector] = []
    for seg in segs:
        vec = []
        for i, piece in enumerate(seg):
            v = parse_value(piece)
            u = unit if (unit and i == len(seg) - 1) else None
            vec.append(Value(v.value, piece + (u or ""), u, "number"))
        out.append(tuple(vec))
    return out


def candidates(row: Row, kinds: tuple[str, ...]) -> list[Vector] | None:
    """Candidate value vectors for a row that must hold len(kinds) values (None: too many to decide)."""
    k = len(kinds)
    if row.glued:
        try:
            c = glued_candidates(row.values, kinds)
            if not c:  # a stray space inside a number: retry with whitespace ignored
                c = glued_candidates(row.values, kinds, ignore_spaces=True)
        except TooManyReadings:
            return None
        return c
    vals = list(row.values)
    if len(vals) > k and row.source == "grid":
        while len(vals) > k and vals[0] == "":
            vals.pop(0)          # an empty cell between label and values (P-M3, SEED3)
    if len(vals) == k:
        return [tuple(parse_value(v) or Value(None, v, None, "marker") for v in vals)]
    if len(vals) == k + 1:
        seen: dict[tuple, Vector] = {}
        for drop in range(len(vals)):
            vec = tuple(parse_value(v) or Value(None, v, None, "marker") for i, v in enumerate(vals) if i != drop)
            seen.setdefault(tuple((x.value, x.kind) for x in vec), vec)
        return list(seen.values())
    if len(vals) < k and row.span is not None and len(row.span) == k:
        return [tuple(parse_value(v) or Value(None, v, None, "marker") for v in row.span)]
    return []
