"""Named faults a simulated site can be switched into (`site.faults = {"column_404", ...}`).

A fault is a function `(site, request, response) -> response`, registered under its name with
`@fault("name")`. The server builds the normal response first and passes it through every fault
that is switched on for the site, in registration order; a fault returns the response unchanged
when it does not apply. Per-site memory (counters for rate limits, cookies handed out, …) goes in
`site.fault_state`. Adding a fault is adding one decorated function here.

`down` is the one fault the server itself honours: a site that is down is not served at all
(connection refused), so its function here never runs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Request:
    method: str
    path: str                    # path without the query string
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    client: str = ""


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    role: str = ""               # what the server served: home, list, detail, attachment, …


FaultFn = Callable[["object", Request, Response], Response]
FAULTS: dict[str, FaultFn] = {}
DOCS: dict[str, str] = {}


def fault(name: str):
    def register(fn: FaultFn) -> FaultFn:
        FAULTS[name] = fn
        DOCS[name] = (fn.__doc__ or "").strip()
        return fn
    return register


def apply_faults(site, req: Request, resp: Response) -> Response:
    for name, fn in FAULTS.items():
        if name in site.faults:
            resp = fn(site, req, resp)
    return resp


def not_found() -> Response:
    body = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>404 Not Found</title></head>'
            '<body><h1>404 Not Found</h1><p>您访问的页面不存在或已被删除。</p><hr><p>nginx</p></body></html>').encode()
    return Response(404, {"Content-Type": "text/html; charset=utf-8"}, body, "error")


@fault("down")
def down(site, req, resp):
    """The site is not served: connection refused (handled by the server)."""
    return resp


@fault("column_404")
def column_404(site, req, resp):
    """Every list page of the site's 年报 column answers 404 (detail pages still work)."""
    if req.path.startswith(site.nb_dir) and resp.role in ("list", "stub") and req.path.count("/") == site.nb_dir.count("/"):
        return not_found()
    return resp


@fault("broken_pdf")
def broken_pdf(site, req, resp):
    """One PDF attachment (the site's first generated PDF report) is cut off after 40% of its bytes."""
    if req.path == site.fault_targets.get("broken_pdf"):
        body = resp.body[: int(len(resp.body) * 0.4)]
        headers = dict(resp.headers)
        headers["Content-Length"] = str(len(body))
        headers.pop("ETag", None)
        return Response(resp.status, headers, body, resp.role)
    return resp
