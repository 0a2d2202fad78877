"""Bulk ingest of event files (JSON Lines, CSV, Parquet) into the one writer.

Every file is ingested in one transaction, at most once: its SHA-256 (or a key the caller gives,
e.g. a spool file's unique name) is recorded in ``ingested_files`` in the same transaction as its
rows, so ingesting a file twice adds nothing and a crash mid-file leaves nothing half-written.
Rows are validated in DuckDB (``TRY_CAST`` per column, required columns, allowed values,
non-negative amounts); a row that fails goes to the ``quarantine`` table with its file, line and
reason and the good rows are stored — a malformed row is never dropped silently and never aborts
the others. The bulk path is Arrow -> DuckDB ``INSERT ... SELECT`` (no ``executemany``).

Line numbers: JSON Lines and CSV report the physical line (a CSV header is line 1); Parquet
reports the 1-based row number.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .exceptions import IngestError
from .schema import ENUM_VALUES, EVENT_COLUMNS, NONNEGATIVE_COLUMNS, REQUIRED_COLUMNS
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


def _stage_sql(event_type: str, present: Sequence[str], src: str) -> str:
    sel, reasons = [], []
    required = REQUIRED_COLUMNS[event_type]
    for col, typ in EVENT_COLUMNS[event_type]:
        if col in present:
            q = _q(col)
            cast = f"TRY_CAST({q} AS {typ})"
            reasons.append(
                f"CASE WHEN {q} IS NOT NULL AND {cast} IS NULL THEN "
                f"'{col}: cannot read ' || left(CAST({q} AS VARCHAR), 40) || ' as {typ}' END"
            )
            if col in required:
                reasons.append(f"CASE WHEN {q} IS NULL THEN '{col}: missing' END")
        else:
            cast = f"CAST(NULL AS {typ})"
            if col in required:
                reasons.append(f"'{col}: missing (no such column)'")
        for_enum = ENUM_VALUES.get(event_type, {}).get(col)
        if for_enum and col in present:
            allowed = ", ".join(f"'{v}'" for v in for_enum)
            reasons.append(
                f"CASE WHEN {cast} NOT IN ({allowed}) THEN "
                f"'{col}: ' || {cast} || ' is not one of {'/'.join(for_enum)}' END"
            )
        if col in NONNEGATIVE_COLUMNS.get(event_type, ()) and col in present:
            reasons.append(f"CASE WHEN {cast} < 0 THEN '{col}: negative (' || CAST({cast} AS VARCHAR) || ')' END")
        sel.append(f"{cast} AS {col}")
    reason = f"NULLIF(concat_ws('; ', {', '.join(reasons)}), '')" if reasons else "CAST(NULL AS VARCHAR)"
    return f"SELECT _line, {', '.join(sel)}, {reason} AS _reason FROM {src}"


def ingest_table(store: Store, table: pa.Table | str, event_type: str, *, source: str) -> tuple[int, int, list[str]]:
    """Validate and insert one table of one event type; call inside ``store.transaction()``.

    Parameters
    ----------
    store : Store
        The writer.
    table : pyarrow.Table or str
        Event columns (any types; values are ``TRY_CAST`` to the schema) and an int ``_line``
        column; an optional ``_raw`` string column is what the quarantine keeps of a bad row.
        A string names a relation (view) already defined on the writer's connection.
    event_type : str
        One of :data:`jarvis_analytics.schema.EVENT_COLUMNS`.
    source : str
        File name stored with quarantined rows.

    Returns
    -------
    stored, quarantined : int
    problems : list of str
        The first ``"source:line: reason"`` strings.
    """
    con = store.con
    if isinstance(table, str):
        src = table
        names = [r[0] for r in con.execute(f"DESCRIBE {src}").fetchall()]
    else:
        src = "_ingest_src"
        names = table.column_names
        con.register(src, table)
    present = [c for c in names if not c.startswith("_")]
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _stage AS {_stage_sql(event_type, present, src)}")
        cols = ", ".join(c for c, _ in EVENT_COLUMNS[event_type])
        con.execute(f"CREATE OR REPLACE TEMP VIEW _good AS SELECT {cols} FROM _stage WHERE _reason IS NULL")
        store.insert_relation(event_type, "_good")
        row = con.execute("SELECT count(*) FILTER (WHERE _reason IS NULL), count(*) FROM _stage").fetchone()
        stored, total = (int(row[0]), int(row[1])) if row else (0, 0)
        bad = total - stored
        problems: list[str] = []
        if bad:
            if "_raw" in names:
                raw = "src._raw"
            else:
                raw = "CAST(struct_pack(" + ", ".join(f"{_q(c)} := src.{_q(c)}" for c in present) + ") AS VARCHAR)"
            con.execute(
                f"""INSERT INTO quarantine
                    SELECT ?, s._line, ?, s._reason, {raw}, now()
                    FROM _stage s JOIN {src} src ON s._line = src._line
                    WHERE s._reason IS NOT NULL""",
                [source, event_type],
            )
            rows = con.execute(
                f"SELECT _line, _reason FROM _stage WHERE _reason IS NOT NULL ORDER BY _line LIMIT {_MAX_PROBLEMS}"
            ).fetchall()
            problems = [f"{source}:{line}: {reason}" for line, reason in rows]
        con.execute("DROP VIEW _good")
        con.execute("DROP TABLE _stage")
    finally:
        if not isinstance(table, str):
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
    if fmt == "jsonl":
        tables_j, pre_bad = _read_jsonl(path)
        tables = dict(tables_j)
    elif fmt == "parquet" and "type" not in (names := _parquet_columns(path)):
        # fast path: DuckDB scans the file itself (parallel, no Arrow copy)
        etype = event_type or _infer_type(names, path)
        store.con.execute(
            "CREATE OR REPLACE TEMP VIEW _pq_src AS SELECT *, file_row_number + 1 AS _line "
            f"FROM read_parquet('{_sql_str(path)}', file_row_number = true)"
        )
        tables, pre_bad = {etype: "_pq_src"}, []
    else:
        table = _read_csv(path) if fmt == "csv" else _read_parquet(path)
        split, pre_bad = _split_typed(table, path, event_type)
        tables = dict(split)
    rows: dict[str, int] = {}
    quarantined = len(pre_bad)
    with store.transaction() as con:
        problems = _quarantine_rows(store, str(path), pre_bad)
        for etype, tbl in tables.items():
            stored, bad, probs = ingest_table(store, tbl, etype, source=str(path))
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
