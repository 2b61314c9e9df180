"""An activity may name the RHK (planned result of the employee's SKP) it serves: accepted in the
body, kept by the domain through a revision, published on activity.submitted.v1 / revised.v1."""

from datetime import date, datetime, time, timezone

import pytest
from pydantic import ValidationError

from activity_service.api.schemas import ActivityCreate, ActivityPatch
from activity_service.domain.activity import Activity, ActivityStatus, IntakeContext, TypeInfo
from kinerja_contracts.activity.v1 import ActivityRevisedV1, ActivitySubmittedV1

NOW = datetime(2026, 11, 20, 3, tzinfo=timezone.utc)
CTX = IntakeContext(type_info=TypeInfo("LAPORAN", True, []), position_kind="pelaksana", today=date(2026, 11, 20),
                    backdate_working_days=3)
RHK = "4f8a2c1e-0d3b-4b8e-9a51-2f7c6e1d9b00"
BODY = {"type_code": "LAPORAN", "date": "2026-11-20", "start_time": "08:00", "end_time": "09:00", "quantity": 1,
        "description": "Laporan"}


def test_the_body_takes_an_optional_rhk_id():
    assert ActivityCreate.model_validate(BODY).rhk_id is None
    assert ActivityCreate.model_validate(BODY | {"rhk_id": RHK}).rhk_id == RHK
    with pytest.raises(ValidationError):
        ActivityCreate.model_validate(BODY | {"rhk_id": "x" * 37})
    assert ActivityPatch.model_validate({"rhk_id": RHK}).model_dump(exclude_unset=True) == {"rhk_id": RHK}


def test_the_domain_keeps_the_rhk_through_a_revision():
    a = Activity.submit(CTX, id="a1", nip="198503302010011002", type_code="LAPORAN", work_date=date(2026, 11, 20),
                        start_time=time(8), end_time=time(9), quantity=1, description="Laporan", now=NOW, rhk_id=RHK)
    assert a.rhk_id == RHK and a.status == ActivityStatus.SUBMITTED
    a.revise(CTX, type_code="LAPORAN", work_date=date(2026, 11, 20), start_time=time(8), end_time=time(9), quantity=2,
             description="Laporan", now=NOW, rhk_id=a.rhk_id)
    assert a.rhk_id == RHK and a.revision == 1
    a.revise(CTX, type_code="LAPORAN", work_date=date(2026, 11, 20), start_time=time(8), end_time=time(9), quantity=2,
             description="Laporan", now=NOW, rhk_id=None)
    assert a.rhk_id is None


def test_the_contract_field_is_optional_so_older_events_still_parse():
    old = {"activity_id": "6f1c0c39-3f0e-4a53-9d2f-0f5c3f2f8e11", "nip": "198503302010011002", "type_code": "LAPORAN",
           "work_date": "2026-11-20", "start_time": "08:00", "end_time": "09:00", "quantity": 1,
           "description": "x", "submitted_at": NOW.isoformat()}
    assert ActivitySubmittedV1.model_validate(old).rhk_id is None
    assert ActivityRevisedV1.model_validate(old | {"revision": 1, "rhk_id": RHK}).rhk_id == RHK
