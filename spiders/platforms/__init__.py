"""One adapter per CMS family: how to list a column's pages, its items, and a detail page's body.

Every adapter has the same small interface (`Platform`); `detect()` picks one for a response when
the registry does not name the platform. Adding a family is adding one module here.
"""
from __future__ import annotations

from .base import ListItem, Platform
from .generic import GenericPlatform
from .trs import TrsPlatform

ADAPTERS: dict[str, Platform] = {"trs": TrsPlatform(), "generic": GenericPlatform()}


def adapter_for(response, declared: str = "") -> Platform:
    if declared and declared in ADAPTERS:
        return ADAPTERS[declared]
    for adapter in ADAPTERS.values():
        if adapter.name != "generic" and adapter.detect(response):
            return adapter
    return ADAPTERS["generic"]


__all__ = ["ADAPTERS", "ListItem", "Platform", "adapter_for"]
