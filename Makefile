# npsapp developer commands. `make run` sets everything up and starts the app with demo
# data; `make test` runs the test suite. Both create the virtualenv on first use.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run setup test lint messages demo clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

messages: $(BIN)/.installed
	DEBUG=true $(BIN)/python manage.py compilemessages --ignore=.venv -v 0

setup: $(BIN)/.installed messages
	DEBUG=true $(BIN)/python manage.py migrate --noinput -v 0
	DEBUG=true $(BIN)/python manage.py load_demo_data --skip-if-loaded

run: setup
	@echo ""
	@echo "  npsapp is starting at http://$(HOST):$(PORT)/"
	@echo "  Log in as manager / demo (dashboard), agent1 / demo or agent2 / demo (inbox),"
	@echo "  admin / demo (everything, including http://$(HOST):$(PORT)/admin/)."
	@echo ""
	DEBUG=true $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(BIN)/.installed messages
	$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no test: that is a broken suite, not a pass"; fi; \
	exit $$rc

lint: $(BIN)/.installed
	$(BIN)/python -m ruff check .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
