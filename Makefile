# The one entry point: `make run` and `make check` bootstrap everything from a bare Python 3.11+.
# Another interpreter: `make check PYTHON=python3.13` (its own virtualenv, .venv-3.13).
PYTHON ?= python3.11
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
# The real interpreter, not a pyenv shim: uv would rebuild the virtualenv on every sync for a shim.
export UV_PYTHON := $(shell $$(command -v $(PYTHON) || command -v python3) -c 'import sys; print(sys.executable)')
PYTHON_VERSION := $(shell $(UV_PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
VENV ?= $(if $(filter 3.11,$(PYTHON_VERSION)),.venv,.venv-$(PYTHON_VERSION))
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Each set only if given: the dev stack's own defaults are 8000, 8001 and 8002.
RUN_PORTS := $(if $(API_PORT),--api-port=$(API_PORT)) $(if $(IDP_PORT),--idp-port=$(IDP_PORT)) \
	$(if $(FLOW_CONNECT_PORT),--flow-connect-port=$(FLOW_CONNECT_PORT))

.PHONY: run check lint lint-image lint-manifests format types test schema-check gql token bench stress \
	image image-check fleet fleet-check rules-check browser-check vendor-graphiql sync lock upgrade-check clean help

run: sync ## the API with a local identity provider and Flow Connect, on 127.0.0.1 (API_PORT=, IDP_PORT=, FLOW_CONNECT_PORT= to move them)
	$(PY) -m devstack run $(strip $(RUN_PORTS))

check: lint lint-image lint-manifests rules-check types test schema-check ## everything CI checks (CI then runs image-check, fleet-check)

lint: sync ## ruff's rules and formatting, without changing files
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

lint-image: sync ## hadolint on the Containerfile
	$(VENV)/bin/hadolint Containerfile

lint-manifests: sync ## render deploy/kubernetes/ and validate it offline against Kubernetes' schemas
	$(PY) -m deploy.manifests

rules-check: sync ## promtool checks deploy/prometheus/'s alert and recording rules and runs their tests (installs Debian's prometheus when missing)
	$(PY) -m deploy.rules

format: sync ## rewrite files to the house style
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

types: sync ## mypy, strict
	$(VENV)/bin/mypy

test: sync ## the test suite
	$(VENV)/bin/pytest

schema-check: sync ## schema.graphql must match the code
	@$(PY) -m app.graphql.schemas.export | diff -u schema.graphql - \
		|| (echo "schema.graphql is stale: run 'make gql' and commit it" >&2; exit 1)

gql: sync ## export the SDL to schema.graphql
	$(PY) -m app.graphql.schemas.export > schema.graphql

bench: sync ## throughput and latency side by side (installs nginx and wrk when missing; ARGS="--rows 5,8" passes options); not part of check
	$(PY) -m bench $(ARGS)

stress: sync ## 10,000 mutations against a faulty loopback upstream (ARGS= passes options); not part of check
	$(PY) -m bench.stress $(ARGS)

image: ## the container image flow-api:latest, built here with podman on a locally built base
	scripts/image-build.sh

image-check: sync ## build the image, then run it read-only, non-root, without capabilities against the dev stack
	PY=$(PY) scripts/image-check.sh

fleet: sync ## FLEET_SIZE= replicas (default 3) behind nginx with the dev stack; Ctrl-C stops everything
	$(PY) -m deploy.fleet $(if $(FLEET_SIZE),--size=$(FLEET_SIZE)) $(if $(FLEET_PORT),--port=$(FLEET_PORT))

fleet-check: sync ## mutations through nginx while the fleet restarts replica after replica; nothing lost or sent twice
	$(PY) -m deploy.fleet_check $(if $(FLEET_SIZE),--size=$(FLEET_SIZE))

browser-check: sync ## the dev GraphiQL and CORS in headless Chromium (installs Debian's chromium when missing); screenshots in .browser-check/
	$(PY) -m browsercheck

vendor-graphiql: ## rebuild app/graphql/ide/static/vendor/ from web/graphiql/package-lock.json (needs npm)
	scripts/vendor-graphiql.sh

token: sync ## a fresh dev token for the seeded user (IDP_PORT= as given to run)
	@$(PY) -m devstack token $(if $(IDP_PORT),--idp-port=$(IDP_PORT))

sync: $(VENV)/.synced ## the virtualenv, exactly as uv.lock says

lock: $(UV) ## re-resolve uv.lock after a change to pyproject.toml (for every supported Python)
	$(UV) lock

upgrade-check: sync ## the suite against the newest releases of the libraries we reach into, bounds lifted, in a scratch copy; not part of check
	$(PY) -m scripts.upgrade_check --uv=$(UV)

help: ## this list
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(UV):
	$(UV_PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen
	@touch $@

clean: ## remove the virtualenvs and the pinned uv
	rm -rf .venv .venv-* $(TOOLS)
