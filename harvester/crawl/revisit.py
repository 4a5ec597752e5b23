"""Revisit policy per report column: how many nights between two checks, from the column's change history.

Like the adaptive schedules of Nutch (AdaptiveFetchSchedule) and Heritrix (WaitEvaluator): a column that
brought something new recently is checked every night; the longer it stays unchanged, the longer the wait,
up to `MAX_NIGHTS`. A change brings it back to nightly at once. During the publishing season (1 January –
31 March: the reports are due by 31 January, the departments' by 31 March) every column is due every night,
whatever its history.

    interval_nights(last_changed, today)   the wait after a check (1 = every night)
    next_due(checked_at, interval, today)  when the column is due again (None: at the next run)
    is_due(schedule, now)                  True when the column must be walked in this run

An interval of n nights means "due when n − ½ days have passed since the last check": nightly runs start at
slightly different times, and an interval of 1 is every run. `HARVESTER_TODAY` (an ISO date) sets the
calendar the policy reads (tests, replays); the clock of the checks themselves is the real one.
"""
from __future__ import annotations

import datetime as dt
import os

RECENT_DAYS = 30          # changed within this many days: nightly
GROWTH_DAYS = 20          # beyond that, one more night of wait per this many unchanged days
MAX_NIGHTS = 14           # never less often than every two weeks
HISTORY = 12              # change dates kept per column


def today(now: dt.datetime | None = None) -> dt.date:
    forced = os.environ.get("HARVESTER_TODAY")
    if forced:
        return dt.date.fromisoformat(forced)
    return (now or dt.datetime.now(dt.timezone.utc)).date()


def in_season(day: dt.date) -> bool:
    """1 January – 31 March: the annual reports are being published."""
    return day.month <= 3


def interval_nights(last_changed: dt.datetime | None, day: dt.date) -> float:
    """Nights until the next check of a column that last changed at `last_changed` (None: never seen change)."""
    if in_season(day):
        return 1.0
    if last_changed is None:
        return 1.0
    unchanged = (day - last_changed.date()).days
    if unchanged <= RECENT_DAYS:
        return 1.0
    return float(min(MAX_NIGHTS, 1 + (unchanged - RECENT_DAYS) // GROWTH_DAYS))


def next_due(checked_at: dt.datetime, interval: float) -> dt.datetime:
    return checked_at + dt.timedelta(days=max(interval - 0.5, 0.0))


def is_due(schedule: dict | None, now: dt.datetime | None = None) -> bool:
    """A column with no schedule yet, in the season, or whose wait is over."""
    now = now or dt.datetime.now(dt.timezone.utc)
    if not schedule or in_season(today(now)) or (schedule.get("interval_days") or 1) <= 1:
        return True
    due = schedule.get("next_due_at")
    return due is None or now >= due


def after_check(schedule: dict | None, changed: bool, now: dt.datetime | None = None) -> dict:
    """The column's schedule after a check that found something new (`changed`) or not."""
    now = now or dt.datetime.now(dt.timezone.utc)
    s = dict(schedule or {})
    s["checks"] = (s.get("checks") or 0) + 1
    s["changes"] = (s.get("changes") or 0) + (1 if changed else 0)    # a first check may find nothing new
    history = list(s.get("history") or [])
    if changed:
        s["last_changed_at"] = now
        history = (history + [today(now).isoformat()])[-HISTORY:]
    elif s.get("last_changed_at") is None:
        s["last_changed_at"] = now           # first check: the column is as it is since now
    s["history"] = history
    s["last_checked_at"] = now
    s["interval_days"] = interval_nights(s["last_changed_at"], today(now))
    s["next_due_at"] = next_due(now, s["interval_days"])
    return s
