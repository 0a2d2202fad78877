"""Corpus-scale analysis: many takes, local processes or a Dask cluster, resumable, and a GPU path.

:func:`analyze_corpus` runs the per-file analyses (``"pitch"``, ``"rhythm"``, ``"coach"``) over a
folder of takes and writes

``OUT/parts/file_id=<hash>/{frames,notes,coach_notes,onsets,beats,summary}.parquet``
    One partition per file (``file_id`` = the first 16 hex digits of the SHA-256 of the file's
    bytes, also a column of every table). A file's partition is written into ``OUT/_tmp/`` (each
    part under a temporary name, then renamed) and moved into ``OUT/parts/`` with **one directory
    rename**: a file's results are there completely or not at all, whatever interrupts the run.
``OUT/corpus.duckdb``
    Table ``files``: one summary row per file (status, error, duration, pitch, rhythm and coach
    figures). Only the driver process writes it (workers never open it); it is re-synchronised from
    the committed partitions at the start of every run.
``OUT/config.json``
    The analysis settings; a later run into the same folder must use the same ones.

A run skips every file whose content hash is already committed, so an interrupted run resumes
where it stopped. A file that fails is committed with ``status="error"`` and its message and the
run goes on. With ``client=None`` files go to a pool of local processes (one thread each); with a
``dask.distributed.Client`` or a scheduler address they go to that cluster, whose scheduler re-runs
the tasks of a worker that dies (results are committed once per content hash, so none is lost or
duplicated).

:func:`open_results` gives a DuckDB connection with views over the tables; :func:`read_table` one
table as a DataFrame. :func:`track_many` runs torchcrepe on many signals with their frames batched
together (on the GPU when ``device="cuda"``); :func:`make_demo_corpus` writes a small corpus of
synthetic singers with known faults.

Examples
--------
>>> from dawglib.batch import analyze_corpus, make_demo_corpus, read_table
>>> folder = make_demo_corpus("corpus", n_singers=2, takes_per_singer=2, seed=0)  # doctest: +SKIP
>>> run = analyze_corpus(folder, out="results", workers=2)  # doctest: +SKIP
>>> run.n_processed, run.n_failed  # doctest: +SKIP
(4, 0)
>>> read_table("results", "coach_notes").groupby("target_name").cents_off.median()  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import os
import shutil
import socket
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .exceptions import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from .pitch import PitchTrack

__all__ = [
    "ANALYSES",
    "TABLES",
    "CorpusRun",
    "analyze_corpus",
    "analyze_file",
    "list_audio",
    "file_hash",
    "open_results",
    "read_table",
    "track_many",
    "make_demo_corpus",
]

#: Analyses :func:`analyze_corpus` can run per file.
ANALYSES = ("pitch", "rhythm", "coach")
#: Tables written per file (a table with no rows for a file has no part for it).
TABLES = ("frames", "notes", "coach_notes", "onsets", "beats", "summary")
_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")
_PARTS = "parts"
_TMP = "_tmp"
_DB = "corpus.duckdb"
_MAX_ATTEMPTS = 3  # local pool: a file whose worker died this often is recorded as failed

#: Columns of the summary table (name, Arrow type name); every file gets exactly these.
SUMMARY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("file_id", "string"),
    ("path", "string"),
    ("group", "string"),
    ("status", "string"),
    ("error", "string"),
    ("warnings", "string"),
    ("duration_s", "float64"),
    ("sr", "int64"),
    ("analyses", "string"),
    ("pitch_method", "string"),
    ("n_frames", "int64"),
    ("voiced_share", "float64"),
    ("f0_median_hz", "float64"),
    ("f0_p05_hz", "float64"),
    ("f0_p95_hz", "float64"),
    ("n_notes", "int64"),
    ("notes_in_tune_share", "float64"),
    ("notes_median_abs_cents", "float64"),
    ("tempo_bpm", "float64"),
    ("n_onsets", "int64"),
    ("n_beats", "int64"),
    ("coach_reference", "string"),
    ("coach_overall", "float64"),
    ("coach_pitch", "float64"),
    ("coach_rhythm", "float64"),
    ("coach_consistency", "float64"),
    ("coach_confidence", "float64"),
    ("coach_median_abs_cents", "float64"),
    ("coach_median_abs_onset_ms", "float64"),
    ("elapsed_s", "float64"),
    ("worker", "string"),
    ("finished_at", "timestamp"),
)
#: Summary columns that depend on where and when a file ran, not on its content.
RUN_COLUMNS = ("path", "elapsed_s", "worker", "finished_at")


# ------------------------------------------------------------------------------------------ options
@dataclass(frozen=True)
class _Options:
    analyses: tuple[str, ...]
    pitch_method: str = "auto"
    fmin_hz: float = 65.0
    fmax_hz: float = 1100.0
    tolerance_cents: float = 15.0
    sr: int | None = None
    model: str = "tiny"
    device: str | None = None
    crepe_batch_size: int = 2048

    def config(self) -> dict[str, Any]:
        d = asdict(self)
        d["analyses"] = list(self.analyses)
        d.pop("device")
        d.pop("crepe_batch_size")
        return d


@dataclass(frozen=True)
class _Item:
    path: str
    file_id: str
    group: str
    reference: str | None


@dataclass(frozen=True)
class CorpusRun:
    """What one :func:`analyze_corpus` call did.

    Attributes
    ----------
    out : pathlib.Path
        The results folder.
    n_files : int
        Distinct files (by content) found.
    n_processed : int
        Files analysed and committed by this call (failed ones included).
    n_skipped : int
        Files already committed by an earlier run.
    n_failed : int
        Files of this call committed with ``status="error"``.
    n_duplicates : int
        Paths skipped because another path has the same content.
    audio_s : float
        Seconds of audio analysed by this call (files that loaded).
    elapsed_s : float
        Wall-clock seconds of this call.
    backend : str
        ``"in-process"``, ``"processes:N"`` or ``"dask:ADDRESS"``.
    """

    out: Path
    n_files: int
    n_processed: int
    n_skipped: int
    n_failed: int
    n_duplicates: int
    audio_s: float
    elapsed_s: float
    backend: str

    @property
    def db_path(self) -> Path:
        """``OUT/corpus.duckdb``."""
        return self.out / _DB

    @property
    def x_real_time(self) -> float:
        """Seconds of audio analysed per wall-clock second."""
        return self.audio_s / self.elapsed_s if self.elapsed_s > 0 else float("nan")

    def to_frame(self) -> pd.DataFrame:
        """The summary table of every committed file (this run's and earlier ones)."""
        return read_table(self.out, "summary")


# ------------------------------------------------------------------------------------------ files
def file_hash(path: str | os.PathLike[str], *, n_hex: int = 16) -> str:
    """Content hash of a file: the first ``n_hex`` hex digits of the SHA-256 of its bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:n_hex]


def list_audio(paths_or_folder: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The audio files of a folder (recursively, sorted) or the given paths (in order).

    Raises
    ------
    ParameterError
        A folder that does not exist, or a listed path that is not a file.
    """
    from .io import SUPPORTED_AUDIO

    if isinstance(paths_or_folder, (str, os.PathLike)):
        root = Path(paths_or_folder)
        if root.is_dir():
            return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_AUDIO)
        if root.is_file():
            return [root]
        raise ParameterError(f"paths_or_folder must be a folder or an audio file, given {str(root)!r} (not found)")
    out = [Path(p) for p in paths_or_folder]
    missing = [str(p) for p in out if not p.is_file()]
    if missing:
        raise ParameterError(f"these paths are not files: {missing[:5]}{' ...' if len(missing) > 5 else ''}")
    return out


def _group(path: Path, root: Path | None) -> str:
    if root is not None:
        with contextlib.suppress(ValueError):
            rel = path.parent.resolve().relative_to(root.resolve())
            return rel.as_posix() if str(rel) != "." else ""
    return path.parent.name


def _find_reference(path: Path, root: Path | None) -> str | None:
    """``<stem>.mid`` beside the take, else the nearest ``reference.mid`` up to the corpus root."""
    for cand in (path.with_suffix(".mid"), path.with_suffix(".midi")):
        if cand.is_file():
            return str(cand)
    d = path.parent
    stop = root.resolve() if root is not None else path.parent.resolve()
    while True:
        for name in ("reference.mid", "reference.midi"):
            if (d / name).is_file():
                return str(d / name)
        if d.resolve() == stop or d.parent == d:
            return None
        d = d.parent


# ------------------------------------------------------------------------------------------ workers
def _limit_threads() -> None:
    """One thread per worker for OpenMP/BLAS/numba/torch (set before and after their import)."""
    for v in _THREAD_VARS:
        os.environ[v] = "1"
    with contextlib.suppress(Exception):
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    import sys

    if "torch" in sys.modules:
        with contextlib.suppress(Exception):
            sys.modules["torch"].set_num_threads(1)


# glibc malloc: numpy's large arrays (audio, spectra: MBs) each come from a fresh mmap and go back
# to the kernel when freed below these thresholds, i.e. a page fault per page of every large array.
# Dask's nanny fixes MALLOC_TRIM_THRESHOLD_=65536 in its workers, which also freezes the mmap
# threshold at 128 KiB: ~3x the page faults and ~30 % more time per file (measured, bench/batch.py).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_BYTES = 64 << 20  # arrays up to this size come from the heap, reused between calls
_TRIM_BYTES = 128 << 20  # free heap kept (not returned to the kernel) up to this size
_GLIBC_DEFAULT_BYTES = 128 * 1024
_MALLOC_ENV = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")
_malloc_lock = threading.Lock()
_malloc_users = 0
_own_worker = False  # True in the processes of our local pool (tuned for good in _init_worker)


@functools.cache
def _libc() -> Any:
    """The C library's ``mallopt``/``malloc_trim`` (glibc), or None (another C library or platform)."""
    import ctypes

    try:
        lib = ctypes.CDLL(None)
        lib.mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
        lib.malloc_trim.argtypes = (ctypes.c_size_t,)
    except (OSError, AttributeError):
        return None
    return lib


def _mallopt(*, mmap_bytes: int, trim_bytes: int) -> bool:
    lib = _libc()
    if lib is None:
        return False
    return bool(lib.mallopt(_M_MMAP_THRESHOLD, mmap_bytes)) and bool(lib.mallopt(_M_TRIM_THRESHOLD, trim_bytes))


def _env_bytes(name: str) -> int:
    try:
        return int(os.environ.get(name, _GLIBC_DEFAULT_BYTES))
    except ValueError:
        return _GLIBC_DEFAULT_BYTES


@contextlib.contextmanager
def _arrays_malloc() -> Iterator[None]:
    """Heap allocation for large arrays while a task runs in a process whose malloc was pinned.

    Only where ``MALLOC_TRIM_THRESHOLD_``/``MALLOC_MMAP_THRESHOLD_`` fixed the thresholds (a Dask
    worker): they are raised while any task of this module runs and then restored exactly, with the
    free memory trimmed back to the kernel, as the worker's owner asked.
    """
    global _malloc_users
    if _own_worker or not any(v in os.environ for v in _MALLOC_ENV) or _libc() is None:
        yield
        return
    with _malloc_lock:
        _malloc_users += 1
        if _malloc_users == 1:
            _mallopt(mmap_bytes=_MMAP_BYTES, trim_bytes=_TRIM_BYTES)
    try:
        yield
    finally:
        with _malloc_lock:
            _malloc_users -= 1
            if _malloc_users == 0:
                _mallopt(mmap_bytes=_env_bytes(_MALLOC_ENV[1]), trim_bytes=_env_bytes(_MALLOC_ENV[0]))
                _libc().malloc_trim(0)


def _warm_up(opts: _Options) -> None:
    """Import and run the analyses once on 1 s of a synthetic tone (imports, numba caches, first calls)."""
    import numpy as np

    sr = 16000
    t = np.arange(sr) / sr
    y = (0.5 * np.sin(2 * np.pi * 220.0 * t) * (t < 0.8)).astype(np.float64)
    with contextlib.suppress(Exception), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if "coach" in opts.analyses:
            from .render import pretty_midi

            pretty_midi()  # the reference MIDI reader
        _analyze_loaded(y, sr, _Item("warm-up", "0" * 16, "", None), opts, None)
        import pandas  # noqa: F401 - results travel as DataFrames
        import pyarrow  # noqa: F401


def _init_worker(opts: _Options | None = None) -> None:
    """Initializer of the local pool's processes: one thread, malloc for arrays, warm imports, fast exit."""
    global _own_worker
    _limit_threads()
    _own_worker = True
    _mallopt(mmap_bytes=_MMAP_BYTES, trim_bytes=_TRIM_BYTES)
    if opts is not None:
        _warm_up(opts)
    import atexit
    import sys

    def _fast_exit() -> None:
        # runs first at exit (last registered): every result has been sent by then; skip the
        # interpreter's teardown of numba/scipy/pandas (~0.4 s per worker, measured)
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(0)

    atexit.register(_fast_exit)


def _noop() -> None:
    """A task that makes the pool start a process now (its initializer then warms it up)."""


def _summary_base(item: _Item, opts: _Options) -> dict[str, Any]:
    row: dict[str, Any] = {name: None for name, _ in SUMMARY_COLUMNS}
    row.update(
        file_id=item.file_id,
        path=item.path,
        group=item.group,
        status="ok",
        analyses=",".join(opts.analyses),
        pitch_method=opts.pitch_method if ("pitch" in opts.analyses or "coach" in opts.analyses) else None,
        worker=f"{socket.gethostname()}:{os.getpid()}",
    )
    return row


def _f(v: Any) -> float | None:
    """A finite float or None (NULL)."""
    import math

    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _rhythm(y: np.ndarray, *, sr: int) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """The "rhythm" analysis: :func:`dawglib.rhythm.beat_track` (tempo, beats, attack onsets)."""
    import pandas as pd

    from . import rhythm

    b = rhythm.beat_track(y, sr=sr)
    onsets = pd.DataFrame({"time_s": b.onsets_s})
    summary = {"tempo_bpm": _f(b.tempo_bpm), "n_onsets": int(b.onsets_s.size), "n_beats": len(b)}
    return summary, {"onsets": onsets, "beats": b.to_frame()}


def _pitch_summary(tr: PitchTrack, notes_df: pd.DataFrame | None) -> dict[str, Any]:
    import numpy as np

    f0 = tr.f0_hz[tr.voiced]
    row: dict[str, Any] = {
        "n_frames": len(tr),
        "voiced_share": _f(tr.voiced.mean()) if len(tr) else None,
        "f0_median_hz": _f(np.median(f0)) if f0.size else None,
        "f0_p05_hz": _f(np.percentile(f0, 5)) if f0.size else None,
        "f0_p95_hz": _f(np.percentile(f0, 95)) if f0.size else None,
    }
    if notes_df is not None:
        row["n_notes"] = len(notes_df)
        if len(notes_df):
            row["notes_in_tune_share"] = _f(notes_df["in_tune"].mean())
            row["notes_median_abs_cents"] = _f(notes_df["cents"].abs().median())
    return row


def _analyze_loaded(
    y: np.ndarray, sr: int, item: _Item, opts: _Options, tr: PitchTrack | None
) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    from .pitch import notes, notes_to_frame, track

    row: dict[str, Any] = {"duration_s": y.size / sr, "sr": sr}
    tables: dict[str, pd.DataFrame] = {}
    need_track = "pitch" in opts.analyses or "coach" in opts.analyses
    if need_track and tr is None:
        tr = track(
            y,
            sr=sr,
            method=opts.pitch_method,
            fmin_hz=opts.fmin_hz,
            fmax_hz=opts.fmax_hz,
            model=opts.model,
            device=opts.device,
        )
    if "pitch" in opts.analyses and tr is not None:
        tables["frames"] = tr.to_frame()
        notes_df = notes_to_frame(notes(tr, tolerance_cents=opts.tolerance_cents))
        tables["notes"] = notes_df
        row.update(_pitch_summary(tr, notes_df))
    if "rhythm" in opts.analyses:
        summ, tabs = _rhythm(y, sr=sr)
        row.update(summ)
        tables.update(tabs)
    if "coach" in opts.analyses:
        from .coach import analyze_take

        rep = analyze_take(
            y,
            sr=sr,
            reference=item.reference,
            tolerance_cents=opts.tolerance_cents,
            fmin_hz=opts.fmin_hz,
            fmax_hz=opts.fmax_hz,
            pitch_method=opts.pitch_method,
            track=tr,
        )
        cn = rep.notes_frame()
        tables["coach_notes"] = cn
        s = rep.scores
        row.update(
            coach_reference=rep.reference,
            coach_overall=_f(s.overall),
            coach_pitch=_f(s.pitch),
            coach_rhythm=_f(s.rhythm),
            coach_consistency=_f(s.consistency),
            coach_confidence=_f(s.confidence),
        )
        if len(cn) and "sung" in cn:
            sung = cn[cn["sung"]]
            if len(sung):
                row["coach_median_abs_cents"] = _f(sung["cents_off"].abs().median())
                row["coach_median_abs_onset_ms"] = _f(sung["onset_offset_ms"].abs().median())
        if "pitch" not in opts.analyses and tr is not None:
            row.update(_pitch_summary(tr, None))
    return row, tables


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def _run_items(items: list[_Item], opts: _Options) -> list[dict[str, Any]]:
    """Analyse a list of files (one task); never raises for a bad file. Runs on a worker."""
    _limit_threads()
    with _arrays_malloc():
        return _run_items_here(items, opts)


def _run_items_here(items: list[_Item], opts: _Options) -> list[dict[str, Any]]:
    from .io import load_audio

    loaded: list[tuple[_Item, Any, int, float, dict[str, Any]]] = []
    results: list[dict[str, Any]] = []
    for it in items:
        t0 = time.perf_counter()
        row = _summary_base(it, opts)
        try:
            y, sr = load_audio(it.path, sr=opts.sr)
            loaded.append((it, y, sr, t0, row))
        except Exception as exc:  # noqa: BLE001 - a bad file is recorded, the run goes on
            row.update(status="error", error=_error_text(exc), elapsed_s=time.perf_counter() - t0)
            results.append({"summary": row, "tables": {}})
    tracks: list[Any] = [None] * len(loaded)
    share = 0.0  # each file's part of the batched tracking time
    if opts.pitch_method == "crepe" and len(loaded) > 1:
        t_batch = time.perf_counter()
        with contextlib.suppress(Exception):  # per-file tracking below when the batch fails
            tracks = list(
                track_many(
                    [y for _, y, _, _, _ in loaded],
                    sr=[sr for _, _, sr, _, _ in loaded],
                    fmin_hz=opts.fmin_hz,
                    fmax_hz=opts.fmax_hz,
                    model=opts.model,
                    device=opts.device,
                    batch_size=opts.crepe_batch_size,
                )
            )
        share = (time.perf_counter() - t_batch) / len(loaded)
    for (it, y, sr, _t0, row), tr in zip(loaded, tracks):
        t1 = time.perf_counter()
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                summ, tables = _analyze_loaded(y, sr, it, opts, tr)
            row.update(summ)
            msgs = sorted({str(w.message) for w in caught})
            row["warnings"] = "; ".join(msgs)[:2000] if msgs else None
        except Exception as exc:  # noqa: BLE001 - a failing analysis is recorded, the run goes on
            row.update(status="error", error=_error_text(exc), duration_s=y.size / sr, sr=sr)
            tables = {}
        row["elapsed_s"] = time.perf_counter() - t1 + share
        for df in tables.values():
            df.insert(0, "file_id", it.file_id)
        results.append({"summary": row, "tables": tables})
    for r in results:
        r["summary"]["finished_at"] = dt.datetime.now(dt.UTC)
    return results


def analyze_file(
    path: str | os.PathLike[str],
    *,
    analyses: Sequence[str] = ANALYSES,
    reference: str | os.PathLike[str] | None = None,
    pitch_method: str = "auto",
    fmin_hz: float = 65.0,
    fmax_hz: float = 1100.0,
    tolerance_cents: float = 15.0,
    sr: int | None = None,
) -> dict[str, pd.DataFrame]:
    """The tables :func:`analyze_corpus` writes for one file, in memory (nothing is written).

    Returns
    -------
    dict of str -> pandas.DataFrame
        ``"summary"`` (one row) and whichever of ``frames, notes, coach_notes, onsets, beats`` the
        analyses produced. A failing file gives a summary with ``status="error"`` and no tables.

    Examples
    --------
    >>> t = analyze_file("data/samples/coach_good.wav", reference="data/samples/coach_reference.mid")  # doctest: +SKIP
    >>> float(t["summary"].coach_pitch.iloc[0]) > 90  # doctest: +SKIP
    True
    """
    import pandas as pd

    opts = _options(analyses, pitch_method, fmin_hz, fmax_hz, tolerance_cents, sr, "tiny", None, 2048)
    p = Path(path)
    item = _Item(str(p), file_hash(p), p.parent.name, None if reference is None else str(reference))
    res = _run_items([item], opts)[0]
    return {"summary": pd.DataFrame([res["summary"]]), **res["tables"]}


# ------------------------------------------------------------------------------------------ writing
def _arrow_type(name: str) -> Any:
    import pyarrow as pa

    return {
        "string": pa.string(),
        "float64": pa.float64(),
        "int64": pa.int64(),
        "timestamp": pa.timestamp("us", tz="UTC"),
    }[name]


def _summary_schema() -> Any:
    import pyarrow as pa

    return pa.schema([(n, _arrow_type(t)) for n, t in SUMMARY_COLUMNS])


def _write_part(df_or_table: Any, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = (
        df_or_table if isinstance(df_or_table, pa.Table) else pa.Table.from_pandas(df_or_table, preserve_index=False)
    )
    tmp = path.with_name(path.name + f".{uuid.uuid4().hex[:8]}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def _commit(out: Path, result: dict[str, Any], *, replace: bool) -> bool:
    """Write one file's parts into a staging folder and rename it into ``OUT/parts`` (atomic)."""
    import pyarrow as pa

    row = result["summary"]
    final = out / _PARTS / f"file_id={row['file_id']}"
    if final.exists() and not replace:
        return False
    stage = out / _TMP / f"{row['file_id']}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    stage.mkdir(parents=True)
    final.parent.mkdir(exist_ok=True)
    for name, df in result["tables"].items():
        if len(df):
            _write_part(df, stage / f"{name}.parquet")
    _write_part(pa.Table.from_pylist([row], schema=_summary_schema()), stage / "summary.parquet")
    if final.exists():  # replace an earlier (failed) result: move it aside, then swap
        old = out / _TMP / f"old.{row['file_id']}.{uuid.uuid4().hex[:8]}"
        os.rename(final, old)
        os.rename(stage, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(stage, final)
    return True


def _committed(out: Path) -> dict[str, Path]:
    """file_id -> partition folder of every committed file."""
    parts = out / _PARTS
    if not parts.is_dir():
        return {}
    found = {}
    for d in parts.iterdir():
        if d.name.startswith("file_id=") and (d / "summary.parquet").is_file():
            found[d.name.split("=", 1)[1]] = d
    return found


def _failed_ids(out: Path, ids: Iterable[str]) -> set[str]:
    import pyarrow.parquet as pq

    bad = set()
    for fid in ids:
        t = pq.read_table(out / _PARTS / f"file_id={fid}" / "summary.parquet", columns=["status"])
        if t.column("status")[0].as_py() != "ok":
            bad.add(fid)
    return bad


class _Index:
    """The one DuckDB writer: table ``files`` in ``OUT/corpus.duckdb``, fed in batches by the driver."""

    def __init__(self, path: Path, out: Path) -> None:
        import duckdb

        self.out = out
        self.con = duckdb.connect(str(path), config={"autoinstall_known_extensions": False})
        self.buf: list[dict[str, Any]] = []
        self.last = time.monotonic()
        cols = ", ".join(f'"{n}" {_duck_type(t)}' for n, t in SUMMARY_COLUMNS)
        self.con.execute(f"CREATE TABLE IF NOT EXISTS files ({cols})")
        self._sync()

    def _sync(self) -> None:
        """Rows for committed partitions the table lacks (an interrupted run); none for others."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        committed = _committed(self.out)
        have = {r[0] for r in self.con.execute("SELECT file_id FROM files").fetchall()}
        gone = have - set(committed)
        if gone:
            self.con.execute("DELETE FROM files WHERE file_id IN (SELECT unnest(?))", [sorted(gone)])
        missing = [committed[f] / "summary.parquet" for f in sorted(set(committed) - have)]
        if missing:
            table = pa.concat_tables([pq.read_table(p, schema=_summary_schema()) for p in missing])
            self._insert(table)

    def _insert(self, table: Any) -> None:
        self.con.register("_new_rows", table)
        try:
            self.con.execute("DELETE FROM files WHERE file_id IN (SELECT file_id FROM _new_rows)")
            self.con.execute("INSERT INTO files BY NAME SELECT * FROM _new_rows")
        finally:
            self.con.unregister("_new_rows")

    def add(self, row: dict[str, Any]) -> None:
        self.buf.append(row)
        if len(self.buf) >= 200 or time.monotonic() - self.last > 2.0:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa

        if self.buf:
            self._insert(pa.Table.from_pylist(self.buf, schema=_summary_schema()))
            self.buf = []
        self.last = time.monotonic()

    def close(self) -> None:
        try:
            self.flush()
            self.con.execute("CHECKPOINT")
        finally:
            self.con.close()


def _duck_type(t: str) -> str:
    return {"string": "VARCHAR", "float64": "DOUBLE", "int64": "BIGINT", "timestamp": "TIMESTAMPTZ"}[t]


# ------------------------------------------------------------------------------------------ runners
class _InProcess:
    name = "in-process"

    def __init__(self) -> None:
        self.queue: list[tuple[list[_Item], _Options]] = []

    def submit(self, items: list[_Item], opts: _Options) -> None:
        self.queue.append((items, opts))

    def pending(self) -> int:
        return len(self.queue)

    def next_done(self) -> tuple[list[_Item], list[dict[str, Any]] | BaseException]:
        items, opts = self.queue.pop(0)
        return items, _run_items(items, opts)

    def close(self, *, cancel: bool) -> None:
        self.queue.clear()


#: Imported once by the fork server the local pool's processes are forked from (not per process).
_PRELOAD = (
    "numpy",
    "pandas",
    "scipy.signal",
    "numba",
    "soundfile",
    "dawglib.io",
    "dawglib.pitch",
    "dawglib._pitch_core",
    "dawglib.rhythm",
    "dawglib.coach",
    "dawglib.batch",
)


def _pool_context() -> Any:
    """The start method of the local pool: ``forkserver`` where it exists, else ``spawn``.

    The fork server imports the heavy modules (:data:`_PRELOAD`) once and stays up for later pools
    of this process, so a worker starts in ~0.1 s instead of importing them again (~1.2 s). It
    starts with the thread variables set to 1 (one thread per library in every worker). Never plain
    ``fork``: the driver may run threads.
    """
    import multiprocessing
    from multiprocessing import forkserver

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    saved = {v: os.environ.get(v) for v in _THREAD_VARS}
    try:
        os.environ.update({v: "1" for v in _THREAD_VARS})
        ctx.set_forkserver_preload(list(_PRELOAD))
        forkserver.ensure_running()  # returns at once; the server imports while the driver hashes
    finally:
        for v, old in saved.items():
            if old is None:
                os.environ.pop(v, None)
            else:
                os.environ[v] = old
    return ctx


class _Local:
    """A spawn-context process pool that survives a worker's death (tasks resubmitted, bounded)."""

    def __init__(self, workers: int, opts: _Options) -> None:
        self.workers = workers
        self.opts = opts
        self.name = f"processes:{workers}"
        self.futs: dict[Any, tuple[list[_Item], _Options]] = {}
        self.attempts: dict[str, int] = {}
        self.failed: list[tuple[list[_Item], BaseException]] = []
        self._start()

    def _start(self) -> None:
        """A fresh pool whose processes start now and warm up while the driver hashes the files."""
        from concurrent.futures import ProcessPoolExecutor

        ctx = _pool_context()
        self.ex = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=ctx, initializer=_init_worker, initargs=(self.opts,)
        )
        for _ in range(self.workers):  # each submit to a pool without an idle process starts one
            self.ex.submit(_noop)

    def submit(self, items: list[_Item], opts: _Options) -> None:
        self.futs[self.ex.submit(_run_items, items, opts)] = (items, opts)

    def pending(self) -> int:
        return len(self.futs) + len(self.failed)

    def next_done(self) -> tuple[list[_Item], list[dict[str, Any]] | BaseException]:
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        if self.failed:
            items, exc = self.failed.pop()
            return items, exc
        done, _ = wait(list(self.futs), return_when=FIRST_COMPLETED)
        fut = next(iter(done))
        items, opts = self.futs.pop(fut)
        try:
            return items, fut.result()
        except BrokenProcessPool as exc:
            # a worker died: every task in flight is lost; restart the pool and resubmit them
            lost = [(items, opts)] + list(self.futs.values())
            self.futs.clear()
            self.ex.shutdown(wait=False, cancel_futures=True)
            self._start()
            for its, op in lost:
                key = its[0].file_id
                self.attempts[key] = self.attempts.get(key, 1) + 1
                if self.attempts[key] > _MAX_ATTEMPTS:
                    self.failed.append((its, exc))
                else:
                    self.submit(its, op)
            return self.next_done()
        except Exception as exc:  # noqa: BLE001 - recorded per file by the driver
            return items, exc

    def close(self, *, cancel: bool) -> None:
        self.ex.shutdown(wait=not cancel, cancel_futures=cancel)


class _Dask:
    def __init__(self, client: Any) -> None:
        from distributed import Client, as_completed

        self.own = isinstance(client, str)
        self.client = Client(client) if isinstance(client, str) else client
        self.ac = as_completed()
        self.n = 0
        self.token = uuid.uuid4().hex[:8]
        self.futs: dict[str, tuple[list[_Item], Any]] = {}
        self.name = f"dask:{getattr(self.client.scheduler, 'address', '?')}"

    def submit(self, items: list[_Item], opts: _Options) -> None:
        key = f"dawg-batch-{items[0].file_id}-{self.token}"
        fut = self.client.submit(_run_items, items, opts, key=key, pure=False)
        self.futs[key] = (items, fut)
        self.ac.add(fut)
        self.n += 1

    def pending(self) -> int:
        return self.n

    def next_done(self) -> tuple[list[_Item], list[dict[str, Any]] | BaseException]:
        fut = next(self.ac)
        self.n -= 1
        items, _ = self.futs.pop(fut.key)
        try:
            res = fut.result()
        except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker after repeated deaths
            res = exc
        fut.release()
        return items, res

    def close(self, *, cancel: bool) -> None:
        if cancel and self.futs:
            with contextlib.suppress(Exception):
                self.client.cancel([f for _, f in self.futs.values()])
        self.futs.clear()
        if self.own:
            self.client.close()


# ------------------------------------------------------------------------------------------ driver
def _options(
    analyses: Sequence[str],
    pitch_method: str,
    fmin_hz: float,
    fmax_hz: float,
    tolerance_cents: float,
    sr: int | None,
    model: str,
    device: str | None,
    crepe_batch_size: int,
) -> _Options:
    from ._validate import valid_positive, valid_sr
    from .pitch import METHODS

    if isinstance(analyses, str):
        analyses = [a.strip() for a in analyses.split(",") if a.strip()]
    bad = [a for a in analyses if a not in ANALYSES]
    if bad or not analyses:
        raise ParameterError(f"analyses must be a non-empty subset of {ANALYSES}, given {tuple(analyses)!r}")
    if pitch_method not in METHODS:
        raise ParameterError(f"pitch_method must be one of {METHODS}, given {pitch_method!r}")
    lo, hi = valid_positive(fmin_hz, name="fmin_hz"), valid_positive(fmax_hz, name="fmax_hz")
    if lo >= hi:
        raise ParameterError(f"fmin_hz must be < fmax_hz, given fmin_hz={lo}, fmax_hz={hi}")
    return _Options(
        analyses=tuple(a for a in ANALYSES if a in analyses),
        pitch_method=pitch_method,
        fmin_hz=lo,
        fmax_hz=hi,
        tolerance_cents=valid_positive(tolerance_cents, name="tolerance_cents"),
        sr=None if sr is None else valid_sr(sr),
        model=model,
        device=device,
        crepe_batch_size=int(crepe_batch_size),
    )


_DASK_MAX_PER_TASK = 4


def _guided_chunks(todo: list[_Item], *, n_threads: int, max_per_task: int) -> list[list[_Item]]:
    """Tasks of ``remaining / (4 * n_threads)`` files, 1 to ``max_per_task`` (guided scheduling).

    Few tasks while much is left, single files at the end, so that no worker waits on another's
    long last task.
    """
    chunks = []
    i = 0
    while i < len(todo):
        k = max(1, min(max_per_task, (len(todo) - i) // (4 * n_threads)))
        chunks.append(todo[i : i + k])
        i += k
    return chunks


def _check_config(out: Path, config: dict[str, Any]) -> None:
    p = out / "config.json"
    if p.exists():
        old = json.loads(p.read_text())
        if old != config:
            diff = {k: (old.get(k), config.get(k)) for k in set(old) | set(config) if old.get(k) != config.get(k)}
            raise ParameterError(
                f"{str(out)!r} holds results of other settings (was -> now: {diff}); use another out folder"
            )
    else:
        tmp = p.with_name("config.json.tmp")
        tmp.write_text(json.dumps(config, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, p)


def analyze_corpus(
    paths_or_folder: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    out: str | os.PathLike[str],
    analyses: Sequence[str] = ANALYSES,
    client: Any = None,
    workers: int | None = None,
    reference: str | os.PathLike[str] | None = "auto",
    pitch_method: str = "auto",
    fmin_hz: float = 65.0,
    fmax_hz: float = 1100.0,
    tolerance_cents: float = 15.0,
    sr: int | None = None,
    model: str = "tiny",
    device: str | None = None,
    files_per_task: int | None = None,
    retry_failed: bool = False,
    progress: bool = True,
    on_file: Callable[[dict[str, Any]], None] | None = None,
) -> CorpusRun:
    """Analyse every take of a corpus; results as Parquet partitions plus a DuckDB summary table.

    Parameters
    ----------
    paths_or_folder : folder, file or iterable of files
        A folder is searched recursively for audio files (``dawglib.io.SUPPORTED_AUDIO``).
    out : path
        Results folder (created); see the module docstring for its layout.
    analyses : sequence of {"pitch", "rhythm", "coach"} or a comma-separated str
        ``"pitch"``: frames and notes (:func:`dawglib.pitch.track` / :func:`~dawglib.pitch.notes`).
        ``"rhythm"``: tempo, beats and attack onsets (:func:`dawglib.rhythm.beat_track`).
        ``"coach"``: :func:`dawglib.coach.analyze_take` against the take's reference (per-note
        table ``coach_notes`` and the scores in the summary).
    client : None, dask.distributed.Client or str
        ``None``: local processes. A client, or a scheduler address such as
        ``"tcp://10.0.0.5:8786"`` (a client is opened and closed for the call), runs the files on
        that Dask cluster; the workers must be able to read the paths. While its tasks run on a
        worker whose malloc thresholds were pinned (Dask's nanny sets ``MALLOC_TRIM_THRESHOLD_``)
        they are raised for large arrays, then restored. For throughput, turn the workers'
        statistical profiler off (``distributed.worker.profile.enabled: false``; ~10 % per file).
    workers : int or None
        Local processes with ``client=None`` (default ``os.cpu_count()``); ``0`` runs in this
        process (debugging; with a GPU the CUDA context then lives in the driver). They start
        before the files are hashed and warm up (imports, numba caches) meanwhile.
    reference : "auto", path or None
        Reference melody for the coach. ``"auto"``: ``<stem>.mid`` beside the take, else the nearest
        ``reference.mid`` in its folder or a parent up to the corpus folder, else none. ``None``: no
        reference (the coach then uses the key/tempo path). A path: that MIDI for every take.
    pitch_method, fmin_hz, fmax_hz, tolerance_cents, model, device :
        Passed to :func:`dawglib.pitch.track` / :func:`~dawglib.pitch.notes` /
        :func:`~dawglib.coach.analyze_take`. With ``pitch_method="crepe"`` and a CUDA ``device``
        the frames of all files of a task go through the network together (:func:`track_many`;
        ``device=None`` picks CUDA when available).
    sr : int or None
        Analysis sample rate; ``None`` keeps each file's rate.
    files_per_task : int or None
        Files per task; default 1 for local processes, up to 4 on a Dask cluster (fewer as the
        run nears its end: a task costs scheduler round trips, ~10 % with single files), or 32 for
        crepe on a GPU. With crepe and more than one file per task the task tracks its files
        together with :func:`track_many`.
    retry_failed : bool
        Re-run files committed with ``status="error"`` by an earlier run.
    progress : bool
        A tqdm progress bar (a widget in notebooks).
    on_file : callable or None
        Called in the driver with each file's summary row (a dict) right after it is committed.
        An exception it raises stops the run (committed files stay committed).

    Returns
    -------
    CorpusRun

    Raises
    ------
    ParameterError
        Bad analyses, range or method; a missing folder; an ``out`` folder that holds results of
        other settings.

    Examples
    --------
    >>> run = analyze_corpus("corpus", out="results", analyses=("pitch", "coach"))  # doctest: +SKIP
    >>> run.n_processed + run.n_skipped == run.n_files  # doctest: +SKIP
    True
    """
    t0 = time.perf_counter()
    if pitch_method == "crepe" and device is None:
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
    opts = _options(analyses, pitch_method, fmin_hz, fmax_hz, tolerance_cents, sr, model, device, 2048)
    if client is None and workers is not None and int(workers) < 0:
        raise ParameterError(f"workers must be >= 0, given workers={workers}")
    paths = list_audio(paths_or_folder)
    root = Path(paths_or_folder) if isinstance(paths_or_folder, (str, os.PathLike)) else None
    if root is not None and not root.is_dir():
        root = None
    outp = Path(out)
    outp.mkdir(parents=True, exist_ok=True)
    config = opts.config()
    config["reference"] = "auto" if reference == "auto" else (None if reference is None else str(reference))
    _check_config(outp, config)
    shutil.rmtree(outp / _TMP, ignore_errors=True)  # leftovers of an interrupted run: never committed
    guided = files_per_task is None and client is not None and not (pitch_method == "crepe" and device != "cpu")
    if files_per_task is None:
        files_per_task = 32 if (pitch_method == "crepe" and device != "cpu") else 1
    per_task = max(1, int(files_per_task))

    # the runner first: local processes start (and warm up) while this process hashes the files
    runner: _InProcess | _Local | _Dask
    if client is not None:
        runner = _Dask(client)
        window = 4 * max(1, sum(runner.client.nthreads().values()))
    elif workers == 0 or not paths:
        runner = _InProcess()
        window = 1
    else:
        n = int(workers) if workers is not None else (os.cpu_count() or 1)
        runner = _Local(max(1, min(n, -(-len(paths) // per_task))), opts)
        window = 2 * max(1, n)
    index: _Index | None = None
    bar = None
    n_done = n_failed = n_skipped = n_dup = 0
    audio_s = 0.0
    ok = False
    try:
        items: dict[str, _Item] = {}
        for p in paths:
            fid = file_hash(p)
            if fid in items:
                n_dup += 1
                continue
            if reference == "auto":
                ref = _find_reference(p, root)
            else:
                ref = None if reference is None else str(reference)
            items[fid] = _Item(str(p), fid, _group(p, root), ref)
        committed = _committed(outp)
        redo = _failed_ids(outp, set(items) & set(committed)) if retry_failed else set()
        todo = [it for fid, it in items.items() if fid not in committed or fid in redo]
        n_skipped = len(items) - len(todo)
        if guided:  # Dask: a task costs a few scheduler round trips; 1 file per task near the end
            chunks = _guided_chunks(todo, n_threads=max(1, window // 4), max_per_task=_DASK_MAX_PER_TASK)
        else:
            chunks = [todo[i : i + per_task] for i in range(0, len(todo), per_task)]
        if not chunks and isinstance(runner, _Local):
            runner.close(cancel=True)
            runner = _InProcess()

        queue: Iterator[list[_Item]] = iter(chunks)
        for chunk in queue:
            runner.submit(chunk, opts)
            if runner.pending() >= window:
                break
        # the one DuckDB writer opens while the first tasks run
        from tqdm.auto import tqdm

        index = _Index(outp / _DB, outp)
        bar = tqdm(total=len(todo), desc="dawg batch", unit="file", disable=not progress, dynamic_ncols=True)
        while runner.pending():
            items_done, res = runner.next_done()
            if isinstance(res, BaseException):
                res = [_lost(it, opts, res) for it in items_done]
            for r in res:
                row = r["summary"]
                _commit(outp, r, replace=row["file_id"] in redo)
                index.add(row)
                n_done += 1
                n_failed += row["status"] != "ok"
                audio_s += row["duration_s"] or 0.0
                bar.update(1)
                if n_failed:
                    bar.set_postfix(failed=n_failed, refresh=False)
                if on_file is not None:
                    on_file(dict(row))
            nxt = next(queue, None)
            if nxt is not None:
                runner.submit(nxt, opts)
        ok = True
    finally:
        if bar is not None:
            bar.close()
        runner.close(cancel=not ok)
        if index is not None:
            index.close()
    return CorpusRun(
        out=outp,
        n_files=len(items),
        n_processed=n_done,
        n_skipped=n_skipped,
        n_failed=n_failed,
        n_duplicates=n_dup,
        audio_s=audio_s,
        elapsed_s=time.perf_counter() - t0,
        backend=runner.name,
    )


def _lost(item: _Item, opts: _Options, exc: BaseException) -> dict[str, Any]:
    row = _summary_base(item, opts)
    row.update(status="error", error=_error_text(exc), worker=None, finished_at=dt.datetime.now(dt.UTC))
    return {"summary": row, "tables": {}}


# ------------------------------------------------------------------------------------------ reading
def _part_files(out: Path, name: str) -> list[str]:
    if name not in TABLES:
        raise ParameterError(f"table must be one of {TABLES}, given {name!r}")
    return sorted(str(d / f"{name}.parquet") for d in _committed(out).values() if (d / f"{name}.parquet").is_file())


def read_table(out: str | os.PathLike[str], name: str) -> pd.DataFrame:
    """One results table of all committed files as a DataFrame (empty when no file has rows).

    Parameters
    ----------
    out : path
        The ``out`` folder of :func:`analyze_corpus`.
    name : {"frames", "notes", "coach_notes", "onsets", "beats", "summary"}

    Examples
    --------
    >>> read_table("results", "summary")[["path", "status", "coach_pitch"]]  # doctest: +SKIP
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = _part_files(Path(out), name)
    if not files:
        return pd.DataFrame({"file_id": pd.Series([], dtype=str)})
    if name == "summary":
        return pa.concat_tables([pq.read_table(f, schema=_summary_schema()) for f in files]).to_pandas()
    tables = [pq.read_table(f) for f in files]
    return pa.concat_tables(tables, promote_options="permissive").to_pandas()


def open_results(out: str | os.PathLike[str], *, attach_db: bool = True) -> Any:
    """An in-memory DuckDB connection with views over the results of :func:`analyze_corpus`.

    Views ``frames``, ``notes``, ``coach_notes``, ``onsets``, ``beats`` and ``summary`` read the
    committed Parquet parts (they never conflict with a running writer). With ``attach_db`` the
    summary database is attached read-only as ``corpus`` and ``files`` is a view of its table; do
    not hold this connection open while another :func:`analyze_corpus` writes the same folder.

    Examples
    --------
    >>> con = open_results("results")  # doctest: +SKIP
    >>> con.sql("SELECT status, count(*) FROM summary GROUP BY status").fetchall()  # doctest: +SKIP
    [('ok', 12)]
    """
    import duckdb

    outp = Path(out)
    con = duckdb.connect(config={"autoinstall_known_extensions": False})
    for name in TABLES:
        files = _part_files(outp, name)
        if files:
            lst = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet({lst}, union_by_name = true)")
    db = outp / _DB
    if attach_db and db.exists():
        con.execute(f"ATTACH '{str(db.resolve()).replace(chr(39), chr(39) * 2)}' AS corpus (READ_ONLY)")
        con.execute("CREATE VIEW files AS SELECT * FROM corpus.files")
    return con


# ------------------------------------------------------------------------------------------ GPU path
def track_many(
    signals: Sequence[np.ndarray],
    *,
    sr: int | Sequence[int],
    method: str = "crepe",
    fmin_hz: float = 65.0,
    fmax_hz: float = 1100.0,
    hop_length: int | Sequence[int] | None = None,
    model: str = "tiny",
    device: str | None = None,
    batch_size: int = 2048,
    half: bool | None = None,
    periodicity_threshold: float = 0.21,
) -> list[PitchTrack]:
    """Pitch tracks of many signals, torchcrepe's frames batched across signals (GPU when present).

    Each signal is resampled to 16 kHz and cut into torchcrepe's frames; the frames of all signals
    go through the network ``batch_size`` at a time, and each signal's activations are decoded on
    their own (Viterbi over the whole signal, on ``device``) and put on the same frame grid as
    :func:`dawglib.pitch.track` (``1 + len(y) // hop_length`` frames, voiced where the median-filtered
    periodicity is at least ``periodicity_threshold``).

    Agreement (tests/test_batch.py, tests/test_crepe_fast.py): batched across signals == one signal at
    a time (same bins); the network == torchcrepe's within 1e-5; the decoder ==
    ``torchcrepe.decode.viterbi``; against ``torchcrepe.predict`` the same voicing and f0 within 20 c
    (torchcrepe dithers its output by up to ±20 c; this does not).
    CPU vs CUDA (float16 by default): the same bins on 99.85 % of frames, the rest one 20-cent bin
    off; torchcrepe-full end to end on an H100 at 2250x real time with the default ``batch_size``,
    2390-2540x with 4096 (torchcrepe's own model: 380x; ``bench/gpu_crepe_layout.py``, docs/benchmarks.md).

    Parameters
    ----------
    signals : sequence of np.ndarray, each shape (n_i,)
        Mono float audio.
    sr : int or sequence of int
        Sample rate(s) in Hz.
    method : {"crepe"}
        Only torchcrepe is batched.
    fmin_hz, fmax_hz : float
        Search range in Hz.
    hop_length : int, sequence of int, or None
        Frame step in samples at each ``sr``; default 10 ms.
    model : {"tiny", "full"}
    device : str or None
        ``"cuda"`` (default when available) or ``"cpu"``.
    batch_size : int
        Frames per network call (across signals); thousands on a GPU.
    half : bool or None
        Run the network in float16 (CUDA only; BatchNorm folded into the convolutions, see
        ``dawglib._crepe_batch.fast_model``). Default: float16 on CUDA, float32 on the CPU.
    periodicity_threshold : float
        Voicing threshold on torchcrepe's periodicity (its suggested 0.21).

    Returns
    -------
    list of PitchTrack
        One per signal, ``method="crepe"``.

    Examples
    --------
    >>> from dawglib.synth import tone
    >>> trs = track_many([tone(220.0, sr=16000, duration_s=0.5), tone(440.0, sr=16000, duration_s=0.3)],
    ...                  sr=16000, device="cpu")  # doctest: +SKIP
    >>> [round(float(np.nanmedian(t.f0_hz))) for t in trs]  # doctest: +SKIP
    [220, 440]
    """
    import numpy as np

    from ._crepe import on_grid
    from ._crepe_batch import CREPE_SR, predict_many
    from ._validate import valid_audio, valid_freq_range, valid_sr
    from .pitch import PitchTrack, _grid, _resample_fast

    if method != "crepe":
        raise ParameterError(f"track_many batches only method='crepe', given method={method!r}")
    if model not in ("tiny", "full"):
        raise ParameterError(f"model must be 'tiny' or 'full', given model={model!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ParameterError(f"batch_size must be a positive int, given batch_size={batch_size!r}")
    sigs = list(signals)
    srs = [sr] * len(sigs) if isinstance(sr, (int, np.integer)) else list(sr)
    if len(srs) != len(sigs):
        raise ParameterError(f"sr must be one rate or one per signal, given {len(srs)} rates for {len(sigs)} signals")
    hops: list[int | None] = (
        [hop_length] * len(sigs)
        if hop_length is None or isinstance(hop_length, (int, np.integer))
        else list(hop_length)
    )
    if device is None:
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
    prepared = []
    for i, (y, r, h) in enumerate(zip(sigs, srs, hops)):
        y = valid_audio(y, name=f"signals[{i}]")
        r = valid_sr(r)
        lo, hi = valid_freq_range(fmin_hz, fmax_hz, sr=r)
        hop = max(1, int(round(0.01 * r))) if h is None else int(h)
        if hop < 1:
            raise ParameterError(f"hop_length must be >= 1, given {h!r}")
        peak = float(np.max(np.abs(y)))
        x16 = _resample_fast(np.asarray(y, np.float64) / peak, r, CREPE_SR) if peak >= 1e-7 else None
        prepared.append((y.size, r, hop, max(1, int(round(hop * CREPE_SR / r))), x16))
    out: list[PitchTrack | None] = [None] * len(sigs)
    by_hop: dict[int, list[int]] = {}
    for i, (_, _, _, hop16, x16) in enumerate(prepared):
        if x16 is not None and x16.size >= 2:
            by_hop.setdefault(hop16, []).append(i)
    for hop16, idx in by_hop.items():
        res = predict_many(
            [prepared[i][4].astype(np.float32) for i in idx],  # type: ignore[union-attr]
            hop16=hop16,
            fmin_hz=float(max(fmin_hz, 32.0)),
            fmax_hz=float(min(fmax_hz, 1975.0)),
            model=model,
            device=device,
            batch_size=batch_size,
            half=half,
        )
        for i, r16 in zip(idx, res):
            n_y, r, hop, _, _ = prepared[i]
            f0i, voiced, pi = on_grid(
                r16, n_samples=n_y, sr=r, hop_length=hop, periodicity_threshold=periodicity_threshold
            )
            out[i] = PitchTrack(
                times_s=np.arange(f0i.size) * hop / r,
                f0_hz=f0i,
                voiced=voiced,
                confidence=np.clip(np.nan_to_num(pi, nan=0.0), 0.0, 1.0),
                sr=r,
                hop_length=hop,
                method="crepe",
            )
    for i, (n_y, r, hop, _, _) in enumerate(prepared):
        if out[i] is None:  # silent or too short: all unvoiced, like track()
            n = _grid(n_y, hop)
            out[i] = PitchTrack(
                np.arange(n) * hop / r, np.full(n, np.nan), np.zeros(n, bool), np.zeros(n), r, hop, "crepe"
            )
    return [t for t in out if t is not None]


# ------------------------------------------------------------------------------------------ corpus
#: Voice types of the demo corpus: (name, octave shift of the coach melody, vowel).
_VOICES = (("bass", -2, "o"), ("tenor", -1, "a"), ("alto", 0, "a"), ("baritone", -1, "e"), ("soprano", 0, "i"))


def make_demo_corpus(
    folder: str | os.PathLike[str],
    *,
    n_singers: int = 5,
    takes_per_singer: int = 3,
    seed: int = 0,
    sr: int = 16000,
    phrases: int = 3,
) -> Path:
    """Write a small corpus of synthetic singers with known faults (deterministic).

    Every take sings the coach melody (:data:`dawglib.samples.COACH_MELODY`, its first ``phrases``
    phrases) with the singer's voice type (bass two octaves down, tenor/baritone one, alto and
    soprano as written), a systematic detuning that grows with pitch (``bias_cents +
    slope_cents_per_semitone * (midi - 70)``) plus per-note scatter, onset jitter, vibrato, and for
    some singers pink noise.

    Writes ``reference.mid`` (the written melody), ``singer_XX/take_YY.wav`` and ``truth.csv`` (one
    row per sung note: ``path, singer, voice, take, note, target_midi, sung_midi, cents, delay_ms``)
    plus ``singers.csv`` (one row per singer with its parameters).

    Parameters
    ----------
    folder : path
        Created when missing.
    n_singers, takes_per_singer : int
        Corpus size.
    seed : int
        Everything is derived from it.
    sr : int
        Sample rate of the WAV files (Hz).
    phrases : int in 1..3
        Phrases of the melody per take (1 phrase ~ 5 s, 3 ~ 18 s).

    Returns
    -------
    pathlib.Path
        ``folder``.

    Examples
    --------
    >>> folder = make_demo_corpus("/tmp/corpus", n_singers=2, takes_per_singer=1, phrases=1)  # doctest: +SKIP
    >>> sorted(p.name for p in folder.rglob("*.wav"))  # doctest: +SKIP
    ['take_01.wav', 'take_01.wav']
    """
    import numpy as np

    from .render import pretty_midi as _load_pretty_midi

    pretty_midi = _load_pretty_midi()

    from .io import write_audio
    from .samples import COACH_BPM, coach_melody_seconds
    from .synth import add_noise, f0_contour, sung_vowel

    if not 1 <= int(phrases) <= 3:
        raise ParameterError(f"phrases must be 1, 2 or 3, given phrases={phrases!r}")
    if n_singers < 1 or takes_per_singer < 1:
        raise ParameterError(f"n_singers and takes_per_singer must be >= 1, given {n_singers}, {takes_per_singer}")
    melody = coach_melody_seconds()
    starts = [0] + [i for i in range(1, len(melody)) if melody[i][0] - melody[i - 1][1] > 0.2]
    end = starts[phrases] if phrases < len(starts) else len(melody)
    melody = melody[:end]
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    pm = pretty_midi.PrettyMIDI(initial_tempo=COACH_BPM)
    inst = pretty_midi.Instrument(program=52, name="melody")
    for s, e, m in melody:
        inst.notes.append(pretty_midi.Note(velocity=96, pitch=int(m), start=s, end=e - 0.02))
    pm.instruments.append(inst)
    pm.write(str(root / "reference.mid"))

    rng = np.random.default_rng(seed)
    truth = ["path,singer,voice,take,note,target_midi,sung_midi,cents,delay_ms"]
    singers = [
        "singer,voice,octave,bias_cents,slope_cents_per_semitone,scatter_cents,jitter_ms,vibrato_hz,"
        "vibrato_cents,snr_db"
    ]
    for k in range(n_singers):
        voice, octave, vowel = _VOICES[k % len(_VOICES)]
        p = {
            "bias": float(rng.uniform(-20, 20)),
            "slope": float(rng.uniform(-2.5, 2.5)),
            "scatter": float(rng.uniform(3, 12)),
            "jitter": float(rng.uniform(5, 35)),
            "vib_hz": float(rng.uniform(4.8, 6.5)),
            "vib_c": float(rng.uniform(10, 45)),
        }
        snr_db = (None, 30.0, 20.0)[k % 3]
        name = f"singer_{k + 1:02d}"
        singers.append(
            f"{name},{voice},{octave},{p['bias']:.2f},{p['slope']:.3f},{p['scatter']:.2f},{p['jitter']:.2f},"
            f"{p['vib_hz']:.2f},{p['vib_c']:.1f},{'' if snr_db is None else snr_db}"
        )
        for t in range(takes_per_singer):
            notes = []
            rel = f"{name}/take_{t + 1:02d}.wav"
            for i, (s, e, m) in enumerate(melody):
                c = p["bias"] + p["slope"] * (m - 70) + float(rng.normal(0, p["scatter"]))
                d_ms = float(rng.normal(0, p["jitter"]))
                notes.append((s + d_ms / 1000.0, e - 0.03, m + 12 * octave + c / 100.0))
                truth.append(f"{rel},{name},{voice},{t + 1},{i},{m},{m + 12 * octave},{c:.3f},{d_ms:.3f}")
            f0 = f0_contour(notes, sr=sr, vibrato_hz=p["vib_hz"], vibrato_cents=p["vib_c"])
            f0 = np.concatenate([f0, np.zeros(sr // 2)])
            y = sung_vowel(
                f0, sr=sr, vowel=vowel, jitter=0.002, shimmer=0.02, breath=0.02, seed=int(rng.integers(1 << 30))
            )
            if snr_db is not None:
                y = add_noise(y, snr_db=snr_db, seed=int(rng.integers(1 << 30)))
            write_audio(root / rel, y, sr=sr)
    (root / "truth.csv").write_text("\n".join(truth) + "\n")
    (root / "singers.csv").write_text("\n".join(singers) + "\n")
    return root


def _demo_main() -> None:  # pragma: no cover - `python -m dawglib.batch FOLDER` writes a demo corpus
    import sys

    folder = sys.argv[1] if len(sys.argv) > 1 else "corpus"
    print(make_demo_corpus(folder))


if __name__ == "__main__":  # pragma: no cover
    _demo_main()
