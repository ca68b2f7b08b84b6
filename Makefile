# complaintdesk: `make run` starts the whole system locally, `make test` runs every test.
# Both create .venv and install the pinned requirements on first use.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: install run token report test lint unit bench package holidays lock clean

$(INSTALLED): requirements.txt requirements-dev.txt constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "complaintdesk needs Python 3.11 or newer"'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	@touch $(INSTALLED)

install: $(INSTALLED)

run: $(INSTALLED)
	$(PY) -m devstack

# An ID token of a demo staff user of the running stack: make token USER=handler
token: $(INSTALLED)
	@$(PY) -m devstack.token $(USER)

# One period's report, built on the running stack and copied under .local/reports/:
# make report MARKET=TR PERIOD=monthly DATE=2026-11-15
report: $(INSTALLED)
	@$(PY) -m devstack.report --market "$(MARKET)" --period "$(PERIOD)" --date "$(DATE)"

# Two test workers (addopts in pyproject.toml). Bytecode is cached even where the environment
# says not to: every worker and local stack would otherwise compile the same modules again.
# The browser tier's Chromium (Debian's package, installed when missing) is fetched while lint
# runs; the tier's own set-up installs it, or says why it cannot, if this did not.
test: $(INSTALLED)
	@$(PY) -c 'from tests.browser.conftest import ensure_chromium; ensure_chromium()' \
	  >/dev/null 2>&1 & chromium=$$!; \
	$(MAKE) --no-print-directory lint; lint=$$?; wait $$chromium; test $$lint -eq 0
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest

# mypy and cfn-lint run side by side; lint fails if either does.
lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/cfn-lint infra/template.yaml & cfn=$$!; \
	$(VENV)/bin/mypy app.py chalicelib devstack infra bench scripts; mypy=$$?; \
	wait $$cfn; cfn=$$?; test $$mypy -eq 0 && test $$cfn -eq 0

unit: $(INSTALLED)
	$(PY) -m pytest tests/unit -q

bench: $(INSTALLED)
	$(PY) -m bench

package: $(INSTALLED)
	$(PY) -m infra.package --stage $(or $(STAGE),dev)

holidays: $(INSTALLED)
	$(PY) scripts/generate_holidays.py

lock: $(INSTALLED)
	{ echo '# Every package of the development environment, pinned (pip freeze). Regenerate with `make lock`.'; \
	  $(PY) -m pip freeze --exclude-editable; } > constraints.txt

clean:
	rm -rf $(VENV) .local build .pytest_cache .mypy_cache .ruff_cache .hypothesis
