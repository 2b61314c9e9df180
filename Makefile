# Kinerja: `make up` runs the platform locally, `make test` runs every test. Both install what
# is missing (uv + Python packages, Kafka jars via Maven, PostgreSQL from Debian's packages).
.PHONY: up down test security faults unit bench bench-month bench-files bench-approval bench-notify bench-scoring bench-dashboard token schemas

up:
	bash scripts/up.sh

down:
	bash scripts/down.sh

test:
	bash scripts/test.sh

# The security tests (tokens, authorization matrix, mass assignment, uploads, rate limits, OpenAPI
# fuzzing, audit tamper, Kafka ACLs) with a larger fuzz budget, and a summary per area.
security:
	bash scripts/security.sh

# Every fault scenario (kills, broker and PostgreSQL outages, proxy faults, poison, storm) under load;
# `make test` runs the quick subset. Table per scenario at the end, JSON in .run/faults/results.json.
faults:
	bash scripts/faults.sh

# Fast tests only (no broker or database needed).
unit:
	bash scripts/bootstrap.sh && uv run pytest -q contracts/tests services libs/kit/tests/test_auth_and_settings.py

# Quick benchmark (a few minutes): month-end rush on the running platform + month close of
# 20,000 employees, each beside its baselines; results in bench/results/.
bench:
	bash scripts/bench.sh quick

# The full month-end: 20,000 employees at 210 activities/s, month close of 100,000.
bench-month:
	bash scripts/bench.sh month

# Evidence uploads (20 clients × 10 MiB) and a morning's e-Absen (20,000 records) into the activity
# service, each beside its baseline; results in bench/results/intake_files.json.
bench-files:
	bash scripts/bench.sh files

# Approval: scored → inbox latency at 50 activities/s, and one bulk approval of 200 tasks, each
# beside a Kafka baseline; results in bench/results/approval.json.
bench-approval:
	bash scripts/bench.sh approval

# Notifications: stored per second, webhook deliveries per second, decision → stream delay.
bench-notify:
	bash scripts/bench.sh notify

# Scoring: consumer throughput draining a backlog of 2,000 activities beside a bare aiokafka consumer,
# and approval → monthly performance delay (p50/p99); results in bench/results/scoring.json.
bench-scoring:
	bash scripts/bench.sh scoring

# Dashboards: approval → open stream update (p50/p99) with 20,000 employees and 100 open streams, and
# the dashboard's answer time for the largest unit and the organisation; results in bench/results/dashboard.json.
bench-dashboard:
	bash scripts/bench.sh dashboard

# make token SUB=198503302010011002 ROLES=pegawai
token:
	@uv run kinerja-token --sub $(SUB) --roles $(or $(ROLES),pegawai)

schemas:
	uv run kinerja-schemas export
