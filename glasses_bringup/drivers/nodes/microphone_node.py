"""Microphone driver node: publishes audio/raw chunks (sensor_msgs/Image, see audio_format.py).

QoS: reliable, keep last 50 (1 s of 20 ms chunks), because speech recognition
must not lose samples. Stamps come from the sample counter, so consumers detect
gaps from stamp jumps.
"""

from __future__ import annotations

import numpy as np
from sensor_msgs.msg import Image

from glasses_bringup.drivers.nodes.sim_support import declare_scenario
from glasses_bringup.drivers.sensors.microphone import (
    AlsaMicrophoneSource,
    FileMicrophoneSource,
    MicrophoneError,
    SimMicrophoneSource,
)
from glasses_bringup.drivers.sim.scenario import ScenarioError
from glasses_bringup.foundation import health as hl
from glasses_bringup.foundation import interfaces
from glasses_bringup.foundation.audio_format import AudioCaps
from glasses_bringup.foundation.ros import qos as gq
from glasses_bringup.foundation.ros.msgs import audio_msg, from_sec
from glasses_bringup.foundation.ros.node_base import GlassesNode, run_node

MAX_CATCH_UP = 50  # chunks per tick at most: 1 s, what the audio QoS (keep last 50) holds


class MicrophoneNode(GlassesNode):
    def __init__(self, **kwargs):
        super().__init__("microphone", **kwargs)
        self.source_kind = self.declare("source", "sim", "Audio source.", choices=("sim", "file", "alsa"))
        self.path = self.declare("path", "", "wav/flac file for source 'file'.")
        self.device = self.declare("device", "", "ALSA/PortAudio device name or index; empty = default.")
        self.rate = self.declare("sample_rate", 16000, "Sample rate (Hz).", min=8000, max=48000)
        self.channels = self.declare("channels", 1, "Channel count.", min=1, max=8)
        self.device_channels = self.declare(
            "device_channels", 0, "ALSA: channels the device opens (a mic array's count); 0 = `channels`.",
            min=0, max=32)
        self.channel_map = list(self.declare(
            "channel_map", [-1], "ALSA: device channels published, in order; [-1] = the first `channels`."))
        self.chunk_ms = self.declare("chunk_ms", 20, "Chunk length (ms).", min=5, max=200)
        self.sample_format = self.declare("sample_format", "S16LE", "Sample format.", choices=("S16LE", "F32LE"))
        self.loop = self.declare("loop", False, "Loop a file source.")
        self.gain = self.declare("gain", 1.0, "Linear gain applied before publishing.", min=0.0, max=100.0)
        self.frame_id = self.declare("frame_id", interfaces.FRAME_MIC, "Frame of the microphone array.")
        self.declare("hardware_id", "", "Microphone model for /diagnostics.")
        self.scenario, self.start = declare_scenario(self, required=self.source_kind == "sim")
        if self.source_kind != "sim":
            self.start = self.now_s()

        self.caps = AudioCaps(rate=self.rate, channels=self.channels, sample_format=self.sample_format)
        self.chunk_frames = self.rate * self.chunk_ms // 1000
        self.pub = self.create_publisher(Image, "audio/raw", gq.for_topic("audio/raw"))
        self.source = None
        self.sent = 0  # chunks published: the sample counter behind the stamps
        self.open_source()
        self.timer = self.create_timer(self.chunk_ms / 1000.0, self.tick)

    def open_source(self) -> None:
        try:
            if self.source_kind == "sim":
                self.source = SimMicrophoneSource(self.scenario, self.rate, self.chunk_frames)
            elif self.source_kind == "file":
                self.source = FileMicrophoneSource(self.path, self.rate, self.chunk_frames, self.loop)
            else:
                self.source = AlsaMicrophoneSource(
                    self.device, self.rate, self.channels, self.chunk_frames, self.device_channels,
                    [c for c in self.channel_map if c >= 0])
            self.health.clear_level()
        except (MicrophoneError, ScenarioError) as exc:
            self.health.error(str(exc))
            self.health.set_level(hl.ERROR, str(exc))
            self.get_logger().error(str(exc))
            self.source = None

    def to_format(self, block: np.ndarray) -> np.ndarray:
        block = block * self.gain if self.gain != 1.0 else block
        if block.shape[1] != self.channels:
            block = np.repeat(block[:, :1], self.channels, axis=1)
        if self.sample_format == "S16LE":
            return np.clip(block * 32767.0, -32768, 32767).astype(np.int16)
        return block.astype(np.float32)

    def publish_chunk(self, block: np.ndarray, stamp_s: float) -> None:
        self.pub.publish(audio_msg(self.caps, self.to_format(block), from_sec(stamp_s), self.frame_id))
        self.sent += 1
        self.health.tick("chunks")

    def tick(self) -> None:
        if self.source is None:
            return
        chunk_s = self.chunk_frames / self.rate
        if isinstance(self.source, AlsaMicrophoneSource):
            now = self.now_s()
            for block in self.source.pending():
                stamp = self.start + self.sent * chunk_s
                if abs(now - chunk_s - stamp) > 0.1:  # device clock drifted or blocks were lost
                    self.health.drop("chunks")
                    self.start = now - chunk_s - self.sent * chunk_s
                    stamp = self.start + self.sent * chunk_s
                self.publish_chunk(block, stamp)
            self.health.set("overflows", self.source.overflows)
            return
        due = int((self.now_s() - self.start) / chunk_s)
        if due - self.sent > MAX_CATCH_UP:  # we fell far behind real time: skip, and say so
            self.health.drop("chunks", due - self.sent - MAX_CATCH_UP)
            self.sent = due - MAX_CATCH_UP
        while self.sent < due:
            block = self.source.chunk(self.sent)
            if block is None:
                self.health.set("source", "ended")
                return
            self.publish_chunk(block, self.start + self.sent * chunk_s)

    def diagnostics_values(self):
        return {"source": self.source_kind, "caps": self.caps.encoding()}

    def destroy_node(self):
        if getattr(self, "source", None) is not None:
            self.source.close()
        return super().destroy_node()


def main(args=None):
    return run_node(MicrophoneNode, args)
