from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from support import SERVICES, ServiceProcesses


@dataclass(frozen=True)
class Org:
    """A small organisation with NIPs unique to this run."""
    head: str
    b: str  # Kabid, A's and D's atasan langsung
    a: str
    d: str
    admin: str

    def csv(self) -> str:
        return (
            "nip,name,unit_code,unit_name,position,position_kind,eselon,kelas_jabatan,supervisor_nip,employee_type\n"
            f"{self.head},Hj. Kepala Dinas,DISKOMINFO,Dinas Kominfo,Kepala Dinas,struktural,II.b,14,,PNS\n"
            f"{self.b},Budi Santoso,DISKOMINFO,Dinas Kominfo,Kepala Bidang,struktural,III.a,11,{self.head},PNS\n"
            f"{self.a},Ani Lestari,DISKOMINFO,Dinas Kominfo,Pranata Komputer,fungsional,,9,{self.b},PNS\n"
            f"{self.d},Dedi Kurniawan,DISKOMINFO,Dinas Kominfo,Pengadministrasi,pelaksana,,5,{self.b},CPNS\n"
        )


@pytest.fixture(scope="session")
def org() -> Org:
    run = f"{random.randrange(10**6):06d}"
    return Org(head=f"1968010119{run}01", b=f"1975010120{run}01", a=f"1985033020{run}02",
               d=f"1990020220{run}03", admin=f"1999123120{run}09")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def services(kafka_bootstrap, fresh_database):
    urls = {name: await fresh_database(f"e2e_{name}") for name in SERVICES}
    procs = ServiceProcesses(kafka_bootstrap, urls, Path(__file__).resolve().parents[2] / ".run" / "test" / "logs")
    procs.start()
    try:
        await procs.wait_ready()
        yield procs
    finally:
        codes = procs.stop()
        # uvicorn re-raises the SIGTERM it handled, so -15 after "service stopped" is a clean stop.
        unclean = {name: code for name, code in codes.items()
                   if code not in (0, -15) or "service stopped" not in procs.log(name)}
        assert not unclean, f"unclean shutdown: {unclean}"
