# Runway. `make run` shows the system working; `make test` proves it. Both start what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: help setup infra-up infra-down kafka-up kafka-down postgres-up postgres-down topics \
        test test-unit lint typecheck bench fuzz run clean contracts cluster cluster-down \
        chaos soak

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)  ## create .venv and install Runway with its dev tools (idempotent)

kafka-up: setup  ## start the local Kafka broker (or wait for KAFKA_BOOTSTRAP_SERVERS)
	PYTHON=$(abspath $(PY)) deploy/kafka/kafka.sh start

kafka-down:  ## stop the local Kafka broker
	deploy/kafka/kafka.sh stop

postgres-up:  ## start PostgreSQL (or use DATABASE_URL) and create the service databases
	deploy/postgres.sh start

postgres-down:  ## stop the local PostgreSQL cluster
	deploy/postgres.sh stop

topics: kafka-up  ## create the topics declared in contracts/topics.yaml
	$(VENV)/bin/runway-infra create-topics

infra-up: postgres-up kafka-up topics  ## start Kafka and PostgreSQL, create topics

infra-down: kafka-down postgres-down  ## stop Kafka and PostgreSQL

lint: setup  ## ruff and mypy
	$(VENV)/bin/ruff check shared services tests deploy
	$(VENV)/bin/mypy shared services tests deploy/kafka/wait_kafka.py

test: infra-up  ## lint, type-check, then every test against real Kafka and PostgreSQL
	$(MAKE) lint
	$(VENV)/bin/pytest -q

test-unit: setup  ## only the tests that need no infrastructure
	$(VENV)/bin/pytest -q tests/unit

contracts: setup  ## regenerate contracts/ (event schemas, AsyncAPI, OpenAPI) and docs' generated tables
	$(PY) -m shared.contracts generate
	$(PY) -m shared.audit.legal_times

bench: setup  ## throughput and latency figures as one JSON document, with raw baselines
	@$(MAKE) -s infra-up >&2
	@$(PY) -m tests.bench

FUZZ_EXAMPLES ?= 100
fuzz: setup  ## schemathesis against every service's OpenAPI document, deeper than `make test`
	@$(MAKE) -s infra-up >&2
	$(PY) -m tests.fuzz --examples $(FUZZ_EXAMPLES)

# Ctrl-C stops the services and the broker this run started (KEEP_BROKER=1 keeps it); a broker
# that was already up stays up. The services create their topics at startup.
# SCENARIO picks the transfer played, entered after the fact with its real dates:
# feb-2025, aug-2025 (default) or jan-2026 (shared/demo/scenarios.py).
KEEP_BROKER ?=
SCENARIO ?= aug-2025
run: setup  ## the main job: every service, a real mass transfer (SCENARIO=feb-2025|aug-2025|jan-2026), then explore
	@if [[ "$${DATABASE_URL:-}" == postgresql* ]]; then deploy/postgres.sh start; fi
	RUNWAY_SCENARIO=$(SCENARIO) $(VENV)/bin/runway-stack up --scenario --start-broker $(if $(KEEP_BROKER),--keep-broker)

# Three Kafka brokers (var/cluster/), REPLICAS of every service on PostgreSQL, HAProxy in front
# (docs/operations.md, "Cluster"). Runs beside `make run` and the dev broker: other ports.
REPLICAS ?= 2
BROKERS ?= 3
cluster: setup  ## three Kafka brokers, REPLICAS (2) of every service behind HAProxy, until Ctrl-C
	@command -v haproxy >/dev/null || test -x /usr/sbin/haproxy || apt-get install -y -qq haproxy
	deploy/postgres.sh start
	DATABASE_URL="$${DATABASE_URL:-postgresql+asyncpg://runway:runway@127.0.0.1:5433/runway}" \
	  $(PY) -m shared.infra.cluster up --replicas $(REPLICAS) --brokers $(BROKERS)

cluster-down:  ## stop what a killed `make cluster` left running
	$(PY) -m shared.infra.cluster down

# A chaos run on a cluster of its own (docs/operations.md, "Chaos harness"): the seeded
# workload of CASES cases under KILLS seeded faults, then the checks; var/chaos/<SEED>.json.
SEED ?= 1
KILLS ?= 100
CASES ?= 1000
chaos: setup  ## seeded workload under seeded faults, then the check and fault tables (SEED, KILLS, CASES)
	@command -v haproxy >/dev/null || test -x /usr/sbin/haproxy || apt-get install -y -qq haproxy
	$(PY) -m shared.chaos.run --seed $(SEED) --kills $(KILLS) --cases $(CASES)

SOAK_KILLS ?= 1000
SOAK_CASES ?= 5000
soak: setup  ## a long chaos run: SOAK_CASES (5000) cases under SOAK_KILLS (1000) faults
	@command -v haproxy >/dev/null || test -x /usr/sbin/haproxy || apt-get install -y -qq haproxy
	$(PY) -m shared.chaos.run --seed $(SEED) --kills $(SOAK_KILLS) --cases $(SOAK_CASES)

clean: kafka-down  ## stop the local broker, then remove everything under var/ (see docs/operations.md)
	rm -rf var
