# One entry point for every task of the kit. Each target bootstraps .venv from
# requirements.lock (exact pins) when it is missing or older than the lock.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-lock
HOST ?= 127.0.0.1
PORT ?= 8080
BASE ?= HEAD~1
SPEC := openapi/csbs-restore.yaml
CONTROL_SPEC := openapi/stub-control.yaml
STRICT_SPEC := generated/csbs-restore.strict.yaml

.PHONY: help venv test lint typecheck pytest serve generate check-generated contract \
        fuzz-long breaking changelog docs bench soak wheel clean

help:
	@echo "make serve            run the stub on $(HOST):$(PORT)"
	@echo "make test             lint, type-check, drift check and every test suite"
	@echo "make lint             spec validation, house rules, ruff"
	@echo "make generate         regenerate the client and the strict profile under generated/"
	@echo "make check-generated  fail with a diff when generated/ differs from the spec"
	@echo "make contract URL=... TOKEN=... PROJECT=...   check a provider against the contract"
	@echo "make fuzz-long        nightly fuzzing of the stub with a large budget"
	@echo "make breaking BASE=<ref>   breaking-change report against BASE"
	@echo "make changelog BASE=<ref>  Markdown changelog against BASE"
	@echo "make docs             offline HTML reference and bundled spec into build/"
	@echo "make bench            throughput and latency against Prism and a bare ceiling (BENCH_ARGS=--help)"
	@echo "make soak             minutes of mixed traffic with periodic kills"
	@echo "make wheel            the installable kit (csbs-stub, csbs-contract, ...) into dist/"

$(STAMP): requirements.lock
	@# A venv left half-built by an interrupted run has python but no pip: rebuild it.
	$(BIN)/python -m pip --version >/dev/null 2>&1 || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $(STAMP)

venv: $(STAMP)

test: lint typecheck check-generated pytest

pytest: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/openapi-spec-validator $(SPEC) $(wildcard $(CONTROL_SPEC)) $(STRICT_SPEC)
	$(BIN)/python -m tools.spec_lint $(SPEC) $(wildcard $(CONTROL_SPEC)) $(STRICT_SPEC)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

serve: $(STAMP)
	$(BIN)/python -m server --host $(HOST) --port $(PORT)

generate: $(STAMP)
	$(BIN)/python -m tools.generate_client
	$(BIN)/python -m tools.strict_profile

check-generated: $(STAMP)
	$(BIN)/python -m tools.generate_client --check
	$(BIN)/python -m tools.strict_profile --check

contract: $(STAMP)
	$(BIN)/python -m tools.contract $(if $(URL),--url $(URL)) $(if $(TOKEN),--token $(TOKEN)) $(if $(PROJECT),--project $(PROJECT)) $(if $(STRICT),--strict)

fuzz-long: $(STAMP)
	$(BIN)/python -m tools.contract --long

breaking: $(STAMP)
	$(BIN)/python -m tools.breaking --base $(BASE) $(if $(FORMAT),--format $(FORMAT)) $(if $(FAIL_ON),--fail-on $(FAIL_ON))

changelog: $(STAMP)
	$(BIN)/python -m tools.breaking --base $(BASE) --format changelog

docs: $(STAMP)
	$(BIN)/python -m tools.docs --out build

bench: $(STAMP)
	$(BIN)/python -m tools.bench $(BENCH_ARGS)

soak: $(STAMP)
	$(BIN)/python -m tools.soak

wheel: $(STAMP)
	$(BIN)/python -m pip wheel --quiet --disable-pip-version-check --no-build-isolation --no-deps --wheel-dir dist .

clean:
	rm -rf build dist *.egg-info reports .mypy_cache .ruff_cache
