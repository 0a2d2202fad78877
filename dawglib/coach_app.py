"""The vocal-coach app (ipywidgets), served by Voila from ``dashboards/vocal_coach.ipynb``.

All the logic of the app lives here so the notebook stays three lines and the app can be tested
without a browser: :class:`CoachApp` builds the widgets and its methods are the button handlers.
Every number it shows comes from :func:`dawglib.coach.analyze_take` and
:class:`dawglib.takes.CoachStore`. Errors (a bad file, a file too large, a locked store) are shown
in the app as a message; the app keeps working.
"""

from __future__ import annotations

import html
import os
import tempfile
from pathlib import Path
from typing import Any

from .exceptions import DawglibError

__all__ = ["CoachApp", "MAX_UPLOAD_BYTES", "AUDIO_TYPES"]

#: Largest accepted upload (bytes): about 10 minutes of 16-bit stereo at 44.1 kHz.
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
AUDIO_TYPES = (".wav", ".flac", ".mp3", ".ogg")
_NO_REF = "(none: use key / BPM)"


class CoachApp:
    """The coach app's widgets and handlers.

    Parameters
    ----------
    samples_dir : path
        Folder with the embedded sample takes (``*.wav``) and reference melodies (``*.mid``).
    store_path : path
        The coach store (DuckDB); opened only while saving or reading takes, so several app
        sessions can share it.
    max_upload_bytes : int
        Size limit of an uploaded take.
    """

    def __init__(
        self,
        *,
        samples_dir: str | os.PathLike[str],
        store_path: str | os.PathLike[str],
        max_upload_bytes: int = MAX_UPLOAD_BYTES,
    ) -> None:
        import ipywidgets as w

        self.samples_dir = Path(samples_dir)
        self.store_path = Path(store_path)
        self.max_upload_bytes = int(max_upload_bytes)
        self.report: Any = None
        self._audio: tuple[Any, int] | None = None
        self._source_label = ""

        samples = sorted(p.name for p in self.samples_dir.glob("*.wav"))
        refs = sorted(p.name for p in self.samples_dir.glob("*.mid"))
        self.singer = w.Combobox(
            value="demo singer", options=self._singers(), description="Singer", ensure_option=False
        )
        self.sample = w.Dropdown(options=samples, description="Sample take", value=_pick(samples, "coach_good.wav"))
        self.upload = w.FileUpload(accept=",".join(AUDIO_TYPES), multiple=False, description="Upload take")
        self.reference = w.Dropdown(
            options=[_NO_REF, *refs], value=_pick([_NO_REF, *refs], "coach_reference.mid"), description="Reference"
        )
        self.ref_upload = w.FileUpload(accept=".mid,.midi", multiple=False, description="Upload MIDI")
        self.key = w.Text(value="", placeholder="e.g. Am", description="Key")
        self.bpm = w.Text(value="", placeholder="e.g. 90", description="BPM")
        self.analyse_sample_btn = w.Button(description="Analyse sample", button_style="primary")
        self.save_btn = w.Button(description="Save as take", disabled=True)
        self.status = w.HTML(value="", layout=w.Layout(min_height="1.5em"))
        self.scores = w.HTML()
        self.plot = w.Image(format="png", layout=w.Layout(max_width="1100px"))
        self.player = w.Output()
        self.notes = w.HTML()
        self.feedback = w.HTML()
        self.take_a = w.Dropdown(description="Take A")
        self.take_b = w.Dropdown(description="Take B")
        self.compare_btn = w.Button(description="Compare")
        self.compare_out = w.HTML()
        self.progress_plot = w.Image(format="png", layout=w.Layout(max_width="800px", display="none"))
        self.chat_in = w.Text(
            placeholder="Ask the music assistant, e.g. 'what did my last take score?'", layout=w.Layout(width="600px")
        )
        self.chat_btn = w.Button(description="Ask")
        self.chat_out = w.HTML()
        self._router: Any = None

        self.analyse_sample_btn.on_click(lambda _: self.analyse_sample())
        self.upload.observe(lambda ch: self.analyse_upload(), names="value")
        self.save_btn.on_click(lambda _: self.save_take())
        self.compare_btn.on_click(lambda _: self.compare())
        self.singer.observe(lambda ch: self.refresh_takes(), names="value")
        self.chat_btn.on_click(lambda _: self.ask())

        inputs = w.VBox(
            [
                self.singer,
                w.HBox([self.sample, self.analyse_sample_btn]),
                w.HBox(
                    [self.upload, w.HTML(f"<small>WAV/FLAC/MP3/OGG up to {self.max_upload_bytes // 2**20} MB</small>")]
                ),
                w.HBox([self.reference, self.ref_upload]),
                w.HBox([self.key, self.bpm]),
                w.HBox([self.save_btn, self.status]),
            ]
        )
        result = w.VBox([self.scores, self.plot, self.player, self.feedback, self.notes])
        takes = w.VBox(
            [
                w.HTML("<h3>Takes and progress</h3>"),
                w.HBox([self.take_a, self.take_b, self.compare_btn]),
                self.compare_out,
                self.progress_plot,
            ]
        )
        chat = w.VBox(
            [w.HTML("<h3>Ask the music assistant</h3>"), w.HBox([self.chat_in, self.chat_btn]), self.chat_out]
        )
        from .live_app import LiveCoachPanel

        self.live = LiveCoachPanel(samples_dir=self.samples_dir)
        live = w.VBox([w.HTML("<h3>Sing live</h3>"), self.live.widget])
        self.widget = w.VBox([inputs, result, takes, chat, live])
        self.refresh_takes()

    # -- handlers -------------------------------------------------------------------------------
    def analyse_sample(self) -> None:
        """Analyse the chosen embedded sample take."""
        if not self.sample.value:
            self._error("No sample takes found; run `make data`.")
            return
        self._run(lambda: self._load(self.samples_dir / str(self.sample.value)), label=str(self.sample.value))

    def analyse_upload(self) -> None:
        """Analyse the uploaded take (size and type checked first)."""
        files = self.upload.value
        if not files:
            return
        f = files[0]
        name = str(f["name"])
        size = int(f.get("size", len(f["content"])))
        if size > self.max_upload_bytes:
            self._error(
                f"{html.escape(name)} is {size / 2**20:.1f} MB; the limit is {self.max_upload_bytes / 2**20:.0f} MB. "
                "Trim the take or export it as FLAC/MP3."
            )
            return
        suffix = Path(name).suffix.lower()
        if suffix not in AUDIO_TYPES:
            self._error(
                f"{html.escape(name)}: unsupported file type {suffix or '(none)'}; use {', '.join(AUDIO_TYPES)}."
            )
            return
        content = bytes(f["content"])

        def load() -> tuple[Any, int]:
            with tempfile.TemporaryDirectory(prefix="dawg-upload-") as tmp:
                path = Path(tmp) / f"take{suffix}"
                path.write_bytes(content)
                return self._load(path)

        self._run(load, label=name)

    def save_take(self) -> None:
        """Store the current report as the singer's next take."""
        if self.report is None:
            self._error("Analyse a take first.")
            return
        singer = (self.singer.value or "").strip()
        if not singer:
            self._error("Enter a singer's name first.")
            return
        from .takes import CoachStore

        try:
            with CoachStore(self.store_path) as store:
                take_id = store.add_take(self.report, singer_id=singer, audio_path=self._source_label)
                name = store.takes(singer).iloc[-1]["name"]
        except DawglibError as exc:
            self._error(f"Could not save: {html.escape(str(exc))}")
            return
        saved = f"Saved as {html.escape(str(name))} (take {take_id}) for {html.escape(singer)}."
        self.status.value = f"<span class='coach-saved'>{saved}</span>"
        self.refresh_takes()

    def compare(self) -> None:
        """Show the score differences between take A and take B."""
        a, b = self.take_a.value, self.take_b.value
        if a is None or b is None:
            self.compare_out.value = "<p>Save two takes to compare them.</p>"
            return
        from .takes import CoachStore

        with CoachStore(self.store_path) as store:
            df = store.compare(int(a), int(b))
        scores = df[df.kind == "score"][["item", "a", "b", "delta"]].round(1)
        self.compare_out.value = "<div class='coach-compare'>" + scores.to_html(index=False) + "</div>"

    def refresh_takes(self) -> None:
        """Reload the singer's takes and progress chart."""
        singer = (self.singer.value or "").strip()
        if not singer or not self.store_path.exists():
            self.take_a.options, self.take_b.options = [], []
            return
        from .display import figure_png, plot_progress
        from .takes import CoachStore

        try:
            with CoachStore(self.store_path) as store:
                prog = store.progress(singer)
        except DawglibError as exc:
            self._error(f"Could not read the coach store: {html.escape(str(exc))}")
            return
        opts = [(f"{r.name} ({r.overall:.0f})", int(r.take_id)) for r in prog.itertuples()]
        self.take_a.options, self.take_b.options = opts, opts
        if len(opts) >= 2:
            self.take_a.value, self.take_b.value = opts[-2][1], opts[-1][1]
        if len(prog):
            self.progress_plot.value = figure_png(plot_progress(prog))
            self.progress_plot.layout.display = None

    def ask(self) -> None:
        """Ask the brain (music-assistant persona); offline and exact when no API key is set."""
        question = (self.chat_in.value or "").strip()
        if not question:
            return
        singer = (self.singer.value or "").strip() or "guest"
        from .brain.answerers import default_answerers
        from .brain.factory import build_router

        try:
            router = build_router(
                answerers=default_answerers(
                    singer=singer, coach_db=self.store_path, out_dir=self.store_path.parent / "generated"
                )
            )
            r = router.complete(question, persona="musician", user_id=singer, feature="coach_chat")
        except DawglibError as exc:
            self.chat_out.value = f"<div class='coach-chat-error'>⚠ {html.escape(str(exc))}</div>"
            return
        self.chat_out.value = (
            f"<div class='coach-chat'><p><b>You:</b> {html.escape(question)}</p><p><b>Assistant</b> "
            f"<small>({html.escape(r.provider)}/{html.escape(r.model)})</small>: {html.escape(r.text)}</p></div>"
        )

    # -- internals ------------------------------------------------------------------------------
    def _singers(self) -> list[str]:
        if not self.store_path.exists():
            return []
        from .takes import CoachStore

        try:
            with CoachStore(self.store_path) as store:
                return store.singers()
        except DawglibError:
            return []

    def _load(self, path: Path) -> tuple[Any, int]:
        from .io import load_audio

        return load_audio(path)

    def _reference(self) -> Any:
        if self.ref_upload.value:
            f = self.ref_upload.value[0]
            tmp = Path(tempfile.mkdtemp(prefix="dawg-ref-")) / "reference.mid"
            tmp.write_bytes(bytes(f["content"]))
            return tmp
        if self.reference.value and self.reference.value != _NO_REF:
            return self.samples_dir / str(self.reference.value)
        return None

    def _run(self, load: Any, *, label: str) -> None:
        from .coach import analyze_take
        from .display import figure_png, plot_coach_report

        self.status.value = f"<span class='coach-busy'>Analysing {html.escape(label)}…</span>"
        try:
            y, sr = load()
            bpm = float(self.bpm.value) if self.bpm.value.strip() else None
            key = self.key.value.strip() or None
            report = analyze_take(y, sr=sr, reference=self._reference(), key=key, bpm=bpm)
        except ValueError as exc:  # includes ParameterError / AudioError and a bad BPM number
            self._error(f"{html.escape(label)}: {html.escape(str(exc))}")
            return
        except DawglibError as exc:
            self._error(f"{html.escape(label)}: {html.escape(str(exc))}")
            return
        self.report = report
        self._audio = (y, sr)
        self._source_label = label
        self.save_btn.disabled = False
        self.scores.value = _scores_html(report)
        self.plot.value = figure_png(plot_coach_report(report))
        self.feedback.value = _feedback_html(report)
        self.notes.value = _notes_html(report)
        self._play(y, sr)
        # last, so that a page that sees this message sees the whole result
        self.status.value = (
            f"<span class='coach-ok'>Analysed {html.escape(label)} against {html.escape(report.reference)}.</span>"
        )

    def _play(self, y: Any, sr: int) -> None:
        from IPython.display import Audio, display

        self.player.clear_output()
        with self.player:
            display(Audio(y, rate=sr))

    def _error(self, message: str) -> None:
        self.status.value = f"<span class='coach-error' style='color:#c62828'>⚠ {message}</span>"


def _pick(options: list[str], preferred: str) -> str | None:
    if preferred in options:
        return preferred
    return options[0] if options else None


def _scores_html(report: Any) -> str:
    s = report.scores
    cells = "".join(
        f"<div class='coach-score' data-score='{k}' style='display:inline-block;margin:0 1.2em 0 0'>"
        f"<div style='font-size:2em;font-weight:600'>{getattr(s, k):.0f}</div><div>{k}</div></div>"
        for k in ("overall", "pitch", "rhythm", "consistency", "confidence")
    )
    rng = (
        f"<div>Range: {html.escape(report.range_low)}–{html.escape(report.range_high)}</div>"
        if report.range_low
        else ""
    )
    return f"<div class='coach-scores'>{cells}{rng}</div>"


def _feedback_html(report: Any) -> str:
    colours = {"success": "#2e7d32", "info": "#1565c0", "warning": "#e65100"}
    items = "".join(
        f"<li class='coach-feedback-{f.severity}' style='color:{colours[f.severity]}'>{html.escape(f.message)}"
        f" <small>({f.start_s:.1f}–{f.end_s:.1f} s)</small></li>"
        for f in report.feedback
    )
    return f"<div class='coach-feedback'><h3>Feedback</h3><ul>{items}</ul></div>"


def _notes_html(report: Any) -> str:
    df = report.notes_frame()[
        [
            "target_name",
            "sung_name",
            "start_s",
            "cents_off",
            "onset_offset_ms",
            "in_tune",
            "vibrato_rate_hz",
            "vibrato_extent_cents",
        ]
    ].round(1)
    return "<div class='coach-notes'><h3>Notes</h3>" + df.to_html(index=False, na_rep="–") + "</div>"
