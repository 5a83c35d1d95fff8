# The two commands of the README: `make run` and `make test`. Both set up .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup run test lint format bench serve screenshots clean clean-warehouse cluster cluster-stop schema

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "wiretrace needs Python 3.11: install python3.11 or set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip==26.3
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	# DuckLake's extensions into DuckDB's extension folder, offline, for the stock `duckdb` shell (README: Warehouse)
	$(BIN)/python -c "from warehouse import lake; lake.install_extensions()"
	touch $(STAMP)

run: setup
	$(BIN)/wiretrace run

# Prefect's temporary API gets 2 minutes to start (its default, 20 s, is too short on a busy machine).
# A test process that crashes (a native fault) ends the run as failed at once: a replaced worker can
# leave pytest-xdist's loadfile scheduling waiting forever for the tests the crashed one held.
test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=120 $(BIN)/python -m pytest -n 2 --dist loadfile --max-worker-restart 0

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	$(BIN)/python benchmarks/extraction_quality.py
	$(BIN)/python benchmarks/attribution.py
	$(BIN)/python benchmarks/extraction_speed.py
	$(BIN)/python benchmarks/feed_polling.py
	$(BIN)/python benchmarks/provenance.py --sizes 10000 100000 --warehouse 10000

# Scheduled mode: local Prefect server (UI on http://127.0.0.1:4200), work pool, the deployments of
# prefect.yaml and a worker, until Ctrl-C (which stops them all). Options: `wiretrace serve --help`.
serve: setup
	$(BIN)/wiretrace serve $(SERVE_ARGS)

# Scale-out on this machine, all on 127.0.0.1 (README: A local cluster): PostgreSQL (Debian package),
# a Dask scheduler and 2 workers, a Prefect server and 2 workers; runs the seeds and a local feed server
# through it and compares the warehouse with an embedded run's. It keeps running until `make cluster-stop`,
# which stops exactly the processes recorded in .cluster/state.json.
cluster: setup
	$(BIN)/python -m wiretrace.cluster up

cluster-stop:
	$(BIN)/python -m wiretrace.cluster down

# warehouse/sql/lake/schema.sql, the schema after every migration for reading, written again (after a new
# migration; tests/warehouse/test_schema_listing.py fails until it is).
schema: setup
	$(BIN)/python -m warehouse.schema_listing

# The HTML report and the Prefect UI as PNGs in screenshots/ (needs chromium: apt-get install -y chromium).
screenshots: setup
	$(BIN)/python benchmarks/screenshots.py

# The warehouse only (catalog, data folder, WARC archive): the next run starts an empty one.
clean-warehouse:
	rm -rf warehouse/*.sqlite warehouse/*.sqlite-wal warehouse/*.sqlite-shm \
		warehouse/*.sqlite.files warehouse/.*.sqlite.lock \
		warehouse/*.duckdb warehouse/*.duckdb.wal warehouse/.*.duckdb.* warehouse/archive

# Everything made here: the warehouse, .venv, exports and screenshots.
clean: clean-warehouse
	rm -rf $(VENV) exports screenshots
