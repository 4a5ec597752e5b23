"""The checks every document passes before a reader opens it: the ZIP-bomb guard of ZIP-based packages (DOCX,
XLSX, OFD …, and the DOCX a converter made of a DOC/WPS), and whether scans are OCRed."""
from __future__ import annotations

import zipfile

from .base import Extracted
from .config import setting
from .safety import ZipBomb, check_zip


def guard_package(data: bytes, kind: str) -> Extracted | None:
    """The ZIP-bomb guard for ZIP packages: an Extracted with the problem, or None when safe."""
    try:
        if check_zip(data).encrypted:
            return Extracted(kind=kind, problem="encrypted",
                             detail="the package's members are encrypted (a password-protected ZIP): cannot be read")
    except ZipBomb as exc:
        return Extracted(kind=kind, problem="zip_bomb", detail=f"refused to open the package: {exc}"[:500])
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        return Extracted(kind=kind, problem="corrupt", detail=f"not a readable ZIP package: {type(exc).__name__}: {exc}"[:500])
    return None


def ocr_on() -> bool:
    return bool(setting("HARVESTER_OCR", False))
