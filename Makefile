# The one entry point: `make run` and `make check` bootstrap everything from a bare Python 3.11.
PYTHON ?= python3.11
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
# The real interpreter, not a pyenv shim: uv would rebuild .venv on every sync for a shim.
export UV_PYTHON := $(shell $$(command -v $(PYTHON) || command -v python3) -c 'import sys; print(sys.executable)')
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run check lint format types test schema-check gql token bench stress sync clean

run: sync ## the API with a local identity provider and Flow Connect, on 127.0.0.1
	$(PY) -m devstack run

check: lint types test schema-check ## everything CI checks

lint: sync
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: sync ## rewrite files to the house style
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

types: sync
	$(VENV)/bin/mypy

test: sync
	$(VENV)/bin/pytest

schema-check: sync ## schema.graphql must match the code
	@$(PY) -m app.graphql.schemas.export | diff -u schema.graphql - \
		|| (echo "schema.graphql is stale: run 'make gql' and commit it" >&2; exit 1)

gql: sync ## export the SDL to schema.graphql
	$(PY) -m app.graphql.schemas.export > schema.graphql

bench: sync ## throughput and latency side by side (installs nginx and wrk when missing); not part of check
	$(PY) -m bench

stress: sync ## 10,000 mutations against a faulty loopback upstream; not part of check
	$(PY) -m bench.stress

token: sync ## a fresh dev token for the seeded user
	@$(PY) -m devstack token

sync: $(VENV)/.synced

$(UV):
	$(UV_PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen
	@touch $@

clean:
	rm -rf $(VENV) $(TOOLS)
