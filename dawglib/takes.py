"""The coach store: singers, sessions, takes and their reports in DuckDB.

One :class:`CoachStore` per process holds the file read-write (DuckDB allows one writer); the Voila
app, the CLI and notebooks each open it, use it and close it. Takes are named per singer in order
("Take 1", "Take 2", …). Reports are stored whole as JSON next to their five scores, so progress
queries need no re-analysis.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from .exceptions import DawglibError, ParameterError

__all__ = ["CoachStore", "DEFAULT_COACH_DB", "StoreLockedError"]

DEFAULT_COACH_DB = Path("data") / "coach.duckdb"
SCHEMA_VERSION = 1
_SCORES = ("overall", "pitch", "rhythm", "consistency", "confidence")

_DDL = [
    "CREATE TABLE IF NOT EXISTS coach_schema (version INTEGER NOT NULL)",
    """CREATE TABLE IF NOT EXISTS singers (
        singer_id VARCHAR PRIMARY KEY, created_at TIMESTAMPTZ NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sessions (
        session_id VARCHAR PRIMARY KEY, singer_id VARCHAR NOT NULL, started_at TIMESTAMPTZ NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS takes (
        take_id INTEGER PRIMARY KEY, singer_id VARCHAR NOT NULL, session_id VARCHAR NOT NULL,
        name VARCHAR NOT NULL, created_at TIMESTAMPTZ NOT NULL, audio_path VARCHAR, reference VARCHAR,
        duration_s DOUBLE, overall DOUBLE, pitch DOUBLE, rhythm DOUBLE, consistency DOUBLE,
        confidence DOUBLE, report_json VARCHAR NOT NULL)""",
]


class StoreLockedError(DawglibError):
    """The coach store is held by another process (DuckDB allows one writer per file)."""


class CoachStore:
    """Singers, sessions and takes with their coach reports.

    Parameters
    ----------
    path : str or path-like
        DuckDB file (created with its folder when missing); ``":memory:"`` for a throw-away store.
    clock : callable or None
        Returns the current UTC time (tests inject one); default ``datetime.now(UTC)``.

    Examples
    --------
    >>> store = CoachStore(":memory:")
    >>> store.singers()
    []
    """

    def __init__(self, path: str | os.PathLike[str] = DEFAULT_COACH_DB, *, clock: Any = None) -> None:
        import duckdb

        self.path = str(path)
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(self.path, config={"autoinstall_known_extensions": False})
        except duckdb.IOException as exc:
            raise StoreLockedError(f"cannot open coach store {self.path!r}: {exc}") from exc
        for stmt in _DDL:
            self.con.execute(stmt)
        row = self.con.execute("SELECT max(version) FROM coach_schema").fetchone()
        if row is None or row[0] is None:
            self.con.execute("INSERT INTO coach_schema VALUES (?)", [SCHEMA_VERSION])
        elif int(row[0]) > SCHEMA_VERSION:
            raise DawglibError(
                f"coach store {self.path!r} has schema v{row[0]}, newer than this code's v{SCHEMA_VERSION}"
            )

    # -- writing ---------------------------------------------------------------------------------
    def add_singer(self, singer_id: str) -> str:
        """Register a singer (idempotent); returns the id."""
        if not isinstance(singer_id, str) or not singer_id.strip():
            raise ParameterError(f"singer_id must be a non-empty string, given {singer_id!r}")
        singer_id = singer_id.strip()
        self.con.execute("INSERT INTO singers VALUES (?, ?) ON CONFLICT DO NOTHING", [singer_id, self._clock()])
        return singer_id

    def start_session(self, singer_id: str, *, session_id: str | None = None) -> str:
        """Open a practice session for a singer; returns its id."""
        singer_id = self.add_singer(singer_id)
        now = self._clock()
        session_id = session_id or f"{singer_id}-{now:%Y%m%dT%H%M%S%f}"
        self.con.execute("INSERT INTO sessions VALUES (?, ?, ?) ON CONFLICT DO NOTHING", [session_id, singer_id, now])
        return session_id

    def add_take(
        self,
        report: Any,
        *,
        singer_id: str,
        session_id: str | None = None,
        audio_path: str | os.PathLike[str] | None = None,
        name: str | None = None,
    ) -> int:
        """Store a :class:`~dawglib.coach.CoachReport` as the singer's next take; returns ``take_id``."""
        singer_id = self.add_singer(singer_id)
        if session_id is None:
            session_id = self.start_session(singer_id)
        else:
            self.start_session(singer_id, session_id=session_id)
        d = report.to_dict()
        (count,) = self.con.execute("SELECT count(*) FROM takes WHERE singer_id = ?", [singer_id]).fetchone() or (0,)
        (next_id,) = self.con.execute("SELECT coalesce(max(take_id), 0) + 1 FROM takes").fetchone() or (1,)
        self.con.execute(
            "INSERT INTO takes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                next_id,
                singer_id,
                session_id,
                name or f"Take {int(count) + 1}",
                self._clock(),
                None if audio_path is None else str(audio_path),
                d.get("reference"),
                d.get("duration_s"),
                *[d["scores"][k] for k in _SCORES],
                json.dumps(d),
            ],
        )
        return int(next_id)

    # -- reading ---------------------------------------------------------------------------------
    def singers(self) -> list[str]:
        """All singer ids, sorted."""
        return [r[0] for r in self.con.execute("SELECT singer_id FROM singers ORDER BY singer_id").fetchall()]

    def takes(self, singer_id: str | None = None) -> Any:
        """Takes (without report JSON) as a DataFrame, oldest first."""
        sql = (
            "SELECT take_id, singer_id, session_id, name, created_at, audio_path, reference, duration_s, "
            + ", ".join(_SCORES)
            + " FROM takes"
        )
        params: list[Any] = []
        if singer_id is not None:
            sql += " WHERE singer_id = ?"
            params.append(singer_id)
        return self.con.execute(sql + " ORDER BY created_at, take_id", params).df()

    def report(self, take_id: int) -> dict[str, Any]:
        """The stored report of one take (as :meth:`CoachReport.to_dict` gave it)."""
        row = self.con.execute("SELECT report_json FROM takes WHERE take_id = ?", [int(take_id)]).fetchone()
        if row is None:
            raise ParameterError(f"no take with take_id={take_id}")
        return dict(json.loads(row[0]))

    def compare(self, take_a: int, take_b: int) -> Any:
        """Score and per-note differences between two takes (``b - a``).

        Returns
        -------
        pandas.DataFrame
            One row per score (``kind="score"``) and per target note present in both takes
            (``kind="note"``, comparing absolute cents error and absolute onset offset).
        """
        import pandas as pd

        a, b = self.report(take_a), self.report(take_b)
        rows = [
            {
                "kind": "score",
                "item": k,
                "a": a["scores"][k],
                "b": b["scores"][k],
                "delta": b["scores"][k] - a["scores"][k],
            }
            for k in _SCORES
        ]
        nb = {n["index"]: n for n in b["notes"]}
        for na in a["notes"]:
            other = nb.get(na["index"])
            if other is None or other["target_name"] != na["target_name"]:
                continue
            for field, label in (("cents_off", "abs_cents"), ("onset_offset_ms", "abs_onset_ms")):
                va = abs(na[field]) if na[field] is not None else np.nan
                vb = abs(other[field]) if other[field] is not None else np.nan
                rows.append(
                    {
                        "kind": "note",
                        "item": f"{na['index']}:{na['target_name']}:{label}",
                        "a": va,
                        "b": vb,
                        "delta": vb - va,
                    }
                )
        return pd.DataFrame(rows)

    def best_takes(self, singer_id: str, *, sections: list[tuple[str, float, float]]) -> Any:
        """The best take of a singer for each section of the reference.

        Parameters
        ----------
        singer_id : str
        sections : list of (name, start_s, end_s)
            Spans of the reference; a take's section score is the mean of
            ``(pitch_score + rhythm_score) / 2`` over its target notes starting in the span.

        Returns
        -------
        pandas.DataFrame with columns ``section, start_s, end_s, take_id, take_name, section_score``.
        """
        import pandas as pd

        takes = self.takes(singer_id)
        out = []
        for sec, s0, s1 in sections:
            best: tuple[float, int, str] | None = None
            for t in takes.itertuples():
                notes = [n for n in self.report(int(t.take_id))["notes"] if s0 <= n["start_s"] < s1]
                if not notes:
                    continue
                score = float(np.mean([(n["pitch_score"] + n["rhythm_score"]) / 2 for n in notes]))
                if best is None or score > best[0]:
                    best = (score, int(t.take_id), str(t.name))
            if best is not None:
                out.append(
                    {
                        "section": sec,
                        "start_s": s0,
                        "end_s": s1,
                        "take_id": best[1],
                        "take_name": best[2],
                        "section_score": best[0],
                    }
                )
        return pd.DataFrame(out, columns=["section", "start_s", "end_s", "take_id", "take_name", "section_score"])

    def progress(self, singer_id: str) -> Any:
        """A singer's scores over time, one row per take, with a running best of ``overall``."""
        df = self.takes(singer_id)
        if not df.empty:
            df["best_overall"] = df["overall"].cummax()
        return df

    def close(self) -> None:
        """Close the store (releases the file)."""
        self.con.close()

    def __enter__(self) -> CoachStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
