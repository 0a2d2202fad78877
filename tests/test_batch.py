"""Corpus runs: local processes and a Dask cluster agree, survive a killed worker, resume; crepe batching."""

from __future__ import annotations

import json
import os
import shutil
import signal
import warnings
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from dawglib.batch import (
    RUN_COLUMNS,
    analyze_corpus,
    list_audio,
    make_demo_corpus,
    open_results,
    read_table,
    track_many,
)
from dawglib.exceptions import AudioError, ParameterError

N_GOOD = 6  # 3 singers x 2 takes
DATA_TABLES = ("frames", "notes", "coach_notes", "onsets", "beats")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 one-phrase takes (5 s, 16 kHz) of 3 synthetic singers, a broken file and a duplicate."""
    root = make_demo_corpus(tmp_path_factory.mktemp("corpus"), n_singers=3, takes_per_singer=2, seed=1, phrases=1)
    (root / "singer_01" / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really audio")
    (root / "zz_copies").mkdir()
    shutil.copy(root / "singer_02" / "take_01.wav", root / "zz_copies" / "same_as_singer_02_take_01.wav")
    return root


@pytest.fixture(scope="module")
def baseline(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("baseline")
    run = analyze_corpus(corpus, out=out, workers=0, progress=False)
    assert (run.n_files, run.n_processed, run.n_failed, run.n_duplicates) == (N_GOOD + 1, N_GOOD + 1, 1, 1)
    return out


def tables(out: Path) -> dict[str, pd.DataFrame]:
    """Every table of a results folder, sorted, without the columns that depend on where/when it ran."""
    res = {}
    for name in ("summary", *DATA_TABLES):
        df = read_table(out, name)
        if name == "summary":
            df = df.drop(columns=list(RUN_COLUMNS))
        keys = ["file_id"] + [c for c in ("time_s", "onset_s", "index", "beat") if c in df.columns][:1]
        res[name] = df.sort_values(keys).reset_index(drop=True)
    return res


def assert_same_results(out: Path, ref: Path) -> None:
    a, b = tables(out), tables(ref)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=False, rtol=1e-9, obj=name)


def assert_each_file_once(out: Path, n: int) -> None:
    s = read_table(out, "summary")
    assert len(s) == n and s.file_id.is_unique
    with duckdb.connect(str(out / "corpus.duckdb"), read_only=True) as con:
        ids = [r[0] for r in con.execute("SELECT file_id FROM files ORDER BY file_id").fetchall()]
    assert ids == sorted(s.file_id)
    frames = read_table(out, "frames")
    counts = frames.groupby("file_id").size()
    ok = s[s.status == "ok"].set_index("file_id")
    assert (counts.reindex(ok.index) == ok.n_frames).all()  # no file's frames written twice
    assert not (out / "_tmp").exists() or not any((out / "_tmp").iterdir())


def test_in_process_run_writes_every_table_and_records_the_broken_file(baseline: Path, corpus: Path) -> None:
    s = read_table(baseline, "summary").set_index("path")
    bad = s.loc[str(corpus / "singer_01" / "broken.wav")]
    assert bad.status == "error" and "AudioFileError" in bad.error
    ok = s[s.status == "ok"]
    assert len(ok) == N_GOOD and set(ok.group) == {"singer_01", "singer_02", "singer_03"}
    assert (ok.coach_reference == "reference.mid").all() and (ok.n_notes == 5).all()
    assert ok.tempo_bpm.notna().all() and (ok.n_onsets > 0).all()
    for name in DATA_TABLES:
        assert set(read_table(baseline, name).file_id) == set(ok.file_id), name
    assert_each_file_once(baseline, N_GOOD + 1)
    assert json.loads((baseline / "config.json").read_text())["analyses"] == ["pitch", "rhythm", "coach"]


def test_coach_cents_match_the_known_detuning(baseline: Path, corpus: Path) -> None:
    truth = pd.read_csv(corpus / "truth.csv")
    s = read_table(baseline, "summary")
    s["rel"] = s.path.map(lambda p: Path(p).relative_to(corpus).as_posix())
    cn = read_table(baseline, "coach_notes").merge(s[["file_id", "rel"]], on="file_id")
    m = cn.merge(truth, left_on=["rel", "index"], right_on=["path", "note"])
    assert len(m) == 5 * N_GOOD
    err = (m.cents_off - m.cents).abs()
    assert err.median() <= 3.0 and err.quantile(0.9) <= 8.0, err.describe()  # cents, vibrato 10-45 c


def test_duckdb_views_over_the_results(baseline: Path) -> None:
    con = open_results(baseline)
    try:
        n = con.execute("SELECT count(*) FROM files WHERE status = 'ok'").fetchone()
        assert n is not None and n[0] == N_GOOD
        rows = con.execute(
            'SELECT s."group", count(*) FROM coach_notes c JOIN summary s USING (file_id) GROUP BY 1 ORDER BY 1'
        ).fetchall()
        assert rows == [("singer_01", 10), ("singer_02", 10), ("singer_03", 10)]
    finally:
        con.close()


def test_local_processes_give_the_same_results(baseline: Path, corpus: Path, tmp_path: Path) -> None:
    run = analyze_corpus(corpus, out=tmp_path, workers=2, progress=False)
    assert run.backend == "processes:2" and run.n_processed == N_GOOD + 1
    assert_same_results(tmp_path, baseline)


@pytest.mark.slow
def test_dask_cluster_same_results_with_a_worker_killed_mid_run(baseline: Path, corpus: Path, tmp_path: Path) -> None:
    from distributed import LocalCluster

    killed: list[int] = []

    def kill_first_worker(row: dict) -> None:
        if not killed:  # the worker that finished first has more files queued: kill it mid-run
            pid = int(row["worker"].rsplit(":", 1)[1])
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    with (
        warnings.catch_warnings(),
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
    ):
        warnings.simplefilter("ignore")
        run = analyze_corpus(
            corpus, out=tmp_path, client=cluster.scheduler_address, progress=False, on_file=kill_first_worker
        )
    assert killed and run.backend.startswith("dask:")
    assert run.n_processed == N_GOOD + 1 and run.n_failed == 1  # only the broken file
    assert_each_file_once(tmp_path, N_GOOD + 1)
    assert_same_results(tmp_path, baseline)


@pytest.mark.slow
def test_local_pool_survives_a_killed_worker(baseline: Path, corpus: Path, tmp_path: Path) -> None:
    killed: list[int] = []

    def kill(row: dict) -> None:
        if not killed:
            pid = int(row["worker"].rsplit(":", 1)[1])
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    run = analyze_corpus(corpus, out=tmp_path, workers=2, progress=False, on_file=kill)
    assert killed and run.n_processed == N_GOOD + 1 and run.n_failed == 1
    assert_each_file_once(tmp_path, N_GOOD + 1)
    assert_same_results(tmp_path, baseline)


class Stop(Exception):
    pass


def test_resume_after_interruption_processes_only_the_rest(baseline: Path, corpus: Path, tmp_path: Path) -> None:
    seen: list[str] = []

    def stop_after_three(row: dict) -> None:
        seen.append(row["file_id"])
        if len(seen) == 3:
            raise Stop

    with pytest.raises(Stop):
        analyze_corpus(corpus, out=tmp_path, workers=2, progress=False, on_file=stop_after_three)
    assert sorted(read_table(tmp_path, "summary").file_id) == sorted(seen)
    # a crash while a file was being staged leaves a half-written folder outside parts/: never visible
    half = tmp_path / "_tmp" / "deadbeefdeadbeef.1.x"
    half.mkdir(parents=True)
    (half / "frames.parquet").write_bytes(b"PAR1 half")
    assert len(read_table(tmp_path, "frames").file_id.unique()) <= 3
    again = analyze_corpus(corpus, out=tmp_path, workers=2, progress=False)
    assert (again.n_skipped, again.n_processed) == (3, N_GOOD + 1 - 3)
    assert_each_file_once(tmp_path, N_GOOD + 1)
    assert_same_results(tmp_path, baseline)
    third = analyze_corpus(corpus, out=tmp_path, workers=0, progress=False)
    assert (third.n_processed, third.n_skipped) == (0, N_GOOD + 1)
    retry = analyze_corpus(corpus, out=tmp_path, workers=0, progress=False, retry_failed=True)
    assert (retry.n_processed, retry.n_failed) == (1, 1)
    assert_each_file_once(tmp_path, N_GOOD + 1)


def test_other_settings_into_the_same_out_folder_are_refused(baseline: Path, corpus: Path) -> None:
    with pytest.raises(ParameterError, match="other settings"):
        analyze_corpus(corpus, out=baseline, analyses=("pitch",), workers=0, progress=False)


def test_bad_arguments(corpus: Path, tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="analyses"):
        analyze_corpus(corpus, out=tmp_path, analyses=("loudness",))
    with pytest.raises(ParameterError, match="pitch_method"):
        analyze_corpus(corpus, out=tmp_path, pitch_method="yin2")
    with pytest.raises(ParameterError, match="not found"):
        list_audio(tmp_path / "nope")


def test_pitch_only_run_and_explicit_paths(corpus: Path, tmp_path: Path) -> None:
    paths = [p for p in list_audio(corpus) if p.name.startswith("take")][:2]
    run = analyze_corpus(paths, out=tmp_path, analyses="pitch", workers=0, progress=False)
    assert run.n_processed == 2
    s = read_table(tmp_path, "summary")
    assert s.coach_overall.isna().all() and s.tempo_bpm.isna().all() and (s.n_notes == 5).all()
    assert len(read_table(tmp_path, "coach_notes")) == 0


def test_crepe_files_of_a_task_are_tracked_together(baseline: Path, corpus: Path, tmp_path: Path) -> None:
    paths = [corpus / "singer_01" / "take_01.wav", corpus / "singer_02" / "take_01.wav"]
    run = analyze_corpus(
        paths, out=tmp_path, analyses="pitch", pitch_method="crepe", device="cpu", files_per_task=2, workers=0
    )
    assert run.n_processed == 2 and run.n_failed == 0
    s = read_table(tmp_path, "summary").set_index("file_id")
    ref = read_table(baseline, "summary").set_index("file_id").loc[s.index]
    assert (s.pitch_method == "crepe").all() and (s.n_notes == ref.n_notes).all()
    cents = 1200 * np.log2(s.f0_median_hz / ref.f0_median_hz)
    assert cents.abs().max() <= 20.0, cents  # crepe (20 c bins) vs our tracker, median f0 of the take


def test_cli_batch(corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from dawglib.cli import main

    rc = main(["batch", str(corpus), "--out", str(tmp_path), "--workers", "0", "--analyses", "pitch", "--quiet"])
    out = capsys.readouterr().out
    assert rc == 0 and "7 files" in out and "1 failed" in out, out
    assert main(["batch", str(corpus), "--out", str(tmp_path), "--analyses", "coach", "--quiet"]) == 2


# ----------------------------------------------------------------------------------------- crepe batching
def sung(midi: float, *, sr: int, duration_s: float, seed: int) -> np.ndarray:
    from dawglib.synth import f0_contour, sung_vowel

    f0 = f0_contour([(0.1, duration_s / 2, midi), (duration_s / 2, duration_s - 0.2, midi + 4.3)], sr=sr)
    return sung_vowel(np.concatenate([f0, np.zeros(sr // 10)]), sr=sr, seed=seed)


@pytest.fixture(scope="module")
def signals() -> list[np.ndarray]:
    return [sung(45, sr=16000, duration_s=1.6, seed=1), sung(64, sr=16000, duration_s=2.3, seed=2)] + [
        sung(76, sr=16000, duration_s=0.9, seed=3)
    ]


def test_track_many_batched_across_files_equals_one_file_at_a_time(signals: list[np.ndarray]) -> None:
    together = track_many(signals, sr=16000, device="cpu", batch_size=100)  # batches straddle files
    for y, tr in zip(signals, together):
        alone = track_many([y], sr=16000, device="cpu", batch_size=1024)[0]
        assert len(tr) == len(alone) == 1 + y.size // 160
        np.testing.assert_array_equal(tr.voiced, alone.voiced)
        np.testing.assert_array_equal(tr.f0_hz, alone.f0_hz)
        np.testing.assert_allclose(tr.confidence, alone.confidence, atol=1e-5)


def test_viterbi_many_equals_torchcrepe_viterbi(signals: list[np.ndarray]) -> None:
    import torch

    from dawglib._crepe_batch import frames_of, get_torchcrepe, load_model, viterbi_many

    tc = get_torchcrepe()
    net = load_model("tiny", device="cpu")
    with torch.inference_mode():
        acts = [net(frames_of(torch.from_numpy(y), 160)) for y in signals]
        for a in acts:
            a[:, :40] = -float("inf")  # a search range, as torchcrepe sets it
            a[:, 300:] = -float("inf")
        ours = viterbi_many(acts)
        for a, b in zip(acts, ours):
            ref, _ = tc.decode.viterbi(a.T[None].clone())
            np.testing.assert_array_equal(b.numpy(), ref[0].numpy())


def test_track_many_agrees_with_track_crepe(signals: list[np.ndarray]) -> None:
    from dawglib.io import resample
    from dawglib.pitch import track

    ys = [signals[0], resample(signals[1], orig_sr=16000, target_sr=22050)]
    srs = [16000, 22050]
    for y, sr, tr in zip(ys, srs, track_many(ys, sr=srs, device="cpu")):
        ref = track(y, sr=sr, method="crepe", model="tiny", device="cpu")
        assert len(tr) == len(ref) and tr.hop_length == ref.hop_length
        assert np.mean(tr.voiced == ref.voiced) >= 0.99
        both = tr.voiced & ref.voiced
        cents = 1200 * np.abs(np.log2(tr.f0_hz[both] / ref.f0_hz[both]))
        assert np.quantile(cents, 0.99) <= 20.5  # torchcrepe dithers by up to +-20 c; we do not


def test_track_many_silence_and_bad_input() -> None:
    silent = np.zeros(8000, dtype=np.float32)
    (tr,) = track_many([silent], sr=16000, device="cpu")
    assert len(tr) == 51 and not tr.voiced.any()
    with pytest.raises(ParameterError, match="method"):
        track_many([silent], sr=16000, method="auto")
    with pytest.raises(AudioError):
        track_many([np.zeros(10, dtype=np.int16)], sr=16000)
    with pytest.raises(ParameterError, match="one per signal"):
        track_many([silent, silent], sr=[16000])


def test_guided_chunks_cover_every_file_once_in_order_and_end_with_single_files() -> None:
    from dawglib.batch import _guided_chunks

    todo = list(range(61))
    chunks = _guided_chunks(todo, n_threads=2, max_per_task=4)  # type: ignore[arg-type]
    assert [x for c in chunks for x in c] == todo
    sizes = [len(c) for c in chunks]
    assert max(sizes) == 4 and sizes == sorted(sizes, reverse=True)
    assert sizes[-8:] == [1] * 8  # the last 4 * n_threads files go one per task
    assert [len(c) for c in _guided_chunks(todo[:7], n_threads=2, max_per_task=4)] == [1] * 7  # type: ignore[arg-type]
