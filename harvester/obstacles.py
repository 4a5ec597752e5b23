"""Anti-bot challenges and other walls: detected and named, never circumvented."""
from __future__ import annotations


def challenge_reason(status: int, headers: dict[str, str], body: bytes) -> str | None:
    """A reason string when a response is an anti-bot challenge page, else None."""
    head = body[:20000]
    cookies = " ".join(headers.get("set-cookie", []) if isinstance(headers.get("set-cookie"), list)
                       else [headers.get("set-cookie", "")])
    if status == 412 and (b"$_ts" in head or b"_$" in head):
        return "瑞数 (Riversecurity) challenge: HTTP 412 with a $_ts script"
    if status == 521 and ("__jsluid" in cookies or b"__jsl_clearance" in head or b"document.cookie" in head):
        return "加速乐 (jiasule) challenge: HTTP 521 with __jsluid cookie script"
    if status in (403, 412, 521) and (b"document.cookie" in head and b"location" in head):
        return f"JavaScript cookie challenge: HTTP {status}"
    return None
