# The two commands of the README: `make demo` (the main job on the embedded default) and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test bench bench-reliability clean

setup:
	@bash scripts/setup.sh

## Serve the simulated portals on loopback, crawl them into data/harvester.db, print a summary, export CSVs.
demo: setup
	$(BIN)/harvester demo --db sqlite:///data/harvester.db --out exports

## The whole test suite (SQLite, PostgreSQL, loopback HTTP servers).
test: setup
	$(BIN)/python -m pytest -q

## Benchmarks (figures in the README's Performance section).
bench: setup
	$(BIN)/python bench/bench_parse.py
	$(BIN)/python bench/bench_pdf.py
	$(BIN)/python bench/bench_formats.py
	$(BIN)/python bench/bench_crawl.py
	$(BIN)/python bench/bench_variants.py
	$(BIN)/python bench/bench_warc.py
	$(BIN)/python bench/bench_nightly.py
	$(BIN)/python bench/bench_scale.py --sites 100
	$(BIN)/python bench/bench_hostile.py
	$(BIN)/python bench/bench_export.py

## The long reliability benchmarks (README: Reliability): the whole world crawled with and without a failing
## web (bench_chaos, about 6 minutes: two crawls of 3 minutes) and killed 12 times (bench_kill, about 10 minutes).
bench-reliability: setup
	$(BIN)/python bench/bench_chaos.py --rate 0.05 --timeout 20
	$(BIN)/python bench/bench_kill.py --kills 12

clean:
	rm -rf $(VENV) .venv-replay data/harvester.db* data/archive exports .pytest_cache
