"""One adapter per CMS family: how to list a column's pages, its items, and a detail page's body.

Every adapter has the same small interface (`Platform`, see base.py); `adapter_for()` takes the registry's
`platform` when its adapter recognises the page, else the first adapter that detects it, else the declared
one, else the generic fallback — a TRS portal whose disclosure part is a gkmlpt shell gets the gkmlpt
adapter there. Adding a family is adding one module here (and its simulated site and tests).
"""
from __future__ import annotations

from .base import Fetch, ListItem, Platform
from .generic import GenericPlatform
from .gkmlpt import GkmlptPlatform
from .hanweb import HanwebPlatform
from .trs import TrsPlatform

ADAPTERS: dict[str, Platform] = {"gkmlpt": GkmlptPlatform(), "hanweb": HanwebPlatform(), "trs": TrsPlatform(),
                                 "generic": GenericPlatform()}


def adapter_for(response, declared: str = "") -> Platform:
    declared_adapter = ADAPTERS.get(declared) if declared else None
    if declared_adapter is not None and declared_adapter.detect(response):
        return declared_adapter
    for adapter in ADAPTERS.values():
        if adapter.name != "generic" and adapter is not declared_adapter and adapter.detect(response):
            return adapter
    return declared_adapter or ADAPTERS["generic"]


__all__ = ["ADAPTERS", "Fetch", "ListItem", "Platform", "adapter_for"]
