#!/usr/bin/env bash
# Prepare a fresh machine (Debian, Python 3.11): the Debian packages the harvester needs, then a
# virtualenv with the exact pinned dependencies and the project installed in it. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
# Debian packages, listed in one place:
#   fonts-wqy-zenhei  a CJK font, so simulated scanned reports (（图片版）) render Chinese glyphs
#   chromium          the browser scrapy-playwright drives for JavaScript-built lists (Playwright cannot
#                     download its own browser here; harvester.settings points it at /usr/lib/chromium)
#   libreoffice-writer-nogui  LibreOffice headless: converts DOC/WPS (and RTF as a fallback) to DOCX
#                     (harvester/extract/convert.py; the smallest package set whose soffice --convert-to works)
#   antiword          reads a Word 97-2003 DOC's text when LibreOffice cannot
#   tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng  OCR of scanned reports and images (HARVESTER_OCR=1)
#                     with the Chinese model and the English one, which reads the digits better
DEBIAN_PACKAGES=(fonts-wqy-zenhei chromium libreoffice-writer-nogui antiword tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng
                 ${HARVESTER_DEBIAN_PACKAGES:-})

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "setup: missing Debian packages (run as root or install them): ${missing[*]}" >&2
    exit 1
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.installed-$(cat requirements.txt pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setup: installing pinned dependencies"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r requirements.txt
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps -e .
  rm -f "$VENV"/.installed-*
  touch "$stamp"
fi

# pywb for `harvester replay`, in a virtualenv of its own: its pins conflict with requirements.txt and gevent
# monkey-patches, so it is never imported into the harvester's process (harvester/evidence/replay.py runs its `wayback`).
REPLAY_VENV=${REPLAY_VENV:-.venv-replay}
if [ ! -x "$REPLAY_VENV/bin/python" ]; then
  echo "setup: creating $REPLAY_VENV"
  "$PYTHON" -m venv "$REPLAY_VENV"
fi
replay_stamp="$REPLAY_VENV/.installed-$(sha256sum requirements-replay.txt | cut -c1-16)"
if [ ! -f "$replay_stamp" ]; then
  echo "setup: installing pywb (requirements-replay.txt)"
  "$REPLAY_VENV/bin/pip" install -q --disable-pip-version-check -r requirements-replay.txt
  rm -f "$REPLAY_VENV"/.installed-*
  touch "$replay_stamp"
fi
