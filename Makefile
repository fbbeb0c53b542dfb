# Yiwang: `make run` serves the demo, `make test` runs the whole suite. Both set
# themselves up from nothing: virtual environment, pinned dependencies, migrations.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.lock | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench messages clean setup migrate

$(STAMP): requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	rm -f $(VENV)/.installed-*
	touch $@

# Case documents are PDFs made by WeasyPrint, which needs Pango and a CJK font from
# Debian's packages; installed here when missing and we may (root with apt-get).
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk

setup: $(STAMP)
	mkdir -p var
	@if ! $(PY) -c "import weasyprint" >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -q "Noto Sans CJK"; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES); \
	  else \
	    echo "PDF documents need: apt-get install $(SYSTEM_PACKAGES)"; \
	  fi; \
	fi

migrate: setup
	$(PY) manage.py migrate --no-input

run: migrate
	$(PY) manage.py seed_demo
	@echo "Serving on http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	@if [ -n "$$REDIS_URL" ]; then \
	  echo "REDIS_URL is set: starting a Celery worker with beat beside the server"; \
	  $(VENV)/bin/celery -A yiwang worker -B --loglevel=INFO & \
	fi; \
	$(PY) manage.py serve $(HOST):$(PORT)

test: migrate
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: migrate
	$(PY) bench/calendar_bench.py

# Each app keeps its own catalogue (yiwang/<app>/locale); the root locale/ holds only the
# project-level strings of yiwang/urls.py, maintained by hand.
messages: setup
	for app in yiwang/*/locale; do \
	  (cd $$(dirname $$app) && DJANGO_SETTINGS_MODULE=yiwang.settings PYTHONPATH=$(CURDIR) \
	    $(CURDIR)/$(VENV)/bin/django-admin makemessages -l zh_Hans) || exit 1; \
	done
	for po in locale/*/LC_MESSAGES/django.po yiwang/*/locale/*/LC_MESSAGES/django.po; do \
	  msgfmt --check-format -o $${po%.po}.mo $$po || exit 1; \
	done

clean:
	rm -rf $(VENV) var staticfiles
