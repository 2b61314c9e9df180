"""Helpers shared by the kit's tests against the real broker and PostgreSQL."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from kinerja_contracts.org.v1 import EmployeeV1
from kinerja_kit.db import Database, kit_tables


def employee(nip: str, name: str = "Ani") -> EmployeeV1:
    return EmployeeV1(nip=nip, name=name, unit_code="U1", unit_name="Unit", position="Staf",
                      position_kind="pelaksana", kelas_jabatan=5, employee_type="PNS")


def new_nip() -> str:
    return "19" + str(uuid.uuid4().int)[:16]


async def make_db(fresh_database) -> Database:
    meta = sa.MetaData()
    kit_tables(meta)
    # A surrogate key, so a second effect of the same event would be stored and counted.
    effects = sa.Table("effects", meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                       sa.Column("event_id", sa.String(64)), sa.Column("nip", sa.String(18)))
    db = Database((await fresh_database("kit_test")).replace("postgresql://", "postgresql+asyncpg://"), meta)
    async with db.engine.begin() as conn:
        await conn.run_sync(meta.create_all)
    db.effects = effects
    return db
