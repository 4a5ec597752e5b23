"""Find and parse the data in a page's scripts — read as data, whatever its spelling.

Portals write the same configuration many ways: `window._CONFIG = {SID: '7', TREE: […]}`, the same object as
JSON, as `JSON.parse('{"SID": "7", …}')`, with single or double quotes, quoted or bare keys, trailing commas,
comments, extra keys in any order, or one property at a time (`_CONFIG.SID = "7";`). This module *locates*
a name (a variable, a property, a function) and then reads the value after it with a JavaScript-literal
parser (chompjs): no regular expression here or in the adapters encodes how a value is spelled.

    scripts(response)            the inline script texts of a page (JavaScript and JSON blocks, not XML)
    value_of(text, name)         the value assigned to `name`: `var name = …`, `x.name = …`, `name: …`,
                                 `"name": …`; `Ref(name)` for an identifier, `COMPUTED` for an expression
    resolve_name(text, value)    an identifier (a Ref, or a bare name inside an object) replaced by its value
    values_of(text, name)        every such value, in page order
    calls(text, name)            the argument lists of every call `name(…)` (a dotted name: `$.ajax`)
    objects(text)                every object and array literal (and every `JSON.parse('…')` string)
    strings(text)                every string literal
    navigation_target(text)      the URL a snippet sends the browser to (`location.href = '…'`,
                                 `location.replace("…")`, `window.open('…')`), None when computed
    find_key(value, *names)      the first value under one of `names`, anywhere in a parsed value
    as_int(value)                a count or page number however written (5, "5", 5.0)
    parse_data(text)             a whole response body as data: JSON, JSONP, a JS literal

Values are Python data (dict, list, str, int, float, bool, None). Reading is bounded: scripts longer than
MAX_SCRIPT characters are read up to that point, and nothing here raises on a malformed page.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterator

import chompjs

MAX_SCRIPT = 2_000_000          # characters of script read per page
MAX_OBJECTS = 2_000             # literals taken from one text

_OPEN = {"{": "}", "[": "]", "(": ")"}
_CLOSE = set(_OPEN.values())
_QUOTES = "'\"`"
_IDENT_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")
_JS_TYPES = ("", "text/javascript", "application/javascript", "application/x-javascript", "module",
             "application/json", "application/ld+json", "text/json", "text/plain", "text/x-template",
             "text/template", "text/html")


@dataclass(frozen=True)
class Ref:
    """An identifier where a value was expected (`data: params`): resolve it with value_of(text, name)."""
    name: str


class _Computed:
    """An expression (`"/a/" + id`): only running the script tells its value."""

    def __repr__(self) -> str:
        return "COMPUTED"

    def __bool__(self) -> bool:
        return False


COMPUTED = _Computed()


# ----------------------------------------------------------------------------------------------
# scanning JavaScript text: strings, comments and brackets
# ----------------------------------------------------------------------------------------------

def _string_end(text: str, i: int) -> int:
    """Index just past the string literal starting at text[i] (a quote)."""
    q, n = text[i], len(text)
    j = i + 1
    while j < n:
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == q:
            return j + 1
        if c == "\n" and q != "`":
            return j            # an unterminated string ends at the line
        j += 1
    return n


def _comment_end(text: str, i: int) -> int | None:
    """Index past a comment starting at text[i], or None when none starts there."""
    if text.startswith("//", i):
        j = text.find("\n", i)
        return len(text) if j < 0 else j
    if text.startswith("/*", i):
        j = text.find("*/", i + 2)
        return len(text) if j < 0 else j + 2
    if text.startswith("<!--", i):
        return i + 4
    return None


def _skip_space(text: str, i: int) -> int:
    n = len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        end = _comment_end(text, i)
        if end is None:
            return i
        i = end
    return i


COMMENT = "//"


def _code(text: str, i: int, groups: bool = False):
    """(position, character) of each character of code from `i` on — strings skipped, each comment given once
    as COMMENT; with `groups`, a bracketed group is jumped over whole."""
    n, j = len(text), i
    while j < n:
        c = text[j]
        if c in _QUOTES:
            j = _string_end(text, j)
            continue
        end = _comment_end(text, j) if c in "/<" else None
        if end is not None:
            yield j, COMMENT
            j = end
            continue
        if groups and c in _OPEN:
            j = _bracket_end(text, j)
            continue
        yield j, c
        j += 1


def _bracket_end(text: str, i: int) -> int:
    """Index just past the bracketed expression starting at text[i] ({, [ or (); len(text) if unbalanced."""
    stack = [_OPEN[text[i]]]
    for j, c in _code(text, i + 1):
        if c in _OPEN:
            stack.append(_OPEN[c])
        elif c in _CLOSE:
            if c != stack[-1]:
                return len(text)
            stack.pop()
            if not stack:
                return j + 1
    return len(text)


def _expression_end(text: str, i: int) -> int:
    """End of the expression starting at i: the next top-level `,`, `;`, closing bracket, line end or comment."""
    for j, c in _code(text, i, groups=True):
        if c == COMMENT or c in ",;\n" or c in _CLOSE:
            return j
    return len(text)


def _split_top(text: str) -> list[str]:
    """A comma-separated argument list split at its top-level commas."""
    parts, start = [], 0
    for j, c in _code(text, 0, groups=True):
        if c == ",":
            parts.append(text[start:j])
            start = j + 1
    tail = text[start:]
    if tail.strip() or parts:
        parts.append(tail)
    return parts


# ----------------------------------------------------------------------------------------------
# literals
# ----------------------------------------------------------------------------------------------

def _chomp(literal: str) -> Any:
    return chompjs.parse_js_object(literal)


def _decode_string(literal: str) -> str:
    """The value of one JS string literal (any quote; escapes decoded)."""
    body = literal[1:-1] if len(literal) >= 2 and literal[-1] == literal[0] else literal[1:]
    if literal[0] == "`":
        return body
    try:
        value = _chomp("[" + literal[0] + body + literal[0] + "]")
        return value[0] if isinstance(value, list) and value and isinstance(value[0], str) else body
    except (ValueError, TypeError):
        return body


def _number(token: str) -> int | float | None:
    t = token.strip()
    sign = -1 if t.startswith("-") else 1
    t = t.lstrip("+-").strip()
    try:
        if t[:2].lower() == "0x":
            return sign * int(t, 16)
        if t.isdigit():
            return sign * int(t)
        return sign * float(t)
    except ValueError:
        return None


def _is_identifier(token: str) -> bool:
    return bool(token) and not token[0].isdigit() and all(c in _IDENT_CHARS or c == "." for c in token) \
        and not token.endswith(".")


def parse_expression(expr: str) -> Any:
    """The value of one JS expression when it is a literal; Ref for an identifier, COMPUTED otherwise."""
    e = expr.strip()
    # a trailing comment (`var countPage = 2//共多少页`) is not part of the value
    k = next((j for j, c in _code(e, 0, groups=True) if c == COMMENT), None)
    if k is not None:
        e = e[:k].rstrip()
    if not e:
        return COMPUTED
    if e.startswith("JSON.parse"):
        rest = e[len("JSON.parse"):].lstrip()
        if rest.startswith("(") and _bracket_end(rest, 0) == len(rest):
            inner = parse_expression(rest[1:-1])
            if isinstance(inner, str):
                return parse_data(inner, default=COMPUTED)
        return COMPUTED
    if e[0] in "{[":
        if _bracket_end(e, 0) != len(e):
            return COMPUTED
        try:
            return _chomp(e)
        except (ValueError, TypeError):
            return COMPUTED
    if e[0] in _QUOTES:
        return _decode_string(e) if _string_end(e, 0) == len(e) else COMPUTED
    if e in ("true", "false"):
        return e == "true"
    if e in ("null", "undefined"):
        return None
    num = _number(e)
    if num is not None:
        return num
    if e.startswith("(") and _bracket_end(e, 0) == len(e):
        return parse_expression(e[1:-1])
    if _is_identifier(e):
        return Ref(e)
    return COMPUTED


def _value_at(text: str, i: int) -> Any:
    i = _skip_space(text, i)
    return parse_expression(text[i:_expression_end(text, i)])


# ----------------------------------------------------------------------------------------------
# the page's scripts
# ----------------------------------------------------------------------------------------------

def scripts(response) -> list[str]:
    """Inline script texts of an HTML response (JavaScript and JSON blocks; `text/xml` data islands and
    scripts loaded from a `src` are not read)."""
    out, total = [], 0
    try:
        nodes = response.xpath("//script[not(@src)]")
    except Exception:  # noqa: BLE001 - not an HTML/XML response
        return []
    for node in nodes:
        kind = (node.attrib.get("type") or "").strip().lower()
        if kind not in _JS_TYPES:
            continue
        text = "".join(node.xpath("text()").getall())
        if not text.strip():
            continue
        out.append(text[: max(0, MAX_SCRIPT - total)])
        total += len(text)
        if total >= MAX_SCRIPT:
            break
    return out


def script_text(response) -> str:
    """All inline scripts of a page as one text (for value_of / calls over the whole page)."""
    return "\n;\n".join(scripts(response))


def _name_pattern(name: str) -> re.Pattern:
    """Where `name` is given a value: `name =`, `x.name =`, `name:` and `"name":` (not `==`, not `a ? b : c`
    on its own)."""
    n = re.escape(name)
    return re.compile(rf"(?<![\w$]){n}(?![\w$])\s*(?:=(?![=>])|:(?!:))|[\"']{n}[\"']\s*:")


def values_of(text: str, name: str) -> list[Any]:
    """Every value assigned to `name` in `text`, in order (see value_of)."""
    out = []
    for m in _name_pattern(name).finditer(text or ""):
        if _inside_string(text, m.start()):
            continue
        out.append(_value_at(text, m.end()))
        if len(out) >= MAX_OBJECTS:
            break
    return out


def value_of(text: str, name: str, default: Any = None, *, resolve: bool = True) -> Any:
    """The first literal value assigned to `name`; an identifier is looked up in the same text (`resolve`).
    `default` when the name has no literal value (absent, or computed by the script)."""
    for v in values_of(text, name):
        if isinstance(v, Ref) and resolve:
            v = resolve_ref(text, v)
        if v is not COMPUTED and not isinstance(v, Ref):
            return v
    return default


def resolve_ref(text: str, value: Any, depth: int = 0) -> Any:
    """A Ref replaced by the literal its identifier is given in `text` (one level of dots: `conf.url`)."""
    if not isinstance(value, Ref) or depth > 4:
        return value
    name = value.name
    found = value_of(text, name, COMPUTED, resolve=False) if "." not in name else COMPUTED
    if found is COMPUTED and "." in name:
        head, _, key = name.rpartition(".")
        base = resolve_ref(text, Ref(head), depth + 1)
        found = base.get(key, COMPUTED) if isinstance(base, dict) else value_of(text, key, COMPUTED, resolve=False)
    return resolve_ref(text, found, depth + 1) if isinstance(found, Ref) else found


def resolve_name(text: str, value: Any) -> Any:
    """Like resolve_ref, and also for a bare identifier inside an object literal, which the literal parser
    reads as a string (`{data: params}` → "params"): when `text` gives that name a value, that value."""
    value = resolve_ref(text, value)
    if isinstance(value, str) and _is_identifier(value) and value not in ("true", "false", "null", "undefined"):
        found = resolve_ref(text, value_of(text, value, COMPUTED, resolve=False))
        if found is not COMPUTED and not isinstance(found, Ref):
            return found
    return value


def _inside_string(text: str, pos: int) -> bool:
    """Is text[pos] inside a string literal or comment? (scans the line it is on)"""
    start = text.rfind("\n", 0, pos) + 1
    j = start
    while j < pos:
        c = text[j]
        if c in _QUOTES:
            end = _string_end(text, j)
            if end > pos:
                return True
            j = end
            continue
        if c == "/" and text.startswith("//", j):
            return True
        j += 1
    return False


def calls(text: str, name: str) -> list[list[Any]]:
    """Argument lists of every call of `name` (`createPageHTML`, `$.ajax`, `window.open`, `.jpage`): each
    argument a literal, a Ref or COMPUTED."""
    if not text:
        return []
    n = re.escape(name)
    lead = r"(?<![\w$])" if name[0] not in ".$" else r""
    out = []
    for m in re.finditer(rf"{lead}{n}\s*\(", text):
        if _inside_string(text, m.start()):
            continue
        start = m.end() - 1
        end = _bracket_end(text, start)
        if end > len(text) or text[end - 1] != ")":
            continue
        out.append([parse_expression(a) for a in _split_top(text[start + 1:end - 1])])
        if len(out) >= MAX_OBJECTS:
            break
    return out


def objects(text: str) -> list[Any]:
    """Every object and array literal of `text` (top level ones, each parsed whole), with the data of every
    `JSON.parse('…')` string."""
    if not text:
        return []
    text = text[:MAX_SCRIPT]
    out: list[Any] = []
    for args in calls(text, "JSON.parse"):
        if args and isinstance(args[0], (dict, list)):
            out.append(args[0])
        elif args and isinstance(args[0], str):
            v = parse_data(args[0])
            if isinstance(v, (dict, list)):
                out.append(v)
    try:
        for v in chompjs.parse_js_objects(text, omitempty=True):
            out.append(v)
            if len(out) >= MAX_OBJECTS:
                break
    except Exception:  # noqa: BLE001 - chompjs stops at what it cannot read; keep what it read
        pass
    return out


def strings(text: str) -> Iterator[str]:
    """Every string literal of `text`, decoded."""
    j, n = 0, len(text or "")
    while j < n:
        c = text[j]
        end = _string_end(text, j) if c in _QUOTES else _comment_end(text, j) if c in "/<" else None
        if end is not None and c in _QUOTES:
            yield _decode_string(text[j:end])
        j = end if end is not None else j + 1


def navigation_target(text: str) -> str | None:
    """The literal URL a script snippet navigates to: `location.href = '…'`, `location = "…"`,
    `location.replace('…')`, `location.assign(…)`, `window.open('…')`, `top.location.href=…`; None when there
    is none or it is computed."""
    if not text:
        return None
    for name in ("location.replace", "location.assign", "window.open", "navigate"):
        for args in calls(text, name):
            if args and isinstance(args[0], str) and args[0].strip():
                return args[0].strip()
    for name in ("location.href", "location"):
        for v in values_of(text, name):
            if isinstance(v, str) and v.strip():
                return v.strip()
    return None


def find_key(value: Any, *names: str, depth: int = 0) -> Any:
    """The first value stored under one of `names` (case-insensitive), searching nested dicts and lists."""
    if depth > 12:
        return None
    wanted = {n.lower() for n in names}
    if isinstance(value, dict):
        for k, v in value.items():
            if str(k).lower() in wanted:
                return v
        for v in value.values():
            found = find_key(v, *names, depth=depth + 1)
            if found is not None:
                return found
    elif isinstance(value, list):
        for v in value[:500]:
            found = find_key(v, *names, depth=depth + 1)
            if found is not None:
                return found
    return None


def as_int(value: Any) -> int | None:
    """A count or a page number however it is written: 5, "5", 5.0; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def parse_data(text: str, default: Any = None) -> Any:
    """A whole body as data: JSON, then any JS literal in it (JSONP `cb({...})`, `var data = [...]`)."""
    t = (text or "").strip()
    if not t:
        return default
    if t[0] in "{[":
        try:
            return json.loads(t)
        except ValueError:
            pass
    try:
        return _chomp(t[:MAX_SCRIPT])
    except Exception:  # noqa: BLE001 - not data
        return default
