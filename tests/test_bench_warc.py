"""bench/bench_warc.py checks the issue's target (crawl wall time with WARC ≤ 1.10× without): the figures are
printed either way, and it exits 1 saying which run is over. The crawls themselves are not run here."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_warc.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_warc", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def figures(first_with, second_with, without=(10.0, 3.0)):
    times = {True: {"first": [first_with, 99.0, first_with], "second": [second_with] * 3},   # medians: the outlier
             False: {"first": [without[0]] * 3, "second": [without[1]] * 3}}                 # is left out
    cpu = {w: {n: [1.0] * 3 for n in t} for w, t in times.items()}
    disk = {True: {"reports": 155, "records": 343, "warc": 3_340_000, "cdxj": 130_000, "plain": 0},
            False: {"reports": 155, "records": 0, "warc": 0, "cdxj": 0, "plain": 5_680_000}}
    return times, cpu, disk


def test_within_the_target_exits_0_and_prints_the_figures(bench, capsys):
    assert bench.TARGET == 1.10
    assert bench.report(*figures(10.7, 3.3), rounds=3) == 0          # 1.07×, exactly 1.10×
    out = capsys.readouterr()
    assert "| first run, wall s | 10.00 | 10.70 | 1.070 |" in out.out
    assert "| second run, wall s | 3.00 | 3.30 | 1.100 |" in out.out
    assert "kB per report" in out.out and "ok: wall-time ratio ≤ 1.10×" in out.out and not out.err


def test_above_the_target_exits_1_and_says_which_run(bench, capsys):
    assert bench.report(*figures(10.5, 3.6), rounds=3) == 1           # second run 1.20×
    out = capsys.readouterr()
    assert "| second run, wall s | 3.00 | 3.60 | 1.200 |" in out.out      # the figures still printed
    assert "FAIL" in out.err and "second run 1.200× wall > 1.10×" in out.err and "first run" not in out.err


def test_main_returns_the_verdict(bench, monkeypatch, capsys):
    monkeypatch.setattr(bench, "measure", lambda args: figures(11.5, 3.1))
    assert bench.main(["--rounds", "3"]) == 1
    assert "first run 1.150× wall" in capsys.readouterr().err
    monkeypatch.setattr(bench, "measure", lambda args: figures(10.1, 3.1))
    assert bench.main([]) == 0
    assert BENCH.read_text(encoding="utf-8").rstrip().endswith("sys.exit(main())")     # the exit status
