"""Wake node: opens listening on perception/wake.

Reasons: a wake word in audio/raw (micro-wakeword models, pocketsphinx
keyphrases), a long press on the touch temple (input/touch), and the follow-up
window after the glasses finished speaking an answer (speaker/state idle; not while
agent/listen_mode has captions, notes or the teleprompter on: speech would be taken
for a command). A
lifecycle node: the models load in configure; while inactive it ignores audio but
still honours touch, so the power policy can park the always-on detector.
"""

from __future__ import annotations

from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.ros.node_base import GlassesLifecycleNode, run_node
from glasses_perception.nodes.audio_input import AudioInput
from glasses_perception.voice.wake import BUILTIN_MODELS, WakeWordDetector


class WakeNode(GlassesLifecycleNode):
    def __init__(self, **kwargs):
        super().__init__("wake", **kwargs)
        self.models = list(
            self.declare(
                "models",
                ["hey_jarvis", "okay_nabu"],
                f"micro-wakeword models: built-in names ({', '.join(BUILTIN_MODELS)}) or JSON config paths.",
            )
        )
        self.keyphrases = self.declare(
            "keyphrases", "", "Comma-separated custom wake phrases for pocketsphinx keyphrase spotting."
        )
        self.cutoff = self.declare(
            "probability_cutoff", 0.0, "Wake probability cutoff (0 = each model's own).", min=0.0, max=1.0
        )
        self.keyphrase_threshold = self.declare(
            "keyphrase_threshold",
            1e-20,
            "pocketsphinx keyphrase threshold (lower = fewer misses, more false alarms).",
            min=1e-50,
            max=1.0,
        )
        self.refractory_s = self.declare("refractory_s", 1.5, "Audio ignored after a detection (s).", min=0.0, max=10.0)
        self.follow_up = self.declare("follow_up", True, "Open listening again when an answer has been spoken.")
        self.touch_opens = self.declare("touch_long_press", True, "A long press on the temple opens listening.")
        self.detector: WakeWordDetector | None = None
        self.pub = self.event_publisher("perception/wake")
        self.audio = AudioInput(self, self.on_audio, self.on_gap)
        self.event_subscription("input/touch", ev.Touch, self.on_touch)
        self.event_subscription("speaker/state", ev.SpeakerState, self.on_speaker)
        self._speaker_state = "idle"
        self._meeting = False  # captions or notes on
        self.event_subscription("agent/listen_mode", ev.ListenMode, self.on_listen_mode)

    # -- lifecycle ----------------------------------------------------------------

    def configure(self) -> None:
        phrases = [p.strip() for p in self.keyphrases.split(",") if p.strip()]
        self.detector = WakeWordDetector(
            models=self.models,
            keyphrases=phrases,
            cutoff=self.cutoff or None,
            keyphrase_threshold=self.keyphrase_threshold,
            refractory_s=self.refractory_s,
        )
        self.health.set("phrases", ", ".join(self.detector.phrases))

    def activate(self) -> None:
        if self.detector is not None:
            self.detector.reset_models()

    def cleanup(self) -> None:
        if self.detector is not None:
            self.detector.close()
        self.detector = None

    # -- inputs -------------------------------------------------------------------

    def on_audio(self, samples, stamp: float) -> None:
        if not self.active or self.detector is None:
            return
        for hit in self.detector.feed(samples, stamp):
            self.health.tick("detections")
            self.pub.publish(ev.Wake(stamp=hit.stamp, reason="wake_word", phrase=hit.phrase, score=hit.score))
            self.get_logger().info(f"wake word {hit.phrase!r} ({hit.detector}, {hit.score:.2f}) at {hit.stamp:.2f}")

    def on_gap(self, stamp: float, gap_s: float) -> None:
        if self.detector is not None:
            self.detector.reset_models()

    def on_touch(self, touch: ev.Touch) -> None:
        if self.touch_opens and touch.gesture == "long_press":
            self.pub.publish(ev.Wake(stamp=touch.stamp, reason="touch", phrase="", score=1.0))

    def on_speaker(self, state: ev.SpeakerState) -> None:
        previous, self._speaker_state = self._speaker_state, state.state
        if self.follow_up and not self._meeting and state.state == "idle" and previous == "speaking":
            self.pub.publish(ev.Wake(stamp=state.stamp, reason="follow_up", phrase="", score=1.0))

    def on_listen_mode(self, mode: ev.ListenMode) -> None:
        self._meeting = mode.captions or mode.notes or mode.teleprompter

    def diagnostics_values(self):
        seen = self.detector.samples_seen if self.detector else 0
        return {"audio_s": f"{seen / 16000:.1f}", "active": self.active}


def main(args=None):
    return run_node(WakeNode, args)
