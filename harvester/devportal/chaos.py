"""A failing web: the ``chaos`` fault makes a simulated site misbehave at the transport level.

Each distinct request (method, path and query) of a site is faulted at most once — on its first
attempt, with probability ``site.fault_state["chaos_rate"]`` (default 5 %), chosen by a seeded hash
so a run is reproducible — and then served normally, as a flaky portal is. The faulted requests cycle
through

- ``503``         Service Unavailable with ``Retry-After: 1``
- ``reset``       the connection is reset (RST) before any answer
- ``stall``       nothing is sent for ``chaos_stall`` seconds (longer than the client's timeout), then close
- ``drip``        the headers, then the body at 1 byte a second until the client gives up
- ``short``       ``Content-Length`` says the full size, half the body comes, the connection closes
- ``huge``        a 100 MB body (declared and streamed)
- ``gzip_bomb``   ``Content-Encoding: gzip`` of 200 MB of zeros in 200 KB
- ``redirect_loop`` a 302 to ``?chaos_hop=1``, which redirects to ``?chaos_hop=2`` … without end (new URLs,
                  so that no duplicate filter ends the chain: only the client's redirect limit does); the
                  request itself is served normally the next time

and every site's ``/robots.txt`` (not needed for any report: a robots file that cannot be read allows
everything) is, in turn per site, a ``huge`` body, a ``gzip_bomb`` or a ``redirect_loop`` — for ever (every fetch of
it starts a chain, each counted).

``counts(site)`` says how many of each were injected (a redirect chain once, however many hops). Switch it on with ``site.faults.add("chaos")`` or
``harvester devportal serve --chaos``.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import socket
import struct
import threading
import time
from collections import Counter
from urllib.parse import parse_qsl, urlsplit

from .faults import fault

KINDS = ("503", "reset", "stall", "drip", "short", "huge", "gzip_bomb", "redirect_loop")
ROBOTS_KINDS = ("huge", "gzip_bomb", "redirect_loop")
RATE = 0.05
STALL = 8.0
HUGE = 100 * 1024 * 1024
_LOCK = threading.Lock()
_BOMB: bytes | None = None


@fault("chaos")
def chaos(site, req, resp):
    """A failing web (harvester/devportal/chaos.py): 5 % of requests 503, reset, stalled, dripped, cut short,
    a 100 MB body, a gzip bomb or a redirect chain without end, once; robots.txt one of the last three."""
    return resp       # applied by the server at the transport level (pick / serve below)


def _state(site) -> dict:
    with _LOCK:
        return site.fault_state.setdefault("chaos", {"seen": set(), "counts": Counter(), "n": 0})


def counts(site) -> Counter:
    st = site.fault_state.get("chaos")
    return Counter(st["counts"]) if st else Counter()


def pick(site, method: str, path: str, query: str) -> str | None:
    """The fault for this request, or None (served normally)."""
    st = _state(site)
    key = f"{method} {path}?{query}"
    rate = float(site.fault_state.get("chaos_rate", RATE))
    seed = str(site.fault_state.get("chaos_seed", "harvester"))
    if "chaos_hop=" in query:
        return "redirect_hop"                    # a hop of a chain already counted
    with _LOCK:
        if key in st["seen"]:
            if st.get("loop") != key:
                return None
            st["counts"]["redirect_loop"] += 1     # a loop is a loop for ever: each fetch a chain of its own
            return "redirect_loop"
        st["seen"].add(key)
        if path == "/robots.txt":
            index = int(hashlib.sha256(site.site_id.encode()).hexdigest(), 16) % len(ROBOTS_KINDS)
            kind = ROBOTS_KINDS[index]
            if kind == "redirect_loop":
                st["loop"] = key
        else:
            h = int(hashlib.sha256(f"{seed}|{site.site_id}|{key}".encode()).hexdigest()[:12], 16) / float(1 << 48)
            if h >= rate:
                return None
            kind = KINDS[st["n"] % len(KINDS)]
            st["n"] += 1
        st["counts"][kind] += 1
        return kind


def _bomb() -> bytes:
    global _BOMB
    with _LOCK:
        if _BOMB is None:
            buf = io.BytesIO()
            with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9) as gz:
                block = b"\0" * (1 << 20)
                for _ in range(200):
                    gz.write(block)
            _BOMB = buf.getvalue()
        return _BOMB


def _reset(handler) -> None:
    try:
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    _hang_up(handler)


def _hang_up(handler) -> None:
    handler.close_connection = True
    try:
        handler.wfile.flush()
    except OSError:
        pass
    try:
        handler.connection.close()
    except OSError:
        pass
    handler.wfile = io.BytesIO()          # nothing more goes out on the closed socket


def _next_hop(target: str) -> str:
    """``target`` with its ``chaos_hop`` argument one more (1 when it has none)."""
    parts = urlsplit(target)
    args = parse_qsl(parts.query, keep_blank_values=True)
    n = next((int(v) for k, v in args if k == "chaos_hop" and v.isdigit()), 0)
    rest = "&".join(part for part in parts.query.split("&") if part and not part.startswith("chaos_hop="))
    return parts.path + "?" + (rest + "&" if rest else "") + f"chaos_hop={n + 1}"


def serve(handler, site, kind: str, body: bytes, headers: dict, status: int) -> None:
    """Answer ``handler``'s request with fault ``kind`` instead of (``status``, ``headers``, ``body``)."""
    if kind == "503":
        msg = b"<html><head><title>503</title></head><body><h1>503 Service Unavailable</h1></body></html>"
        handler.send_response(503)
        handler.send_header("Retry-After", "1")
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(len(msg)))
        handler.end_headers()
        handler.wfile.write(msg)
        return
    if kind == "reset":
        _reset(handler)
        return
    if kind == "stall":
        time.sleep(float(site.fault_state.get("chaos_stall", STALL)))
        _hang_up(handler)
        return
    if kind in ("redirect_loop", "redirect_hop"):
        handler.send_response(302)
        handler.send_header("Location", _next_hop(handler.path))
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return
    handler.send_response(status if kind in ("drip", "short") else 200)
    for k, v in headers.items():
        if k.lower() in ("content-length", "content-encoding", "transfer-encoding"):
            continue
        for value in (v if isinstance(v, list) else [v]):
            handler.send_header(k, value)
    try:
        if kind == "drip":
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            limit = time.monotonic() + float(site.fault_state.get("chaos_stall", STALL)) * 2
            for i in range(len(body)):
                handler.wfile.write(body[i:i + 1])
                handler.wfile.flush()
                if time.monotonic() > limit:
                    break
                time.sleep(1.0)
        elif kind == "short":
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body[: len(body) // 2])
        elif kind == "huge":
            handler.send_header("Content-Length", str(HUGE))
            handler.end_headers()
            block = b"#" * (1 << 20)
            for _ in range(HUGE >> 20):
                handler.wfile.write(block)
        elif kind == "gzip_bomb":
            bomb = _bomb()
            handler.send_header("Content-Encoding", "gzip")
            handler.send_header("Content-Length", str(len(bomb)))
            handler.end_headers()
            handler.wfile.write(bomb)
    except OSError:
        pass                              # the client gave up: what a client should do
    _hang_up(handler)
