# npsapp developer commands. `make run` sets everything up and starts the app with demo
# data; `make test` runs the test suite. Both create the virtualenv on first use.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The links in emails and the printed survey links lead to this server (set SITE_URL to override);
# a server listening on every address is reached on this machine at 127.0.0.1.
SITE_URL ?= http://$(if $(filter 0 0.0.0.0,$(HOST)),127.0.0.1,$(HOST)):$(PORT)
PYTEST_ARGS ?=

.PHONY: run setup test lint messages demo clean

# Two stamps: running the app needs requirements.txt only; the tests (Playwright, pytest…)
# need requirements-dev.txt on top. Each is reinstalled only when its file changes.
$(BIN)/.installed-app: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.installed-dev: requirements-dev.txt $(BIN)/.installed-app
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

messages: $(BIN)/.installed-app
	DEBUG=true $(BIN)/python manage.py compilemessages --ignore=.venv -v 0

setup: $(BIN)/.installed-app messages
	DEBUG=true $(BIN)/python manage.py migrate --noinput -v 0
	DEBUG=true SITE_URL=$(SITE_URL) $(BIN)/python manage.py load_demo_data --skip-if-loaded

# With no CELERY_BROKER_URL, run_embedded also runs the periodic tasks (campaign sends,
# reminders, deadline warnings and breaches, re-surveys, digests) on the beat's schedule.
run: setup
	@echo ""
	@echo "  npsapp is starting at http://$(HOST):$(PORT)/"
	@echo ""
	@DEBUG=true SITE_URL=$(SITE_URL) $(BIN)/python manage.py demo_links
	@echo ""
	DEBUG=true SITE_URL=$(SITE_URL) $(BIN)/python manage.py run_embedded $(HOST):$(PORT)

test: $(BIN)/.installed-dev messages
	$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no test: that is a broken suite, not a pass"; fi; \
	exit $$rc

lint: $(BIN)/.installed-dev
	$(BIN)/python -m ruff check .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
