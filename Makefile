# coinwatch: `make demo` (offline, two commands from a fresh clone), `make dev`, `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_ENV := COINWATCH_SOURCE=sample COINWATCH_SYMBOLS=BTC/USDT,ETH/USDT,SOL/USDT \
	DAGSTER_HOME=$(CURDIR)/.dagster_home

.PHONY: install demo dev test lint format validate timescaledb bench clean

install: $(VENV)/.installed

$(VENV)/.installed: setup.py pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

## demo: sample data for 3 symbols x 3 days into data/coinwatch.sqlite, checks, summary
demo: install
	$(DEMO_ENV) $(BIN)/python scripts/demo.py

## dev: the Dagster UI (http://127.0.0.1:3000) with the demo's settings and instance
dev: install
	mkdir -p .dagster_home && cp -n dagster.yaml .dagster_home/ || true
	$(DEMO_ENV) $(BIN)/dagster dev -h 127.0.0.1 -p 3000

## test: lint, definitions validation and the whole test suite (needs TimescaleDB: see README)
test: install lint validate
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

validate: install
	$(BIN)/dagster definitions validate -m coinwatch_assets.definitions

## timescaledb: build and install the TimescaleDB extension for the local PostgreSQL
timescaledb:
	bash scripts/install_timescaledb.sh

bench: install
	$(BIN)/python benchmarks/io_write.py
	$(BIN)/python benchmarks/backfill.py
	$(BIN)/python benchmarks/gaps.py
	$(BIN)/python benchmarks/fetch.py

clean:
	rm -rf .dagster_home data .pytest_cache .ruff_cache
