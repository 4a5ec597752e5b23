"""Read one document (extract + parse) in a worker process under a memory limit and a time budget.

A document can abort the process that reads it (pdfium calls ``abort()`` when an allocation fails),
loop for minutes or ask for gigabytes, and nothing in Python can catch that. So every document is
read in a fresh worker forked from a fork server that has the readers imported (``zygote.py``; a fork
costs a few milliseconds, the readers are not imported again): the worker sets ``RLIMIT_AS`` (virtual memory,
``HARVESTER_EXTRACT_MEMORY_MIB``) and ``RLIMIT_CPU`` on itself, in its own process group (so a
LibreOffice or Tesseract child is killed with it), reads, parses and sends the result back through a
pipe. Its monitor waits at most ``HARVESTER_EXTRACT_TIMEOUT`` wall seconds, kills the group when time
is up and reaps it with ``wait4`` (exit status, peak resident memory). An abort, a hang or an OOM
costs one worker, never the caller.

``read_document`` returns a ``ReadResult`` whose ``status`` is one of

- ``ok``           the reader finished (the document may still be image_only, empty … — ``extracted.problem``)
- ``too_large``    over a budget (``harvester/extract/budget.py``), the size limit or the ZIP-bomb guard
- ``timeout``      over the wall-clock or CPU budget, or a converter's own timeout
- ``memory_limit`` an allocation failed under the memory limit (MemoryError in the worker)
- ``crashed``      the worker died of a signal (``detail`` names it: SIGABRT, SIGSEGV …)
- ``encrypted``    password-protected
- ``corrupt``      not readable as its type

When the worker gives no result, ``extracted`` carries the status as its ``problem`` (so the report's
``parse_status`` says ``timeout``/``memory_limit``/``crashed``) and ``parsed`` is the parser's verdict
on that. ``HARVESTER_SANDBOX=0`` reads in-process (debugging only).
"""
from __future__ import annotations

import os
import pickle
import signal
import time
from dataclasses import dataclass

from harvester.extract.base import Extracted
from harvester.extract.safety import setting
from harvester.sandbox.work import work

STATUSES = ("ok", "too_large", "timeout", "memory_limit", "crashed", "encrypted", "corrupt")


@dataclass
class ReadResult:
    status: str
    detail: str = ""
    seconds: float = 0.0
    peak_mib: float | None = None
    extracted: Extracted | None = None
    parsed: object = None          # harvester.report.ParsedReport, when parsing was asked for

    def as_row(self) -> dict:
        """What the documents table keeps of a read."""
        return {"read_status": self.status, "read_detail": (self.detail or "")[:2000],
                "read_seconds": round(self.seconds, 3),
                "read_peak_mib": round(self.peak_mib, 1) if self.peak_mib is not None else None}


def memory_mib() -> int:
    return int(setting("HARVESTER_EXTRACT_MEMORY_MIB", 2048))


def timeout_s() -> float:
    return float(setting("HARVESTER_EXTRACT_TIMEOUT", 180.0))


def enabled() -> bool:
    raw = os.environ.get("HARVESTER_SANDBOX")
    if raw is not None and raw.strip():
        return raw.strip().lower() not in ("0", "false", "no", "off")
    return bool(setting("HARVESTER_SANDBOX", True))


def status_of(ex: Extracted | None) -> tuple[str, str]:
    """The read status an extractor's verdict amounts to."""
    if ex is None or ex.problem is None:
        return "ok", ""
    p, d = ex.problem, ex.detail or ex.problem
    if p in ("too_large", "zip_bomb"):
        return "too_large", d
    if p in ("converter_timeout", "timeout"):
        return "timeout", d
    if p in ("memory_limit", "crashed", "encrypted"):
        return p, d
    if p == "corrupt":
        return ("memory_limit", d) if "MemoryError" in d else ("corrupt", d)
    return "ok", d        # read to the end: image_only, empty, no_unicode_map … are the document's, not the read's


def _failed(status: str, detail: str, data: bytes, url, content_type, title, meta, parse) -> tuple:
    from harvester.extract import sniff
    try:
        kind = sniff(data, url, content_type)
    except Exception:  # noqa: BLE001
        kind = "unknown"
    ex = Extracted(kind=kind, problem=status, detail=detail)
    parsed = None
    if parse:
        from harvester.report import parse_extracted
        parsed = parse_extracted(ex, title=title, meta=meta)
    return ex, parsed


def read_document(data: bytes, *, url: str | None = None, content_type: str | None = None,
                  title: str | None = None, meta: dict | None = None, parse: bool = True,
                  memory_mib_limit: int | None = None, timeout: float | None = None,
                  settings: dict | None = None) -> ReadResult:
    """Extract (and parse) one document in a sandboxed worker. Never raises on a bad document.
    ``settings``: harvester settings (environment variables) for this read only, e.g. a budget."""
    mem = memory_mib() if memory_mib_limit is None else int(memory_mib_limit)
    wall = timeout_s() if timeout is None else float(timeout)
    t0 = time.monotonic()
    if not enabled():
        ex, parsed = work(data, url, content_type, title, meta, parse)
        st, detail = status_of(ex)
        return ReadResult(st, detail, time.monotonic() - t0, None, ex, parsed)
    from harvester.sandbox import zygote
    env = {k: v for k, v in os.environ.items() if k.startswith("HARVESTER_")}
    env.update(settings or {})
    job = {"data": data, "url": url, "content_type": content_type, "title": title, "meta": meta,
           "parse": parse, "env": env, "memory_mib": mem, "timeout": wall}
    try:
        reply = zygote.run(job)
    except (OSError, EOFError, pickle.UnpicklingError) as exc:
        reply = {"wait": None, "error": f"the sandbox server failed: {type(exc).__name__}: {exc}"}
    seconds = reply.get("seconds") or (time.monotonic() - t0)
    peak = reply.get("maxrss_mib")
    msg = None
    if reply.get("result"):
        try:
            msg = pickle.loads(reply["result"])
        except Exception:  # noqa: BLE001 - a result cut short by a dying worker
            msg = None
    if msg is not None:
        kind, ex, parsed = msg
        if kind == "done":
            st, detail = status_of(ex)
            return ReadResult(st, detail, seconds, peak, ex, parsed)
        status, detail = kind, ex
    elif reply.get("timed_out"):
        status, detail = "timeout", f"still reading after {wall:g} s (HARVESTER_EXTRACT_TIMEOUT): the worker was killed"
    elif reply.get("error"):
        status, detail = "crashed", reply["error"]
    else:
        status, detail = _death(reply.get("wait"), mem, wall)
    ex, parsed = _failed(status, detail, data, url, content_type, title, meta, parse)
    return ReadResult(status, detail, seconds, peak, ex, parsed)


def _death(wait_status, mem: int, wall: float) -> tuple[str, str]:
    if wait_status is not None and os.WIFSIGNALED(wait_status):
        sig = os.WTERMSIG(wait_status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        if sig == signal.SIGXCPU:
            return "timeout", f"over the CPU budget of {int(wall) + 1} s (SIGXCPU)"
        detail = f"the reader died of {name}"
        if sig in (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGTRAP, signal.SIGKILL):
            detail += (f" (native code, e.g. pdfium, aborts when an allocation fails under the {mem} MiB "
                       f"memory limit HARVESTER_EXTRACT_MEMORY_MIB)")
        return "crashed", detail
    code = os.WEXITSTATUS(wait_status) if wait_status is not None and os.WIFEXITED(wait_status) else wait_status
    return "crashed", f"the worker exited with code {code} without a result"


def read_path(path, *, memory_mib: int | None = None, timeout: float | None = None):
    """(ParsedReport, ReadResult) of a local file read in the sandbox; its SHA-256 is the cells' document."""
    import hashlib
    from pathlib import Path
    data = Path(path).read_bytes()
    r = read_document(data, memory_mib_limit=memory_mib, timeout=timeout)
    r.parsed.document_sha256 = hashlib.sha256(data).hexdigest()
    return r.parsed, r
