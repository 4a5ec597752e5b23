"""Anti-bot challenges, soft 404s and other walls: detected and named, never circumvented.

- 瑞数 (Riversecurity): 412 (sometimes 202/200) with a `$_ts` script and HttpOnly cookie pairs.
- 加速乐 (jiasule / Knownsec): 521 with `__jsluid_*` cookies and a script computing `__jsl_clearance`.
- A script-only cookie check (`document.cookie=…; location…`) answering 403/412/521/200 with no content.
- Cookie loops (302 to the same URL, again and again): detected in `spiders.middlewares.ObstacleMiddleware`,
  which marks the request; `cookie_loop_reason` words it.
- Soft 404: a 200 page that says 页面不存在 / 404 instead of answering 404.
"""
from __future__ import annotations

import re


def _cookies(headers: dict) -> str:
    value = headers.get("set-cookie", [])
    return " ".join(value if isinstance(value, list) else [value or ""])


def challenge_reason(status: int, headers: dict[str, str], body: bytes) -> str | None:
    """A reason string when a response is an anti-bot challenge page, else None."""
    head = body[:20000]
    cookies = _cookies(headers)
    if status == 412 and (b"$_ts" in head or b"_$" in head):
        return "瑞数 (Riversecurity) challenge: HTTP 412 with a $_ts script"
    if status in (200, 202) and b"$_ts" in head and len(body) < 20000 and b"<a " not in head:
        return f"瑞数 (Riversecurity) challenge: HTTP {status} page that is only a $_ts script"
    if status == 521 and ("__jsluid" in cookies or b"__jsl_clearance" in head or b"document.cookie" in head
                          or b"document[" in head):
        return "加速乐 (jiasule) challenge: HTTP 521 with __jsluid cookie script"
    if status in (403, 412, 521) and (b"document.cookie" in head and b"location" in head):
        return f"JavaScript cookie challenge: HTTP {status}"
    if status == 200 and len(body) < 3000 and b"document.cookie" in head and b"location" in head \
            and b"<a " not in head:
        return "JavaScript cookie challenge: a page that only sets a cookie and reloads"
    return None


_SOFT_TITLE = re.compile(r"404|页面不存在|页面未找到|找不到|不存在|已删除|已被删除|出错了|错误页|not\s*found", re.I)
_SOFT_TEXT = re.compile(r"您访问的页面不存在|页面不存在或已被删除|页面已被删除|您所访问的页面|页面未找到|404\s*not\s*found|"
                        r"找不到您要访问的页面", re.I)


def soft_404_reason(status: int, title: str, visible_text: str) -> str | None:
    """A reason when a 200 page is an error page in disguise: a 404/页面不存在 title on a small page, or a
    page that is little more than such a message."""
    if status != 200:
        return None
    text = re.sub(r"\s+", "", visible_text or "")
    t = (title or "").strip()
    if t and _SOFT_TITLE.search(t) and len(text) < 2000:
        return f"HTTP 200 page titled {t[:40]!r} (a soft 404)"
    m = _SOFT_TEXT.search(text)
    if m and len(text) < 800:
        return f"HTTP 200 page saying {m.group(0)!r} (a soft 404)"
    return None


def cookie_loop_reason(status: int, cookies: list[str]) -> str:
    return (f"cookie loop: HTTP {status} redirects to the same URL again"
            + (f", setting cookie {', '.join(cookies)}" if cookies else "")
            + " after it was sent back (a WAF check that needs a browser script)")
