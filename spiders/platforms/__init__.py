"""One adapter per CMS family: how to list a column's pages, its items, and a detail page's body.

Every adapter has the same small interface (`Platform`, see base.py); `adapter_for()` takes the registry's
`platform` when its adapter recognises the page, else the first adapter that detects it, else the declared
one, else the generic fallback — a TRS portal whose disclosure part is a gkmlpt shell gets the gkmlpt
adapter there. Adding a family is adding one module here (and its simulated site and tests).

Whatever the family, page data is read as data (`scriptdata`: the objects in a page's scripts, parsed by a
JavaScript-literal parser), and every column page also goes through the generic step of `inline`: report
items in inline data, list fragments loaded from URLs only scripts name.
"""
from __future__ import annotations

from .base import Fetch, ListItem, Platform
from .generic import GenericPlatform
from .gkmlpt import GkmlptPlatform
from .hanweb import HanwebPlatform
from .inline import FragmentPlatform
from .trs import TrsPlatform

# "fragment" reads the answers of list fragments any page loads (spiders/platforms/inline.py); it detects no page
ADAPTERS: dict[str, Platform] = {"gkmlpt": GkmlptPlatform(), "hanweb": HanwebPlatform(), "trs": TrsPlatform(),
                                 "generic": GenericPlatform(), "fragment": FragmentPlatform()}


def adapter_for(response, declared: str = "") -> Platform:
    # "generic" in the registry says "no known family": a family the page shows still reads it better
    declared_adapter = ADAPTERS.get(declared) if declared and declared != "generic" else None
    if declared_adapter is not None and declared_adapter.detect(response):
        return declared_adapter
    for adapter in ADAPTERS.values():
        if adapter.name != "generic" and adapter is not declared_adapter and adapter.detect(response):
            return adapter
    return declared_adapter or ADAPTERS["generic"]


__all__ = ["ADAPTERS", "Fetch", "ListItem", "Platform", "adapter_for"]
