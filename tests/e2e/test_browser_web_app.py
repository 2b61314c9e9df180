"""The web app (issue 16) in a real headless Chromium (Debian's, driven by Playwright) against the
running platform: an employee logs an activity with a photo, the superior sees the photo and approves
it, the leader's dashboard (already open) shows it without a reload, an entry made offline is sent
exactly once when the connection returns; axe finds no serious or critical violation on any role's
main screen; screenshots of each main screen at phone and desktop size go to
$KINERJA_RUN_DIR/screenshots. Its own unit WEB-<run> and NIPs 1984040420…; sorts before
test_flow.py, which closes the current month."""

from __future__ import annotations

import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse

from support import ROOT, eventually, import_org, post_activity, today, token

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]

WEB_PORT = int(os.environ.get("KINERJA_TEST_PORT_BASE", "18000")) + 6
TZ = "Asia/Jakarta"  # the region's time zone, as on its employees' phones (the date fields' today)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
CSV = "nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type\n"


def png(width: int = 48, height: int = 32) -> bytes:
    """A small real PNG (a photo stand-in): intake sniffs the type from the bytes."""
    rows = b"".join(b"\x00" + bytes(v for x in range(width) for v in (x * 5 % 256, y * 7 % 256, 120))
                    for y in range(height))
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


class People:
    def __init__(self, org) -> None:
        run = org.b[10:16]
        self.unit = f"WEB-{run}"
        self.head, self.sup, self.emp, self.other = (f"1984040420{run}{t}" for t in ("01", "02", "03", "04"))
        self.admin, self.insp, self.bpkad = (f"1984040420{run}{t}" for t in ("91", "92", "93"))

    def csv(self, org) -> str:
        u = f"{self.unit},Dinas Aplikasi Web"
        return CSV + (f"{self.head},Hj. Sri Wahyuni,{u},Kepala Dinas,struktural,II.b,14,{org.head},PNS\n"
                      f"{self.sup},Budi Santoso,{u},Kepala Bidang,struktural,III.a,11,{self.head},PNS\n"
                      f"{self.emp},Ani Lestari,{u},Pranata Komputer,fungsional,,9,{self.sup},PNS\n"
                      f"{self.other},Dedi Kurniawan,{u},Pengadministrasi,pelaksana,,5,{self.sup},PNS\n")

    def demo_users(self) -> list[dict]:
        return [{"nip": self.emp, "name": "Ani Lestari", "roles": ["pegawai"], "home": "pegawai", "title": "Pranata Komputer"},
                {"nip": self.sup, "name": "Budi Santoso", "roles": ["pegawai"], "home": "atasan", "title": "Kepala Bidang"},
                {"nip": self.head, "name": "Hj. Sri Wahyuni", "roles": ["pegawai", "pimpinan"], "home": "pimpinan",
                 "title": "Kepala Dinas"},
                {"nip": self.insp, "name": "Auditor Inspektorat", "roles": ["inspektorat"], "home": "inspektorat", "title": "Auditor"},
                {"nip": self.admin, "name": "Admin BKPSDMD", "roles": ["admin"], "home": "admin", "title": "Admin"},
                {"nip": self.bpkad, "name": "Petugas BPKAD", "roles": ["bpkad"], "home": "admin", "title": "BPKAD"}]


@pytest.fixture(scope="session")
def people(org) -> People:
    return People(org)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def web(services, people, tmp_path_factory):
    users = tmp_path_factory.mktemp("web") / "users.json"
    users.write_text(json.dumps(people.demo_users()))
    env = {**os.environ, "KINERJA_WEB_HTTP_PORT": str(WEB_PORT), "KINERJA_WEB_DEMO_USERS_FILE": str(users),
           **{f"KINERJA_WEB_{s.upper()}_URL": services.url(s) for s in ("activity", "scoring", "approval", "tpp", "notify")}}
    log_dir = ROOT / ".run" / "test" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / "web.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "web_service.main"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{WEB_PORT}"
    try:
        async with httpx.AsyncClient() as http:
            async def ready():
                assert proc.poll() is None, "the web process exited; see .run/test/logs/web.log"
                try:
                    return (await http.get(url + "/health/ready")).status_code == 200
                except httpx.TransportError:
                    return False
            await eventually(ready, 30)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser():
    from playwright.async_api import async_playwright

    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is missing: bash scripts/browser-tools.sh"
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=executable, headless=True,
                                    env={**os.environ, "LANGUAGE": "id", "LANG": "id_ID.UTF-8"},
                                    args=["--no-sandbox", "--disable-dev-shm-usage", "--lang=id-ID"])
        yield b
        await b.close()


PAGE_ERRORS: list[str] = []  # uncaught script errors in any page
SHOTS = Path(os.environ.get("KINERJA_RUN_DIR", str(ROOT / ".run" / "test"))) / "screenshots"


async def sign_in(context, web_url: str, nip: str):
    page = await context.new_page()
    page.on("dialog", lambda d: d.accept())
    page.on("pageerror", lambda e: PAGE_ERRORS.append(f"{nip}: {e}"))
    await page.goto(web_url + "/")
    await page.click(f"button[data-nip='{nip}']")
    await page.wait_for_function("location.hash !== '#/masuk' && !!document.querySelector('main h1')")
    return page


async def axe_serious(page) -> list[str]:
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")]


@pytest.mark.timeout(600)  # one long story through five browser sessions
async def test_roles_work_live_and_offline_in_the_browser(services, org, people, web, browser):
    act = services.url("activity")
    admin = token(org.admin, "admin")
    async with httpx.AsyncClient(timeout=30) as http:
        await import_org(http, services, org)
        r = await http.post(act + "/v1/org/import", content=people.csv(org), headers={**admin, "content-type": "text/csv"})
        assert r.status_code == 200, r.text

        async def scoring_knows_the_unit():
            r = await http.get(services.url("scoring") + f"/v1/dashboard/units/{people.unit}", headers=token(people.head))
            return r.status_code == 200
        await eventually(scoring_knows_the_unit, 60)

        # The leader's dashboard is open before anything happens, and stays open.
        leader_ctx = await browser.new_context(viewport=DESKTOP, locale="id-ID", timezone_id=TZ)
        leader = await sign_in(leader_ctx, web, people.head)
        assert await page_hash(leader) == "#/pimpinan"
        await leader.wait_for_selector("[data-testid=live]:has-text('Langsung')", timeout=20_000)
        approved_tile = leader.locator("[data-testid=summary] [data-testid=approved] .value")
        assert await approved_tile.inner_text() == "0"
        await leader.evaluate("window.__notReloaded = true")

        # The employee, on a phone, logs an activity with a photo.
        emp_ctx = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="id-ID", timezone_id=TZ)
        emp = await sign_in(emp_ctx, web, people.emp)
        assert await page_hash(emp) == "#/pegawai"
        await emp.get_by_label("Cari jenis kegiatan").fill("laporan kegiatan")
        await emp.get_by_label("Jenis kegiatan", exact=True).select_option("LAPORAN")
        await emp.get_by_label("Mulai", exact=True).first.fill("08:00")
        await emp.get_by_label("Selesai", exact=True).first.fill("09:00")
        await emp.get_by_label("Volume", exact=True).first.fill("1")
        await emp.get_by_label("Uraian", exact=True).first.fill("Menyusun laporan uji peramban")
        await emp.get_by_label("Foto dari kamera").set_input_files(
            {"name": "foto.png", "mimeType": "image/png", "buffer": png()})
        await emp.get_by_role("button", name="Kirim kegiatan", exact=True).click()
        item = emp.locator("[data-testid=today-list] li[data-activity]", has_text="Menyusun laporan uji peramban")
        await item.wait_for(timeout=30_000)
        activity_id = await item.get_attribute("data-activity")
        r = await http.get(act + f"/v1/activities/{activity_id}", headers=token(people.emp))
        assert r.status_code == 200 and len(r.json()["evidence"]) == 1, r.text

        # A colleague attaches the very same photo: the Inspektorat gets a duplicate_evidence flag.
        r = await post_activity(http, services, people.other, evidence=[("foto.png", png())], start_time="13:00", end_time="14:00")
        assert r.status_code == 201, r.text

        # The superior finds it in the inbox, sees the photo, approves it.
        sup_ctx = await browser.new_context(viewport=DESKTOP, locale="id-ID", timezone_id=TZ)
        sup = await sign_in(sup_ctx, web, people.sup)
        assert await page_hash(sup) == "#/atasan"
        task = sup.locator(f"[data-testid=inbox] li[data-activity='{activity_id}']")

        async def in_inbox():
            await sup.get_by_role("button", name="Terapkan filter", exact=True).click()
            await sup.wait_for_timeout(700)
            return await task.count() == 1
        await eventually(in_inbox, 60, interval=0.5)
        await task.get_by_role("button", name="Lihat bukti (1)").click()
        img = task.locator(".preview img")
        await img.wait_for(timeout=10_000)
        assert await img.evaluate("i => i.complete && i.naturalWidth") == 48  # the photo itself, fetched with the token
        await task.get_by_role("button", name="Setujui", exact=True).click()
        await sup.wait_for_selector(f"[data-testid=inbox] li[data-activity='{activity_id}']", state="detached", timeout=15_000)

        # The leader's dashboard shows it, without a reload.
        await leader.wait_for_function(
            "document.querySelector('[data-testid=summary] [data-testid=approved] .value')?.textContent === '1'", timeout=45_000)
        assert await leader.evaluate("window.__notReloaded === true")
        async with leader.expect_download() as download:  # a report through the proxy, with the token
            await leader.get_by_role("button", name="Unduh laporan PDF").click()
        assert Path(await (await download.value).path()).read_bytes()[:5] == b"%PDF-"
        r = await http.get(act + f"/v1/activities/{activity_id}", headers=token(people.emp))
        assert r.json()["status"] == "approved"

        # Offline: the entry is kept on the phone, then sent exactly once when the connection returns.
        await emp.reload()
        await emp.wait_for_selector("[data-testid=today-list] li[data-activity]")
        assert await emp.evaluate("navigator.serviceWorker.ready.then(r => !!r.active)")
        await emp_ctx.set_offline(True)
        await emp.reload()  # the service worker's cached shell and the kept catalog: the app works offline
        await emp.wait_for_selector("text=Catat kegiatan")
        await emp.wait_for_function("document.querySelectorAll('select[name=type_code] option').length > 10")
        await emp.get_by_label("Jenis kegiatan", exact=True).select_option("SURAT-MASUK")
        await emp.get_by_label("Mulai", exact=True).first.fill("10:00")
        await emp.get_by_label("Selesai", exact=True).first.fill("10:30")
        await emp.get_by_label("Volume", exact=True).first.fill("3")
        await emp.get_by_label("Uraian", exact=True).first.fill("Mengagendakan surat tanpa sinyal")
        await emp.get_by_role("button", name="Kirim kegiatan", exact=True).click()
        queued = emp.locator("[data-testid=queue-list] li")
        await queued.first.wait_for(timeout=10_000)
        assert await queued.count() == 1
        await emp.wait_for_timeout(1500)

        async def offline_entries():
            r = await http.get(act + f"/v1/activities?month={today()[:7]}", headers=token(people.emp))
            return [a for a in r.json() if a["description"] == "Mengagendakan surat tanpa sinyal"]
        assert await offline_entries() == []  # nothing left the phone
        await emp_ctx.set_offline(False)
        # within seconds: `online` fires (the 20 s retry is only for a missed event)
        await emp.locator("[data-testid=today-list] li", has_text="Mengagendakan surat tanpa sinyal").wait_for(timeout=18_000)
        await emp.wait_for_function("!document.querySelector('[data-testid=queue-list] li')", timeout=10_000)
        await emp.reload()  # the app start flushes the queue again: nothing is left to send twice
        await emp.wait_for_selector("[data-testid=today-list] li[data-activity]")
        await emp.wait_for_timeout(1500)
        sent = await offline_entries()
        assert len(sent) == 1, sent
        assert await emp.evaluate("(async () => (await import('/static/js/offline.js')).pending())()") == []


        # Inspektorat and admin screens; then accessibility and screenshots of each role's main screen.
        insp_ctx = await browser.new_context(viewport=DESKTOP, locale="id-ID", timezone_id=TZ)
        insp = await sign_in(insp_ctx, web, people.insp)
        assert await page_hash(insp) == "#/inspektorat"
        flag = insp.locator("[data-testid=flags] li", has_text="Bukti ganda")

        async def flagged():
            await insp.get_by_role("button", name="Terapkan", exact=True).click()
            await insp.wait_for_timeout(700)
            return await flag.count() == 1
        await eventually(flagged, 60, interval=0.5)
        await flag.get_by_label("Alasan tinjauan").fill("Foto yang sama dipakai dua pegawai; dikonfirmasi ke atasan")
        await flag.get_by_role("button", name="Tandai ditinjau").click()
        await insp.locator("[data-testid=flags] li", has_text="Ditinjau").wait_for(timeout=10_000)
        await insp.get_by_label("ID kegiatan").fill(activity_id)
        await insp.get_by_role("button", name="Tampilkan jejak", exact=True).click()
        await insp.wait_for_selector("table:has-text('approve')", timeout=10_000)
        await insp.get_by_role("button", name="Verifikasi rantai", exact=True).click()
        await insp.wait_for_selector("text=Utuh:", timeout=10_000)
        adm_ctx = await browser.new_context(viewport=DESKTOP, locale="id-ID", timezone_id=TZ)
        adm = await sign_in(adm_ctx, web, people.admin)
        assert await page_hash(adm) == "#/admin"
        await adm.get_by_label("Berkas CSV pegawai").set_input_files(
            {"name": "salah.csv", "mimeType": "text/csv", "buffer": (CSV + f"{people.other},X,{people.unit},U,Staf,honorer,,5,,PNS\n").encode()})
        await adm.get_by_role("button", name="Impor", exact=True).click()
        await adm.wait_for_selector("text=akan ditolak", timeout=10_000)  # the dry run's error report
        await adm.wait_for_selector("table:has-text('position_kind')")

        # The superior returns the offline entry with a reason; the employee sees it and revises it.
        offline_id = sent[0]["id"]
        returned = sup.locator(f"[data-testid=inbox] li[data-activity='{offline_id}']")

        async def waiting():
            await sup.get_by_role("button", name="Terapkan filter", exact=True).click()
            await sup.wait_for_timeout(700)
            return await returned.count() == 1
        await eventually(waiting, 60, interval=0.5)
        await returned.get_by_label("Alasan (wajib untuk tolak / kembalikan)").fill("Lengkapi nomor agenda suratnya")
        await returned.get_by_role("button", name="Kembalikan", exact=True).click()
        await returned.wait_for(state="detached", timeout=15_000)
        await emp.reload()
        mine = emp.locator(f"[data-testid=today-list] li[data-activity='{offline_id}']")
        await mine.wait_for()
        assert await mine.get_attribute("data-status") == "returned"
        assert "Lengkapi nomor agenda suratnya" in await mine.inner_text()
        await mine.get_by_role("button", name="Perbaiki dan kirim ulang").click()
        await mine.get_by_label("Uraian", exact=True).fill("Mengagendakan surat nomor 12-15 tanpa sinyal")
        await mine.get_by_role("button", name="Kirim perbaikan").click()
        await emp.wait_for_selector(f"[data-testid=today-list] li[data-activity='{offline_id}'][data-status=revised]", timeout=15_000)
        await eventually(waiting, 60, interval=0.5)  # back in the superior's inbox, pending again

        # Bulk approval of the colleague's task, and a delegation to the colleague for today.
        colleague = sup.locator("[data-testid=inbox] li[data-activity]", has_text="Dedi Kurniawan")
        await colleague.get_by_label("Pilih").check()
        await sup.get_by_role("button", name="Setujui yang dipilih (1)").click()
        await sup.wait_for_selector("text=1 disetujui", timeout=15_000)
        await colleague.wait_for(state="detached", timeout=15_000)
        await sup.get_by_label("NIP penerima delegasi").fill(people.other)
        await sup.get_by_role("button", name="Delegasikan").click()
        await sup.wait_for_selector(f"table:has-text('{people.other}'):has-text('aktif')", timeout=15_000)
        r = await http.get(services.url("approval") + "/v1/delegations", headers=token(people.other))
        assert [d["delegator_nip"] for d in r.json() if d["active"]] == [people.sup], r.text

        pages = {"pegawai": emp, "atasan": sup, "pimpinan": leader, "inspektorat": insp, "admin": adm}
        SHOTS.mkdir(parents=True, exist_ok=True)
        problems = {}
        for role, page in pages.items():
            found = await axe_serious(page)
            if found:
                problems[role] = found
            for size_name, size in (("phone", PHONE), ("desktop", DESKTOP)):
                await page.set_viewport_size(size)
                await page.evaluate("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
                await page.wait_for_timeout(300)
                await page.screenshot(path=str(SHOTS / f"{role}-{size_name}.png"), full_page=False)
        assert problems == {}
        assert PAGE_ERRORS == []
        for ctx in (leader_ctx, emp_ctx, sup_ctx, insp_ctx, adm_ctx):
            await ctx.close()


async def page_hash(page) -> str:
    await page.wait_for_function("document.body.dataset.ready === '1'")
    return await page.evaluate("location.hash")


async def test_pkce_and_sign_in_page_in_the_browser(web, browser):
    ctx = await browser.new_context(viewport=PHONE, timezone_id=TZ)
    page = await ctx.new_page()
    await page.goto(web + "/")
    await page.wait_for_selector("text=Mode lokal")
    got = await page.evaluate("""async () => {
        const a = await import('/static/js/auth.js');
        const v = a.randomVerifier();
        return {rfc: await a.challenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), v, vc: await a.challenge(v)};
    }""")
    assert got["rfc"] == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636, appendix B
    import base64
    import hashlib
    import re
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", got["v"])
    assert got["vc"] == base64.urlsafe_b64encode(hashlib.sha256(got["v"].encode()).digest()).rstrip(b"=").decode()
    assert await axe_serious(page) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / "masuk-phone.png"))
    await ctx.close()


@pytest.fixture
def oidc_stub(people):
    """A loopback identity provider: authorization code + PKCE (S256) for one user, checked at /token."""
    import asyncio
    import base64
    import hashlib
    import threading
    import time
    import uuid

    import jwt
    import uvicorn

    from kinerja_kit.settings import ServiceSettings

    app, codes, seen = FastAPI(), {}, {}

    @app.get("/authorize")
    async def authorize(request: Request):
        q = request.query_params
        assert q["response_type"] == "code" and q["code_challenge_method"] == "S256"
        code = uuid.uuid4().hex
        codes[code] = dict(q)
        return RedirectResponse(f"{q['redirect_uri']}?code={code}&state={q['state']}", status_code=302)

    @app.post("/token")
    async def token_endpoint(grant_type: str = Form(), code: str = Form(), redirect_uri: str = Form(),
                             client_id: str = Form(), code_verifier: str = Form()):
        asked = codes.pop(code, None)
        cors = {"Access-Control-Allow-Origin": f"http://127.0.0.1:{WEB_PORT + 8}"}
        challenge = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).rstrip(b"=").decode()
        if not asked or grant_type != "authorization_code" or asked["code_challenge"] != challenge \
                or asked["redirect_uri"] != redirect_uri or asked["client_id"] != client_id:
            return JSONResponse({"error": "invalid_grant"}, status_code=400, headers=cors)
        seen["verified"] = challenge
        s, now = ServiceSettings(), int(time.time())
        access = jwt.encode({"sub": people.emp, "name": "Ani Lestari", "roles": ["pegawai"], "iss": s.jwt_issuer,
                             "aud": s.jwt_audience, "iat": now, "exp": now + 600}, s.jwt_secret, algorithm="HS256")
        return JSONResponse({"access_token": access, "token_type": "Bearer", "expires_in": 600}, headers=cors)

    port = WEB_PORT + 7
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    yield {"url": f"http://127.0.0.1:{port}", "seen": seen}
    server.should_exit = True
    thread.join(10)


async def test_oidc_sign_in_with_pkce_in_the_browser(services, people, browser, oidc_stub):
    """Production mode against a loopback identity provider: the browser runs the code flow with PKCE
    and then calls the services with the provider's token through the proxy."""
    port = WEB_PORT + 8
    env = {**os.environ, "KINERJA_WEB_HTTP_PORT": str(port), "KINERJA_WEB_JWT_JWKS_URL": oidc_stub["url"] + "/jwks",
           "KINERJA_WEB_OIDC_ISSUER": oidc_stub["url"],
           **{f"KINERJA_WEB_{s.upper()}_URL": services.url(s) for s in ("activity", "scoring", "approval", "tpp", "notify")}}
    with open(ROOT / ".run" / "test" / "logs" / "web-oidc.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "web_service.main"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as http:
            async def ready():
                assert proc.poll() is None
                try:
                    return (await http.get(url + "/health/ready")).status_code == 200
                except httpx.TransportError:
                    return False
            await eventually(ready, 30)
            assert (await http.get(url + "/auth/local/users")).status_code == 404
        ctx = await browser.new_context(viewport=PHONE, timezone_id=TZ)
        page = await ctx.new_page()
        await page.goto(url + "/")
        await page.get_by_role("button", name="Masuk dengan SSO").click()
        try:
            await page.wait_for_function("location.pathname === '/' && location.hash === '#/pegawai'", timeout=15_000)
        except Exception:
            raise AssertionError(f"at {page.url}: {await page.inner_text('body')}") from None
        assert oidc_stub["seen"].get("verified")  # the provider checked S256(verifier) against the challenge
        await page.wait_for_selector("text=Halo, Ani Lestari")
        # The provider's token reaches the services through the proxy: the employee's own list loads.
        await page.wait_for_selector("[data-testid=today-list] li", timeout=15_000)
        assert "tidak termuat" not in await page.inner_text("#status")
        assert await page.get_by_label("Jenis kegiatan", exact=True).locator("option").count() > 10  # the catalog
        await ctx.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
