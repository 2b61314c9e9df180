# Kinerja: `make up` runs the platform locally, `make test` runs every test. Both install what
# is missing (uv + Python packages, Kafka jars via Maven, PostgreSQL from Debian's packages).
.PHONY: up down test unit token schemas

up:
	bash scripts/up.sh

down:
	bash scripts/down.sh

test:
	bash scripts/test.sh

# Fast tests only (no broker or database needed).
unit:
	bash scripts/bootstrap.sh && uv run pytest -q contracts/tests services

# make token SUB=198503302010011002 ROLES=pegawai
token:
	@uv run kinerja-token --sub $(SUB) --roles $(or $(ROLES),pegawai)

schemas:
	uv run kinerja-schemas export
