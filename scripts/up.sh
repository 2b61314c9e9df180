#!/usr/bin/env bash
# `make up`: install what is missing, start Kafka, PostgreSQL, the five services and the demo
# organisation and the web app in the background; return when all are ready; print addresses and demo tokens.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUN_DIR="${KINERJA_RUN_DIR:-$ROOT/.run}"
SVC_DIR="$RUN_DIR/services"
SERVICES="activity:8001 scoring:8002 approval:8003 tpp:8004 notify:8005"
export PYTHON="$ROOT/.venv/bin/python"

bash scripts/bootstrap.sh
bash scripts/kafka.sh start
# `make down` stops PostgreSQL only if this started it (a cluster already running is someone else's).
if ! bash scripts/postgres.sh status >/dev/null 2>&1; then
  mkdir -p "$RUN_DIR" && touch "$RUN_DIR/postgres.started-by-up"
fi
bash scripts/postgres.sh start
for entry in $SERVICES; do bash scripts/postgres.sh createdb "kinerja_${entry%%:*}" >/dev/null; done
uv run kinerja-topics create --bootstrap "127.0.0.1:${KINERJA_KAFKA_PORT:-9092}"
export KINERJA_KAFKA_BOOTSTRAP="127.0.0.1:${KINERJA_KAFKA_PORT:-9092}"

mkdir -p "$SVC_DIR"
for entry in $SERVICES; do
  name=${entry%%:*}
  pidfile="$SVC_DIR/$name.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then continue; fi
  upper=$(echo "$name" | tr '[:lower:]' '[:upper:]')
  url=$(bash scripts/postgres.sh url "kinerja_$name")
  env "KINERJA_${upper}_DATABASE_URL=$url" nohup "$ROOT/.venv/bin/kinerja-$name" \
    >"$SVC_DIR/$name.log" 2>&1 &
  echo $! >"$pidfile"
done

for entry in $SERVICES; do
  name=${entry%%:*}; port=${entry##*:}
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$(cat "$SVC_DIR/$name.pid")" 2>/dev/null; then
      echo "up: $name exited; last log lines:"; tail -20 "$SVC_DIR/$name.log"; exit 1
    fi
    sleep 0.5
  done
  curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null || { echo "up: $name not ready"; exit 1; }
done

# The web app (static files + a same-origin proxy to the five services) on :8006.
if ! { [ -f "$SVC_DIR/web.pid" ] && kill -0 "$(cat "$SVC_DIR/web.pid")" 2>/dev/null; }; then
  nohup "$ROOT/.venv/bin/kinerja-web" >"$SVC_DIR/web.log" 2>&1 &
  echo $! >"$SVC_DIR/web.pid"
fi
for _ in $(seq 1 60); do curl -fsS http://127.0.0.1:8006/health/ready >/dev/null 2>&1 && break; sleep 0.5; done
curl -fsS http://127.0.0.1:8006/health/ready >/dev/null || { echo "up: web not ready"; tail -20 "$SVC_DIR/web.log"; exit 1; }

ADMIN=$(uv run kinerja-token --sub 199901012024011001 --roles admin)
curl -fsS -X POST -H "Authorization: Bearer $ADMIN" -H 'content-type: text/csv' \
  --data-binary @deploy/demo/org.csv http://127.0.0.1:8001/v1/org/import >/dev/null
echo "up: demo organisation imported (deploy/demo/org.csv)"

cat <<MSG

Kinerja is up.
  web app   http://127.0.0.1:8006/         (local mode: pick a demo user)
  activity  http://127.0.0.1:8001/docs     scoring  http://127.0.0.1:8002/docs
  approval  http://127.0.0.1:8003/docs     tpp      http://127.0.0.1:8004/docs
  notify    http://127.0.0.1:8005/docs     Kafka    127.0.0.1:${KINERJA_KAFKA_PORT:-9092}
Demo tokens (12 h):
  ADMIN=$ADMIN
  ANI=$(uv run kinerja-token --sub 198503302010011002 --roles pegawai)      # pegawai
  BUDI=$(uv run kinerja-token --sub 197501012000031001 --roles pegawai)     # Ani's atasan
Logs: $SVC_DIR/<service>.log    Stop: make down
MSG
