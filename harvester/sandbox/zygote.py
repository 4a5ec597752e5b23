"""The sandbox's fork server: one process with the readers imported that forks a worker per document.

``python -m harvester.sandbox.zygote`` is started (once per caller process, on first use) with a pipe
on its stdin; it exits when that pipe closes (its caller is gone). It listens on an abstract Unix
socket. For each connection it forks a *monitor*; the monitor reads the job, forks the *worker* —
own process group, ``RLIMIT_AS``/``RLIMIT_CPU`` set, the caller's HARVESTER_* settings — collects the
worker's pickled result from a pipe until the wall-clock deadline, kills the worker's whole group
when the deadline passes, reaps it with ``wait4`` (exit status and peak resident memory, whatever
way it died) and answers the caller. The caller never forks and never holds a document's memory
beyond its bytes; a worker that aborts, hangs or runs out of memory takes nothing else with it.

Multiprocessing's own forkserver is not used: it re-runs the caller's main script in every child.
"""
from __future__ import annotations

import os
import pickle
import secrets
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

_LOCK = threading.Lock()
_SERVER: dict = {}


# ------------------------------------------------------------------------------------------------ framing

def send(sock: socket.socket, obj) -> None:
    send_raw(sock, pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def send_raw(sock: socket.socket, data) -> None:
    sock.sendall(struct.pack("!Q", len(data)))
    sock.sendall(data)                       # never joined to the header: a document is not copied again


def _exact(sock: socket.socket, n: int) -> bytearray:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:], min(n - got, 1 << 20))
        if not k:
            raise EOFError("connection closed")
        got += k
    return buf


def recv_raw(sock: socket.socket) -> bytearray:
    (n,) = struct.unpack("!Q", _exact(sock, 8))
    return _exact(sock, n)


def recv(sock: socket.socket):
    return pickle.loads(recv_raw(sock))


# ------------------------------------------------------------------------------------------------ caller side

def _start() -> str:
    name = f"\0harvester-sandbox-{os.getpid()}-{secrets.token_hex(6)}"
    proc = subprocess.Popen([sys.executable, "-m", "harvester.sandbox.zygote", name.lstrip("\0")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True)
    line = proc.stdout.readline()
    if not line.startswith(b"ready"):
        proc.kill()
        proc.wait()
        raise OSError(f"the sandbox server did not start: {line[:200]!r}")
    _SERVER.update(proc=proc, name=name, pid=os.getpid())
    return name


def _address() -> str:
    with _LOCK:
        proc = _SERVER.get("proc")
        if proc is None or proc.poll() is not None or _SERVER.get("pid") != os.getpid():
            _SERVER.clear()
            return _start()
        return _SERVER["name"]


def run(job: dict) -> dict:
    """Send one job to the fork server (started on first use) and wait for its answer."""
    for attempt in (1, 2):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            try:
                sock.connect(_address())
            except (ConnectionRefusedError, FileNotFoundError):
                if attempt == 2:
                    raise
                with _LOCK:
                    _SERVER.clear()
                continue
            sock.settimeout(float(job.get("timeout") or 0) + 60 if job.get("timeout") else None)
            data = job.pop("data", b"")
            try:
                send(sock, job)
                send_raw(sock, data)
            finally:
                job["data"] = data
            reply = recv(sock)
            reply["result"] = recv_raw(sock)         # the pickled (Extracted, ParsedReport), unpickled by the caller
            return reply
        finally:
            sock.close()
    raise OSError("unreachable")  # pragma: no cover


def stop() -> None:
    """Stop this process's fork server (tests; it also stops by itself when its caller exits)."""
    with _LOCK:
        proc = _SERVER.pop("proc", None)
        _SERVER.clear()
    if proc is not None:
        proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ------------------------------------------------------------------------------------------------ server side

def _worker(job: dict, w: int) -> None:
    import resource
    try:
        os.setpgid(0, 0)                      # our own group: a converter child dies with us
    except OSError:
        pass
    if _LIBC is not None:                     # and we die with our monitor (a caller killed with SIGKILL)
        try:
            _LIBC.prctl(1, signal.SIGKILL)    # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    mem = int(job.get("memory_mib") or 0)
    if mem > 0:
        resource.setrlimit(resource.RLIMIT_AS, (mem << 20, mem << 20))
    wall = float(job.get("timeout") or 0)
    if wall > 0:
        cpu = int(wall) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    for k in [k for k in os.environ if k.startswith("HARVESTER_")]:
        del os.environ[k]
    os.environ.update(job.get("env") or {})
    from harvester.sandbox.work import work
    try:
        ex, parsed = work(job["data"], job.get("url"), job.get("content_type"), job.get("title"),
                           job.get("meta"), job.get("parse", True))
        job.clear()
        msg = ("done", ex, parsed)
    except MemoryError:
        job.clear()
        msg = ("memory_limit", f"MemoryError under the {mem} MiB limit (HARVESTER_EXTRACT_MEMORY_MIB)", None)
    except BaseException as exc:  # noqa: BLE001 - a reader bug is reported as a corrupt read
        job.clear()
        msg = ("corrupt", f"{type(exc).__name__}: {exc}"[:500], None)
    try:
        payload = pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        payload = pickle.dumps(("memory_limit", "MemoryError while sending the result", None))
    view = memoryview(payload)
    while view:
        n = os.write(w, view[:1 << 20])
        view = view[n:]


def _monitor(conn: socket.socket) -> None:
    job = recv(conn)
    job["data"] = bytes(recv_raw(conn))
    r, w = os.pipe()
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            conn.close()
            os.close(r)
            _worker(job, w)
        except BaseException:  # noqa: BLE001
            code = 70
        finally:
            os._exit(code)
    os.close(w)
    data = job.pop("data", None)
    del data
    wall = float(job.get("timeout") or 0)
    deadline = t0 + wall if wall > 0 else None
    chunks, timed_out = [], False
    while True:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            timed_out = True
            break
        ready, _, _ = select.select([r], [], [], left)
        if ready:
            b = os.read(r, 1 << 20)
            if not b:
                break
            chunks.append(b)
    if timed_out:
        for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
            try:
                kill()
            except OSError:
                pass
    _, status, ru = os.wait4(pid, 0)
    try:
        os.killpg(pid, signal.SIGKILL)        # converters the worker left behind
    except OSError:
        pass
    os.close(r)
    result = b"".join(chunks) if not timed_out else b""
    del chunks
    send(conn, {"wait": status, "timed_out": timed_out, "maxrss_mib": ru.ru_maxrss / 1024,
                "seconds": time.monotonic() - t0})
    send_raw(conn, result)


_LIBC = None


def serve(name: str) -> None:
    global _LIBC
    import harvester.sandbox.preload  # noqa: F401 - the readers, imported once for every fork
    try:
        import ctypes
        _LIBC = ctypes.CDLL(None)
    except OSError:
        _LIBC = None
    import gc
    gc.collect()
    gc.freeze()          # the preloaded objects are never scanned again: a fork does not copy their pages
    lst = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lst.bind("\0" + name)
    lst.listen(128)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)      # monitors are reaped by the kernel
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    stdin = sys.stdin.fileno()
    while True:
        ready, _, _ = select.select([lst, stdin], [], [])
        if stdin in ready and not os.read(stdin, 4096):
            return                                      # the caller is gone
        if lst in ready:
            try:
                conn, _ = lst.accept()
            except OSError:
                continue
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    lst.close()
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    _monitor(conn)
                except BaseException:  # noqa: BLE001
                    code = 1
                finally:
                    os._exit(code)
            conn.close()


if __name__ == "__main__":
    serve(sys.argv[1])
