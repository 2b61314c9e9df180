#!/usr/bin/env bash
# `make security`: the security tests of issue 7 on the test broker (scripts/test.sh), with a larger
# fuzz budget, then a summary per area. Extra arguments go to pytest.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
report="$ROOT/.run/security"
mkdir -p "$report"
: > "$report/summary.txt"
export KINERJA_SECURITY_REPORT="$report/summary.txt"
export KINERJA_FUZZ_EXAMPLES="${KINERJA_FUZZ_EXAMPLES:-15}"

bash scripts/test.sh -p no:cacheprovider -q --junitxml="$report/junit.xml" \
  tests/e2e/test_authz_matrix.py tests/fuzz tests/test_kafka_auth.py tests/security tests/test_audit_tamper.py \
  libs/kit/tests/test_tokens_and_jwks.py libs/kit/tests/test_auth_and_settings.py libs/kit/tests/test_ratelimit.py "$@"
status=$?

"$ROOT/.venv/bin/python" - "$report/junit.xml" "$report/summary.txt" <<'PY'
import sys
import xml.etree.ElementTree as ET
from collections import Counter

AREAS = {"test_tokens_and_jwks": "tokens (expiry, nbf, iss/aud, wrong key, alg none, HS/RS, kid, JWKS rotation)",
         "test_auth_and_settings": "token claims and settings", "test_ratelimit": "write limit (unit)",
         "test_authz_matrix": "authorization matrix, mass assignment, uploads, rate limit",
         "test_fuzz_openapi": "OpenAPI fuzzing (schemathesis)", "test_kafka_auth": "Kafka SCRAM + ACLs (notify, TLS)",
         "test_kafka_service_acls": "Kafka ACLs per service (each denied the topics it does not own)",
         "test_audit_tamper": "audit chain tamper detection"}
try:
    cases = ET.parse(sys.argv[1]).getroot().iter("testcase")
except (OSError, ET.ParseError):
    sys.exit(print("security: no results (see the output above)"))
seen: dict[str, Counter] = {}
for c in cases:
    area = next((a for a in AREAS if a in c.get("classname", "")), c.get("classname", "?"))
    outcome = "failed" if c.find("failure") is not None or c.find("error") is not None else \
        "skipped" if c.find("skipped") is not None else "passed"
    seen.setdefault(area, Counter())[outcome] += 1
print("\n== security summary ==")
for area, n in seen.items():
    print(f"{AREAS.get(area, area)}: {n['passed']} passed, {n['failed']} failed, {n['skipped']} skipped")
for line in open(sys.argv[2]):
    print("  " + line.rstrip())
PY
exit $status
