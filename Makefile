# The two commands a newcomer needs: `make run` and `make test`. See README.md.
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
DEMO_PASSWORD ?= clinic-demo
PYTEST_ARGS ?=
PYTHON ?= $(shell command -v python3.11 || command -v python3)

.PHONY: install run test lint format bench check-deploy

# Two stamps: `make run` needs the runtime requirements only; tests, lint and benchmarks the dev ones (which
# include the runtime ones). Each is redone when its requirement files change.
install: $(VENV)/.installed-dev

$(VENV)/.installed-runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed-runtime $@

run: $(VENV)/.installed-runtime
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py seed_demo --password "$(DEMO_PASSWORD)"
	@echo "Clinic on http://127.0.0.1:$(PORT)/  -  admin: /admin/  front desk: /desk/  API docs: /api/docs/"
	@echo "Log in as admin, frontdesk, practitioner or practitioner2 with password: $(DEMO_PASSWORD)   (Ctrl-C stops all)"
	PORT=$(PORT) PY=$(PY) bash scripts/run-embedded.sh

# pytest exits 5 when it collects no test; that is not a failure of the suite.
test: install
	$(PY) -m pytest $(PYTEST_ARGS) || [ $$? -eq 5 ]

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(PY) bench/run_all.py
