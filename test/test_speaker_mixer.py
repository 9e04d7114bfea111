"""The speaker's one output: speech with music and the call mixed in (drivers/speech/mixer.py)."""

import threading
import time

import numpy as np

from glasses_bringup.drivers.speech.mixer import MixingSink, SourceBuffer


class RecordingSink:
    """Keeps what it is given, at real-time pace like the null sink."""

    def __init__(self, rate: int):
        self.rate, self.played_s, self.blocks, self.lock = rate, 0.0, [], threading.Lock()

    def write(self, block):
        with self.lock:
            self.blocks.append(np.asarray(block, np.float32).copy())
        self.played_s += block.size / self.rate
        time.sleep(block.size / self.rate)

    def stop(self):
        pass

    def close(self):
        pass

    def audio(self):
        with self.lock:
            return np.concatenate(self.blocks) if self.blocks else np.zeros(0, np.float32)


def tone(freq, seconds, rate, level):
    t = np.arange(int(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_music_plays_on_its_own_and_under_speech_in_order():
    rate = 8000
    sink = RecordingSink(rate)
    mixer = MixingSink(sink)
    music = tone(440, 0.5, rate, 0.2)
    for chunk in np.array_split(music, 10):
        mixer.feed("music", chunk)
    deadline = time.time() + 3
    while mixer.buffers["music"].size and time.time() < deadline:
        time.sleep(0.02)
    played = sink.audio()
    assert played.size >= music.size and np.allclose(played[: music.size], music, atol=1e-6)  # nothing lost, in order
    # speech with music under it: every speech block carries the same stretch of music
    sink.blocks.clear()
    block = int(rate * 0.02)
    speech = tone(1000, 0.2, rate, 0.3)
    mixer.write(np.zeros(block, np.float32))  # speech has started: the bed thread now waits
    for chunk in np.array_split(music[:speech.size], 5):
        mixer.feed("music", chunk)
    for i in range(0, speech.size, block):
        mixer.write(speech[i : i + block])
    mixed = sink.audio()[block : block + speech.size]
    assert np.allclose(mixed, speech + music[: speech.size], atol=1e-5)
    mixer.close()


def test_call_and_music_add_clip_and_overflow_is_counted():
    rate = 8000
    sink = RecordingSink(rate)
    mixer = MixingSink(sink)
    mixer.write(np.full(160, 0.8, np.float32))  # speech alone: passed through
    assert np.allclose(sink.audio(), 0.8)
    with mixer._bed_lock:  # no bed thread race for this check
        mixer.buffers["music"].push(np.full(160, 0.5, np.float32))
        mixer.buffers["call"].push(np.full(160, 0.5, np.float32))
    mixer.write(np.full(160, 0.5, np.float32))
    assert np.max(sink.audio()[160:320]) == 1.0 and mixer.clipped_blocks == 1
    buf = SourceBuffer(rate, max_s=0.1)
    buf.push(np.ones(2000, np.float32))
    assert buf.size == 800 and buf.dropped_samples == 1200
    assert buf.pop(1000).sum() == 800 and buf.rms() == 1.0  # zero-padded past what was buffered
    mixer.close()


def test_speaker_node_plays_music_and_call_chunks_and_counts_bad_ones(ros):
    from rclpy.time import Time
    from sensor_msgs.msg import Image

    from glasses_bringup.drivers.nodes.speaker_node import SpeakerNode
    from glasses_bringup.foundation.audio_format import AudioCaps
    from glasses_bringup.foundation.ros.msgs import audio_msg
    from glasses_bringup.foundation.testing import wait_for

    node = ros.add(SpeakerNode(namespace="/glasses"))
    music = ros.publisher("speaker/music", Image)
    call = ros.publisher("speaker/call", Image)
    assert wait_for(lambda: music.get_subscription_count() and call.get_subscription_count(), 5)
    caps = AudioCaps(rate=16000)
    level = 0.25
    for k in range(25):  # 0.5 s of a 440 Hz tone in 20 ms chunks
        chunk = tone(440, 0.02, 16000, level)
        pcm = np.round(chunk * 32767).astype(np.int16).reshape(-1, 1)
        music.publish(audio_msg(caps, pcm, Time(seconds=k * 0.02).to_msg(), "speaker"))
    played = node.mixer.buffers["music"]
    assert wait_for(lambda: played.played_samples >= 0.45 * node.output_rate, 5)
    assert abs(played.rms() - level / np.sqrt(2)) < 0.02  # the tone's level reached the output
    bad = Image(encoding="audio/NOPE", width=3, data=b"\x00\x01")
    call.publish(bad)
    assert wait_for(lambda: node.health.rejects.get("bad_call_chunk") == 1, 5)
    assert node.mixer.buffers["call"].played_samples == 0
