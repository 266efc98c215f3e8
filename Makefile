# Every target creates .venv by itself when it is missing (uv inside the venv does the install);
# a new package (a new */__init__.py) or a changed pyproject.toml reinstalls.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: setup demo test lint serve bench clean

$(STAMP): pyproject.toml $(wildcard */__init__.py)
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check uv
	$(VENV)/bin/uv pip install -q --python $(PY) -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(VENV)/bin/nhiemvu demo --flows

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .

test: lint
	$(VENV)/bin/pytest -n 2

serve: setup
	$(VENV)/bin/nhiemvu serve

bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) data out .mypy_cache .ruff_cache .pytest_cache
