# The front door: `make run` serves a demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# `make run` is the embedded default: SQLite, Celery tasks run in-process.
RUN_ENV := DEBUG=1 HTTPS=0

# `make serve` is production-like on loopback: DEBUG off, plain HTTP, gunicorn, collected static.
SERVE_ENV := DEBUG=0 HTTPS=0 SECRET_KEY=$${SECRET_KEY:-$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')}

.PHONY: install run serve test lint format worker beat bench migrate clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput

run: migrate
	$(RUN_ENV) $(BIN)/python manage.py seed_demo --if-empty
	@echo "Open http://127.0.0.1:8000/ and log in as maria (manager) or sam (rep); password crm-demo-2026."
	$(RUN_ENV) $(BIN)/python manage.py runserver 127.0.0.1:8000

serve: migrate
	$(SERVE_ENV) $(BIN)/python manage.py collectstatic --noinput -v0
	$(SERVE_ENV) $(BIN)/gunicorn crm.wsgi --bind 127.0.0.1:8000 --workers 2

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

worker: install
	$(BIN)/celery -A crm worker --loglevel=INFO

beat: install
	$(BIN)/celery -A crm beat --loglevel=INFO

bench: install
	$(BIN)/python bench/capture.py
	$(BIN)/python bench/rescore.py
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .mypy_cache
