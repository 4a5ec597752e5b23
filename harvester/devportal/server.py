"""Serve a World on loopback: one threaded http.server per site, each on its own 127.0.0.x address.

    running = start_world(build_world(), port=0)     # ephemeral ports; port=8765 for fixed ones
    running.sites          # {"hongze": "http://127.0.0.2:41235", ...}
    running.requests("hongze")   # Counter of paths fetched so far
    running.set_fault("hongze", "column_404")
    running.stop()

Responses carry Content-Type (as the world says, lies included), Content-Length, Last-Modified and
an ETag; If-None-Match / If-Modified-Since get 304. Unknown paths get an nginx-style 404 page.
"""
from __future__ import annotations

import csv
import email.utils
import hashlib
import ipaddress
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .faults import Request, Response, apply_faults, not_found
from .world import ExpectedReport, Site, World

REGISTRY_HEADER = ["site_id", "name", "province", "city", "county", "start_url", "platform"]


@dataclass
class LoggedRequest:
    site_id: str
    method: str
    path: str            # path with the query string
    status: int
    user_agent: str = ""


def _http_date(day: str) -> str:
    d = datetime.fromisoformat(day).replace(hour=9, tzinfo=timezone.utc)
    return email.utils.format_datetime(d, usegmt=True)


def respond(site: Site, req: Request) -> Response:
    """The response a site gives to a request, faults applied (no I/O: usable without a server)."""
    res = site.lookup(req.path)
    if res is None:
        resp = not_found()
    else:
        body = res.data()
        headers = {"Content-Type": res.content_type, **res.headers}
        if res.last_modified:
            headers["Last-Modified"] = _http_date(res.last_modified)
        headers["ETag"] = '"' + hashlib.md5(body).hexdigest()[:16] + '"'
        resp = Response(res.status, headers, body, res.role)
    resp = apply_faults(site, req, resp)
    if resp.status == 200 and req.method in ("GET", "HEAD"):
        etag = resp.headers.get("ETag")
        inm = req.headers.get("if-none-match")
        ims = req.headers.get("if-modified-since")
        lm = resp.headers.get("Last-Modified")
        if (inm and etag and inm == etag) or (not inm and ims and lm and _not_modified(ims, lm)):
            return Response(304, {k: v for k, v in resp.headers.items() if k in ("ETag", "Last-Modified")}, b"",
                            resp.role)
    return resp


def _not_modified(ims: str, lm: str) -> bool:
    try:
        return email.utils.parsedate_to_datetime(lm) <= email.utils.parsedate_to_datetime(ims)
    except (TypeError, ValueError):
        return False


def _handler(site: Site, log: list, lock: threading.Lock):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def version_string(self):
            return "nginx"

        def _serve(self, with_body: bool) -> None:
            parts = urlsplit(self.path)
            path = unquote(parts.path) or "/"
            req = Request(self.command, path, parts.query, {k.lower(): v for k, v in self.headers.items()},
                          self.client_address[0])
            resp = respond(site, req)
            with lock:
                log.append(LoggedRequest(site.site_id, self.command, self.path, resp.status,
                                         self.headers.get("User-Agent", "")))
            self.send_response(resp.status)
            for k, v in resp.headers.items():
                if k.lower() != "content-length":
                    self.send_header(k, v)
            self.send_header("Content-Length", resp.headers.get("Content-Length", str(len(resp.body))))
            self.end_headers()
            if with_body and resp.body:
                self.wfile.write(resp.body)

        def do_GET(self):  # noqa: N802
            self._serve(True)

        def do_HEAD(self):  # noqa: N802
            self._serve(False)

        def do_POST(self):  # noqa: N802
            n = int(self.headers.get("Content-Length") or 0)
            if n:
                self.rfile.read(n)
            self._serve(True)

        def log_message(self, format, *args):  # quiet; requests are in RunningWorld.request_log
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


@dataclass
class RunningWorld:
    world: World
    host_base: str
    port: int
    sites: dict[str, str] = field(default_factory=dict)          # site_id -> base URL
    request_log: list[LoggedRequest] = field(default_factory=list)
    _servers: dict[str, _Server] = field(default_factory=dict)
    _addr: dict[str, tuple[str, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- queries --------------------------------------------------------------------------------
    def requests(self, site_id: str) -> Counter:
        """How many times each path (with query) of a site was requested."""
        with self._lock:
            return Counter(r.path for r in self.request_log if r.site_id == site_id)

    def url(self, site_id: str, path: str = "/") -> str:
        return self.sites[site_id] + path

    def start_url(self, site_id: str) -> str:
        return self.url(site_id, self.world.site(site_id).start_path)

    def expected_reports(self) -> list[ExpectedReport]:
        return self.world.expected_reports(self.sites)

    # -- control --------------------------------------------------------------------------------
    def set_fault(self, site_id: str, name: str, on: bool = True) -> None:
        """Switch a fault on or off while running (`down` closes or reopens the site's socket)."""
        from .faults import FAULTS
        if name not in FAULTS:
            raise KeyError(f"unknown fault {name!r} (known: {', '.join(FAULTS)})")
        site = self.world.site(site_id)
        (site.faults.add if on else site.faults.discard)(name)
        if name == "down":
            if on:
                self._stop_site(site_id)
            elif site_id not in self._servers:
                self._start_site(site, *self._addr[site_id])

    def _start_site(self, site: Site, host: str, port: int) -> None:
        srv = _Server((host, port), _handler(site, self.request_log, self._lock))
        t = threading.Thread(target=srv.serve_forever, name=f"devportal-{site.site_id}", daemon=True)
        t.start()
        self._servers[site.site_id] = srv
        self._addr[site.site_id] = srv.server_address[:2]
        self.sites[site.site_id] = f"http://{srv.server_address[0]}:{srv.server_address[1]}"

    def _stop_site(self, site_id: str) -> None:
        srv = self._servers.pop(site_id, None)
        if srv is not None:
            srv.shutdown()
            srv.server_close()

    def stop(self) -> None:
        for sid in list(self._servers):
            self._stop_site(sid)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def site_host(host_base: str, index: int) -> str:
    return str(ipaddress.IPv4Address(host_base) + index)


def start_world(world: World, *, host_base: str = "127.0.0.2", port: int = 0) -> RunningWorld:
    """Serve every site of the world on host_base + site.index (port 0: an ephemeral port per site).

    A site with the `down` fault gets an address but no listening socket (connection refused).
    """
    running = RunningWorld(world, host_base, port)
    for site in world.sites:
        host = site_host(host_base, site.index)
        if "down" in site.faults:   # an address nobody listens on
            p = port or _free_port(host)
            running._addr[site.site_id] = (host, p)
            running.sites[site.site_id] = f"http://{host}:{p}"
            continue
        running._start_site(site, host, port)
    return running


def _free_port(host: str) -> int:
    import socket
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def registry_rows(obj: World | RunningWorld, *, host_base: str = "127.0.0.2", port: int = 8765) -> list[dict]:
    if isinstance(obj, RunningWorld):
        world, base = obj.world, obj.sites
    else:
        world = obj
        base = {s.site_id: f"http://{site_host(host_base, s.index)}:{port}" for s in world.sites}
    return [{"site_id": s.site_id, "name": s.name, "province": s.province, "city": s.city, "county": s.county,
             "start_url": base[s.site_id] + s.start_path, "platform": s.platform} for s in world.sites]


def write_registry(obj: World | RunningWorld, path: str | Path, *, host_base: str = "127.0.0.2",
                   port: int = 8765) -> Path:
    """Write the registry CSV (site_id,name,province,city,county,start_url,platform) for a running world
    (its real ports) or for a world that will be served at host_base:port."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=REGISTRY_HEADER)
        w.writeheader()
        w.writerows(registry_rows(obj, host_base=host_base, port=port))
    return path
