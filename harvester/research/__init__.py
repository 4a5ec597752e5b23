"""What researchers use: the exports and their dictionary, `query`, coverage, derived figures, charts, browse
(Datasette) and the citable release — and, as this package's own names, the research database from Python as
pandas DataFrames (``harvester.research.frames``)::

    import harvester.research as hr
    db = hr.open_db("sqlite:///data/harvester.db")
    db.reports(province="江苏", year=2023)

The names are looked up on first use, so that ``harvester.research.export`` and the rest do not import pandas.
"""
from __future__ import annotations

__all__ = [
    "ResearchDB", "open_db", "reports", "cells", "checks", "dictionary", "data_dictionary",
    "UnknownProvince", "EmptyDatabase", "QueryError",
]


def __getattr__(name: str):
    if not name.startswith("_") and name != "frames":
        import importlib
        frames = importlib.import_module("harvester.research.frames")
        if hasattr(frames, name):
            return getattr(frames, name)
    raise AttributeError(f"module 'harvester.research' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
