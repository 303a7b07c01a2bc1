# The entry points a person types. `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8080

.PHONY: run test lint bench soak clean-venv system-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

## run: migrate the database (SQLite in ./data by default), create a first admin, serve
run: $(STAMP)
	$(BIN)/tawthiq setup
	$(BIN)/tawthiq serve --host $(HOST) --port $(PORT)

## system-deps: Debian packages the browser and TLS tests need (chromium, caddy)
system-deps:
	@bash scripts/system-deps.sh

## test: lint, type-check the sync core, and run the whole suite on SQLite and PostgreSQL
test: $(STAMP) system-deps
	$(BIN)/ruff check app sync tests bench migrations
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check app sync tests bench migrations
	$(BIN)/ruff format --check app sync tests bench migrations || true
	$(BIN)/mypy

## bench: every benchmark, each printing its figures beside a raw SQLite baseline
bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

## soak: the long versions of the property and fault tests
soak: $(STAMP)
	HYPOTHESIS_PROFILE=soak $(BIN)/python -m pytest -m "not browser"

clean-venv:
	rm -rf $(VENV)
