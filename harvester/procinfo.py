"""The process's own peak memory, as crawl runs record it and the benchmarks measure it."""
from __future__ import annotations

import resource


def peak_rss_kb() -> int:
    """Peak resident set of this process in kB: Linux's VmHWM, which starts afresh at exec (``ru_maxrss`` of a
    child would also count the forking parent's pages); ``ru_maxrss`` where /proc is missing."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
