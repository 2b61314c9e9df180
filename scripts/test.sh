#!/usr/bin/env bash
# `make test`: install what is missing, start a private Kafka broker (own port and data dir) and
# PostgreSQL, run every test, stop what this script started.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
started=$(date +%s)

bash scripts/bootstrap.sh
bash scripts/ops-tools.sh  # docker compose, promtool, kubernetes-validate for tests/deploy (offline checks)
bash scripts/browser-tools.sh  # Debian's chromium for the web app's browser tests
export PYTHON="$ROOT/.venv/bin/python"

# The test broker never touches the one `make up` runs.
export KINERJA_RUN_DIR="${KINERJA_TEST_RUN_DIR:-$ROOT/.run/test}"
export KINERJA_KAFKA_PORT="${KINERJA_TEST_KAFKA_PORT:-19092}"
export KINERJA_KAFKA_CONTROLLER_PORT="${KINERJA_TEST_KAFKA_CONTROLLER_PORT:-19093}"
# The production auth profile (SCRAM + ACLs) on a second listener, for tests/test_kafka_auth.py.
export KINERJA_KAFKA_SASL_PORT="${KINERJA_TEST_KAFKA_SASL_PORT:-19094}"
export KINERJA_KAFKA_SASL_SSL_PORT="${KINERJA_TEST_KAFKA_SASL_SSL_PORT:-19095}"
export KINERJA_KAFKA_SCRAM_USERS="kinerja-notify=notify-test-secret"

pg_was_running=0
if bash scripts/postgres.sh status >/dev/null 2>&1; then pg_was_running=1; fi

cleanup() {
  bash scripts/kafka.sh stop || true
  if [ "$pg_was_running" = 0 ]; then bash scripts/postgres.sh stop || true; fi
}
trap cleanup EXIT

bash scripts/kafka.sh reset >/dev/null 2>&1 || true
bash scripts/kafka.sh start
bash scripts/postgres.sh start
uv run kinerja-topics create --bootstrap "127.0.0.1:$KINERJA_KAFKA_PORT"

export KINERJA_TEST_KAFKA_BOOTSTRAP="127.0.0.1:$KINERJA_KAFKA_PORT"
export KINERJA_TEST_KAFKA_SASL_BOOTSTRAP="127.0.0.1:$KINERJA_KAFKA_SASL_PORT"
export KINERJA_TEST_KAFKA_SASL_SSL_BOOTSTRAP="127.0.0.1:$KINERJA_KAFKA_SASL_SSL_PORT"
export KINERJA_TEST_KAFKA_CA="$KINERJA_RUN_DIR/kafka/tls/ca.crt"
export KINERJA_TEST_PG_URL="$(bash scripts/postgres.sh url postgres | sed 's#/postgres$##')"
export KINERJA_TEST_REQUIRE_INFRA=1

# The container image builder and the OpenTelemetry collector of tests/ops, built before pytest's timeouts run.
bash scripts/image-tools.sh install
bash tests/ops/otelcol/build.sh >/dev/null

set +e
uv run pytest "$@"
status=$?
set -e
echo "make test: pytest exit $status after $(( $(date +%s) - started ))s"
exit $status
