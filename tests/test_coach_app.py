"""The coach app's handlers without a browser (the browser test is in test_apps.py)."""

from __future__ import annotations

import pytest

from dawglib.coach_app import CoachApp


@pytest.fixture
def app(samples, tmp_path):
    return CoachApp(samples_dir=samples, store_path=tmp_path / "coach.duckdb", max_upload_bytes=5_000_000)


def _upload(widget, name: str, content: bytes) -> None:
    import datetime as dt

    widget.value = (
        {
            "name": name,
            "type": "audio/wav",
            "size": len(content),
            "content": memoryview(content),
            "last_modified": dt.datetime(2026, 11, 27, tzinfo=dt.UTC),
        },
    )


def test_analyse_sample_shows_scores_plot_feedback(app):
    app.sample.value = "coach_flat_high.wav"
    app.analyse_sample()
    assert "coach-ok" in app.status.value
    assert app.scores.value.count("data-score=") == 5
    assert app.plot.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert "flat on sustained high notes" in app.feedback.value
    assert "<table" in app.notes.value


def test_save_compare_and_progress(app):
    app.singer.value = "ana"
    for name in ("coach_late_entries.wav", "coach_good.wav"):
        app.sample.value = name
        app.analyse_sample()
        app.save_take()
    assert "Saved as Take 2" in app.status.value
    assert len(app.take_a.options) == 2
    app.compare()
    assert "coach-compare" in app.compare_out.value and "rhythm" in app.compare_out.value
    assert app.progress_plot.value[:4] == b"\x89PNG"


def test_upload_real_file_then_bad_file_then_recover(app, samples):
    _upload(app.upload, "mine.wav", (samples / "coach_late_entries.wav").read_bytes())
    assert "Analysed mine.wav" in app.status.value and "late" in app.feedback.value.lower()
    _upload(app.upload, "broken.wav", b"RIFF....garbage" * 50)
    assert "coach-error" in app.status.value and "cannot decode" in app.status.value
    _upload(app.upload, "notes.txt", b"hello")
    assert "unsupported file type" in app.status.value
    _upload(app.upload, "huge.wav", b"\0" * 5_000_001)
    assert "the limit is" in app.status.value
    app.sample.value = "coach_good.wav"
    app.analyse_sample()  # the app keeps working
    assert "coach-ok" in app.status.value


def test_bad_bpm_text_is_a_message_not_a_crash(app):
    app.reference.value = app.reference.options[0]  # no reference
    app.bpm.value = "fast"
    app.analyse_sample()
    assert "coach-error" in app.status.value


def test_chat_answers_about_the_singers_own_takes(app):
    app.singer.value = "ana"
    app.sample.value = "coach_flat_high.wav"
    app.analyse_sample()
    app.save_take()
    app.chat_in.value = "what did my last take score?"
    app.ask()
    assert "coach-chat" in app.chat_out.value and "ana&#x27;s last take (Take 1) scored" in app.chat_out.value
    app.chat_in.value = "write me a love song lyric"
    app.ask()
    assert "needs a language model" in app.chat_out.value  # honest offline answer, never invented text
