"""Fixtures of the extraction tests: the PDF builders (``pdfbuild``) and the real corpus PDFs."""
from __future__ import annotations

import pytest

import pdfbuild


@pytest.fixture(scope="session")
def pdfgen():
    """The PDF builders and constants (``pdfbuild``)."""
    return pdfbuild


@pytest.fixture(scope="session")
def real_pdfs():
    return {k: p.read_bytes() for k, p in pdfbuild.REAL.items()}
