# Kinerja: `make up` runs the platform locally, `make test` runs every test. Both install what
# is missing (uv + Python packages, Kafka jars via Maven, PostgreSQL from Debian's packages).
.PHONY: up down test unit bench token schemas

up:
	bash scripts/up.sh

down:
	bash scripts/down.sh

test:
	bash scripts/test.sh

# Fast tests only (no broker or database needed).
unit:
	bash scripts/bootstrap.sh && uv run pytest -q contracts/tests services libs/kit/tests/test_auth_and_settings.py

# Period close for a city (20,000 employees) on PostgreSQL; prints times and the ratio to a baseline.
bench:
	bash scripts/bootstrap.sh && bash scripts/postgres.sh start && \
	uv run python bench/period_close.py --pg "$$(bash scripts/postgres.sh url postgres | sed 's#/postgres$$##')"

# make token SUB=198503302010011002 ROLES=pegawai
token:
	@uv run kinerja-token --sub $(SUB) --roles $(or $(ROLES),pegawai)

schemas:
	uv run kinerja-schemas export
