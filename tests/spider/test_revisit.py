"""The revisit policy of report columns (harvester/crawl/revisit.py): nightly while a column changes, less often the
longer it stays unchanged, always nightly in the publishing season (1 January – 31 March)."""
from __future__ import annotations

import datetime as dt

import pytest

from harvester.crawl import revisit

UTC = dt.timezone.utc


def at(day: str, hour: int = 2) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


@pytest.fixture(autouse=True)
def real_calendar(monkeypatch):
    monkeypatch.delenv("HARVESTER_TODAY", raising=False)


def test_a_column_that_changed_recently_is_checked_every_night():
    s = revisit.after_check(None, changed=True, now=at("2026-06-01"))
    assert s["interval_days"] == 1 and s["changes"] == 1 and s["checks"] == 1
    # unchanged since, but for less than a month: still nightly
    for day in ("2026-06-02", "2026-06-15", "2026-07-01"):
        s = revisit.after_check(s, changed=False, now=at(day))
        assert s["interval_days"] == 1, day
        assert revisit.is_due(s, at(day, 3))


def test_the_wait_grows_with_months_unchanged_and_is_bounded():
    s = revisit.after_check(None, changed=True, now=at("2025-04-01"))
    waits = {}
    for day in ("2025-06-01", "2025-08-01", "2025-10-01", "2026-04-20"):
        s = revisit.after_check(s, changed=False, now=at(day))
        waits[day] = s["interval_days"]
    assert waits["2025-06-01"] > 1
    assert list(waits.values()) == sorted(waits.values())
    assert waits["2026-04-20"] == revisit.MAX_NIGHTS
    # not due the next night, due once the wait is over
    assert not revisit.is_due(s, at("2026-04-21"))
    assert revisit.is_due(s, at("2026-04-20") + dt.timedelta(days=revisit.MAX_NIGHTS))


def test_a_change_brings_the_column_back_to_nightly():
    s = revisit.after_check(None, changed=True, now=at("2025-04-01"))
    s = revisit.after_check(s, changed=False, now=at("2025-11-01"))
    assert s["interval_days"] > 1
    s = revisit.after_check(s, changed=True, now=at("2025-11-20"))
    assert s["interval_days"] == 1 and s["changes"] == 2 and s["history"] == ["2025-04-01", "2025-11-20"]


@pytest.mark.parametrize("day", ["2026-01-01", "2026-01-31", "2026-03-31"])
def test_the_publishing_season_is_always_nightly(day):
    s = revisit.after_check(None, changed=True, now=at("2024-10-01"))
    s = revisit.after_check(s, changed=False, now=at("2025-12-30"))
    assert s["interval_days"] == revisit.MAX_NIGHTS
    assert revisit.is_due(s, at(day))                 # whatever the schedule said
    assert revisit.interval_nights(s["last_changed_at"], dt.date.fromisoformat(day)) == 1
    assert not revisit.in_season(dt.date(2026, 4, 1))


def test_the_calendar_can_be_set(monkeypatch):
    s = revisit.after_check(None, changed=True, now=at("2025-04-01"))
    s = revisit.after_check(s, changed=False, now=at("2025-12-01"))
    assert not revisit.is_due(s, at("2025-12-02"))
    monkeypatch.setenv("HARVESTER_TODAY", "2026-02-10")
    assert revisit.is_due(s, at("2025-12-02"))        # the season of the calendar set


def test_a_first_check_that_finds_nothing_new_counts_no_change():
    """A column first checked on a night with nothing new (its items known from a listing elsewhere) has a
    complete schedule: 1 check, 0 changes — every field the column_schedule table requires."""
    s = revisit.after_check(None, False)
    assert (s["checks"], s["changes"]) == (1, 0)
    assert all(s[k] is not None for k in ("last_checked_at", "last_changed_at", "interval_days", "next_due_at"))
    assert revisit.after_check(s, False)["changes"] == 0 and revisit.after_check(s, True)["changes"] == 1
