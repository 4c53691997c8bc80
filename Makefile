# The README's commands. Everything installs into .venv; nothing needs to be there already
# but Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMP := $(VENV)/.installed
# Install a Debian package when running as root with apt-get (for make bench and make e2e).
APT_INSTALL = { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	{ apt-get install -y $(1) >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y $(1) >/dev/null; }; }; }

.PHONY: run test test-pg lint init clean bench bench-progress e2e lock

# Installs come from the lock files in requirements/ (every version pinned, every file's hash
# checked); the app itself is installed on top without resolving anything again.
INSTALL_LOCKED = $(BIN)/python -m pip install --quiet --require-hashes -r $(1) && \
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .

$(STAMP): pyproject.toml requirements/dev.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=...)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(call INSTALL_LOCKED,requirements/dev.lock)
	touch $(STAMP)

# Refresh the lock files after changing the dependencies in pyproject.toml (README, "Lock
# files"): uv resolves for every platform and Python 3.11+, with hashes.
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --quiet --custom-compile-command "make lock"
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet 'uv>=0.9,<1'
	$(UV_COMPILE) $(LOCK_FLAGS) -o requirements/app.lock
	$(UV_COMPILE) $(LOCK_FLAGS) --extra dev -o requirements/dev.lock
	$(UV_COMPILE) $(LOCK_FLAGS) --extra dev --extra e2e -o requirements/e2e.lock

init: $(STAMP)
	$(BIN)/flask --app tracker init --demo --demo-url http://127.0.0.1:$(PORT)

# The local demo is served over plain http on 127.0.0.1, so the cookie cannot be Secure here.
run: init
	@echo "Serving on http://127.0.0.1:$(PORT)/ (Ctrl+C stops it)."
	@echo "This is Flask's development server, for trying the app: to serve a practice, see README, \"Production\"."
	TRACKER_SESSION_COOKIE_SECURE=false $(BIN)/flask --app tracker run --host 127.0.0.1 --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check tracker tests bench

# Both cores: pytest-xdist runs the suite in one worker per CPU.
test: $(STAMP) lint
	$(BIN)/python -m pytest -q -n auto

# The same suite against PostgreSQL (TRACKER_TEST_DATABASE_URL names the server to use).
test-pg: $(STAMP)
	TRACKER_TEST_DATABASE_URL=$${TRACKER_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
		$(BIN)/python -m pytest -q -n auto

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache

# Measured, not guessed (not part of make test): instructions per request under valgrind's
# callgrind against the budgets, then the served figures with gunicorn loaded by hey (Debian's
# packages valgrind and hey; installed here when missing and possible). BENCH_PORT=N picks
# gunicorn's port (default: a free one); TRACKER_BENCH_DATABASE_URL=postgresql+psycopg://...
# adds the served run on PostgreSQL.
bench: $(STAMP)
	@command -v hey >/dev/null 2>&1 || $(call APT_INSTALL,hey) \
		|| { echo "make bench needs hey: apt-get install hey"; exit 1; }
	@command -v valgrind >/dev/null 2>&1 || $(call APT_INSTALL,valgrind) \
		|| { echo "make bench needs valgrind: apt-get install valgrind"; exit 1; }
	@command -v cc >/dev/null 2>&1 || $(call APT_INSTALL,gcc) \
		|| { echo "make bench needs a C compiler: apt-get install gcc"; exit 1; }
	$(BIN)/python bench/network_bench.py

# Rendering time of the progress page, the brief and the print view in-process.
bench-progress: $(STAMP)
	$(BIN)/python bench/progress_bench.py --sessions 100

# Browser tests: Playwright in Debian's Chromium, axe-core and the Nu Html Checker (npm, run
# with the machine's Java). Chromium and Java are installed with apt-get when missing and
# possible; screenshots and the pages checked go to tests/e2e/artifacts.
E2E_STAMP := $(VENV)/.e2e-installed
E2E_NODE := tests/e2e/node_modules/.installed

$(E2E_STAMP): $(STAMP) requirements/e2e.lock
	$(call INSTALL_LOCKED,requirements/e2e.lock)
	touch $(E2E_STAMP)

$(E2E_NODE): tests/e2e/package.json tests/e2e/package-lock.json
	cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error
	touch $(E2E_NODE)

e2e: $(E2E_STAMP) $(E2E_NODE)
	@command -v chromium >/dev/null 2>&1 || $(call APT_INSTALL,chromium) \
		|| { echo "make e2e needs Debian's chromium: apt-get install chromium"; exit 1; }
	@command -v java >/dev/null 2>&1 || $(call APT_INSTALL,default-jre-headless) \
		|| { echo "make e2e needs Java for the HTML checker: apt-get install default-jre-headless"; exit 1; }
	$(BIN)/python -m pytest -q -m e2e tests/e2e
