# The two commands a newcomer needs: `make run` and `make test`.
# Both create their own virtual environment in .venv and install what they need.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-installed
DEV_STAMP := $(VENV)/.dev-installed

.PHONY: run test lint unit postgres system-deps bench clean browser-tests pcsc-tests

# Byte-compiled modules are cached (__pycache__) even where the environment says not to: the
# tests start hundreds of `mynumber` subprocesses, each of which would compile every module
# of the package again.
unexport PYTHONDONTWRITEBYTECODE

CRASH_TESTS := tests/e2e/test_benefit_crash.py tests/e2e/test_benefit_crash_workers.py

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python system-deps
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(RUN_STAMP)

## Serve every organisation on http://127.0.0.1:8000 (demo data seeded on first start).
run: $(RUN_STAMP)
	$(BIN)/mynumber run

## The whole suite: format, lint, types, import contracts; tests on SQLite (the PC/SC ones in
## a process of their own: they share pcscd's virtual reader; the browser ones in another,
## beside it: Playwright keeps an event loop on the main thread for the rest of its process),
## then the tests that reach a database
## again on PostgreSQL (the integration tests, the fuzz test as each organisation's
## administrator, `mynumber run` and the crash tests; the other end-to-end and API tests run
## servers on SQLite or stop before any query). The crash tests (payment runs and their
## workers killed, then rerun) run on PostgreSQL only, the production database: nothing in
## them is particular to SQLite. The PostgreSQL pass commits without waiting for the disk
## (synchronous_commit=off, for the test run's own connections only): a test database
## that a crash of the server loses is one nobody needs.
test: lint
	scripts/ensure-rabbitmq.sh
	$(BIN)/pytest -q -n 2 --dist loadfile --durations=20 -m "not pcsc and not browser" \
		$(addprefix --ignore=,$(CRASH_TESTS))
	$(MAKE) --no-print-directory -j2 --output-sync=target browser-tests pcsc-tests
	scripts/ensure-postgres.sh
	FUZZ_CALLERS=administrator PGOPTIONS='-c synchronous_commit=off' \
		$(BIN)/pytest -q -n 2 --dist loadfile --durations=20 \
		--database=postgres -m "not pcsc" tests/integration tests/api/test_no_server_errors.py \
		tests/e2e/test_run.py $(CRASH_TESTS)

## The browser tests and the PC/SC ones side by side (each runs its tests one at a time: a
## server and Chromium, or pcscd and OpenSC, on the other side of every step), each collecting
## only its own folder; each one's output is printed whole when it ends.
browser-tests:
	$(BIN)/pytest -q -m browser tests/browser

pcsc-tests:
	$(BIN)/pytest -q -m pcsc tests/interop

lint: $(DEV_STAMP)
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

system-deps:
	scripts/system-deps.sh

## Every benchmark, each printing JSON (they take minutes: the seed one loads a million residents,
## the disbursement one pays them). machine.py and split.py are helper modules, not benchmarks.
bench: $(DEV_STAMP)
	for b in $$(ls benchmarks/*.py | xargs -n1 basename | sed 's/\.py$$//' | grep -v -e '^__init__$$' -e '^machine$$' -e '^split$$'); do \
		$(BIN)/python -m benchmarks.$$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
