"""ASR node: audio/raw -> perception/transcript (partials while speaking, final at the end).

Listens only after perception/wake (wake word, touch, follow-up) unless
`always_listen` is set. A lifecycle node: configure loads the recognizers (Whisper
and/or the pocketsphinx grammar), activate streams with `engine`. When the power
policy parks it (deactivate) or power/state reports a saver mode, it keeps
streaming with `saver_engine` (the grammar path, about 0.01x real time) so voice
commands keep working without full ASR; `saver_engine: none` stops listening
instead.

At a pause in speech the utterance so far is decoded while the VAD hangover runs
(the tentative decode); its text goes out at once as a partial marked `at_pause`
(English: the text of the fast first pass, before a second pass may run)
(the agent shows a provisional card on it) and the final, once the hangover ends
the utterance, reuses it. A pause transcript is not published when speech went on
while it was decoded.

Recognition runs on two worker threads so the executor keeps taking audio: one
for finals (and the tentative decode that starts at a pause), one for partials,
so a partial being decoded never delays a final (measured: with a single worker
the final p95 was about 2x higher). Stale partials are skipped when the partial
worker falls behind. Final latency is measured end
of speech -> publish: the VAD hangover (audio time) plus the wall time from the
chunk that confirmed the end to the publish.
"""

from __future__ import annotations

import queue
import threading
import time

from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.ros.node_base import GlassesLifecycleNode, run_node
from glasses_perception.nodes.audio_input import AudioInput
from glasses_perception.nodes.vad_node import declare_vad
from glasses_perception.voice import asr

SAVER_MODES = ("saver", "critical")


class AsrNode(GlassesLifecycleNode):
    def __init__(self, **kwargs):
        super().__init__("asr", **kwargs)
        self.engine = self.declare("engine", "whisper", "Recognizer.", choices=asr.ENGINES)
        self.saver_engine = self.declare(
            "saver_engine",
            "grammar",
            "Recognizer in power saver modes ('none' = stop listening).",
            choices=(*asr.ENGINES, "none"),
        )
        self.model_path = self.declare(
            "model_path", "", "Whisper CTranslate2 model dir; empty = tiny.en for lang en, multilingual base else."
        )
        self.english_model_path = self.declare(
            "english_model_path", "",
            "Whisper model for English speech when the main model is multilingual; empty = shipped tiny.en, "
            "'none' = the main model.",
        )  # fmt: skip
        self.model_cache_dir = self.declare(
            "model_cache_dir", "", "Where the multilingual base is joined on first use; empty = ~/.cache/glasses_stack."
        )
        self.grammar_path = self.declare("grammar_path", "", "JSGF grammar; empty = shipped commands.gram.")
        self.lang = self.declare(
            "lang", "en", "en, zh, or auto (language detected per utterance, multilingual model).", choices=asr.LANGS
        )
        self.languages = self.declare(
            "languages", ["en", "zh"], "Languages lang auto chooses between (Whisper codes)."
        )
        self.min_window_s = self.declare(
            "min_window_s", 6.0, "Shortest encoder window of the multilingual model (30 = stock Whisper).",
            min=1.0, max=30.0,
        )  # fmt: skip
        self.first_pass_window_s = self.declare(
            "first_pass_window_s", 20.0,
            "English (tiny.en): encoder window of the fast first pass; 30 = one stock pass only.", min=1.0, max=30.0,
        )  # fmt: skip
        self.first_pass_min_logprob = self.declare(
            "first_pass_min_logprob", -0.5,
            "English: the first pass's text is taken when its mean token log-probability is at least this, "
            "else the stock 30 s pass decides.", min=-10.0, max=0.0,
        )  # fmt: skip
        self.beam_size = self.declare("beam_size", 1, "Whisper beam size.", min=1, max=8)
        self.cpu_threads = self.declare("cpu_threads", 2, "Whisper CPU threads.", min=1, max=16)
        self.prompt = self.declare("prompt", asr.DEFAULT_PROMPT, "Whisper vocabulary prompt, English (empty = none).")
        self.prompt_zh = self.declare(
            "prompt_zh", asr.DEFAULT_PROMPTS["zh"], "Whisper vocabulary prompt, Chinese (empty = none)."
        )
        self.always_listen = self.declare("always_listen", False, "Transcribe all speech, without a wake event.")
        self.partial_interval_s = self.declare(
            "partial_interval_s", 1.0, "Partial transcript period while speaking (0 = none).", min=0.0, max=10.0
        )
        self.first_partial_s = self.declare(
            "first_partial_s", 2.0,
            "First partial this long into an utterance: shorter commands get none (a partial decode still "
            "running at the end of speech slows the final's).", min=0.0, max=30.0,
        )  # fmt: skip
        self.listen_window_s = self.declare(
            "listen_window_s", 6.0, "Time to start speaking after a wake.", min=0.5, max=60.0
        )
        self.follow_up_s = self.declare("follow_up_s", 5.0, "Follow-up window after an answer (s).", min=0.0, max=60.0)
        self.lead_s = self.declare(
            "lead_s", 0.3, "Audio before the detected speech given to the recognizer (s).", min=0.0, max=1.0
        )
        self.lang_probe_s = self.declare(
            "lang_probe_s", 0.8,
            "lang auto: detect the language this long into an utterance, so its later decodes skip detection "
            "(0 = detect in every decode).", min=0.0, max=10.0,
        )  # fmt: skip
        self.vad_config = declare_vad(self)
        self.utterance_langs = asr.UtteranceLanguages()
        self.recognizers: dict[str, object] = {}
        self.current = "none"  # recognizer in use: engine, saver_engine or none
        self.parked = False
        self.power_saving = False
        # Lifecycle transitions (service thread) and power/state (executor) both switch the
        # engine: one lock so neither decides on the other's half-updated flags.
        self._engine_lock = threading.RLock()
        self.stream: asr.UtteranceStream | None = None
        self.pub = self.event_publisher("perception/transcript")
        self.audio = AudioInput(self, self.on_audio, self.on_gap)
        self.event_subscription("perception/wake", ev.Wake, self.on_wake)
        self.event_subscription("power/state", ev.PowerState, self.on_power)
        self._jobs: queue.Queue = queue.Queue()  # finals and tentative finals
        self._partial_jobs: queue.Queue = queue.Queue()
        self._workers: list[threading.Thread] = []
        self._tentative: dict[tuple[int, float], asr.TranscriptResult] = {}
        self._publish_lock = threading.Lock()  # the two workers: no partial after its final
        self._last_final_utterance = 0
        self._final_end: tuple[int, float] | None = None

    # -- lifecycle ----------------------------------------------------------------

    def configure(self) -> None:
        needed = {self.engine, self.saver_engine} - {"none"}
        for name in sorted(needed):
            t0 = time.perf_counter()
            if name == "grammar" and self.lang == "zh":
                # pocketsphinx has no Mandarin acoustic model here: say so, keep the main engine
                self.health.set("saver_engine_note", "grammar path is English only: not loaded for lang zh")
                self.get_logger().warning("grammar recognizer is English only; lang zh runs without it")
                continue
            self.recognizers[name] = asr.make_recognizer(
                name,
                self.model_path,
                self.grammar_path,
                self.lang if name == "whisper" else "en",
                **(
                    {
                        "beam_size": self.beam_size,
                        "cpu_threads": self.cpu_threads,
                        "prompts": {"en": self.prompt, "zh": self.prompt_zh},
                        "num_workers": 2,
                        "languages": tuple(self.languages),
                        "english_model": None if self.english_model_path == "none"
                        else (self.english_model_path or "default"),
                        "min_window_s": self.min_window_s,
                        "cache_dir": self.model_cache_dir or None,
                        "first_pass_window_s": self.first_pass_window_s,
                        "first_pass_min_logprob": self.first_pass_min_logprob,
                    }
                    if name == "whisper"
                    else {}
                ),
            )
            self.health.set(f"{name}_load_ms", f"{(time.perf_counter() - t0) * 1000:.0f}")
        whisper = self.recognizers.get("whisper")
        if whisper is not None:
            # the first decode after loading ran about 100 ms slower here: the first command would pay it
            self.health.set("warm_up_ms", f"{whisper.warm_up():.0f}")
            self.health.set("model", whisper.model_path.name)
            self.health.set("english_model", whisper.english.path.name if whisper.english else "main")

    def activate(self) -> None:
        with self._engine_lock:
            self.parked = False
            self._start_streaming()
            self._choose_engine()

    def deactivate(self) -> None:
        with self._engine_lock:
            self.parked = True
            self._choose_engine()
            if self.current == "none":
                self._stop_worker()
                self.stream = None

    def cleanup(self) -> None:
        with self._engine_lock:
            self._stop_worker()
            self.stream = None
            self.current = "none"
            self.recognizers.clear()

    def _start_streaming(self) -> None:
        if self.stream is None:
            self.stream = asr.UtteranceStream(
                self.vad_config,
                always_listen=self.always_listen,
                partial_interval_s=self.partial_interval_s,
                first_partial_s=self.first_partial_s,
                listen_window_s=self.listen_window_s,
                follow_up_s=self.follow_up_s,
                lead_s=self.lead_s,
                probe_after_s=self.lang_probe_s if self.lang == "auto" else 0.0,
            )
        if not self._workers:
            self._workers = [
                threading.Thread(target=self._work, args=(self._jobs,), name="asr_finals", daemon=True),
                threading.Thread(target=self._work, args=(self._partial_jobs,), name="asr_partials", daemon=True),
            ]
            for worker in self._workers:
                worker.start()

    def _choose_engine(self) -> None:
        wanted = self.saver_engine if (self.parked or self.power_saving) else self.engine
        if wanted != "none" and wanted not in self.recognizers:
            self.health.error(f"recognizer {wanted!r} not loaded")
            wanted = "none"
        if wanted != self.current:
            self.get_logger().info(
                f"recognizer {self.current} -> {wanted} (parked={self.parked}, saver={self.power_saving})"
            )
            self.current = wanted
        self.health.set("engine", self.current)

    def _stop_worker(self) -> None:
        if self._workers:
            self._jobs.put(None)
            self._partial_jobs.put(None)
            for worker in self._workers:
                worker.join(timeout=10)
            self._workers = []

    def destroy_node(self):
        self._stop_worker()
        return super().destroy_node()

    # -- inputs -------------------------------------------------------------------

    def on_audio(self, samples, stamp: float) -> None:
        if self.stream is None or self.current == "none":
            return
        received = time.perf_counter()
        _, requests = self.stream.feed(samples, stamp)
        for req in requests:
            self._submit(req, received)

    def _submit(self, req: asr.Request, received: float) -> None:
        if req.final:
            self._final_end = (req.utterance_id, req.audio_end)  # where the newest utterance ended
        (self._jobs if req.final or req.tentative else self._partial_jobs).put((req, received))

    def on_gap(self, stamp: float, gap_s: float) -> None:
        if self.stream is None:
            return
        received = time.perf_counter()
        for req in self.stream.gap(stamp):
            self._submit(req, received)

    def on_wake(self, wake: ev.Wake) -> None:
        if self.stream is not None:
            self.stream.listen(wake.stamp, wake.reason)
            self.health.tick(f"wake.{wake.reason}")

    def on_power(self, state: ev.PowerState) -> None:
        saving = state.mode in SAVER_MODES
        with self._engine_lock:
            if saving != self.power_saving:
                self.power_saving = saving
                if self.recognizers:
                    self._choose_engine()
                    if self.current != "none":
                        self._start_streaming()

    # -- recognition worker -------------------------------------------------------

    def _work(self, jobs: queue.Queue) -> None:
        while True:
            job = jobs.get()
            if job is None:
                return
            req, received = job
            if not (req.final or req.tentative or req.probe) and (not jobs.empty() or not self._jobs.empty()):
                self.health.drop("stale_partials")  # a newer partial or the final is waiting
                continue
            try:
                self._recognize(req, received)
            except Exception as exc:  # a decoder failure must not end the worker
                self.health.error(f"recognition failed: {exc}")
                self.get_logger().error(f"recognition failed: {exc!r}")

    def _recognize(self, req: asr.Request, received: float) -> None:
        recognizer = self.recognizers.get(self.current)
        if recognizer is None:
            return
        if req.probe:
            asr.probe_language(recognizer, req, self.utterance_langs)
            return
        key = (req.utterance_id, req.audio_end)
        if req.tentative:
            first_pass = []

            def on_first_pass(text: str) -> None:  # an unsure first pass: out before the second pass
                first_pass.append(text)
                self._publish_pause(req, asr.TranscriptResult(text, False, "en", req.audio_start, req.audio_end, 0.0,
                                                              recognizer.engine, req.utterance_id, 0.0), received,
                                    final_waits=True)  # fmt: skip

            result = self._decode(recognizer, req, on_first_pass)
            self._tentative = {key: result}
            if not first_pass:
                self._publish_pause(req, result, received)
            return
        cached = self._tentative.pop(key, None) if req.final else None
        result = cached if cached is not None else self._decode(recognizer, req)
        latency_ms = (time.perf_counter() - received) * 1000.0 + (req.endpoint_wait_ms if req.final else 0.0)
        with self._publish_lock:
            if not req.final and (not result.text or req.utterance_id <= self._last_final_utterance):
                if result.text:
                    self.health.drop("late_partials")  # its final is already out
                return
            if req.final:
                self._last_final_utterance = max(self._last_final_utterance, req.utterance_id)
            self._publish(req, result, latency_ms)

    def _publish_pause(self, req: asr.Request, result: asr.TranscriptResult, received: float,
                       final_waits: bool = False) -> None:  # fmt: skip
        """The decode at a pause, out at once: the final follows (this text, or the second pass's) unless
        the wearer speaks on. ``final_waits``: the final waits for a second pass of this decode, so
        the text goes out even when the utterance has ended meanwhile (where this decode ends)."""
        stream = self.stream
        with self._publish_lock:
            if not result.text or req.utterance_id <= self._last_final_utterance:
                return
            if stream is None or stream.utterance_id != req.utterance_id:
                return
            if not stream.vad.in_speech:
                if not (final_waits and self._final_end == (req.utterance_id, req.audio_end)):
                    return  # the utterance has ended meanwhile: its final, queued behind, says it
            elif stream.vad.silence_start != req.audio_end:
                self.health.drop("stale_pause_transcripts")  # the wearer spoke on while it decoded
                return
            self._publish(req, result, (time.perf_counter() - received) * 1000.0, at_pause=True)

    def _decode(self, recognizer, req: asr.Request, on_first_pass=None) -> asr.TranscriptResult:
        result = asr.recognize(recognizer, req, self.utterance_langs.lang_for(req.utterance_id),
                               on_first_pass=on_first_pass)  # fmt: skip
        self.utterance_langs.learn(req.utterance_id, result.lang, result.lang_prob)
        return result

    def _publish(self, req: asr.Request, result: asr.TranscriptResult, latency_ms: float, at_pause: bool = False) -> None:
        self.pub.publish(
            ev.Transcript(
                stamp=req.audio_end,
                text=result.text,
                final=req.final,
                lang=result.lang,
                audio_start=req.audio_start,
                audio_end=req.audio_end,
                latency_ms=latency_ms,
                engine=result.engine,
                utterance_id=req.utterance_id,
                at_pause=at_pause,
            )
        )
        self.health.tick("finals" if req.final else ("pause_transcripts" if at_pause else "partials"))
        if req.final:
            self.health.set("last_final_latency_ms", f"{latency_ms:.0f}")
            self.health.set("last_decode_ms", f"{result.decode_ms:.0f}")

    def diagnostics_values(self):
        return {
            "engine": self.current,
            "queue": self._jobs.qsize() + self._partial_jobs.qsize(),
            "always_listen": self.always_listen,
            "lang_detections_skipped": self.utterance_langs.reused,
            **self._pass_counts(),
        }

    def _pass_counts(self) -> dict:
        whisper = self.recognizers.get("whisper")
        if whisper is None:
            return {}
        return {"english_first_pass_taken": whisper.first_pass_taken, "english_second_passes": whisper.second_passes}


def main(args=None):
    return run_node(AsrNode, args)
