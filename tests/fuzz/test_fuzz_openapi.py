"""Every operation of every service's OpenAPI fuzzed with schemathesis (its generated valid and
invalid inputs), as an admin holding every role and as a plain pegawai: no answer is a 5xx.
KINERJA_FUZZ_EXAMPLES bounds the examples per operation and caller (small in `make test`)."""

from __future__ import annotations

import asyncio
import os

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from support import token

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]

EXAMPLES = int(os.environ.get("KINERJA_FUZZ_EXAMPLES", "5"))
ADMIN = "199912312099990009"
STAFF = "198505052099990002"
CSV = ("nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type\n"
       f"{ADMIN},Admin Fuzz,FUZZ,Unit Fuzz,Kepala,struktural,II.b,14,,PNS\n"
       f"{STAFF},Staf Fuzz,FUZZ,Unit Fuzz,Staf,pelaksana,,5,{ADMIN},PNS\n")
CALLERS = {"admin": token(ADMIN, "pegawai", "admin", "bpkad", "inspektorat", "pimpinan", "absensi"),
           "pegawai": token(STAFF)}
SKIP = ("/stream",)  # server-sent events never end; their refusals are covered by the e2e tests
# A 5xx found but not fixed yet: "METHOD /path" -> why; printed, not failed (none now).
KNOWN: dict[str, str] = {}
# Each 5xx the fuzzer found, fixed: now 422 naming the parameter.
REGRESSIONS = [
    ("activity", "GET", "/v1/attendance/198505052099990002/0000-01", "month"),
    ("activity", "GET", "/v1/activities?month=0000-01", "month"),
    ("scoring", "GET", "/v1/talent/nine-box?period=0000&unit_code=FUZZ", "period"),
    ("scoring", "GET", "/v1/performance/198505052099990002/0000-01", "period"),
    ("scoring", "GET", "/v1/dashboard/units/FUZZ?period=0000-01", "period"),
    ("scoring", "GET", "/v1/inspektorat/flags?before_id=28114572632", "before_id"),  # an INTEGER key
    ("scoring", "POST", "/v1/inspektorat/flags/28114572632/review", "flag_id"),
    ("tpp", "POST", "/v1/periods/0000-01/cutoff", "period"),
    ("tpp", "POST", "/v1/periods/0000-01/close", "period"),
    ("tpp", "GET", "/v1/tpp/0000-01/198505052099990002", "period"),
    ("approval", "GET", "/v1/inbox?offset=36028797018963967000", "offset"),
    ("notify", "POST", "/v1/notifications/36028797018963967000/read", "notification_id"),
    ("notify", "GET", "/v1/notifications?before_id=36028797018963967000", "before_id"),
    ("notify", "DELETE", "/v1/webhooks/36028797018963967000", "webhook_id"),
    ("notify", "POST", "/v1/webhooks/1/deliveries/36028797018963967000/replay", "delivery_id"),
]


def fuzz_service(base: str, results: dict) -> None:
    schema = schemathesis.openapi.from_url(base + "/openapi.json")
    session = requests.Session()
    for result in schema.get_all_operations():
        op = result.ok()
        if op.path.endswith(SKIP):
            continue
        for caller, headers in CALLERS.items():
            calls, errors = 0, []

            @given(case=op.as_strategy())
            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            def run(case) -> None:
                nonlocal calls
                calls += 1
                try:
                    r = case.call(base_url=base, session=session, headers=headers, timeout=30)
                except requests.RequestException as exc:
                    errors.append(f"{type(exc).__name__}: {case.as_curl_command()}")
                    return
                if r.status_code >= 500:
                    errors.append(f"{r.status_code}: {case.as_curl_command()}")

            run()
            results[f"{caller} {op.method.upper()} {op.path}"] = (calls, errors)


async def test_no_operation_answers_5xx(fuzz_services):
    async with httpx.AsyncClient(timeout=30) as http:
        r = await http.post(fuzz_services.url("activity") + "/v1/org/import", content=CSV,
                            headers={**CALLERS["admin"], "content-type": "text/csv"})
        assert r.status_code == 200, r.text
    results: dict[str, tuple[int, list[str]]] = {}
    for name in fuzz_services.ports:
        await asyncio.to_thread(fuzz_service, fuzz_services.url(name), results)
    calls = sum(c for c, _ in results.values())
    failures = {op: errs for op, (_, errs) in results.items() if errs and op.split(" ", 1)[1] not in KNOWN}
    known = {op: errs for op, (_, errs) in results.items() if errs and op.split(" ", 1)[1] in KNOWN}
    lines = [f"fuzz: {len(results)} operation x caller pairs, {EXAMPLES} examples each, {calls} calls, "
             f"5xx {sum(map(len, failures.values()))}, known and reported {sum(map(len, known.values()))}"]
    lines += [f"fuzz known: {op}: {KNOWN[op.split(' ', 1)[1]]}; e.g. {errs[0]}" for op, errs in known.items()]
    print("\n" + "\n".join(lines))
    if path := os.environ.get("KINERJA_SECURITY_REPORT"):  # scripts/security.sh prints it at the end
        with open(path, "a") as f:
            f.writelines(line + "\n" for line in lines)
    assert len(results) > 100 and calls >= len(results)
    assert not failures, "\n".join(f"{op}: {errs[0]}" for op, errs in failures.items())


async def test_the_5xx_found_by_fuzzing_are_422_naming_the_parameter(fuzz_services):
    async with httpx.AsyncClient(timeout=30) as http:
        for svc, method, path, field in REGRESSIONS:
            r = await http.request(method, fuzz_services.url(svc) + path, headers=CALLERS["admin"], json=None)
            assert r.status_code == 422, (method, path, r.status_code, r.text)
            assert field in {e["field"] for e in r.json()["errors"]}, (path, r.text)
