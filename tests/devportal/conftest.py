from __future__ import annotations

import pytest

from harvester.devportal import build_world, start_world


@pytest.fixture(scope="session")
def world():
    """The default world (not served; do not switch faults on it)."""
    return build_world()


@pytest.fixture(scope="module")
def running():
    """A freshly built world served on loopback for one test module."""
    r = start_world(build_world())
    try:
        yield r
    finally:
        r.stop()
