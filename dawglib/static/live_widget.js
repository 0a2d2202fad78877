// Live coaching widget (anywidget ESM): microphone -> AudioWorklet -> PCM over the widget comm ->
// dawglib.live.LiveAnalyser in the kernel -> events back -> pitch trace, note, cents needle, messages.
// Latency: each PCM chunk carries the performance.now() time at which its first sample was captured
// (the worklet posts it when the chunk is full); a frame's capture time is interpolated from its chunk,
// and its end-to-end latency is measured when the frame has been painted (after requestAnimationFrame).

const WORKLET = `
class DawgTap extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.chunk = options.processorOptions.chunk;
    this.buf = new Float32Array(this.chunk);
    this.n = 0;
  }
  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    if (!ch) return true;
    for (let i = 0; i < ch.length; i++) {
      this.buf[this.n++] = ch[i];
      if (this.n === this.chunk) {
        this.port.postMessage({ pcm: this.buf, end: currentFrame + i + 1 }, [this.buf.buffer]);
        this.buf = new Float32Array(this.chunk);
        this.n = 0;
      }
    }
    return true;
  }
}
registerProcessor("dawg-tap", DawgTap);
`;

const RATES = [0, 8000, 16000, 22050, 44100, 48000];
const TRACE_S = 6;
// no answer from the kernel for WAIT_MS while it should answer: "waiting for the server"; for GIVE_UP_MS: the
// run stops with a clear message (the kernel websocket is gone, or came back deaf). @jupyterlab/services queues
// messages while it reconnects, so model.send() does not fail when the socket is down: silence is the signal.
const WAIT_MS = 1500;
const GIVE_UP_MS = 4000;
// Flow control: at most MAX_IN_FLIGHT audio messages wait for their answer; chunks captured meanwhile are
// merged into one message (fewer, larger messages when the kernel falls behind, e.g. on a loaded machine;
// one chunk per message when it keeps up). At most MAX_OUTBOX_S of audio waits in the page (the oldest is
// dropped beyond that, and the analyser fills the gap), so nothing piles up while the socket is down.
const MAX_IN_FLIGHT = 8;
const MAX_OUTBOX_S = 2.0;
const WARMUP_S = 1.0;

function pct(arr, p) {
  if (!arr.length) return NaN;
  const s = Float64Array.from(arr).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

function h(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function render({ model, el }) {
  el.classList.add("dawg-live");
  const bar = h("div", "live-bar");
  const startBtn = h("button", "live-start", "Start microphone");
  const stopBtn = h("button", "live-stop", "Stop");
  stopBtn.disabled = true;
  const rateSel = h("select", "live-rate");
  for (const r of RATES) {
    const o = h("option", "", r ? `${r / 1000} kHz` : "device rate");
    o.value = String(r);
    rateSel.appendChild(o);
  }
  rateSel.value = String(model.get("sample_rate_hz") || 0);
  rateSel.title = "Sample rate asked of the browser for the microphone";
  const status = h("div", "live-status", "Press Start and sing.");
  bar.append(startBtn, stopBtn, h("label", "", " mic rate "), rateSel, status);

  const big = h("div", "live-big");
  const noteBox = h("div", "live-note", "–");
  const targetBox = h("div", "live-target", "");
  const centsBox = h("div", "live-cents", "");
  const needle = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  needle.setAttribute("viewBox", "-60 -55 120 62");
  needle.setAttribute("class", "live-needle");
  needle.innerHTML =
    '<path d="M -50 0 A 50 50 0 0 1 50 0" fill="none" stroke="#ccc" stroke-width="6"/>' +
    '<path d="M -12.9 -48.3 A 50 50 0 0 1 12.9 -48.3" fill="none" stroke="#3a3" stroke-width="6"/>' +
    '<line class="live-needle-hand" x1="0" y1="0" x2="0" y2="-46" stroke="#333" stroke-width="2.5"/>' +
    '<text x="-56" y="6" font-size="8">-50</text><text x="46" y="6" font-size="8">+50</text>';
  const hand = needle.querySelector(".live-needle-hand");
  const left = h("div", "live-left");
  left.append(noteBox, centsBox, targetBox);
  big.append(left, needle);

  const canvas = h("canvas", "live-trace");
  canvas.width = 900;
  canvas.height = 220;
  const ctx2d = canvas.getContext("2d");
  const latency = h("div", "live-latency", "Delay from your voice to the screen: –");
  const errors = h("div", "live-errors");
  const msgs = h("ul", "live-messages");
  const notes = h("div", "live-notes");
  el.append(bar, big, canvas, latency, errors, h("div", "live-h", "Notes"), notes, h("div", "live-h", "Messages"), msgs);

  // ---- state -------------------------------------------------------------------------------
  let audio = null; // {ctx, stream, node, src, sink}
  let sr = 0;
  let firstFrame = null;
  let seq = 0;
  let run = 0; // id of the current run: answers to older runs (a backlog after a reconnection) are ignored
  let acked = false; // the kernel answered this run's "start"
  let startSent = 0;
  let waiting = false;
  let chunks = []; // recent {start, n, capture}
  const inflight = new Map(); // seq -> performance.now() when sent, for the unanswered audio messages
  let outbox = []; // captured chunks not sent yet: {pcm, start}
  let outboxN = 0;
  let lastReply = 0;
  const trace = []; // {t, midi, inTune}
  const paintQueue = [];
  const e2e = [];
  const compute = [];
  let lastStatsSent = 0;
  let rafPending = false;
  let lastTime = 0;
  let watchdog = null;

  const LOST =
    "Lost the connection to the server, so your singing is no longer being analysed. " +
    "Press Start to try again; if nothing happens, reload the page.";
  const NO_ANSWER =
    "The server does not answer, so your singing cannot be analysed right now. Reload the page to reconnect.";

  function setState(state) {
    el.dataset.state = state;
  }
  function setStatus(text, cls) {
    status.textContent = text;
    status.className = "live-status" + (cls ? " " + cls : "");
  }
  function showError(text) {
    const first = errors.firstChild;
    if (first && first.dataset.text === text) {
      // the same problem again: count it instead of filling the page
      const n = Number(first.dataset.count || 1) + 1;
      first.dataset.count = String(n);
      first.textContent = `${text} (×${n})`;
      return;
    }
    const d = h("div", "live-error", text);
    d.dataset.text = text;
    errors.prepend(d);
    while (errors.children.length > 6) errors.lastChild.remove();
  }
  function addMessage(text, severity) {
    const li = h("li", "live-msg live-msg-" + severity, text);
    msgs.prepend(li);
    while (msgs.children.length > 8) msgs.lastChild.remove();
  }
  function send(content, buffers) {
    let json;
    try {
      json = JSON.stringify(content);
    } catch (err) {
      json = undefined;
    }
    if (json === undefined) {
      showError("The page could not encode a message for the server (not valid JSON); it was not sent.");
      return false;
    }
    try {
      model.send(content, undefined, buffers);
      return true;
    } catch (err) {
      showError("Cannot reach the server. Reload the page to reconnect.");
      lose("lost");
      return false;
    }
  }
  function captureOf(sample) {
    for (let i = chunks.length - 1; i >= 0; i--) {
      const c = chunks[i];
      if (sample >= c.start) return c.capture + ((sample - c.start) / sr) * 1000;
    }
    return null;
  }

  // ---- audio ---------------------------------------------------------------------------------
  async function start() {
    if (audio) return;
    errors.textContent = "";
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showError("This page cannot use the microphone: it needs a secure address (https or 127.0.0.1/localhost).");
      return;
    }
    startBtn.disabled = true;
    setState("starting");
    setStatus("Asking for the microphone…");
    const want = Number(rateSel.value) || 0;
    const constraints = { echoCancellation: false, autoGainControl: false, noiseSuppression: false, channelCount: 1 };
    if (want) constraints.sampleRate = { ideal: want };
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: constraints });
    } catch (err) {
      const name = (err && err.name) || "Error";
      let text = `The microphone could not be opened (${name}). Check it is plugged in and allowed, then press Start again.`;
      if (name === "NotAllowedError" || name === "SecurityError")
        text = "Microphone permission denied. Allow the microphone for this page (the icon in the address bar) and press Start again.";
      else if (name === "NotFoundError" || name === "OverconstrainedError")
        text = "No microphone found. Plug one in (or pick it in the system settings) and press Start again.";
      else if (name === "NotReadableError")
        text = "The microphone is busy or blocked by the system (another app may be using it).";
      showError(text);
      send({ type: "client_error", message: text });
      setState("idle");
      setStatus("Not running.", "live-idle");
      startBtn.disabled = false;
      return;
    }
    let ctx;
    try {
      ctx = want ? new AudioContext({ sampleRate: want, latencyHint: "interactive" }) : new AudioContext({ latencyHint: "interactive" });
      const url = URL.createObjectURL(new Blob([WORKLET], { type: "application/javascript" }));
      await ctx.audioWorklet.addModule(url);
      URL.revokeObjectURL(url);
    } catch (err) {
      stream.getTracks().forEach((t) => t.stop());
      if (ctx) ctx.close();
      showError(`This browser cannot record at ${want ? want / 1000 + " kHz" : "the device rate"}. Pick another mic rate and press Start again.`);
      setState("idle");
      setStatus("Not running.", "live-idle");
      startBtn.disabled = false;
      return;
    }
    sr = ctx.sampleRate;
    const chunk = Math.max(128, Math.round((sr * model.get("chunk_ms")) / 1000 / 128) * 128);
    const src = ctx.createMediaStreamSource(stream);
    const node = new AudioWorkletNode(ctx, "dawg-tap", { processorOptions: { chunk }, numberOfOutputs: 1 });
    const sink = ctx.createGain();
    sink.gain.value = 0;
    src.connect(node);
    node.connect(sink);
    sink.connect(ctx.destination);
    firstFrame = null;
    seq = 0;
    run += 1;
    acked = false;
    waiting = false;
    chunks = [];
    notes.textContent = "";
    trace.length = 0;
    lastTime = 0;
    e2e.length = 0;
    compute.length = 0;
    inflight.clear();
    outbox = [];
    outboxN = 0;
    node.port.onmessage = (ev) => onChunk(ev.data);
    audio = { ctx, stream, node, src, sink };
    const track = stream.getAudioTracks()[0];
    const settings = track && track.getSettings ? track.getSettings() : {};
    el.dataset.sr = String(sr);
    el.dataset.micSr = String(settings.sampleRate || "");
    if (track) track.onended = () => { showError("The microphone was disconnected. Plug it back in and press Start again."); stop(true); };
    startSent = lastReply = performance.now();
    send({ type: "start", run, sr, chunk, mic_sr: settings.sampleRate || null, label: track ? track.label : "" });
    setStatus("Connecting to the analyser…");
    status.title = `${sr} Hz, ${chunk}-sample chunks`;
    stopBtn.disabled = false;
    watchdog = setInterval(checkAlive, 250);
    await ctx.resume();
  }

  function listening() {
    setState("running");
    setStatus(`Listening at ${sr} Hz — sing!`, "live-running");
  }

  function onChunk({ pcm, end }) {
    if (!audio) return;
    const now = performance.now();
    if (firstFrame === null) firstFrame = end - pcm.length;
    const start = end - pcm.length - firstFrame;
    const capture = now - (pcm.length / sr) * 1000;
    chunks.push({ start, n: pcm.length, capture });
    if (chunks.length > 4000) chunks.splice(0, chunks.length - 4000);
    outbox.push({ pcm, start });
    outboxN += pcm.length;
    while (outboxN > MAX_OUTBOX_S * sr && outbox.length > 1) outboxN -= outbox.shift().pcm.length;
    flush();
  }

  function flush() {
    if (!audio || !outbox.length || inflight.size >= MAX_IN_FLIGHT) return;
    let pcm = outbox[0].pcm;
    if (outbox.length > 1) {
      pcm = new Float32Array(outboxN);
      let o = 0;
      for (const c of outbox) {
        pcm.set(c.pcm, o);
        o += c.pcm.length;
      }
    }
    const start = outbox[0].start;
    outbox = [];
    outboxN = 0;
    const s = seq++;
    inflight.set(s, performance.now());
    send({ type: "pcm", run, seq: s, start_sample: start, n: pcm.length, dtype: "float32" }, [pcm.buffer]);
  }

  function checkAlive() {
    if (!audio) return;
    const now = performance.now();
    let since = acked ? null : startSent;
    for (const t of inflight.values()) since = since === null ? t : Math.min(since, t);
    const quiet = since === null ? 0 : now - Math.max(lastReply, since);
    if (quiet > GIVE_UP_MS) {
      showError(acked ? LOST : NO_ANSWER);
      lose(acked ? "lost" : "no-answer");
      return;
    }
    if (quiet > WAIT_MS && !waiting) {
      waiting = true;
      setState("waiting");
      setStatus("Waiting for the server… (the connection is slow or interrupted)", "live-waiting");
    }
    if (now - lastStatsSent > 1000 && e2e.length) {
      lastStatsSent = now;
      send({ type: "stats", ...stats() });
    }
  }

  function lose(state) {
    stop(false);
    setState(state);
    setStatus("Not connected.", "live-idle live-lost");
  }

  function stop(tell) {
    if (watchdog) clearInterval(watchdog);
    watchdog = null;
    if (audio) {
      try {
        audio.node.port.onmessage = null;
        audio.src.disconnect();
        audio.node.disconnect();
        audio.stream.getTracks().forEach((t) => t.stop());
        audio.ctx.close();
      } catch (err) {
        /* already closed */
      }
      audio = null;
      inflight.clear();
      outbox = [];
      outboxN = 0;
      if (tell) send({ type: "stop", run });
    }
    startBtn.disabled = false;
    stopBtn.disabled = true;
    waiting = false;
    setState("stopped");
    setStatus("Stopped. Press Start to sing again.", "live-idle");
  }

  function stats() {
    return {
      e2e_p50_ms: pct(e2e, 50),
      e2e_p95_ms: pct(e2e, 95),
      compute_p50_ms: pct(compute, 50),
      compute_p95_ms: pct(compute, 95),
      n: e2e.length,
    };
  }

  // ---- answers from Python -------------------------------------------------------------------
  model.on("msg:custom", (msg) => {
    try {
      onAnswer(msg);
    } catch (err) {
      console.error("dawg live: bad answer", err);
      showError("An answer from the server could not be read; it was ignored.");
    }
  });

  function onAnswer(msg) {
    if (!msg || typeof msg !== "object") throw new Error("not an object");
    if (msg.run !== undefined && msg.run !== null && msg.run !== run) return; // a run that is over
    lastReply = performance.now();
    if (audio && (waiting || !acked) && msg.type !== "error") {
      acked = true;
      waiting = false;
      listening();
    }
    if ((msg.type === "events" || msg.type === "error") && inflight.delete(msg.seq)) flush();
    if (msg.type === "events") {
      if (!Array.isArray(msg.events)) throw new Error("events is not a list");
      if (typeof msg.compute_ms === "number") compute.push(msg.compute_ms);
      if (compute.length > 5000) compute.splice(0, 1000);
      for (const ev of msg.events) handleEvent(ev);
      if (!rafPending) {
        rafPending = true;
        requestAnimationFrame(paint);
      }
    } else if (msg.type === "error") {
      showError(String(msg.message));
      if (msg.fatal && audio) stop(false);
    } else if (msg.type === "notice") {
      addMessage(String(msg.message), msg.severity || "info");
    }
  }

  function handleEvent(ev) {
    if (!ev || typeof ev !== "object" || typeof ev.time_s !== "number" || !Number.isFinite(ev.time_s)) return;
    if (ev.kind === "pitch") {
      const cap = captureOf(Math.round(ev.time_s * sr));
      paintQueue.push({ ev, cap });
    } else if (ev.kind === "note_start") {
      const d = h("span", "live-note-item", String(ev.name));
      d.dataset.note = String(ev.name);
      d.dataset.timeS = ev.time_s.toFixed(2);
      notes.append(d);
      while (notes.children.length > 64) notes.firstChild.remove();
    } else if (ev.kind === "note_end") {
      const last = notes.lastChild;
      if (last && last.dataset.note === ev.name) {
        last.title = `${ev.name} ${ev.cents >= 0 ? "+" : ""}${Math.round(ev.cents)} cents`;
        last.classList.add(ev.in_tune ? "live-in" : "live-out");
      }
    } else if (ev.kind === "message") {
      addMessage(String(ev.text), ev.severity);
    }
  }

  function paint() {
    rafPending = false;
    const batch = paintQueue.splice(0, paintQueue.length);
    let last = null;
    for (const { ev } of batch) {
      if (ev.time_s < lastTime - 0.5) trace.length = 0; // the analysis restarted: a new time line
      trace.push({ t: ev.time_s, midi: ev.midi, inTune: ev.in_tune });
      last = ev;
      lastTime = ev.time_s;
    }
    while (trace.length && trace[0].t < lastTime - TRACE_S) trace.shift();
    if (last) {
      if (last.voiced && typeof last.f0_hz === "number" && typeof last.cents === "number") {
        noteBox.textContent = last.note;
        noteBox.dataset.note = last.note;
        centsBox.textContent = `${last.cents >= 0 ? "+" : ""}${Math.round(last.cents)} cents · ${last.f0_hz.toFixed(1)} Hz`;
        const c = Math.max(-50, Math.min(50, last.cents));
        hand.setAttribute("transform", `rotate(${(c / 50) * 90})`);
        hand.setAttribute("stroke", last.in_tune ? "#2a2" : "#d33");
        noteBox.classList.toggle("live-in", !!last.in_tune);
        noteBox.classList.toggle("live-out", !last.in_tune);
      } else {
        noteBox.textContent = "–";
        noteBox.dataset.note = "";
        centsBox.textContent = "";
      }
      targetBox.textContent = last.target_note ? `target ${last.target_note}` : "";
    }
    drawTrace();
    // measured after the frame's pixels were produced for this animation frame
    const now = performance.now();
    // the first second of a run (page, kernel and worklet settling) is left out of the statistics
    for (const { ev, cap } of batch) if (cap !== null && ev.time_s >= WARMUP_S) e2e.push(now - cap);
    if (e2e.length > 20000) e2e.splice(0, 5000);
    const s = stats();
    if (s.n) {
      latency.textContent =
        `Delay from your voice to the screen: ${s.e2e_p50_ms.toFixed(0)} ms typical, ${s.e2e_p95_ms.toFixed(0)} ms ` +
        `at the slowest 5% (${s.n} frames after the first second) · analysis ${s.compute_p50_ms.toFixed(2)} ms ` +
        `per chunk (slowest 5%: ${s.compute_p95_ms.toFixed(2)} ms)`;
      latency.dataset.e2eP50Ms = s.e2e_p50_ms.toFixed(1);
      latency.dataset.e2eP95Ms = s.e2e_p95_ms.toFixed(1);
      latency.dataset.computeP95Ms = s.compute_p95_ms.toFixed(3);
      latency.dataset.n = String(s.n);
    }
  }

  function drawTrace() {
    const W = canvas.width, H = canvas.height;
    ctx2d.clearRect(0, 0, W, H);
    const voiced = trace.filter((p) => typeof p.midi === "number" && Number.isFinite(p.midi));
    let lo = 55, hi = 79;
    if (voiced.length) {
      let mn = Infinity, mx = -Infinity;
      for (const p of voiced) { if (p.midi < mn) mn = p.midi; if (p.midi > mx) mx = p.midi; }
      lo = Math.floor(mn) - 3;
      hi = Math.ceil(mx) + 3;
      if (hi - lo < 12) { const m = (hi + lo) / 2; lo = Math.floor(m - 6); hi = Math.ceil(m + 6); }
    }
    const y = (m) => H - ((m - lo) / (hi - lo)) * H;
    const x = (t) => W - ((lastTime - t) / TRACE_S) * W;
    ctx2d.font = "10px sans-serif";
    const names = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];
    for (let m = Math.ceil(lo); m <= hi; m++) {
      ctx2d.strokeStyle = m % 12 === 0 ? "#bbb" : "#eee";
      ctx2d.beginPath(); ctx2d.moveTo(0, y(m)); ctx2d.lineTo(W, y(m)); ctx2d.stroke();
      ctx2d.fillStyle = "#999";
      ctx2d.fillText(names[((m % 12) + 12) % 12] + (Math.floor(m / 12) - 1), 2, y(m) - 1);
    }
    for (const p of voiced) {
      ctx2d.fillStyle = p.inTune ? "#2a2" : "#d33";
      ctx2d.fillRect(x(p.t) - 1.5, y(p.midi) - 1.5, 3, 3);
    }
  }

  startBtn.addEventListener("click", () => start());
  stopBtn.addEventListener("click", () => stop(true));
  rateSel.addEventListener("change", () => { model.set("sample_rate_hz", Number(rateSel.value)); model.save_changes(); });
  setState("idle");
  // test hook: send raw messages as the page would (garbage frames), read the statistics
  el.dawgLive = {
    sendRaw: (content, buffers) => send(content, buffers),
    stats,
    resetStats: () => {
      e2e.length = 0;
      compute.length = 0;
      for (const k of ["e2eP50Ms", "e2eP95Ms", "computeP95Ms", "n"]) delete latency.dataset[k];
    },
    stop: () => stop(true),
    debug: () => ({ run, acked, waiting, inflight: inflight.size, outbox: outboxN, lastReply, now: performance.now(), seq, running: !!audio }),
  };
  return () => stop(false);
}

export default { render };
