#!/usr/bin/env bash
# `make bench` (quick, a few minutes) and `make bench-month` (a city's month-end): the rush on the
# running platform (bench/rush.py, load from vegeta) and the month close (bench/period_close.py),
# each beside its baselines measured in the same run. Starts the platform when it is not up and
# stops what it started. Results: bench/results/rush.json and rush.png. Kafka's kafka-producer-perf-test
# comes from kafka-tools resolved by Maven (bench/kafka-perf/pom.xml) into <run>/kafka/perf-libs.
# `bash scripts/bench.sh files [args of bench/intake_files.py]` (`make bench-files`): evidence
# uploads and e-Absen attendance into the activity service; results in bench/results/intake_files.json.
# `bash scripts/bench.sh approval [args of bench/approval.py]` (`make bench-approval`): scored → inbox
# latency at a sustained rate and a bulk approval of 200 tasks; results in bench/results/approval.json.
# `bash scripts/bench.sh scoring [args of bench/scoring.py]` (`make bench-scoring`): the scoring consumer
# draining a backlog of 2,000 activities beside a bare aiokafka consumer, and approval → monthly
# performance delay of 300 approvals; results in bench/results/scoring.json. It stops and restarts the
# scoring service process of `make up`.
# `bash scripts/bench.sh dashboard [args of bench/dashboard.py]` (`make bench-dashboard`): approval → open
# dashboard stream delay (p50/p99) with 20,000 employees and 100 streams, and the dashboard's answer time
# for the largest unit and the organisation; results in bench/results/dashboard.json.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MODE="${1:-quick}"
RUN_DIR="${KINERJA_RUN_DIR:-$ROOT/.run}"
VEGETA_VERSION=v12.13.0

bash scripts/bootstrap.sh
export VEGETA="$RUN_DIR/tools/bin/vegeta"
if [ "$MODE" != files ] && [ "$MODE" != notify ] && [ "$MODE" != scoring ] && [ "$MODE" != dashboard ] && [ ! -x "$VEGETA" ]; then
  command -v go >/dev/null 2>&1 || { echo "bench: Go is needed to install vegeta"; exit 1; }
  echo "bench: installing vegeta $VEGETA_VERSION from the Go module proxy"
  mkdir -p "$RUN_DIR/tools/bin"
  GOBIN="$RUN_DIR/tools/bin" go install "github.com/tsenart/vegeta/v12@$VEGETA_VERSION"
fi

started_here=0
if ! curl -fsS http://127.0.0.1:8001/health/ready >/dev/null 2>&1; then
  bash scripts/up.sh >/dev/null
  started_here=1
fi
cleanup() { if [ "$started_here" = 1 ]; then bash scripts/down.sh >/dev/null 2>&1 || true; fi; }
trap cleanup EXIT

if [ "$MODE" = files ]; then
  uv run python bench/intake_files.py --employees 20000 --uploads 200 --clients 20 \
    --bootstrap "127.0.0.1:${KINERJA_KAFKA_PORT:-9092}" --pg "$(bash scripts/postgres.sh url postgres)" "${@:2}"
  exit 0
fi
if [ "$MODE" = approval ]; then
  uv run python bench/approval.py --employees 2000 --rate 50 --duration 20 --sample 50 --bulk 200 \
    --bootstrap "127.0.0.1:${KINERJA_KAFKA_PORT:-9092}" "${@:2}"
  exit 0
fi
if [ "$MODE" = notify ]; then
  uv run python bench/notify.py --events 5000 --streams 20 \
    --bootstrap "127.0.0.1:${KINERJA_KAFKA_PORT:-9092}" --pg "$(bash scripts/postgres.sh url kinerja_notify)" "${@:2}"
  exit 0
fi
if [ "$MODE" = scoring ]; then
  uv run python bench/scoring.py --employees 2000 --activities 2000 --approvals 300 --approve-rate 20 \
    --bootstrap "127.0.0.1:${KINERJA_KAFKA_PORT:-9092}" --scoring-db "$(bash scripts/postgres.sh url kinerja_scoring)" "${@:2}"
  exit 0
fi
if [ "$MODE" = dashboard ]; then
  uv run python bench/dashboard.py --employees 20000 --large 2000 --streams 100 --approvals 200 --approve-rate 10 \
    --bootstrap "127.0.0.1:${KINERJA_KAFKA_PORT:-9092}" "${@:2}"
  exit 0
fi
if [ "$MODE" = month ]; then
  rush_args=(--employees 20000 --rate 210 --duration 120 --burst-seconds 30 --approvals 3000)
  close_employees=100000
else
  rush_args=(--employees 2000 --rate 100 --duration 20 --burst-seconds 10 --approvals 300)
  close_employees=20000
fi
# Kafka's own kafka-producer-perf-test (kafka-tools, the broker's version), a baseline of the rush.
kafka_version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' deploy/kafka/pom.xml | head -n 1)"
perf_libs="$RUN_DIR/kafka/perf-libs"
if [ ! -f "$perf_libs/kafka-tools-$kafka_version.jar" ]; then
  echo "bench: resolving kafka-tools $kafka_version (kafka-producer-perf-test) with maven"
  rm -rf "$perf_libs"
  mvn -q -B -f bench/kafka-perf/pom.xml dependency:copy-dependencies -Dkafka.version="$kafka_version" \
    -Dkafka.libs.dir="$perf_libs" >/dev/null || echo "bench: kafka-tools not resolved; that baseline is skipped"
fi
uv run python bench/rush.py "${rush_args[@]}" --bootstrap "127.0.0.1:${KINERJA_KAFKA_PORT:-9092}" \
  --activity-db "$(bash scripts/postgres.sh url kinerja_activity)" --kafka-perf-libs "$perf_libs"
uv run python bench/period_close.py --employees "$close_employees" \
  --pg "$(bash scripts/postgres.sh url postgres | sed 's#/postgres$##')"
