"""The simulated portal world: realistic government portals served on loopback, with ground truth.

- `reports`  — generated annual reports (cells satisfying H1–H4, narrative) and their HTML/PDF/DOCX renderings
- `world`    — sites built deterministically from a seed: pages, columns, noise, quirks, expected reports
- `faults`   — named per-site faults (column_404, down, broken_pdf, …)
- `server`   — one threaded HTTP server per site on its own loopback address; registry CSV writer

Run `python -m harvester.devportal serve --port 8765 --registry data/demo-sites.csv`.
"""
from __future__ import annotations

from .reports import GeneratedReport, hard_check_failures, make_report

from .render import render_docx, render_html, render_pdf
from .world import ExpectedReport, Site, World, build_world
from .server import RunningWorld, start_world, write_registry

__all__ = [
    "GeneratedReport", "make_report", "render_html", "render_pdf", "render_docx", "hard_check_failures",
    "World", "Site", "ExpectedReport", "build_world",
    "RunningWorld", "start_world", "write_registry",
]
