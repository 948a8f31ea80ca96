# Thin aliases used by the README and .ci/run.
PYTHON ?= python
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres
# Modules type-checked strictly besides kaizen.core (pyproject.toml lists the same under [tool.mypy]).
STRICT = src/kaizen/tickets/policies.py src/kaizen/tickets/workflow.py src/kaizen/tickets/services.py \
	src/kaizen/tickets/queries.py src/kaizen/tickets/automation.py src/kaizen/tickets/tasks.py \
	src/kaizen/requests/services.py src/kaizen/improvement/services.py \
	src/kaizen/portfolio/impact.py src/kaizen/portfolio/impact_index.py \
	src/kaizen/tickets/history.py src/kaizen/slm/services.py src/kaizen/slm/queries.py src/kaizen/slm/policies.py \
	src/kaizen/slm/clocks.py src/kaizen/slm/alerts.py src/kaizen/slm/tasks.py src/kaizen/slm/calendars.py \
	src/kaizen/monitoring/services.py src/kaizen/monitoring/policies.py src/kaizen/monitoring/processing.py \
	src/kaizen/monitoring/correlation.py src/kaizen/monitoring/tasks.py src/kaizen/monitoring/queries.py \
	src/kaizen/monitoring/sources src/kaizen/monitoring/sns.py \
	src/kaizen/approvals/services.py src/kaizen/approvals/policies.py src/kaizen/changes/services.py \
	src/kaizen/changes/schedule.py src/kaizen/changes/policies.py src/kaizen/changes/workflow.py \
	src/kaizen/changes/queries.py src/kaizen/releases/services.py src/kaizen/releases/policies.py \
	src/kaizen/releases/queries.py src/kaizen/problems/services.py src/kaizen/problems/queries.py \
	src/kaizen/problems/policies.py src/kaizen/problems/tasks.py \
	src/kaizen/intake/services.py src/kaizen/intake/queries.py src/kaizen/intake/policies.py \
	src/kaizen/intake/tasks.py src/kaizen/intake/imap.py src/kaizen/intake/oauth.py src/kaizen/intake/threads.py \
	src/kaizen/intake/replies.py src/kaizen/intake/server.py \
	src/kaizen/knowledge/services.py src/kaizen/knowledge/queries.py src/kaizen/knowledge/policies.py \
	src/kaizen/search/services.py src/kaizen/search/queries.py src/kaizen/search/analyzer.py src/kaizen/mail \
	src/kaizen/search/similar.py src/kaizen/search/similarity.py src/kaizen/search/ranking.py src/kaizen/search/facets.py \
	src/kaizen/knowledge/faq.py \
	src/kaizen/knowledge/clustering.py src/kaizen/knowledge/tasks.py

.PHONY: dev tools demo test test-unit test-e2e test-pg lint bench messages vendor

dev:  ## install Kaizen with test and lint dependencies (editable)
	$(PYTHON) -m pip install -q -e '.[test]'

demo:  ## start Kaizen with demo data on SQLite at http://127.0.0.1:8000
	kaizen up --demo

test: dev tools test-unit test-e2e  ## install test dependencies and run the whole suite

tools:  ## system packages the tests need (Debian's chromium, gettext, prometheus-alertmanager, dovecot)
	bash scripts/ensure_test_tools.sh

# pytest-xdist: one worker per core, each with its own test database and data directory.
# TEST_WORKERS=0 runs in one process (pdb, or to rule parallelism out);
# PYTEST_ARGS adds options, e.g. PYTEST_ARGS=--durations=30.
TEST_WORKERS ?= auto
PYTEST = $(PYTHON) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

test-unit:
	$(PYTEST)

test-e2e:
	$(PYTEST) -m e2e

test-pg:  ## the whole suite on PostgreSQL
	KAIZEN_DATABASE_URL=$(PG_URL) $(MAKE) test

lint:  ## ruff, formatting, mypy strict on kaizen.core, import contracts
	ruff check src scripts $(wildcard benchmarks)
	ruff format --check src scripts $(wildcard benchmarks)
	mypy src/kaizen/core $(STRICT)
	lint-imports

bench:  ## API benchmarks on PostgreSQL (writes benchmarks/RESULTS.md; needs Debian's wrk)
	$(PYTHON) -m pip install -q -e '.[bench]'
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PYTHON) benchmarks/api_bench.py --database-url $(PG_URL)

.PHONY: bench-desk
bench-desk:  ## service desk at 1M tickets beside django-helpdesk (~35 min; writes benchmarks/RESULTS.md; needs wrk)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PYTHON) benchmarks/desk_bench.py --database-url $(PG_URL)

messages:  ## refresh and compile the Japanese catalogue
	cd src/kaizen && django-admin makemessages -l ja --no-obsolete --settings=kaizen.core.testing.settings -i 'static/vendor/*' && django-admin makemessages -d djangojs -l ja --no-obsolete --settings=kaizen.core.testing.settings -i 'static/vendor/*' && django-admin compilemessages --settings=kaizen.core.testing.settings

vendor:  ## refresh vendored front-end files from the npm registry
	$(PYTHON) scripts/vendor_static.py
