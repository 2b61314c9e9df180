#!/usr/bin/env bash
# `make down`: stop the services (graceful SIGTERM), Kafka, and PostgreSQL if `make up` started it.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SVC_DIR="${KINERJA_RUN_DIR:-$ROOT/.run}/services"
for pidfile in "$SVC_DIR"/*.pid; do
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$pidfile"
  echo "down: stopped $(basename "$pidfile" .pid)"
done
bash scripts/kafka.sh stop
marker="${KINERJA_RUN_DIR:-$ROOT/.run}/postgres.started-by-up"
if [ -f "$marker" ]; then bash scripts/postgres.sh stop; rm -f "$marker"; fi
