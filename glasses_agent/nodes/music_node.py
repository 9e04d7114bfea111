"""Music player node: plays the wearer's local library through the speaker path.

Subscribes music/command (from the agent), speaker/state (the assistant speaking
ducks the music) and phone/call (a call ringing, dialing or up ducks it too). Renders the player's output in real time (a timer every
``block_ms`` while playing, none otherwise; samples for the time that passed) and publishes it on speaker/music as
audio chunks (the stack's audio convention, F32LE mono at ``output_rate``, reliable
keep-last-50), to a PortAudio device too when ``output_device`` is set. Publishes
music/state (latched) after every command and track change. The logic is
glasses_agent.backends.music.
"""

from __future__ import annotations

import time
from pathlib import Path

from sensor_msgs.msg import Image

from glasses_agent.backends.music import Library, MusicError, MusicPlayer
from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.audio_format import AudioCaps
from glasses_bringup.foundation.ros import qos as gq
from glasses_bringup.foundation.ros.msgs import audio_msg
from glasses_bringup.foundation.ros.node_base import GlassesNode, run_node


class MusicPlayerNode(GlassesNode):
    def __init__(self, **kwargs):
        super().__init__("music_player", **kwargs)
        folder = self.declare("music_dir", "", "Folder of the wearer's audio files; empty = ~/Music.")
        self.rate = self.declare("output_rate", 22050, "Output sample rate (Hz).", min=8000, max=48000)
        volume = self.declare("volume", 60, "Start volume 0-100 (the wearer changes it by voice).", min=0, max=100)
        duck = self.declare("duck_gain", 0.25, "Gain while the assistant speaks.", min=0.0, max=1.0)
        self.block_s = self.declare("block_ms", 50, "Period of the output blocks (ms).", min=10, max=500) / 1000.0
        device = self.declare("output_device", "", "PortAudio output device; empty = topic only.")
        self.library = Library.scan(folder or Path.home() / "Music")
        self.player = MusicPlayer(self.library, self.rate, volume, duck)
        self.caps = AudioCaps(rate=self.rate, channels=1, sample_format="F32LE")
        self.sink = None
        if device:
            try:
                import sounddevice as sd

                self.sink = sd.OutputStream(samplerate=self.rate, channels=1, dtype="float32", device=device)
                self.sink.start()
            except Exception as exc:  # no device: the topic still carries the audio; say why
                self.health.error(f"output device {device!r}: {exc}")
        self.audio_pub = self.create_publisher(Image, "speaker/music", gq.for_topic("speaker/music"))
        self.state_pub = self.event_publisher("music/state")
        self.event_subscription("music/command", ev.MusicCommand, self.on_command)
        self.event_subscription("speaker/state", ev.SpeakerState, self.on_speaker)
        self.event_subscription("phone/call", ev.CallState, self.on_call)
        self._clock_origin: float | None = None
        self._samples_out = 0
        self._block_timer = None  # runs only while playing: a paused player costs no wake-ups
        self.health.set("tracks", len(self.library.tracks))
        if self.library.skipped:
            self.health.set("skipped_files", len(self.library.skipped))
        self.publish_state("", "")

    # -- inputs -------------------------------------------------------------------------

    def on_command(self, msg: ev.MusicCommand) -> None:
        reason = ""
        try:
            if msg.command == "play":
                self.player.play(msg.query or None)
            elif msg.command == "pause":
                self.player.pause()
            elif msg.command == "next":
                self.player.next()
            elif msg.command == "volume" and msg.level is not None:
                self.player.set_volume(msg.level)
            else:
                reason = "no_level"
        except MusicError as exc:
            reason = exc.reason
        self._follow_state()
        self.publish_state(msg.request_id, reason, msg.stamp)

    def on_speaker(self, msg: ev.SpeakerState) -> None:
        before = bool(self.player.ducked_by)
        self.player.duck("speech", msg.state == "speaking")
        if before != bool(self.player.ducked_by):
            self.publish_state("", "", msg.stamp)

    def on_call(self, msg: ev.CallState) -> None:
        before = bool(self.player.ducked_by)
        self.player.duck("call", msg.state != "idle")
        if before != bool(self.player.ducked_by):
            self.publish_state("", "", msg.stamp)

    # -- output -------------------------------------------------------------------------

    def _follow_state(self) -> None:
        """The render timer runs while playing; stopping it forgets the output clock, so the next play
        starts with one block, however it stopped (a command, or the end of the queue while rendering)."""
        playing = self.player.state == "playing"
        if playing and self._block_timer is None:
            self._block_timer = self.create_timer(self.block_s, self.on_block)
        elif not playing and self._block_timer is not None:
            self.destroy_timer(self._block_timer)
            self._block_timer = None
            self._clock_origin = None

    def on_block(self) -> None:
        if self.player.state != "playing":  # a tick already due when the timer went
            self._follow_state()
            return
        now = time.monotonic()
        if self._clock_origin is None:  # (re)start: one block now, then keep pace with the clock
            self._clock_origin, self._samples_out = now - self.block_s, 0
        due = int((now - self._clock_origin) * self.rate) - self._samples_out
        if due <= 0:
            return
        samples, events = self.player.render(due)
        if len(samples):
            stamp = self.now_msg()
            self.audio_pub.publish(audio_msg(self.caps, samples.reshape(-1, 1), stamp, "speaker"))
            self.health.tick("chunks")
            if self.sink is not None:
                try:
                    self.sink.write(samples.reshape(-1, 1))
                except Exception as exc:
                    self.health.error(f"output: {exc}")
        self._samples_out += due
        if events:
            self._follow_state()
            self.publish_state("", "")

    def publish_state(self, request_id: str, reason: str, stamp: float | None = None) -> None:
        p = self.player
        track = p.track
        left = max(0, len(p.queue) - p.position - 1) if track else 0
        self.state_pub.publish(ev.MusicState(
            stamp=max(0.0, stamp if stamp is not None else self.now_s()), request_id=request_id, state=p.state,
            title=track.title if track else "", artist=track.artist if track else "", path=track.path if track else "",
            volume=p.volume, ducked=bool(p.ducked_by), queue_left=left, reason=reason))  # fmt: skip

    def diagnostics_values(self) -> dict:
        return {"state": self.player.state, "volume": self.player.volume, "ducked": bool(self.player.ducked_by),
                "tracks": len(self.library.tracks), "rendering": self._block_timer is not None}  # fmt: skip

    def destroy_node(self):
        if self.sink is not None:
            self.sink.close()
        return super().destroy_node()


def main(args=None):
    return run_node(MusicPlayerNode, args)
