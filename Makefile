# The two ways to run the project: `make run` serves the mirror, `make test` checks it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app

.PHONY: run test test-fast test-postgres lint bench install install-test clean

$(VENV)/installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# The real clients the end-to-end tests drive. --no-deps: the file pins every package they
# need; comfyui-manager declares heavy ones (transformers, PyGithub) the tested code never imports.
$(VENV)/installed-test: $(VENV)/installed requirements-test.txt requirements-clients.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps \
		-r requirements-clients.txt
	touch $@

install: $(VENV)/installed

install-test: $(VENV)/installed-test

## Serve the mirror on 127.0.0.1:8080: bring the database's schema up to date, load seed_data/
## if the mirror is empty, then serve.
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask mirror seed
	$(BIN)/gunicorn 'app:create_app()'

# Two workers, each test file wholly on one (--dist loadfile): a module's fixtures (a served
# mirror, comfy-cli's one fixed port) then never run twice at once.
PARALLEL := -n 2 --dist loadfile

## Lint and check formatting, run the whole test suite (unit, api and e2e tests) on SQLite,
## then again on PostgreSQL (see test-postgres), each on two workers.
test: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(PARALLEL)
	$(MAKE) test-postgres

## The whole test suite on PostgreSQL, each mirror (served by real gunicorn too) on a database
## of its own made on the server MIRROR_TEST_POSTGRES_URL names (default
## postgresql://postgres@127.0.0.1:5432/postgres); tests marked sqlite_only are skipped.
## Without a server the run is skipped, saying why; with CI=true it fails instead.
test-postgres: install-test
	$(BIN)/python -m pytest -q $(PARALLEL) --database=postgresql

## The inner loop: unit and api tests, in-process, without the e2e and slow ones, on two
## workers (each test makes its own mirror, so they share nothing).
test-fast: install-test
	$(BIN)/python -m pytest -q -n 2 tests/unit tests/api -m "not e2e and not slow"

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## The bulk endpoint benchmark at 100,000 and 1,000,000 versions (several minutes).
bench: install-test
	$(BIN)/python -m bench.bulk

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
