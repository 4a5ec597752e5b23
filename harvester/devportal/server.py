"""Serve a World on loopback: one threaded http.server per site, each on its own 127.0.0.x address.

    running = start_world(build_world(), port=0)     # ephemeral ports; port=8765 for fixed ones
    running.sites          # {"hongze": "http://127.0.0.2:41235", ...}
    running.requests("hongze")   # Counter of paths fetched so far
    running.set_fault("hongze", "column_404")
    running.stop()

Responses carry Content-Type (as the world says, lies included), Content-Length, Last-Modified and
an ETag; If-None-Match / If-Modified-Since get 304. Unknown paths get an nginx-style 404 page.
A resource may also answer per request (`Resource.handler`: the Hanweb dataproxy POST, JSON list APIs).

Every listener speaks both plain HTTP and TLS on its one port (the first byte of a connection tells
which; a self-signed certificate), so a page can be linked as http:// and as https://. Faults may
close one of the two (`https_only`, `tls_broken`). A site with `moved_301` is served on a second
address (its new domain, host_base + 100 + index) while the old one answers 301 to the new one.
`cross_site_links` starts an outside server (not in the registry) that pages link to.
"""
from __future__ import annotations

import csv
import email.utils
import hashlib
import ipaddress
import socket
import ssl
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .faults import Request, Response, apply_faults, not_found
from . import chaos  # noqa: E402 - registers the chaos fault
from .model import ExpectedReport, Site, World

REGISTRY_HEADER = ["site_id", "name", "province", "city", "county", "start_url", "platform"]


@dataclass
class LoggedRequest:
    site_id: str
    method: str
    path: str            # path with the query string
    status: int
    user_agent: str = ""
    at: float = 0.0      # time.time() when the response was sent
    received: float = 0.0  # time.time() when the request arrived (documents may take a while to render)
    scheme: str = "http"
    listener: str = ""   # host:port the request came in on
    retry_after: str = ""  # the Retry-After header of the response, if any


def _http_date(day: str) -> str:
    d = datetime.fromisoformat(day).replace(hour=9, tzinfo=timezone.utc)
    return email.utils.format_datetime(d, usegmt=True)


def respond(site: Site, req: Request) -> Response:
    """The response a site gives to a request, faults applied (no I/O: usable without a server)."""
    res = (site.lookup(f"{req.path}?{req.query}") if req.query else None) or site.lookup(req.path)
    if res is None:
        resp = not_found()
    elif res.handler is not None:
        resp = res.handler(req)
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

        def _serve(self, with_body: bool, body: bytes = b"", received: float = 0.0) -> None:
            received = received or time.time()
            parts = urlsplit(self.path)
            path = unquote(parts.path) or "/"
            scheme = "https" if isinstance(self.connection, ssl.SSLSocket) else "http"
            listener = "%s:%d" % self.server.server_address[:2]
            req = Request(self.command, path, parts.query, {k.lower(): v for k, v in self.headers.items()},
                          self.client_address[0], body=body, scheme=scheme, listener=listener, received=received)
            resp = respond(site, req)
            trouble = chaos.pick(site, self.command, path, parts.query) if "chaos" in site.faults else None
            with lock:
                log.append(LoggedRequest(site.site_id, self.command, self.path, resp.status,
                                         self.headers.get("User-Agent", ""), time.time(), received, scheme,
                                         listener, resp.headers.get("Retry-After", "")))
            if trouble is not None:
                chaos.serve(self, site, trouble, resp.body, resp.headers, resp.status)
                return
            self.send_response(resp.status)
            for k, v in resp.headers.items():
                if k.lower() == "content-length":
                    continue
                for value in (v if isinstance(v, list) else [v]):   # several Set-Cookie headers
                    self.send_header(k, value)
            self.send_header("Content-Length", resp.headers.get("Content-Length", str(len(resp.body))))
            self.end_headers()
            if with_body and resp.body:
                self.wfile.write(resp.body)

        def do_GET(self):  # noqa: N802
            self._serve(True)

        def do_HEAD(self):  # noqa: N802
            self._serve(False)

        def do_POST(self):  # noqa: N802
            received = time.time()
            n = int(self.headers.get("Content-Length") or 0)
            self._serve(True, self.rfile.read(n) if n else b"", received)

        def log_message(self, format, *args):  # quiet; requests are in RunningWorld.request_log
            pass

    return Handler


_TLS: ssl.SSLContext | None = None
_TLS_LOCK = threading.Lock()


def tls_context() -> ssl.SSLContext:
    """A server context with a self-signed certificate made once per process (like many county portals'
    certificates, it names no host the crawler asked for: crawlers do not verify it)."""
    global _TLS
    with _TLS_LOCK:
        if _TLS is None:
            import datetime as dt

            from cryptography import x509
            from cryptography.hazmat.primitives import hashes, serialization
            from cryptography.hazmat.primitives.asymmetric import ec
            from cryptography.x509.oid import NameOID

            key = ec.generate_private_key(ec.SECP256R1())
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "devportal.gov.cn")])
            now = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
            cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                    .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=3650 * 3))
                    .sign(key, hashes.SHA256()))
            with tempfile.TemporaryDirectory() as tmp:
                cert_path, key_path = f"{tmp}/cert.pem", f"{tmp}/key.pem"
                with open(cert_path, "wb") as fh:
                    fh.write(cert.public_bytes(serialization.Encoding.PEM))
                with open(key_path, "wb") as fh:
                    fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(cert_path, key_path)
            _TLS = ctx
    return _TLS


class _Server(ThreadingHTTPServer):
    """Plain HTTP and TLS on one port: a connection whose first byte is 0x16 (a TLS handshake) is wrapped."""
    daemon_threads = True
    allow_reuse_address = True
    site: Site | None = None

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)):
            return        # the client hung up: a browser closing a page whose script still polls
        super().handle_error(request, client_address)

    def finish_request(self, request, client_address):
        try:
            request.settimeout(10)
            first = request.recv(1, socket.MSG_PEEK)
        except OSError:
            return
        if not first:
            return
        faults = self.site.faults if self.site is not None else set()
        if first == b"\x16":
            if "tls_broken" in faults:      # an old or broken TLS stack: the handshake never completes
                return
            try:
                tls = tls_context().wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
            try:
                self.RequestHandlerClass(tls, client_address, self)
            finally:
                tls.close()
            return
        if "https_only" in faults:          # nothing answers plain HTTP
            return
        self.RequestHandlerClass(request, client_address, self)


@dataclass
class RunningWorld:
    world: World
    host_base: str
    port: int
    sites: dict[str, str] = field(default_factory=dict)          # site_id -> base URL (as the registry has it)
    served: dict[str, str] = field(default_factory=dict)         # site_id -> base URL where its pages are
    request_log: list[LoggedRequest] = field(default_factory=list)
    outsider: str = ""                                           # base URL of the outside server, if any
    _servers: dict[str, _Server] = field(default_factory=dict)
    _addr: dict[str, tuple[str, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- queries --------------------------------------------------------------------------------
    def requests(self, site_id: str) -> Counter:
        """How many times each path (with query) of a site was requested."""
        with self._lock:
            return Counter(r.path for r in self.request_log if r.site_id == site_id)

    def log(self, site_id: str) -> list[LoggedRequest]:
        """The site's requests in the order they were answered."""
        with self._lock:
            return [r for r in self.request_log if r.site_id == site_id]

    def url(self, site_id: str, path: str = "/") -> str:
        return self.sites[site_id] + path

    def start_url(self, site_id: str) -> str:
        return self.url(site_id, self.world.site(site_id).start_path)

    def expected_reports(self) -> list[ExpectedReport]:
        """Ground truth at the URLs where the pages really are (a moved site's new address, https for
        an https-only site)."""
        return self.world.expected_reports({sid: self.served.get(sid, base) for sid, base in self.sites.items()})

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
        self._extras(site)

    # -- the world changes overnight ---------------------------------------------------------------
    def swap(self, world: World) -> None:
        """Serve `world`'s pages (the same sites, built for another day: `build_world(as_of=…)`) at the same
        addresses, faults kept: new reports appear, lists move on."""
        for new in world.sites:
            old = self.world.site(new.site_id)
            with self._lock:
                old.resources, old.columns, old.documents = new.resources, new.columns, new.documents
        self.world.reports[:] = world.reports
        self.world.noise[:] = world.noise
        self.world.unreachable[:] = world.unreachable

    def revise(self, site_id: str, document_path: str, cells: dict, day: str = "2026-06-01") -> None:
        """The agency republishes a corrected attachment at the same URL: `cells` (cell id → value) changed."""
        from dataclasses import replace as _replace

        from .render import render_docx, render_pdf

        site = self.world.site(site_id)
        report, doc_type = site.documents[document_path]
        revised = _replace(report, cells={**report.cells, **cells})
        res = site.resources[document_path]
        body = render_pdf(revised) if doc_type == "pdf" else render_docx(revised)
        with self._lock:
            res.body, res.make, res.last_modified = body, None, day
            site.documents[document_path] = (revised, doc_type)
        for exp in self.world.reports:
            if exp.site_id == site_id and exp.document_url == document_path and exp.cells is not None:
                exp.cells = {**exp.cells, **cells}

    def withdraw(self, site_id: str, page_path: str) -> None:
        """The agency takes a report down: its page and document answer 404 (the list may still link them)."""
        site = self.world.site(site_id)
        exp = next(r for r in self.world.reports if r.site_id == site_id and r.page_url == page_path)
        with self._lock:
            for path in {exp.page_url, exp.document_url}:
                site.resources.pop(path, None)
        self.world.reports.remove(exp)

    def _listen(self, key: str, site: Site | None, host: str, port: int, log_as: str) -> _Server:
        srv = _Server((host, port), _handler(site, self.request_log, self._lock) if site is not None
                      else _outside_handler(log_as, self.request_log, self._lock))
        srv.site = site
        t = threading.Thread(target=srv.serve_forever, name=f"devportal-{key}", daemon=True)
        t.start()
        self._servers[key] = srv
        return srv

    def _start_site(self, site: Site, host: str, port: int) -> None:
        srv = self._listen(site.site_id, site, host, port, site.site_id)
        self._addr[site.site_id] = srv.server_address[:2]
        base = f"http://{srv.server_address[0]}:{srv.server_address[1]}"
        self.sites[site.site_id] = base.replace("http://", "https://") if "tls_broken" in site.faults else base
        self.served[site.site_id] = base.replace("http://", "https://") if "https_only" in site.faults else base

    def _extras(self, site: Site) -> None:
        """Second listeners some faults need: the moved site's new address, the outside server."""
        if "moved_301" in site.faults and f"{site.site_id}+moved" not in self._servers:
            host = site_host(self.host_base, 100 + site.index)
            srv = self._listen(f"{site.site_id}+moved", site, host, self.port or _free_port(host), site.site_id)
            new = f"http://{srv.server_address[0]}:{srv.server_address[1]}"
            old_host, old_port = self._addr[site.site_id]
            site.fault_state["moved_from"] = f"{old_host}:{old_port}"
            site.fault_state["moved_to"] = new
            self.served[site.site_id] = new
        if "cross_site_links" in site.faults:
            if "+outside" not in self._servers:
                host = site_host(self.host_base, 200)
                srv = self._listen("+outside", None, host, self.port or _free_port(host), OUTSIDE)
                self.outsider = f"http://{srv.server_address[0]}:{srv.server_address[1]}"
            site.fault_state["outsider"] = self.outsider

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


OUTSIDE = "+outside"   # site id of the outside server's requests in the request log


def _outside_handler(log_as: str, log: list, lock: threading.Lock):
    """Another government's portal (not in the registry): every path is a small page; requests are logged."""
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802
            body = ('<html><head><meta charset="utf-8"><title>上级政府门户网站</title></head><body>'
                    '<p>本网站不属于被抓取的站点。</p></body></html>').encode()
            with lock:
                log.append(LoggedRequest(log_as, "GET", self.path, 200, self.headers.get("User-Agent", ""),
                                         time.time(), time.time()))
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET  # noqa: N815

        def log_message(self, format, *args):
            pass

    return Handler


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
            running.sites[site.site_id] = running.served[site.site_id] = f"http://{host}:{p}"
            continue
        running._start_site(site, host, port)
        running._extras(site)
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
