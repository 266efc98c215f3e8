# Every target creates .venv by itself when it is missing: pip brings uv into the venv, then
# `uv sync --frozen` installs exactly what uv.lock pins (the project itself editable, with its dev
# tools), compiled to bytecode at install: this machine sets PYTHONDONTWRITEBYTECODE, and without
# .pyc files every command spends seconds compiling SQLAlchemy. A changed pyproject.toml or
# uv.lock, or a new package (a new */__init__.py), reinstalls.
# After editing dependencies in pyproject.toml, run `.venv/bin/uv lock` and commit uv.lock.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
# uv installs into this project's .venv, whatever virtual environment the caller has active.
export UV_PROJECT_ENVIRONMENT := $(VENV)
unexport VIRTUAL_ENV

.PHONY: setup demo test test-fast lint serve bench clean

$(STAMP): pyproject.toml uv.lock $(wildcard */__init__.py)
	test -x $(PY) || python3 -m venv $(VENV)
	test -x $(VENV)/bin/uv || $(PY) -m pip install -q --disable-pip-version-check uv
	$(VENV)/bin/uv sync -q --frozen --extra dev --compile-bytecode --python $(PY)
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(VENV)/bin/nhiemvu demo --flows

# mypy keeps its cache in .mypy_cache, so a second run checks only what changed.
lint: setup
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .

# The whole suite, on SQLite and on PostgreSQL, two worker processes (one per core here).
test: lint
	$(VENV)/bin/pytest -n 2

# While working: SQLite only, stop at the first failure, no lint.
test-fast: setup
	$(VENV)/bin/pytest -n 2 -x -m "not postgres"

serve: setup
	$(VENV)/bin/nhiemvu serve

bench: setup
	$(PY) -m bench --quick

clean:
	rm -rf $(VENV) data out .mypy_cache .ruff_cache .pytest_cache
