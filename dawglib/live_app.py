"""The live-coaching panel of the vocal-coach app (ipywidgets; served alone by ``dashboards/live_coach.ipynb``).

:class:`LiveCoachPanel` puts a reference-melody chooser above a :class:`~dawglib.live_widget.LiveMicWidget`:
sing into the microphone and see the note, the cents and the messages as you sing; with a
reference chosen, the target note is shown and followed from the moment the microphone starts.
Its ``.widget`` is a tab/section of :class:`dawglib.coach_app.CoachApp`.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

from .exceptions import DawglibError

__all__ = ["LiveCoachPanel"]

_FREE = "(none: just sing)"


class LiveCoachPanel:
    """The live mode: microphone, pitch trace, note, cents needle, messages, latency.

    Parameters
    ----------
    samples_dir : path or None
        Folder with reference melodies (``*.mid``) to follow; None for free singing only.
    tolerance_cents : float
        In tune within this many cents.
    **widget_kwargs
        Passed to :class:`~dawglib.live_widget.LiveMicWidget` (``sample_rate_hz``, ``chunk_ms``,
        analyser options).

    Examples
    --------
    >>> panel = LiveCoachPanel(samples_dir=None)
    >>> type(panel.widget).__name__
    'VBox'
    """

    def __init__(
        self, *, samples_dir: str | os.PathLike[str] | None = None, tolerance_cents: float = 15.0, **widget_kwargs: Any
    ) -> None:
        import ipywidgets as w

        from .live_widget import LiveMicWidget

        self.samples_dir = Path(samples_dir) if samples_dir is not None else None
        refs = sorted(p.name for p in self.samples_dir.glob("*.mid")) if self.samples_dir else []
        self.reference = w.Dropdown(options=[_FREE, *refs], value=_FREE, description="Follow")
        self.status = w.HTML(value="")
        self.mic = LiveMicWidget(tolerance_cents=tolerance_cents, **widget_kwargs)
        self.reference.observe(lambda _: self.choose_reference(), names="value")
        intro = w.HTML(
            "<h3>Live coaching</h3><p>Press <b>Start microphone</b> and sing: the note, the cents "
            f"(in tune within ±{tolerance_cents:g} cents) and tips appear as you sing. Choose a melody to "
            "follow it from the moment you start.</p>"
        )
        self.widget = w.VBox([intro, w.HBox([self.reference, self.status]), self.mic])

    def choose_reference(self) -> None:
        """Use the chosen reference melody as the target of the next run."""
        name = str(self.reference.value)
        if name == _FREE or self.samples_dir is None:
            self.mic.target = None
            self.status.value = ""
            return
        from .coach import reference_notes

        try:
            notes = reference_notes(self.samples_dir / name)
        except DawglibError as exc:
            self.mic.target = None
            self.status.value = f"<span class='live-error'>{html.escape(str(exc))}</span>"
            return
        self.mic.target = notes
        self.status.value = f"<small>{len(notes)} notes; press Start (again) to follow from the top.</small>"
