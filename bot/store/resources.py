"""The resources table: vetted services per region. Every change is audited in its transaction."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from datetime import date

import sqlite_utils

from bot.resources.model import Contact, Resource
from bot.store import audit
from bot.store.database import Database

_COLUMNS = (
    "id, category, name, contacts, hours, languages, regions, verified_by, last_verified,"
    " expires, source, retired_at"
)


class ResourceError(ValueError):
    """A change that cannot be made as asked (the id exists, or there is no such entry)."""


def _row(row: tuple[object, ...]) -> Resource:
    contacts = tuple(Contact(str(c[0]), str(c[1])) for c in json.loads(str(row[3])))
    return Resource(
        id=str(row[0]),
        category=str(row[1]),
        name=str(row[2]),
        contacts=contacts,
        hours=None if row[4] is None else str(row[4]),
        languages=tuple(json.loads(str(row[5]))),
        regions=tuple(json.loads(str(row[6]))),
        verified_by=str(row[7]),
        last_verified=date.fromisoformat(str(row[8])),
        expires=date.fromisoformat(str(row[9])),
        source=str(row[10]),
        retired=row[11] is not None,
    )


def _values(resource: Resource) -> list[object]:
    return [
        resource.id,
        resource.category,
        resource.name,
        json.dumps([[c.kind, c.value] for c in resource.contacts]),
        resource.hours,
        json.dumps(list(resource.languages)),
        json.dumps(list(resource.regions)),
        resource.verified_by,
        resource.last_verified.isoformat(),
        resource.expires.isoformat(),
        resource.source,
        int(time.time()),
    ]


def _summary(resource: Resource) -> dict[str, object]:
    data = resource.to_dict()
    data.pop("id")
    return data


def _get(db: sqlite_utils.Database, resource_id: str) -> Resource | None:
    row = db.execute(f"SELECT {_COLUMNS} FROM resources WHERE id=?", [resource_id]).fetchone()
    return _row(row) if row else None


def _insert(db: sqlite_utils.Database, resource: Resource) -> None:
    db.execute(
        "INSERT INTO resources(id, category, name, contacts, hours, languages, regions,"
        " verified_by, last_verified, expires, source, updated_at, retired_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,NULL)",
        _values(resource),
    )


def _update(db: sqlite_utils.Database, resource: Resource) -> None:
    values = _values(resource)
    db.execute(
        "UPDATE resources SET category=?, name=?, contacts=?, hours=?, languages=?, regions=?,"
        " verified_by=?, last_verified=?, expires=?, source=?, updated_at=?, retired_at=NULL"
        " WHERE id=?",
        [*values[1:], values[0]],
    )


class Resources:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- reads -------------------------------------------------------------------------------
    async def get(self, resource_id: str) -> Resource | None:
        return await self._db.read(lambda db: _get(db, resource_id))

    def all_sync(self, *, include_retired: bool = False) -> list[Resource]:
        return self._db.read_sync(lambda db: _all(db, include_retired))

    async def all(self, *, include_retired: bool = False) -> list[Resource]:
        return await self._db.read(lambda db: _all(db, include_retired))

    async def shown(self, codes: Iterable[str], today: date) -> list[Resource]:
        """What a person in these regions may see: live, unexpired, for a region or global."""
        wanted = set(codes)
        found = await self.all()
        return [
            r
            for r in found
            if not r.expired(today) and (r.is_global or wanted.intersection(r.regions))
        ]

    def count_sync(self) -> int:
        return int(
            self._db.read_sync(
                lambda db: db.execute("SELECT COUNT(*) FROM resources").fetchone()[0]
            )
        )

    # -- changes -----------------------------------------------------------------------------
    async def create(self, resource: Resource, actor: str) -> Resource:
        def insert(db: sqlite_utils.Database) -> Resource:
            if _get(db, resource.id) is not None:
                raise ResourceError(f"resource {resource.id!r} already exists")
            _insert(db, resource)
            audit.append(db, actor, "resource.create", resource.id, _summary(resource))
            return resource

        return await self._db.write(insert)

    async def update(self, resource: Resource, actor: str) -> Resource:
        def change(db: sqlite_utils.Database) -> Resource:
            old = _get(db, resource.id)
            if old is None or old.retired:
                raise ResourceError(f"no resource {resource.id!r}")
            _update(db, resource)
            audit.append(db, actor, "resource.update", resource.id, _summary(resource))
            return resource

        return await self._db.write(change)

    async def retire(self, resource_id: str, actor: str) -> None:
        def change(db: sqlite_utils.Database) -> None:
            cursor = db.execute(
                "UPDATE resources SET retired_at=?, updated_at=? WHERE id=? AND retired_at IS NULL",
                [int(time.time()), int(time.time()), resource_id],
            )
            if not cursor.rowcount:
                raise ResourceError(f"no resource {resource_id!r}")
            audit.append(db, actor, "resource.retire", resource_id)

        await self._db.write(change)

    def import_sync(self, resources: list[Resource], actor: str = "operator") -> tuple[int, int]:
        """Insert or update every entry in one transaction; returns (created, updated)."""

        def upsert(db: sqlite_utils.Database) -> tuple[int, int]:
            created = updated = 0
            for resource in resources:
                if _get(db, resource.id) is None:
                    _insert(db, resource)
                    created += 1
                    action = "resource.create"
                else:
                    _update(db, resource)
                    updated += 1
                    action = "resource.update"
                audit.append(
                    db, actor, action, resource.id, {**_summary(resource), "via": "import"}
                )
            return created, updated

        return self._db.write_sync(upsert)


def _all(db: sqlite_utils.Database, include_retired: bool) -> list[Resource]:
    where = "" if include_retired else " WHERE retired_at IS NULL"
    rows = db.execute(f"SELECT {_COLUMNS} FROM resources{where} ORDER BY id").fetchall()
    return [_row(r) for r in rows]
