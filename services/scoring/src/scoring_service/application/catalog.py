"""Catalog use cases: add a version, import a file of them — stored and published
(catalog.activity-type.v1) in one unit of work, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field


from kinerja_contracts.catalog.v1 import ActivityTypeV1
from kinerja_contracts.topics import CATALOG_ACTIVITY_TYPE
from kinerja_kit.errors import Conflict
from kinerja_kit.outbox import UnitOfWork
from scoring_service.domain.catalog import same_version
from scoring_service.persistence import repository as repo


@dataclass
class CatalogChange:
    added: list[ActivityTypeV1] = field(default_factory=list)
    unchanged: list[ActivityTypeV1] = field(default_factory=list)


async def add_versions(uow: UnitOfWork, entries: list[ActivityTypeV1], *, dry_run: bool = False) -> CatalogChange:
    """Store new versions; the same version again is unchanged, a different one with the same
    (code, effective_from) is refused (a version, once published, is never edited)."""
    change = CatalogChange()
    for t in entries:
        existing = await repo.get_catalog_version(uow.session, t.code, t.effective_from)
        if existing is not None:
            stored = ActivityTypeV1.model_validate(existing.model_dump())
            if not same_version(stored, t):
                raise Conflict(f"{t.code} already has a version from {t.effective_from}; give the change a new "
                               "effective_from", field="effective_from")
            change.unchanged.append(t)
            continue
        change.added.append(t)
        if not dry_run:
            await repo.upsert_catalog(uow.session, t)
            await uow.emit(CATALOG_ACTIVITY_TYPE, t)
    return change


