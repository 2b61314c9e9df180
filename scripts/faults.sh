#!/usr/bin/env bash
# `make faults`: every fault scenario of tests/faults under load (its own broker, PostgreSQL cluster
# and services; see README "Fault tests"), a table of counts per scenario at the end and JSON in
# .run/faults/results.json. `make test` runs the quick subset. Extra arguments go to pytest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export KINERJA_FAULTS_SCENARIOS="${KINERJA_FAULTS_SCENARIOS:-full}"
exec bash "$ROOT/scripts/test.sh" tests/faults -q "$@"
