# papermm: `make run` and `make test` are all a new user needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_FLAGS ?=

.PHONY: run test bench lint clean setup browser

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/papermm paper --feed synthetic --duration 3600 --speed max

# The report is tested in a real headless browser: Debian's chromium.
browser:
	@test -x /usr/bin/chromium || { \
		echo "installing chromium for the report's browser test"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
		|| { echo "could not install chromium (needs root and Debian's packages)"; exit 1; }; }

test: $(STAMP) browser
	$(PY) -m pytest $(PYTEST_FLAGS)

bench: $(STAMP)
	$(PY) -m bench

lint: $(STAMP)
	$(VENV)/bin/ruff check events actors replay papermm tests bench
	$(VENV)/bin/ruff format --check events actors replay papermm tests bench

clean:
	rm -rf $(VENV) data .pytest_cache .hypothesis
