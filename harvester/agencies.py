"""Agency names → a normalised name and a stable agency id (``agency_key``).

``normalize_agency_name`` is the key the database matches agencies by (``agencies.norm_name``):

* Unicode NFKC (full-width letters, digits and brackets become ASCII: ``（`` → ``(``);
* zero-width characters (U+200B–U+200D, U+2060, U+FEFF) and every kind of whitespace (U+3000
  included) removed;
* parenthesised aliases removed — ``淮安市人民政府办公室(市政府研究室)`` and
  ``淮安市人民政府办公室【市政府研究室】`` are ``淮安市人民政府办公室`` — but only when what is left still
  names a body (ends with 局, 委, 办, 厅, 政府, 中心, 街道 …): in ``淮安市(市场监督管理局)`` the
  parenthesis *is* the agency and stays;
* the 人民政府 short form expanded: ``XX县政府`` ≡ ``XX县人民政府``, ``XX镇政府`` ≡ ``XX镇人民政府``, and
  the same after 省/市/区/乡/旗/州/盟, at the end of the name or before 办公室/办公厅/办 (``XX市政府办公室``
  ≡ ``XX市人民政府办公室``). ``XX市政府采购中心`` is left alone.

``agency_key(norm_name, division)`` is the stable agency id exported to researchers:
``<6-digit GB/T 2260 code>-<normalised name>``, the code being that of the agency's division
(county, else city, else province; ``000000`` when even the province is unknown). When the
registry names a division level that the division dataset does not have (平潭综合实验区, a
development zone), that level's normalised name is kept between code and name:
``350100-平潭综合实验区-平潭综合实验区党工委管委会``, so two agencies with the same name in two
different zones of one city never share an id. The key depends only on the names, the registry's
``division_code`` and the pinned division dataset (see ``docs/divisions.md``), never on database
ids or insertion order: the same agency gets the same key in every database.
"""
from __future__ import annotations

import re
import unicodedata

ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACE = re.compile(r"\s+")
# innermost parenthesised groups (after NFKC full-width （） are ASCII); 【】〔〕［］ too
_PAREN = re.compile(r"\([^()]*\)|【[^【】]*】|〔[^〔〕]*〕|\[[^\[\]]*\]")
_GOV = re.compile(r"([省市县区镇乡旗州盟])政府(?=$|办)")
# a parenthesis is an alias only when the name without it still names a body (淮安市(市场监督管理局)
# is the 市场监督管理局 of 淮安市, not 淮安市)
AGENCY_ENDINGS = ("局", "委", "办", "厅", "部", "院", "府", "会", "室", "处", "所", "中心", "站", "队", "团",
                  "司", "署", "行", "社", "馆", "组", "街道")
KEY_SEPARATOR = "-"
UNKNOWN_DIVISION = "000000"


def clean_text(name: str | None) -> str:
    """NFKC, zero-width characters and all whitespace removed."""
    text = unicodedata.normalize("NFKC", name or "").translate(ZERO_WIDTH)
    return _SPACE.sub("", text)


def normalize_agency_name(name: str | None) -> str:
    """The matching key of an agency name (see the module docstring); '' for an empty name."""
    text = clean_text(name)
    while True:
        stripped = _PAREN.sub("", text)
        if stripped == text or not stripped.endswith(AGENCY_ENDINGS):
            break
        text = stripped
    return _GOV.sub(r"\1人民政府", text)


def agency_key(norm_name: str, division) -> str:
    """``<code>-[<unresolved division names>-]<norm_name>`` for a ``harvester.divisions.Division``
    (or None: code ``000000``). ``norm_name`` is normalised again, so a raw name works too."""
    norm = normalize_agency_name(norm_name)
    if not norm:
        raise ValueError("agency name is empty")
    code = UNKNOWN_DIVISION
    unresolved: list[str] = []
    if division is not None:
        code = division.code or UNKNOWN_DIVISION
        unresolved = [clean_text(n) for n in division.unresolved if clean_text(n)]
    return KEY_SEPARATOR.join([code, *unresolved, norm])
