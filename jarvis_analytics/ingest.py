"""Bulk ingest of event files (JSON Lines, CSV, Parquet) into the one writer.

Every file is ingested in one transaction, at most once: its SHA-256 (or a key the caller gives,
e.g. a spool file's unique name) is recorded in ``ingested_files`` in the same transaction as its
rows, so ingesting a file twice adds nothing and a crash mid-file leaves nothing half-written.
Rows are validated in DuckDB by SQL predicates (castable to the column's type, required columns
present, allowed values, non-negative amounts): the good rows go in with one ``INSERT ... SELECT
... WHERE <predicates>``, and a row that fails goes to the ``quarantine`` table (selected by the
negation of the same predicates) with its file, line and reasons — a malformed row is never
dropped silently and never aborts the others. Parquet files are scanned by DuckDB itself
(``read_parquet``, parallel, no Arrow copy); a column that already has the schema's type costs no
cast and no check. No ``executemany`` anywhere.

Line numbers: JSON Lines and CSV report the physical line (a CSV header is line 1); Parquet
reports the 1-based row number.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .exceptions import IngestError
from .schema import ENUM_VALUES, EVENT_COLUMNS, NONNEGATIVE_COLUMNS, REQUIRED_COLUMNS, summary_parts
from .store import Store

__all__ = ["FileReport", "IngestReport", "ingest_paths", "ingest_file", "ingest_table", "iter_input_files"]

SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
_MAX_PROBLEMS = 20


@dataclasses.dataclass(frozen=True)
class FileReport:
    """What ingesting one file did.

    Attributes
    ----------
    path : str
    status : {'ingested', 'skipped'}
        ``skipped`` when the file's key was already in ``ingested_files``.
    rows : dict[str, int]
        Stored rows per event type.
    quarantined : int
        Rows put in the ``quarantine`` table.
    problems : tuple of str
        The first malformed rows as ``"file:line: reason"``.
    """

    path: str
    status: str
    rows: dict[str, int]
    quarantined: int
    problems: tuple[str, ...]

    @property
    def total_rows(self) -> int:
        """Stored rows over all event types."""
        return sum(self.rows.values())


@dataclasses.dataclass(frozen=True)
class IngestReport:
    """What an ingest run did, file by file."""

    files: tuple[FileReport, ...]

    @property
    def rows(self) -> int:
        """Stored rows over all files."""
        return sum(f.total_rows for f in self.files)

    @property
    def quarantined(self) -> int:
        """Quarantined rows over all files."""
        return sum(f.quarantined for f in self.files)

    def to_frame(self) -> pd.DataFrame:
        """One row per file: path, status, rows, quarantined."""
        return pd.DataFrame(
            [(f.path, f.status, f.total_rows, f.quarantined) for f in self.files],
            columns=["path", "status", "rows", "quarantined"],
        )


def iter_input_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Expand files and folders (recursively) into the event files to ingest, sorted per folder."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(
                f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES and not f.name.startswith(".")
            )
        elif p.is_file():
            if p.suffix.lower() not in SUFFIXES:
                raise IngestError(f"{p}: unknown file type {p.suffix!r}; expected one of {sorted(SUFFIXES)}")
            out.append(p)
        else:
            raise IngestError(f"{p}: no such file or folder")
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_DUCK_TYPE_NAMES = {"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"}


def _checks(event_type: str, types: dict[str, str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Typed select expressions and the validation rules of one event type over a source's columns.

    Parameters
    ----------
    event_type : str
    types : dict
        Source column -> DuckDB type (``DESCRIBE``), event columns only.

    Returns
    -------
    select : list of str
        ``<typed expression> AS <column>`` in schema order. A source column that already has the
        schema's type is used as is (no cast, no castability check: a typed Parquet file costs no
        per-row parsing); others are ``TRY_CAST``; absent columns are typed NULLs.
    rules : list of (ok, reason)
        ``ok`` is a boolean SQL expression that is never NULL; ``reason`` the quarantine message
        (a string expression) for rows where ``ok`` is false. A row is stored iff every ``ok``
        holds; the bad rows are selected by the negation of the same predicates.
    """
    select: list[str] = []
    rules: list[tuple[str, str]] = []
    required = REQUIRED_COLUMNS[event_type]
    for col, typ in EVENT_COLUMNS[event_type]:
        if col in types:
            q = _q(col)
            if types[col].upper() == _DUCK_TYPE_NAMES.get(typ, typ):
                cast = q
            else:
                cast = f"TRY_CAST({q} AS {typ})"
                if typ != "VARCHAR":
                    rules.append(
                        (
                            f"({q} IS NULL OR {cast} IS NOT NULL)",
                            f"'{col}: cannot read ' || left(CAST({q} AS VARCHAR), 40) || ' as {typ}'",
                        )
                    )
            if col in required:
                rules.append((f"({q} IS NOT NULL)", f"'{col}: missing'"))
            allowed_values = ENUM_VALUES.get(event_type, {}).get(col)
            if allowed_values:
                allowed = ", ".join(f"'{v}'" for v in allowed_values)
                rules.append(
                    (
                        f"({cast} IS NULL OR {cast} IN ({allowed}))",
                        f"'{col}: ' || {cast} || ' is not one of {'/'.join(allowed_values)}'",
                    )
                )
            if col in NONNEGATIVE_COLUMNS.get(event_type, ()):
                rules.append(
                    (f"({cast} IS NULL OR {cast} >= 0)", f"'{col}: negative (' || CAST({cast} AS VARCHAR) || ')'")
                )
        else:
            cast = f"CAST(NULL AS {typ})"
            if col in required:
                rules.append(("false", f"'{col}: missing (no such column)'"))
        select.append(f"{cast} AS {col}")
    return select, rules


def _aggregate_apart(event_type: str, relation: str) -> dict[str, pa.Table]:
    """The batch's summary aggregates on a separate in-memory connection (one thread, no store)."""
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET threads = 1")
        return {part.table: con.sql(part.aggregate).to_arrow_table() for part in summary_parts(event_type, relation)}
    finally:
        con.close()


def ingest_table(
    store: Store, table: pa.Table | str, event_type: str, *, source: str, scan: str | None = None
) -> tuple[int, int, list[str]]:
    """Validate and insert one table of one event type; call inside ``store.transaction()``.

    The good rows go in with one ``INSERT ... SELECT ... WHERE <rules>`` (and the summary merges
    over the same relation); the bad ones are selected by ``WHERE NOT <rules>`` and stored in
    ``quarantine`` with their line and reasons. Everything runs vectorised inside DuckDB; nothing is
    copied through Python.

    Parameters
    ----------
    store : Store
        The writer.
    table : pyarrow.Table or str
        Event columns (any types; values are ``TRY_CAST`` to the schema unless they already have
        its types) and an int ``_line`` column; an optional ``_raw`` string column is what the
        quarantine keeps of a bad row. A string names a relation (view) already defined on the
        writer's connection.
    event_type : str
        One of :data:`jarvis_analytics.schema.EVENT_COLUMNS`.
    source : str
        File name stored with quarantined rows.
    scan : str or None
        The same rows as a table function a fresh connection can read (``read_parquet('f')``).
        When given and every column already has the schema's type, the summary aggregates are
        computed on a second connection, on another core, while the writer inserts the raw rows;
        they are merged in the same transaction.

    Returns
    -------
    stored, quarantined : int
    problems : list of str
        The first ``"source:line: reason"`` strings.
    """
    con = store.con
    if isinstance(table, str):
        src = table
    else:
        src = "_ingest_src"
        con.register(src, table)
    try:
        described = {r[0]: r[1] for r in con.execute(f"DESCRIBE {src}").fetchall()}
        names = list(described)
        event_cols = {c for c, _ in EVENT_COLUMNS[event_type]}
        types = {c: t for c, t in described.items() if c in event_cols}
        select, rules = _checks(event_type, types)
        ok = " AND ".join(f"{r}" for r, _ in rules) if rules else "true"
        good = f"SELECT {', '.join(select)} FROM {src} WHERE {ok}"
        total_row = con.execute(f"SELECT count(*) FROM {src}").fetchone()
        total = int(total_row[0]) if total_row else 0
        typed = all(not e.startswith("TRY_CAST") for e in select)
        if typed and scan is not None:
            # typed Parquet: the writer inserts while a second connection aggregates the summaries
            apart = f"(SELECT {', '.join(select)} FROM {scan} WHERE {ok})"
            with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
                future = pool.submit(_aggregate_apart, event_type, apart)
                stored = store.insert_relation(event_type, f"({good})", partials=future.result)
        elif typed:
            # every column already has the schema's type: the summaries re-scan the source (cheap)
            # rather than paying for a materialised copy
            stored = store.insert_relation(event_type, f"({good})")
        else:
            con.execute(f"CREATE OR REPLACE TEMP TABLE _good AS {good}")
            stored = store.insert_relation(event_type, "_good")
            con.execute("DROP TABLE _good")
        bad = total - stored
        problems: list[str] = []
        if bad:
            if "_raw" in names:
                raw = "_raw"
            else:
                present = [c for c in names if not c.startswith("_")]
                raw = "CAST(struct_pack(" + ", ".join(f"{_q(c)} := {_q(c)}" for c in present) + ") AS VARCHAR)"
            reason = "concat_ws('; ', " + ", ".join(f"CASE WHEN NOT {r} THEN {m} END" for r, m in rules) + ")"
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE _bad AS
                    SELECT _line, {reason} AS _reason, {raw} AS _raw FROM {src} WHERE NOT ({ok})"""
            )
            con.execute(
                "INSERT INTO quarantine SELECT ?, _line, ?, _reason, _raw, now() FROM _bad", [source, event_type]
            )
            rows = con.execute(f"SELECT _line, _reason FROM _bad ORDER BY _line LIMIT {_MAX_PROBLEMS}").fetchall()
            problems = [f"{source}:{line}: {why}" for line, why in rows]
            con.execute("DROP TABLE _bad")
    finally:
        if not isinstance(table, str):
            with contextlib.suppress(duckdb.Error):  # an aborted transaction refuses it; the error matters
                con.unregister(src)
    return stored, bad, problems


def _quarantine_rows(store: Store, source: str, rows: list[tuple[int, str, str, str]]) -> list[str]:
    """Store (line, event_type, reason, raw) rows that failed before typing (bad JSON, unknown type)."""
    if not rows:
        return []
    frame = pd.DataFrame(rows, columns=["line", "event_type", "reason", "raw"])
    frame.insert(0, "source", source)
    store.con.register("_q_src", frame)
    try:
        store.con.execute("INSERT INTO quarantine SELECT source, line, event_type, reason, raw, now() FROM _q_src")
    finally:
        store.con.unregister("_q_src")
    return [f"{source}:{line}: {reason}" for line, _, reason, _ in rows[:_MAX_PROBLEMS]]


def _cell(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, dict | list):
        return json.dumps(v)
    return str(v)


def _read_jsonl(path: Path) -> tuple[dict[str, pa.Table], list[tuple[int, str, str, str]]]:
    by_type: dict[str, dict[str, list[object]]] = {}
    bad: list[tuple[int, str, str, str]] = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, start=1):
            text = line.strip()
            if not text:
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                bad.append((lineno, "", f"invalid JSON ({exc.msg} at column {exc.colno})", text[:2000]))
                continue
            if not isinstance(obj, dict):
                bad.append((lineno, "", f"expected a JSON object, got {type(obj).__name__}", text[:2000]))
                continue
            etype = obj.get("type")
            if etype not in EVENT_COLUMNS:
                bad.append((lineno, str(etype), f"type: {etype!r} is not one of {sorted(EVENT_COLUMNS)}", text[:2000]))
                continue
            cols = by_type.setdefault(etype, {"_line": [], "_raw": [], **{c: [] for c, _ in EVENT_COLUMNS[etype]}})
            cols["_line"].append(lineno)
            cols["_raw"].append(text[:2000])
            for c, _ in EVENT_COLUMNS[etype]:
                cols[c].append(_cell(obj.get(c)))
    tables = {
        t: pa.table({k: pa.array(v, type=pa.int64() if k == "_line" else pa.string()) for k, v in cols.items()})
        for t, cols in by_type.items()
    }
    return tables, bad


def _read_csv(path: Path) -> pa.Table:
    with open(path, "rb") as fh:
        header = fh.readline()
    if not header.strip():
        raise IngestError(f"{path}: empty CSV file (expected a header line)")
    cols = pacsv.read_csv(pa.py_buffer(header)).schema.names
    table = pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in cols}, strings_can_be_null=True, quoted_strings_can_be_null=True
        ),
    )
    return table.append_column("_line", pa.array(range(2, table.num_rows + 2), type=pa.int64()))


def _sql_str(path: Path) -> str:
    return str(path).replace("'", "''")


def _parquet_columns(path: Path) -> list[str]:
    try:
        return list(pq.read_schema(path).names)
    except (pa.ArrowInvalid, OSError) as exc:
        raise IngestError(f"{path}: not a readable Parquet file ({exc})") from exc


def _read_parquet(path: Path) -> pa.Table:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise IngestError(f"{path}: not a readable Parquet file ({exc})") from exc
    return table.append_column("_line", pa.array(range(1, table.num_rows + 1), type=pa.int64()))


def _infer_type(names: Sequence[str], path: Path) -> str:
    candidates = []
    for etype, cols in EVENT_COLUMNS.items():
        if all(c in names for c in REQUIRED_COLUMNS[etype]):
            candidates.append((sum(c in names for c, _ in cols), etype))
    stem = path.name.lower()
    hinted = [t for _, t in candidates if t in stem]
    if len(hinted) == 1:
        return hinted[0]
    candidates.sort(reverse=True)
    if not candidates or (len(candidates) > 1 and candidates[0][0] == candidates[1][0]):
        raise IngestError(
            f"{path}: cannot tell the event type from columns {list(names)}; add a 'type' column, "
            f"name the file after the type (e.g. request_*.csv) or pass event_type"
        )
    return candidates[0][1]


def _split_typed(
    table: pa.Table, path: Path, event_type: str | None
) -> tuple[dict[str, pa.Table], list[tuple[int, str, str, str]]]:
    if event_type is not None:
        return {event_type: table}, []
    if "type" not in table.column_names:
        return {_infer_type(table.column_names, path): table}, []
    types = table.column("type").cast(pa.string())
    out = {}
    for t in EVENT_COLUMNS:
        mask = pc.fill_null(pc.equal(types, t), False)
        sub = table.filter(mask)
        if sub.num_rows:
            out[t] = sub.drop_columns(["type"])
    unknown = table.filter(pc.invert(pc.fill_null(pc.is_in(types, pa.array(list(EVENT_COLUMNS))), False)))
    bad = [
        (
            int(r["_line"]),
            str(r["type"]),
            f"type: {r['type']!r} is not one of {sorted(EVENT_COLUMNS)}",
            json.dumps(r, default=str),
        )
        for r in unknown.to_pylist()
    ]
    return out, bad


def ingest_file(
    store: Store, path: str | os.PathLike[str], *, event_type: str | None = None, key: str | None = None
) -> FileReport:
    """Ingest one file in one transaction, at most once.

    Parameters
    ----------
    store : Store
        The writer.
    path : path-like
        ``.jsonl``/``.ndjson`` (one object per line with a ``type`` field), ``.csv`` or ``.parquet``
        (one event type per file, told by a ``type`` column, the file name or the columns).
    event_type : str or None
        Force the event type of a CSV/Parquet file.
    key : str or None
        Idempotency key; default the file's SHA-256.

    Returns
    -------
    report : FileReport
    """
    path = Path(path)
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise IngestError(f"{path}: unknown file type {path.suffix!r}; expected one of {sorted(SUFFIXES)}")
    if event_type is not None and event_type not in EVENT_COLUMNS:
        raise IngestError(f"event_type {event_type!r} is not one of {sorted(EVENT_COLUMNS)}")
    digest = _sha256(path)
    key = key or digest
    done = store.con.execute("SELECT count(*) FROM ingested_files WHERE key = ?", [key]).fetchone()
    if done and done[0]:
        return FileReport(str(path), "skipped", {}, 0, ())
    tables: dict[str, pa.Table | str]
    scan = None
    if fmt == "jsonl":
        tables_j, pre_bad = _read_jsonl(path)
        tables = dict(tables_j)
    elif fmt == "parquet" and "type" not in (names := _parquet_columns(path)):
        # fast path: DuckDB scans the file itself (parallel, no Arrow copy)
        etype = event_type or _infer_type(names, path)
        store.con.execute(
            "CREATE OR REPLACE TEMP VIEW _pq_src AS SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS _line "
            f"FROM read_parquet('{_sql_str(path)}', file_row_number = true)"
        )
        tables, pre_bad = {etype: "_pq_src"}, []
        scan = f"read_parquet('{_sql_str(path)}')"
    else:
        table = _read_csv(path) if fmt == "csv" else _read_parquet(path)
        split, pre_bad = _split_typed(table, path, event_type)
        tables = dict(split)
    rows: dict[str, int] = {}
    quarantined = len(pre_bad)
    with store.transaction() as con:
        problems = _quarantine_rows(store, str(path), pre_bad)
        for etype, tbl in tables.items():
            stored, bad, probs = ingest_table(store, tbl, etype, source=str(path), scan=scan)
            rows[etype] = stored
            quarantined += bad
            problems += probs
        con.execute(
            "INSERT INTO ingested_files VALUES (?, ?, ?, ?, ?, ?)",
            [key, str(path), digest, sum(rows.values()), quarantined, dt.datetime.now(dt.UTC)],
        )
    return FileReport(str(path), "ingested", rows, quarantined, tuple(problems[:_MAX_PROBLEMS]))


def ingest_paths(
    store: Store, paths: Iterable[str | os.PathLike[str]], *, event_type: str | None = None
) -> IngestReport:
    r"""Ingest files and folders (recursively); see :func:`ingest_file`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "e.jsonl").write_text('{"type": "session", "ts": "2026-11-01T10:00:00Z", '
    ...     '"user_id": "u1", "session_id": "s1", "event": "start"}\n{"type": "session", "ts": "soon"}\n')
    >>> with Store(":memory:") as store:
    ...     report = ingest_paths(store, [d])
    >>> report.rows, report.quarantined
    (1, 1)
    """
    files = iter_input_files(paths)
    reports = []
    for f in files:
        reports.append(ingest_file(store, f, event_type=event_type))
        store.publish_snapshot()
    return IngestReport(tuple(reports))
