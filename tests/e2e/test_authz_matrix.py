"""Authorization matrix over every operation of every service's live OpenAPI (issue 7).

Each operation must be classified in EXPECT (a new endpoint fails the test until it is). For each:
no token → 401; a plain pegawai naming a colleague's object (activity, evidence, SKP, appraisal,
notification, delegation, slip, performance, attendance, unit dashboard) → 403/404 with the object
unchanged afterwards; a role endpoint called by a plain pegawai → 403; an own-data endpoint shows
none of the colleague's data. Then mass assignment (server-owned fields in every JSON body → 422
naming them), uploads (oversized, disguised, path tricks) and the per-user write limit.

Its own unit (AUTHZ-<run>) and NIPs (prefix 1985050520). Sorts before test_flow.py, which closes
the current month."""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from datetime import date, timedelta

import httpx
import pytest

from support import PDF, ROOT, eventually, import_org, post_activity, today, token

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]

ANY, OWN, OTHER = "any", "own", "other"  # any signed-in caller / the caller's own data / a colleague's object


def role(*roles: str) -> tuple[str, ...]:
    return ("role", *roles)


ADMIN = role("admin")
EXPECT: dict[tuple[str, str, str], object] = {
    ("activity", "POST", "/v1/activities"): OWN,
    ("activity", "GET", "/v1/activities"): OWN,
    ("activity", "POST", "/v1/activities/{activity_id}/evidence"): OTHER,
    ("activity", "GET", "/v1/activities/{activity_id}/evidence/{sha256}"): OTHER,
    ("activity", "PATCH", "/v1/activities/{activity_id}"): OTHER,
    ("activity", "GET", "/v1/activities/{activity_id}"): OTHER,
    ("activity", "POST", "/v1/activities/{activity_id}/withdraw"): OTHER,
    ("activity", "POST", "/v1/org/import"): ADMIN,
    ("activity", "GET", "/v1/org/employees/{nip}"): OTHER,
    ("activity", "POST", "/v1/attendance"): role("admin", "absensi"),
    ("activity", "GET", "/v1/attendance/{nip}/{month}"): OTHER,
    ("activity", "PUT", "/v1/calendar/{year}"): ADMIN,
    ("activity", "GET", "/v1/calendar/{year}"): ANY,
    ("activity", "POST", "/v1/discipline/sanctions"): ADMIN,
    ("activity", "GET", "/v1/discipline/sanctions"): OTHER,
    ("scoring", "GET", "/v1/catalog"): ANY,
    ("scoring", "POST", "/v1/catalog"): ADMIN,
    ("scoring", "GET", "/v1/catalog/{code}/versions"): ANY,
    ("scoring", "POST", "/v1/catalog/import"): ADMIN,
    ("scoring", "GET", "/v1/performance/{nip}/{period}"): OTHER,
    ("scoring", "POST", "/v1/skp"): OWN,
    ("scoring", "POST", "/v1/skp/{skp_id}/agree"): OTHER,
    ("scoring", "GET", "/v1/skp/{nip}/{year}"): OTHER,
    ("scoring", "POST", "/v1/skp/{skp_id}/appraisals"): OTHER,
    ("scoring", "GET", "/v1/skp/{skp_id}/appraisals/{appraisal_id}"): OTHER,
    ("scoring", "POST", "/v1/skp/{skp_id}/appraisals/{appraisal_id}/accept"): OTHER,
    ("scoring", "POST", "/v1/skp/{skp_id}/appraisals/{appraisal_id}/objection"): OTHER,
    ("scoring", "POST", "/v1/skp/{skp_id}/appraisals/{appraisal_id}/objection/decision"): OTHER,
    ("scoring", "PUT", "/v1/units/{unit_code}/predikat"): ADMIN,
    ("scoring", "GET", "/v1/units/{unit_code}/predikat-distribution"): role("admin", "pimpinan", "inspektorat"),
    ("scoring", "POST", "/v1/units/{unit_code}/predikat-distribution/finalize"): ADMIN,
    ("scoring", "POST", "/v1/talent/potential"): ADMIN,
    ("scoring", "GET", "/v1/talent/nine-box"): role("pimpinan", "admin"),
    ("scoring", "GET", "/v1/dashboard/units/{unit_code}"): OTHER,
    ("scoring", "GET", "/v1/dashboard/organisation"): role("pimpinan", "admin", "inspektorat"),
    ("scoring", "GET", "/v1/dashboard/units/{unit_code}/report.xlsx"): OTHER,
    ("scoring", "GET", "/v1/dashboard/units/{unit_code}/report.pdf"): OTHER,
    ("scoring", "GET", "/v1/dashboard/units/{unit_code}/stream"): OTHER,
    ("scoring", "GET", "/v1/inspektorat/flags"): role("inspektorat", "admin"),
    ("scoring", "POST", "/v1/inspektorat/flags/{flag_id}/review"): role("inspektorat", "admin"),
    ("scoring", "GET", "/v1/inspektorat/thresholds"): role("inspektorat", "admin", "pimpinan"),
    ("scoring", "PUT", "/v1/inspektorat/thresholds"): ADMIN,
    ("scoring", "DELETE", "/v1/inspektorat/thresholds"): ADMIN,
    ("approval", "GET", "/v1/inbox"): OWN,
    ("approval", "GET", "/v1/inbox/counts"): OWN,
    ("approval", "POST", "/v1/approvals/{activity_id}/decision"): OTHER,
    ("approval", "POST", "/v1/approvals/bulk"): OTHER,
    ("approval", "GET", "/v1/audit/verify"): role("inspektorat", "admin"),
    ("approval", "GET", "/v1/audit/activities/{activity_id}"): role("inspektorat", "admin"),
    ("approval", "POST", "/v1/delegations"): OTHER,
    ("approval", "GET", "/v1/delegations"): OTHER,
    ("approval", "POST", "/v1/delegations/{delegation_id}/revoke"): OTHER,
    ("tpp", "POST", "/v1/periods/{period}/cutoff"): ADMIN,
    ("tpp", "POST", "/v1/periods/{period}/close"): ADMIN,
    ("tpp", "POST", "/v1/periods/{period}/recompute"): ADMIN,
    ("tpp", "GET", "/v1/periods/{period}"): role("admin", "bpkad", "inspektorat", "pimpinan"),
    ("tpp", "GET", "/v1/tpp/{period}/{nip}"): OTHER,
    ("tpp", "GET", "/v1/periods/{period}/export.csv"): role("bpkad", "admin"),
    ("tpp", "GET", "/v1/periods/{period}/export.xlsx"): role("bpkad", "admin"),
    ("tpp", "GET", "/v1/periods/{period}/siasn"): role("bpkad", "admin"),
    ("notify", "GET", "/v1/notifications"): OWN,
    ("notify", "POST", "/v1/notifications/{notification_id}/read"): OTHER,
    ("notify", "GET", "/v1/notifications/unread-count"): OWN,
    ("notify", "POST", "/v1/notifications/read-all"): OWN,
    ("notify", "GET", "/v1/notifications/stream"): OWN,
    ("notify", "GET", "/v1/notifications/preferences"): OWN,
    ("notify", "PUT", "/v1/notifications/preferences"): OWN,
    ("notify", "GET", "/v1/webhooks"): ADMIN,
    ("notify", "POST", "/v1/webhooks"): ADMIN,
    ("notify", "DELETE", "/v1/webhooks/{webhook_id}"): ADMIN,
    ("notify", "GET", "/v1/webhooks/{webhook_id}/deliveries"): ADMIN,
    ("notify", "POST", "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/replay"): ADMIN,
}

# Server-owned fields a client must never set; each write's JSON body with them is refused naming them.
SERVER_OWNED = {"id": "x", "status": "approved", "points": 999, "minutes": 999, "nip": "198505052000000001",
                "revision": 7, "approver_nip": "198505052000000001", "decided_by": "198505052000000001",
                "amount": 99_000_000, "tpp_amount": 99_000_000, "created_at": "2026-01-01T00:00:00Z",
                "created_by": "198505052000000001"}
ROW_SCHEMAS = {("scoring", "POST", "/v1/catalog/import"): "CatalogEntryIn"}
ALL_ROLES = ("pegawai", "admin", "bpkad", "inspektorat", "pimpinan", "absensi")
CSV = "nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type\n"
BERAKHLAK = ("berorientasi_pelayanan", "akuntabel", "kompeten", "harmonis", "loyal", "adaptif", "kolaboratif")


class People:
    def __init__(self, org) -> None:
        run = org.b[10:16]
        self.unit = f"AUTHZ-{run}"
        n = lambda tail: "1985050520" + run + tail  # noqa: E731
        self.head, self.sup, self.sup2 = n("01"), n("02"), n("03")
        self.owner, self.outsider, self.flooder = n("11"), n("12"), n("13")

    def csv(self, org) -> str:
        u = f"{self.unit},Unit Uji Otorisasi"
        return CSV + (f"{self.head},Kepala Uji,{u},Kepala Dinas,struktural,II.b,14,{org.head},PNS\n"
                      f"{self.sup},Kabid Uji,{u},Kepala Bidang,struktural,III.a,11,{self.head},PNS\n"
                      f"{self.sup2},Kabid Dua,{u},Kepala Bidang,struktural,III.a,11,{self.head},PNS\n"
                      f"{self.owner},Pemilik Data,{u},Staf,pelaksana,,5,{self.sup},PNS\n"
                      f"{self.outsider},Rekan Kerja,{u},Staf,pelaksana,,5,{self.sup},PNS\n"
                      f"{self.flooder},Penguji Batas,{u},Staf,pelaksana,,5,{self.sup},PNS\n")


def _resolve(spec: dict, node: dict) -> dict:
    while "$ref" in node:
        node = spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _properties(spec: dict, schema: dict) -> set[str]:
    schema = _resolve(spec, schema)
    props = set(schema.get("properties", {}))
    for part in schema.get("allOf", []) + schema.get("anyOf", []) + schema.get("oneOf", []):
        props |= _properties(spec, part)
    return props


async def _operations(http: httpx.AsyncClient, services) -> dict[tuple[str, str, str], dict]:
    ops = {}
    for name in services.ports:
        spec = (await http.get(services.url(name) + "/openapi.json")).json()
        for path, item in spec["paths"].items():
            for method, op in item.items():
                if method in ("get", "post", "put", "patch", "delete"):
                    ops[(name, method.upper(), path)] = {**op, "_spec": spec}
    return ops


async def _call(http, services, svc, method, path, headers, *, params=None, json=None, files=None, content=None):
    url = services.url(svc) + path
    if path.endswith("/stream"):  # status line only; the events would never end
        async with http.stream(method, url, headers=headers, params=params) as r:
            return r
    return await http.request(method, url, headers=headers, params=params, json=json, files=files, content=content)


async def _snapshot(http, services, ctx, p) -> dict:
    """What the outsider's calls must leave as it was, read by the owners."""
    act, sc, ap, nt = (services.url(s) for s in ("activity", "scoring", "approval", "notify"))
    year = today()[:4]
    reads = {
        "activity": (act + f"/v1/activities/{ctx['activity_id']}", p.owner),
        "employee": (act + f"/v1/org/employees/{p.owner}", p.owner),
        "skp": (sc + f"/v1/skp/{p.owner}/{year}", p.owner),
        "sup_skp": (sc + f"/v1/skp/{p.sup}/{year}", p.sup),
        "appraisal": (sc + f"/v1/skp/{ctx['skp_id']}/appraisals/{ctx['appraisal_id']}", p.owner),
        "inbox": (ap + "/v1/inbox", p.sup),
        "trail": (ap + f"/v1/audit/activities/{ctx['activity_id']}", None),
        "delegations": (ap + "/v1/delegations", p.sup),
        "notifications": (nt + "/v1/notifications", p.owner),
        "preferences": (nt + "/v1/notifications/preferences", p.owner),
    }
    out = {}
    for key, (url, who) in reads.items():
        r = await http.get(url, headers=token(who) if who else token(p.head, "inspektorat"))
        assert r.status_code == 200, (key, r.status_code, r.text)
        out[key] = r.json()
    return out


def _bodies(ctx, p) -> dict[tuple[str, str], dict]:
    """Well-formed bodies, so a refusal is the authorization's and not the validation's."""
    return {
        ("PATCH", "/v1/activities/{activity_id}"): {"json": {"quantity": 3, "description": "diubah orang lain"}},
        ("POST", "/v1/activities/{activity_id}/withdraw"): {"json": {"reason": "bukan milik saya"}},
        ("POST", "/v1/activities/{activity_id}/evidence"): {"files": [("evidence", ("x.pdf", PDF, "application/pdf"))]},
        ("POST", "/v1/approvals/{activity_id}/decision"): {"json": {"decision": "approve"}},
        ("POST", "/v1/approvals/bulk"): {"json": {"activity_ids": [ctx["activity_id"]], "decision": "approve"}},
        ("POST", "/v1/delegations"): {"json": {"delegate_nip": p.outsider, "from": today(), "until": today(),
                                               "delegator_nip": p.sup}},
        ("POST", "/v1/skp/{skp_id}/appraisals"): {"json": ctx["appraisal_body"]},
        ("POST", "/v1/skp/{skp_id}/appraisals/{appraisal_id}/objection"): {"json": {"reason": "tidak setuju"}},
        ("POST", "/v1/skp/{skp_id}/appraisals/{appraisal_id}/objection/decision"): {
            "json": {"outcome": "upheld", "note": "dikabulkan"}},
    }


def _params(ctx, p) -> dict[tuple[str, str], dict]:
    """Path and query values per operation where the name alone does not say whose object."""
    return {
        ("POST", "/v1/skp/{skp_id}/agree"): {"skp_id": ctx["sup_skp_id"]},  # the Kabid's, not yet agreed
        ("GET", "/v1/skp/{nip}/{year}"): {"nip": p.owner},
        ("GET", "/v1/delegations"): {"nip": p.sup},
        ("GET", "/v1/discipline/sanctions"): {"nip": p.owner},
    }


async def _setup(http, services, org, p) -> dict:
    act, sc, ap, nt = (services.url(s) for s in ("activity", "scoring", "approval", "notify"))
    await import_org(http, services, org)
    r = await http.post(act + "/v1/org/import", content=p.csv(org),
                        headers={**token(org.admin, "admin"), "content-type": "text/csv"})
    assert r.status_code == 200, r.text
    ctx: dict = {"nip": p.owner, "month": today()[:7], "period": today()[:7], "year": today()[:4],
                 "code": "LAPORAN", "unit_code": p.unit, "flag_id": "1", "webhook_id": "1", "delivery_id": "1"}
    # The owner's activity with evidence (stays pending), and one the Kabid approves (a notification).
    async def submitted(start, end, evidence=None):
        r = await post_activity(http, services, p.owner, evidence=evidence, start_time=start, end_time=end,
                                quantity=1, type_code="LAPORAN" if evidence else "SURAT-MASUK")
        assert r.status_code == 201, r.text  # 403/422 until the new employee's event arrived
        return r.json()
    first = await eventually(lambda: submitted("07:30", "08:30", [("laporan.pdf", PDF)]))
    second = await eventually(lambda: submitted("08:30", "09:30"))
    ctx["activity_id"], ctx["sha256"] = first["id"], first["evidence"][0]

    async def approved():
        r = await http.post(ap + f"/v1/approvals/{second['id']}/decision", json={"decision": "approve"},
                            headers=token(p.sup))
        return r.status_code == 200
    await eventually(approved, timeout=60)

    async def pending_in_inbox():
        r = await http.get(ap + "/v1/inbox", headers=token(p.sup))
        return any(t["activity_id"] == first["id"] for t in r.json())
    await eventually(pending_in_inbox, timeout=60)

    async def notified():
        r = await http.get(nt + "/v1/notifications", headers=token(p.owner))
        return r.json()[0]["id"] if r.status_code == 200 and r.json() else None
    ctx["notification_id"] = await eventually(notified, timeout=60)

    # SKPs: the owner's (agreed by the Kabid, with a periodic appraisal) and the Kabid's (not agreed).
    def skp_body(title):
        return {"year": int(ctx["year"]), "rhk": [{"kind": "main", "title": title, "indicators": [
            {"name": "Laporan", "target": "12", "unit": "laporan", "aspect": "kuantitas"}]}]}

    async def proposed(who, title):
        r = await http.post(sc + "/v1/skp", json=skp_body(title), headers=token(who))
        return r.json() if r.status_code == 201 else None
    skp = await eventually(lambda: proposed(p.owner, "Laporan layanan tersusun"))
    ctx["sup_skp_id"] = (await eventually(lambda: proposed(p.sup, "Bidang berjalan baik")))["id"]
    ctx["skp_id"] = skp["id"]
    r = await http.post(sc + f"/v1/skp/{skp['id']}/agree", headers=token(p.sup))
    assert r.status_code == 200, r.text
    ctx["appraisal_body"] = {
        "kind": "periodic", "period": ctx["month"], "results_rating": "sesuai", "behaviour_rating": "sesuai",
        "rhk_ratings": [{"rhk_id": x["id"], "rating": "sesuai", "note": "ok"} for x in skp["rhk"]],
        "behaviour": {a: "sesuai" for a in BERAKHLAK}, "behaviour_note": "baik"}
    r = await http.post(sc + f"/v1/skp/{skp['id']}/appraisals", json=ctx["appraisal_body"], headers=token(p.sup))
    assert r.status_code == 201, r.text
    ctx["appraisal_id"] = r.json()["id"]
    # The Kabid delegates to the other Kabid for a day next week (today's decisions stay theirs).
    d = (date.fromisoformat(today()) + timedelta(days=7)).isoformat()
    r = await http.post(ap + "/v1/delegations", json={"delegate_nip": p.sup2, "from": d, "until": d},
                        headers=token(p.sup))
    assert r.status_code == 201, r.text
    ctx["delegation_id"] = r.json()["id"]
    return ctx


async def test_authz_matrix(services, org):
    p = People(org)
    counts = {"calls": 0, "401": 0, "403/404": 0, "own-data": 0, "mass-assignment": 0, "uploads": 0,
              "rate-limit": 0, "successes": 0}
    successes: list[str] = []
    async with httpx.AsyncClient(timeout=60) as http:
        ops = await _operations(http, services)
        unclassified = sorted(set(ops) - set(EXPECT))
        assert not unclassified, f"operations missing from EXPECT (classify them): {unclassified}"
        stale = sorted(set(EXPECT) - set(ops))
        assert not stale, f"EXPECT names operations no service has: {stale}"

        ctx = await _setup(http, services, org, p)
        before = await _snapshot(http, services, ctx, p)
        bodies, overrides = _bodies(ctx, p), _params(ctx, p)
        outsider = token(p.outsider)

        for (svc, method, path), op in sorted(ops.items()):
            kind = EXPECT[(svc, method, path)]
            values = {**ctx, **overrides.get((method, path), {})}
            concrete = re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)
            query = {prm["name"]: values[prm["name"]] for prm in op.get("parameters", [])
                     if prm["in"] == "query" and (prm.get("required") or prm["name"] in overrides.get((method, path), {}))}
            body = bodies.get((method, path), {})
            label = f"{method} {svc}{concrete}"

            r = await _call(http, services, svc, method, concrete, {}, params=query, **body)
            counts["calls"] += 1
            if r.status_code != 401:
                successes.append(f"no token: {label} -> {r.status_code}")
            else:
                counts["401"] += 1

            if kind == ANY or kind == OWN and method != "GET":
                continue  # own writes are checked below (mass assignment, uploads, the limit)
            r = await _call(http, services, svc, method, concrete, outsider, params=query, **body)
            counts["calls"] += 1
            if kind == OWN:
                text = "" if path.endswith("/stream") else r.text
                if r.status_code >= 400 or p.owner in text or ctx["activity_id"] in text:
                    successes.append(f"own data: {label} -> {r.status_code} shows the colleague's")
                else:
                    counts["own-data"] += 1
                continue
            refused = {403} if kind != OTHER else {403, 404}
            ok = r.status_code in refused
            if path == "/v1/approvals/bulk" and r.status_code == 200:  # per item: none decided
                ok = not any(item["decided"] for item in r.json()["results"])
            if ok:
                counts["403/404"] += 1
            else:
                successes.append(f"pegawai: {label} -> {r.status_code} {r.text[:200]}")

        after = await _snapshot(http, services, ctx, p)
        changed = [k for k in before if before[k] != after[k]]
        assert not changed, f"a refused call changed {changed}: {[(before[k], after[k]) for k in changed]}"

        counts["mass-assignment"] = await _mass_assignment(http, services, ops, ctx, p, successes)
        counts["uploads"] = await _uploads(http, services, p, successes)
        counts["rate-limit"] = await _rate_limit(http, services, p, successes)

    counts["calls"] += counts["mass-assignment"] + counts["uploads"] + counts["rate-limit"]
    counts["successes"] = len(successes)
    line = f"authz matrix: {len(ops)} operations; " + ", ".join(f"{k} {v}" for k, v in counts.items())
    print("\n" + line)
    if path := os.environ.get("KINERJA_SECURITY_REPORT"):  # scripts/security.sh prints it at the end
        with open(path, "a") as f:
            f.write(line + "\n")
    assert not successes, "\n".join(successes)


async def _mass_assignment(http, services, ops, ctx, p, successes) -> int:
    """Each JSON write with the server-owned fields its body does not declare → 422 naming each."""
    checked = 0
    caller = token(p.owner, *ALL_ROLES)
    for (svc, method, path), op in sorted(ops.items()):
        content = op.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            continue
        spec = op["_spec"]
        schema = _resolve(spec, content["application/json"].get("schema", {}))
        is_list = schema.get("type") == "array"
        declared = _properties(spec, schema.get("items", {}) if is_list else schema)
        if row := ROW_SCHEMAS.get((svc, method, path)):  # a file of rows described elsewhere
            declared |= _properties(spec, {"$ref": f"#/components/schemas/{row}"})
        extra = {k: v for k, v in SERVER_OWNED.items() if k not in declared}
        concrete = re.sub(r"\{(\w+)\}", lambda m: str(ctx[m.group(1)]), path)
        query = {prm["name"]: ctx[prm["name"]] for prm in op.get("parameters", [])
                 if prm["in"] == "query" and prm.get("required")}
        r = await http.request(method, services.url(svc) + concrete, json=[extra] if is_list else extra,
                               params=query, headers=caller)
        checked += 1
        named = {str(e.get("field")).rsplit(".", 1)[-1] for e in r.json().get("errors", [])} \
            if r.status_code == 422 else set()
        if missing := set(extra) - named:
            successes.append(f"mass assignment: {method} {svc}{path} -> {r.status_code}, not refused: {sorted(missing)}")
    # The multipart form of a submission too.
    r = await http.post(services.url("activity") + "/v1/activities", headers=token(p.owner),
                        data={"type_code": "SURAT-MASUK", "date": today(), "start_time": "13:00", "end_time": "13:30",
                              "quantity": "1", "description": "x", "status": "approved", "points": "99"},
                        files=[("evidence", ("a.pdf", PDF, "application/pdf"))])
    named = {e.get("field") for e in r.json().get("errors", [])} if r.status_code == 422 else set()
    if not {"status", "points"} <= named:
        successes.append(f"mass assignment: multipart POST /v1/activities -> {r.status_code} {r.text[:200]}")
    return checked + 1


async def _uploads(http, services, p, successes) -> int:
    """Oversized, disguised and path-trick files: refused, or stored by hash only (never a path)."""
    url = services.url("activity") + "/v1/activities"
    big = PDF + b"0" * (10 * 1024 * 1024)
    cases = [
        ("oversized", "besar.pdf", big, "application/pdf", False),
        ("script as jpg", "foto.jpg", b"#!/bin/sh\nrm -rf /\n", "image/jpeg", False),
        ("html as pdf", "surat.pdf", b"<html><script>alert(1)</script></html>", "application/pdf", False),
        ("traversal", "../../etc/passwd", PDF, "application/pdf", True),
        ("nul", "a\x00.pdf", PDF + b"%nul", "application/pdf", True),
        ("long name", "A" * 5000 + ".pdf", PDF + b"%long", "application/pdf", True),
    ]
    for i, (label, name, data, ctype, may_store) in enumerate(cases):
        body = {"type_code": "SURAT-MASUK", "date": today(), "start_time": f"14:{i}0", "end_time": f"14:{i}9",
                "quantity": "1", "description": f"unggah {label}"}
        try:
            r = await http.post(url, data=body, files=[("evidence", (name, data, ctype))], headers=token(p.owner))
        except httpx.HTTPError as exc:  # a refused oversized body may close the connection early
            successes.append(f"upload {label}: {exc!r}")
            continue
        if r.status_code == 201:
            shas = r.json()["evidence"]
            if not may_store or not all(re.fullmatch(r"[0-9a-f]{64}", s) for s in shas) or "passwd" in r.text:
                successes.append(f"upload {label}: stored -> {r.text[:200]}")
                continue
            got = await http.get(url + f"/{r.json()['id']}/evidence/{shas[0]}", headers=token(p.owner))
            if got.content != data:
                successes.append(f"upload {label}: stored bytes differ")
        elif not 400 <= r.status_code < 500 or r.json().get("errors", [{"field": "evidence"}])[0]["field"] != "evidence":
            successes.append(f"upload {label}: {r.status_code} {r.text[:200]}")
    # The evidence store is var/evidence under the services' working directory (the repository).
    if (ROOT / "etc" / "passwd").exists() or any((ROOT / "var").glob("**/passwd")):
        successes.append("upload traversal: a file named passwd was written")
    return len(cases)


async def _rate_limit(http, services, p, successes) -> int:
    """A burst past the per-user write limit answers 429 with Retry-After; another user is unaffected."""
    url = services.url("activity") + f"/v1/activities/{uuid.uuid4()}/withdraw"
    calls, limited = 0, None
    for batch in range(10):
        rs = await asyncio.gather(*(http.post(url, json={}, headers=token(p.flooder)) for _ in range(20)))
        calls += len(rs)
        limited = next((r for r in rs if r.status_code == 429), None)
        if limited is not None:
            break
    if limited is None or not int(limited.headers.get("retry-after", "0")) >= 1:
        successes.append(f"rate limit: no 429 with Retry-After after {calls} writes")
    other = await http.post(url, json={}, headers=token(p.outsider))
    calls += 1
    if other.status_code != 404:
        successes.append(f"rate limit: another user got {other.status_code}")
    return calls
