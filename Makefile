# The entry points a person types. `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8080

.PHONY: run run-hub test lint bench soak clean-venv system-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

## run: migrate the database (SQLite in ./data by default), create a first admin, serve
run: $(STAMP)
	$(BIN)/tawthiq setup
	$(BIN)/tawthiq serve --host $(HOST) --port $(PORT)

## run-hub: field hub on the local network: migrate, certificate for this laptop's
## addresses (the hub's authority is made once and kept), HTTPS through caddy
## (needs caddy; ports 80/443 need root or `setcap cap_net_bind_service=+ep /usr/bin/caddy`)
HUB_NAME   ?=
HUB_ARGS   ?=
HTTPS_PORT ?= 443
HTTP_PORT  ?= 80
run-hub: $(STAMP)
	$(BIN)/tawthiq setup
	$(BIN)/tawthiq hub setup $(if $(HUB_NAME),--name $(HUB_NAME)) $(HUB_ARGS)
	$(BIN)/tawthiq serve --tls --https-port $(HTTPS_PORT) --http-port $(HTTP_PORT)

## system-deps: Debian packages the browser and TLS tests need (chromium, caddy)
system-deps:
	@bash scripts/system-deps.sh

## test: lint, type-check the sync core, and run the whole suite on SQLite and PostgreSQL
test: $(STAMP) system-deps
	$(BIN)/ruff check app sync tests bench migrations
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --dist loadfile

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
