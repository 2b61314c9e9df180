"""Each packaged TPP profile computes from the real events: tpp restarted with
KINERJA_TPP_PROFILE gives the same employee's slip under that profile's split and bases."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from support import eventually, today, token

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]


@pytest.mark.parametrize("profile, label, kinerja_share", [
    ("permentan", "Permentan", "0.6"), ("surabaya", "Surabaya", "0.8"), ("default", "default", "0.6")])
async def test_a_profile_prices_the_month_from_the_same_inputs(services, org, profile, label, kinerja_share):
    next_month = (date.fromisoformat(today()).replace(day=1) + timedelta(days=32)).strftime("%Y-%m")
    services.kill("tpp")
    services.start(only="tpp", env={"KINERJA_TPP_PROFILE": profile})
    try:
        await services.wait_ready(only="tpp")
        async with httpx.AsyncClient(timeout=30) as http:
            async def preview():
                r = await http.get(services.url("tpp") + f"/v1/tpp/{next_month}/{org.head}", headers=token(org.head))
                return r.json() if r.status_code == 200 else None
            s = await eventually(preview, timeout=30)
        assert label.lower() in s["rule_set"].lower() and s["status"] == "preview"
        # No work logged next month yet: K = 0, so the slip is the disiplin part, B x (1 - kinerja share) x D.
        assert s["kinerja_amount"] == 0 and s["discipline_factor"] == "1.00000"
        assert s["disiplin_amount"] == round(s["base_amount"] * (1 - float(kinerja_share)))
        assert s["net_amount"] == s["total_amount"] - s["bpjs_amount"] - s["pph21_amount"]
    finally:
        services.kill("tpp")
        services.start(only="tpp")
        await services.wait_ready(only="tpp")
