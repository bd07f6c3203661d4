"""One write transaction's sync work: its seqs, what it has read, and the rows it owes.

The transaction holds the sync lock (sync/store.py), so nobody else writes these rows while
it runs: what it read stays true, and what it writes can wait for the end. The log's rows
(mutations, changes, history, conflicts) and the records' versions are written in one
statement per table at `flush()`: a phone's backlog of 100 mutations costs a few queries per
mutation instead of ten. A mutation applied on its own is a batch of one.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from piccolo.columns import JSON
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.query.functions.aggregate import Max
from piccolo.table import Table
from piccolo.utils.encoding import dump_json

from sync.tables import SyncChange, SyncConflict, SyncHistory, SyncMutation, SyncRecord

#: rows per INSERT statement (SQLite allows 32,766 parameters; a log row has ~17)
CHUNK = 500
#: the order rows are written in (none references another; the order is for readers of logs)
TABLES = (SyncMutation, SyncChange, SyncHistory, SyncConflict)

T = TypeVar("T")


class Batch:
    def __init__(self) -> None:
        self._last_seq: int | None = None
        #: mutation id -> its log row, for mutations seen by this batch (None: not in the log)
        self._logged: dict[uuid.UUID, dict[str, Any] | None] = {}
        #: record id -> its SyncRecord row as it is now (None: no version yet)
        self._versions: dict[uuid.UUID, dict[str, Any] | None] = {}
        self._new_versions: set[uuid.UUID] = set()
        self._changed_versions: set[uuid.UUID] = set()
        #: what each adapter keeps for the rest of the batch, by name (see `scratch`)
        self._scratch: dict[str, Any] = {}
        self._rows: dict[type[Table], list[Table]] = defaultdict(list)

    def scratch(self, name: str, make: Callable[[], T]) -> T:
        """The space an adapter keeps for the rest of this batch under `name` (say
        "callups.targets": what it read at prefetch, rows it writes at flush), made by `make`
        on first use. It ends with the batch: nothing outlives the transaction."""
        if name not in self._scratch:
            self._scratch[name] = make()
        return self._scratch[name]

    async def next_seq(self) -> int:
        if self._last_seq is None:
            row = await SyncMutation.select(Max(SyncMutation.seq, alias="top")).first()
            self._last_seq = int((row or {}).get("top") or 0)
        self._last_seq += 1
        return self._last_seq

    async def prefetch(self, mutation_ids: list[uuid.UUID], record_ids: list[uuid.UUID]) -> None:
        """Read in two queries what the batch's mutations will ask for one by one."""
        ids = [i for i in dict.fromkeys(mutation_ids) if i not in self._logged]
        if ids:
            rows = (
                await SyncMutation.select(*_LOGGED)
                .where(SyncMutation.id.is_in(ids))
                .output(load_json=True)
            )
            found = {r["id"]: r for r in rows}
            self._logged.update({i: found.get(i) for i in ids})
        records = [r for r in dict.fromkeys(record_ids) if r not in self._versions]
        if records:
            rows = (
                await SyncRecord.select()
                .where(SyncRecord.record_id.is_in(records))
                .output(load_json=True)
            )
            found = {r["record_id"]: r for r in rows}
            self._versions.update({r: found.get(r) for r in records})

    async def logged(self, mutation_id: uuid.UUID) -> dict[str, Any] | None:
        if mutation_id not in self._logged:
            await self.prefetch([mutation_id], [])
        return self._logged[mutation_id]

    async def version(self, record_id: uuid.UUID) -> dict[str, Any] | None:
        if record_id not in self._versions:
            await self.prefetch([], [record_id])
        return self._versions[record_id]

    def set_version(self, record_id: uuid.UUID, row: dict[str, Any]) -> None:
        if self._versions.get(record_id) is None:
            self._new_versions.add(record_id)
        else:
            self._changed_versions.add(record_id)
        self._versions[record_id] = row

    async def author_at(self, seq: int) -> uuid.UUID | None:
        """Who made the mutation at `seq` (logged by this batch or before it)."""
        for row in self._rows[SyncMutation]:
            if row.get("seq") == seq:
                return row.get("person_id")
        found = (
            await SyncMutation.select(SyncMutation.person_id).where(SyncMutation.seq == seq).first()
        )
        return found["person_id"] if found else None

    def log(self, **values: Any) -> None:
        """A mutation's row in the log (what a retry of it in this batch is answered from)."""
        self._logged[values["id"]] = {k: values.get(k) for k in _LOGGED_NAMES}
        self.add(SyncMutation, **values)

    def add(self, table: type[Table], **values: Any) -> None:
        self._rows[table].append(values)

    async def flush(self) -> None:
        """Write what the batch owes, in the caller's transaction."""
        new = [self._versions[r] for r in self._new_versions]
        for start in range(0, len(new), CHUNK):
            await SyncRecord.insert(*[SyncRecord(**row) for row in new[start : start + CHUNK]])
        for record_id in self._changed_versions - self._new_versions:
            row = self._versions[record_id] or {}
            await SyncRecord.update(
                {
                    SyncRecord.seq: row["seq"],
                    SyncRecord.fields: row["fields"],
                    SyncRecord.scope_path: row["scope_path"],
                }
            ).where(SyncRecord.record_id == record_id)
        for table in TABLES:
            rows = self._rows.pop(table, [])
            for start in range(0, len(rows), CHUNK):
                await insert_rows(table, rows[start : start + CHUNK])
        self._new_versions.clear()
        self._changed_versions.clear()


async def insert_rows(
    table: type[Table], rows: list[dict[str, Any]], *, skip_existing: bool = False
) -> None:
    """Many rows in one INSERT, built directly: making a Table object per row and letting
    Piccolo render it cost more than the rest of applying a mutation. Columns a row does not
    name get the column's default, as Piccolo would give them."""
    columns = table._meta.columns
    named = [(c, c._meta.name, isinstance(c, JSON)) for c in columns]
    static: dict[str, Any] = {}  # defaults that are plain values are worked out once
    for column, name, _json in named:
        value = column.get_default_value()
        if isinstance(value, (str, int, float, bool, type(None))):
            static[name] = value
    args: list[Any] = []
    for row in rows:
        for column, name, is_json in named:
            if name in row:
                value = row[name]
            elif name in static:
                value = static[name]
            else:  # a fresh one for each row: an id, "now"
                value = column.get_default_value()
                value = value.python() if hasattr(value, "python") else value
            if is_json and not isinstance(value, str):
                value = dump_json(value)
            args.append(value)
    names = ", ".join(f'"{c._meta.db_column_name}"' for c in columns)
    # names from the table's own metadata; every value is a bound parameter
    head = f'INSERT INTO "{table._meta.tablename}" ({names}) VALUES '  # noqa: S608
    # rows whose key is there already are left as they are (a replayed batch of a phone's)
    tail = " ON CONFLICT DO NOTHING" if skip_existing else ""
    engine = table._meta.db
    transaction = engine.current_transaction.get()
    if transaction is not None:
        # Straight to the driver on the transaction's connection: Piccolo's query string
        # examines every one of the thousands of values again (a quarter of a fan-out's
        # CPU). SQLite gets the values through the adapters Piccolo registered with sqlite3,
        # so they are stored exactly as Piccolo stores them; asyncpg takes them as they are.
        width = len(columns)
        if isinstance(engine, SQLiteEngine):
            one = "(" + ", ".join("?" * width) + ")"
            await transaction.connection.execute(head + ", ".join([one] * len(rows)) + tail, args)
        else:
            marks = (
                "(" + ", ".join(f"${r * width + c + 1}" for c in range(width)) + ")"
                for r in range(len(rows))
            )
            await transaction.connection.execute(head + ", ".join(marks) + tail, *args)
        return
    one = "(" + ", ".join("{}" for _ in columns) + ")"
    await table.raw(head + ", ".join([one] * len(rows)) + tail, *args)


async def update_rows(table: type[Table], rows: dict[Any, dict[str, Any]]) -> None:
    """Rows by primary key, each given its new values, in one UPDATE per set of columns named
    (500 rows to a statement on PostgreSQL; executemany on SQLite). A batch of marks was an
    UPDATE each, a third of applying one. Inside a transaction only (a batch's flush)."""
    engine = table._meta.db
    transaction = engine.current_transaction.get()
    if transaction is None:
        raise RuntimeError("update_rows runs inside a transaction")
    key = table._meta.primary_key
    json = {c._meta.name for c in table._meta.columns if isinstance(c, JSON)}
    by_names: dict[tuple[str, ...], list[tuple[Any, dict[str, Any]]]] = defaultdict(list)
    for row_id, values in rows.items():
        values = {
            n: dump_json(v) if n in json and not isinstance(v, str) else v
            for n, v in values.items()
        }
        by_names[tuple(sorted(values))].append((row_id, values))
    name = f'"{table._meta.tablename}"'
    for names, group in by_names.items():
        columns = [table._meta.get_column_by_name(n) for n in names]
        quoted = [f'"{c._meta.db_column_name}"' for c in columns]
        if isinstance(engine, SQLiteEngine):
            sets = ", ".join(f"{q} = ?" for q in quoted)
            # names from the table's own metadata; every value is a bound parameter
            sql = f'UPDATE {name} SET {sets} WHERE "{key._meta.db_column_name}" = ?'  # noqa: S608
            await transaction.connection.executemany(
                sql, [[values[n] for n in names] + [row_id] for row_id, values in group]
            )
            continue
        types = [key.column_type, *(c.column_type for c in columns)]
        width = len(types)
        sets = ", ".join(f"{q} = v.{q}" for q in quoted)
        keyname = f'"{key._meta.db_column_name}"'
        for start in range(0, len(group), CHUNK):
            part = group[start : start + CHUNK]
            marks = ", ".join(
                "(" + ", ".join(f"${r * width + c + 1}::{t}" for c, t in enumerate(types)) + ")"
                for r in range(len(part))
            )
            args = [v for row_id, values in part for v in (row_id, *(values[n] for n in names))]
            sql = (
                f"UPDATE {name} AS t SET {sets} FROM (VALUES {marks})"  # noqa: S608
                f" AS v({keyname}, {', '.join(quoted)}) WHERE t.{keyname} = v.{keyname}"
            )
            await transaction.connection.execute(sql, *args)


_LOGGED = (
    SyncMutation.id,
    SyncMutation.seq,
    SyncMutation.verdict,
    SyncMutation.reason,
    SyncMutation.record_id,
    SyncMutation.person_id,
    SyncMutation.payload,
)
_LOGGED_NAMES = tuple(c._meta.name for c in _LOGGED)
