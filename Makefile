# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export LOPDESK_DB ?= data/lopdesk.db

.PHONY: run test test-pg lint bench clean setup mutate

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,postgres]'
	touch $(STAMP)

# Opens the app; creates the database with the demo area the first time (as of today, or
# of DEMO_TODAY=YYYY-MM-DD).
run: $(STAMP)
	@if [ ! -f "$(LOPDESK_DB)" ]; then \
		echo "Eerste start: databank $(LOPDESK_DB) wordt aangemaakt met het demogebied..."; \
		$(BIN)/lopdesk demo $(if $(DEMO_TODAY),--today $(DEMO_TODAY)) || exit 1; \
	fi
	$(BIN)/lopdesk

test: $(STAMP)
	$(BIN)/ruff check lopdesk tests benchmarks fixtures tools
	$(BIN)/pytest -p no:cacheprovider

# The same suite against PostgreSQL (LOPDESK_TEST_PG_URL must point at a server; see .ci/run).
test-pg: $(STAMP)
	@test -n "$$LOPDESK_TEST_PG_URL" || { echo "LOPDESK_TEST_PG_URL is not set"; exit 2; }
	$(BIN)/pytest -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check lopdesk tests benchmarks fixtures tools

# Mutation testing of the rule modules against the fast rule tests (mutmut; slow: not in CI).
# Prints the score and the surviving mutants; `.venv/bin/mutmut show NAME` shows one.
MUTATE_JOBS ?= 2
mutate: $(STAMP)
	$(BIN)/pip install --quiet -e '.[mutate]'
	rm -rf mutants
	$(BIN)/mutmut run --max-children $(MUTATE_JOBS) > mutants.log 2>&1 || { tail -n 30 mutants.log; exit 1; }
	$(BIN)/python tools/mutation_report.py

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info mutants mutants.log
