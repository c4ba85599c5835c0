# Two commands do all set-up on a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install clean bench audit

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed (set PYTHON=/path/to/python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet --upgrade pip -c constraints.txt
	$(BIN)/python -m pip install --quiet -e '.[test]' -c constraints.txt
	@touch $(STAMP)

install: $(STAMP)

## Start the bot: the console workspace on SQLite unless Slack or WeCom credentials are set
## (`make run USER_NAME=carol`: who you are in the console, from the roster).
run: $(STAMP)
	$(BIN)/breachbot db upgrade
	$(BIN)/breachbot run $(if $(USER_NAME),--user "$(USER_NAME)")

## Install what the tests need, lint, audit the pinned dependencies for known vulnerabilities
## (pip-audit; skipped with a NOTE when no advisory feed answers, see README "Security"), and run
## every test (PostgreSQL runs when it answers): in parallel on JOBS workers (pytest-xdist; JOBS=1 for one
## process), then, alone, the tests marked `serial` (they time themselves or race processes of their own).
JOBS ?= auto
test: $(STAMP)
	$(BIN)/ruff check bot handlers storage tests bench
	$(BIN)/python -m tests.dependency_audit
	$(BIN)/python -m pytest -n $(JOBS) -m "not serial"
	BREACHBOT_SECOND_RUN=1 $(BIN)/python -m pytest -m serial

## Benchmarks (bench/): Slack command latency, declare, timeline, report, scheduler, declare storms, kill -9 and
## outage recovery; rewrites bench/RESULTS.md. Several minutes on 2 cores; `make bench BENCH=--quick` for smaller
## sizes, `BENCH="--only storm,faults"` for some. PostgreSQL runs when it answers.
bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH)

## Only the dependency audit; BREACHBOT_ADVISORY_DB=path audits against an OSV mirror offline.
audit: $(STAMP)
	$(BIN)/python -m tests.dependency_audit --require

clean:
	rm -rf $(VENV) breachbot.db breachbot.db-wal breachbot.db-shm
