"""Running external converters on untrusted documents: LibreOffice headless, antiword, Tesseract.

Every call:
- works in a private temporary directory (``safety.private_tempdir``, mode 0700) that is removed in a
  ``finally``, whatever happens; the input is written there under a fixed name (``in.doc``…), never a
  name taken from a URL or a Content-Disposition header;
- LibreOffice gets a profile of its own inside that directory
  (``-env:UserInstallation=file:///tmp/harvester-…/profile``), so concurrent conversions never share
  or lock a profile and nothing is left in ``~/.config``; ``HOME`` points there too;
- runs in a new session (its own process group) with a timeout; on timeout the whole group is killed
  (LibreOffice's ``oosplash`` starts ``soffice.bin`` as a child) and ``ConverterTimeout`` is raised.

Errors: ``ConverterUnavailable`` (the program is not installed), ``ConverterTimeout``,
``ConverterError`` (it ran and produced nothing usable).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from .safety import converter_timeout, private_tempdir, setting


class ConverterError(Exception):
    pass


class ConverterUnavailable(ConverterError):
    pass


class ConverterTimeout(ConverterError):
    pass


def soffice_path() -> str | None:
    explicit = setting("HARVESTER_SOFFICE", "") or ""
    if explicit:
        return explicit if os.path.exists(explicit) or shutil.which(explicit) else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def run(cmd: list[str], *, timeout: float, cwd: str, env: dict | None = None,
        stdin: bytes | None = None) -> tuple[int, bytes, bytes]:
    """Run ``cmd`` in its own process group; kill the group on timeout. (returncode, stdout, stderr)."""
    try:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    except FileNotFoundError as exc:
        raise ConverterUnavailable(f"{cmd[0]} is not installed") from exc
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise ConverterTimeout(f"{Path(cmd[0]).name} did not finish within {timeout:g} s") from None
    except BaseException:
        _kill_group(proc)
        raise
    finally:
        # children that outlive a finished leader (LibreOffice helpers) go too
        _kill_group(proc, only_children=True)
    return proc.returncode, out, err


def _kill_group(proc: subprocess.Popen, only_children: bool = False) -> None:
    try:
        pgid = os.getpgid(proc.pid) if proc.poll() is None else proc.pid
    except ProcessLookupError:
        pgid = proc.pid
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if not only_children:
        try:
            proc.communicate(timeout=5)
        except Exception:  # pragma: no cover
            pass
    elif proc.poll() is None:  # pragma: no cover - leader still alive after the group kill
        proc.kill()
        proc.wait(timeout=5)


def _private_env(home: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ", "SAL_USE_VCLPLUGIN")}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env.setdefault("LANG", "C.UTF-8")
    env["HOME"] = home
    env["TMPDIR"] = home
    return env


def libreoffice_convert(data: bytes, src_ext: str, target: str = "docx", *, timeout: float | None = None) -> bytes:
    """Convert ``data`` (a .doc/.wps/.rtf/… document) with LibreOffice headless; the converted bytes."""
    exe = soffice_path()
    if not exe:
        raise ConverterUnavailable("LibreOffice (soffice) is not installed")
    timeout = converter_timeout() if timeout is None else timeout
    with private_tempdir("soffice") as tmp:
        src = Path(tmp) / f"in.{src_ext}"
        src.write_bytes(data)
        outdir = Path(tmp) / "out"
        outdir.mkdir()
        profile = Path(tmp) / "profile"
        cmd = [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--invisible", "--nologo",
               "--norestore", "--nodefault", "--nolockcheck", "--nofirststartwizard",
               "--convert-to", target, "--outdir", str(outdir), str(src)]
        code, out, err = run(cmd, timeout=timeout, cwd=tmp, env=_private_env(tmp))
        produced = sorted(outdir.glob("in.*"))
        if not produced or produced[0].stat().st_size == 0:
            msg = (err or out).decode("utf-8", "replace").strip().splitlines()
            raise ConverterError(f"LibreOffice could not convert the document (exit {code}): "
                                 f"{msg[-1] if msg else 'no output'}"[:300])
        return produced[0].read_bytes()


def antiword_text(data: bytes, *, timeout: float | None = None) -> str:
    """Text of a Word 97–2003 document with antiword (UTF-8; table rows as ``|cell|cell|``)."""
    exe = shutil.which("antiword")
    if not exe:
        raise ConverterUnavailable("antiword is not installed")
    timeout = converter_timeout() if timeout is None else timeout
    with private_tempdir("antiword") as tmp:
        src = Path(tmp) / "in.doc"
        src.write_bytes(data)
        env = _private_env(tmp)
        env["ANTIWORDHOME"] = "/usr/share/antiword"
        code, out, err = run([exe, "-m", "UTF-8.txt", "-w", "0", str(src)], timeout=timeout, cwd=tmp, env=env)
        if code != 0:
            msg = err.decode("utf-8", "replace").strip().splitlines()
            raise ConverterError(f"antiword failed (exit {code}): {msg[-1] if msg else ''}"[:300])
        return out.decode("utf-8", "replace")


def tesseract_ocr(image_png: bytes, *, lang: str = "chi_sim", psm: int = 6, timeout: float | None = None,
                  tsv: bool = False) -> str:
    """OCR one image (PNG bytes) with Tesseract: plain text, or its TSV of word boxes (``tsv=True``)."""
    exe = shutil.which("tesseract")
    if not exe:
        raise ConverterUnavailable("tesseract is not installed")
    timeout = converter_timeout() if timeout is None else timeout
    with private_tempdir("ocr") as tmp:
        src = Path(tmp) / "in.png"
        src.write_bytes(image_png)
        env = _private_env(tmp)
        env["OMP_THREAD_LIMIT"] = "1"
        cmd = [exe, str(src), "stdout", "-l", lang, "--psm", str(psm)]
        if tsv:
            cmd += ["-c", "preserve_interword_spaces=1", "tsv"]
        code, out, err = run(cmd,
                             timeout=timeout, cwd=tmp, env=env)
        if code != 0:
            msg = err.decode("utf-8", "replace").strip().splitlines()
            raise ConverterError(f"tesseract failed (exit {code}): {msg[-1] if msg else ''}"[:300])
        return out.decode("utf-8", "replace")


def _plausible(ch: str) -> bool:
    o = ord(ch)
    return (32 <= o < 127 or ch in "\t\n\r\xa0·×÷°±§№" or 0x4E00 <= o <= 0x9FFF or 0x3000 <= o <= 0x303F
            or 0xFF00 <= o <= 0xFFEF or 0x2000 <= o <= 0x206F or 0x2460 <= o <= 0x24FF or 0x3400 <= o <= 0x4DBF
            or 0x2150 <= o <= 0x218F or 0x25A0 <= o <= 0x25FF)


def garbled(text: str, sample: int = 4000, share: float = 0.7) -> str | None:
    """Why ``text`` looks like bytes decoded as text (what a converter makes of a damaged file), or None.

    A report's text is Chinese, ASCII and CJK punctuation; decoded noise spreads over the whole
    character set (Hangul, private use, controls), so less than ``share`` plausible characters is noise."""
    s = [ch for ch in text[:sample] if not ch.isspace()]
    if len(s) < 20:
        return None
    good = sum(1 for ch in s if _plausible(ch))
    if good < share * len(s):
        return f"the text is noise ({good} of {len(s)} characters plausible): a damaged file decoded as text"
    return None
